// RDS for MySQL 8: encrypted, private, IAM database authentication on, the
// master password generated and rotated by RDS in Secrets Manager (so it never
// exists in this code, the plan or the state).
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { Construct } from './cdk';
import type { CreatedDatabaseConfig } from './config/types';

/** Logs MySQL on RDS can export to CloudWatch without an option group. */
export const DATABASE_LOG_EXPORTS = ['error', 'slowquery'] as const;

export interface DatabaseProps {
  config: CreatedDatabaseConfig;
  namePrefix: string;
  subnetIds: string[];
  securityGroupId: string;
}

export class Database extends Construct {
  public readonly subnetGroup: DbSubnetGroup;
  public readonly instance: DbInstance;
  /** The RDS-managed master secret and the KMS key that encrypts it. */
  public readonly secretArn: string;
  public readonly secretKmsKeyId: string;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    this.subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: namePrefix,
      description: `${namePrefix} private subnets`,
      subnetIds: props.subnetIds,
    });
    this.instance = new DbInstance(this, 'instance', {
      identifier: namePrefix,
      engine: 'mysql',
      engineVersion: config.engineVersion,
      instanceClass: config.instanceClass,
      allocatedStorage: config.allocatedStorageGb,
      maxAllocatedStorage: config.maxAllocatedStorageGb,
      storageType: 'gp3',
      storageEncrypted: true,
      dbName: config.dbName,
      // The proxy's only secret is this user's, so the function connects as it (with an IAM token, via the proxy).
      username: config.dbUser,
      manageMasterUserPassword: true,
      iamDatabaseAuthenticationEnabled: true,
      dbSubnetGroupName: this.subnetGroup.name,
      vpcSecurityGroupIds: [props.securityGroupId],
      publiclyAccessible: false,
      multiAz: config.multiAz,
      backupRetentionPeriod: config.backupRetentionDays,
      enabledCloudwatchLogsExports: [...DATABASE_LOG_EXPORTS],
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      performanceInsightsEnabled: config.performanceInsights,
      // A protected database also leaves a final snapshot; an unprotected
      // (dev) one can be destroyed and recreated freely.
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: !config.deletionProtection,
      ...(config.deletionProtection ? { finalSnapshotIdentifier: `${namePrefix}-final` } : {}),
    });
    this.secretArn = this.instance.masterUserSecret.get(0).secretArn;
    this.secretKmsKeyId = this.instance.masterUserSecret.get(0).kmsKeyId;
  }
}
