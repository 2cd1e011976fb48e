// RDS for MySQL 8: encrypted (with the organisation's key when given), private,
// IAM database authentication on, the master password generated and rotated
// by RDS in Secrets Manager (so it never exists in this code, the plan or the
// state), its own parameter group, logs into log groups the stack owns.
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { Construct, DataResource, Fn, type TerraformResource } from './cdk';
import type { CreatedDatabaseConfig } from './config/types';
import { NameSuffix } from './config/validate-names';

/** Logs MySQL on RDS can export to CloudWatch without an option group. */
export const DATABASE_LOG_EXPORTS = ['error', 'slowquery'] as const;

export interface DatabaseProps {
  config: CreatedDatabaseConfig;
  namePrefix: string;
  subnetIds: string[];
  securityGroupId: string;
  parameterGroupName: string;
  /** Required when config.monitoringIntervalSeconds > 0. */
  monitoringRoleArn?: string;
  /** Created first: the log groups RDS writes to, the monitoring role's policy. */
  dependsOn: TerraformResource[];
}

export class Database extends Construct {
  public readonly subnetGroup: DbSubnetGroup;
  public readonly instance: DbInstance;
  /** The RDS-managed master secret and the KMS key that encrypts it. */
  public readonly secretArn: string;
  public readonly secretKmsKeyId: string;
  /** Holds the instance's creation time for the final snapshot's name (final snapshot only). */
  public readonly createdAt?: DataResource;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    this.subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: namePrefix,
      description: `${namePrefix} private subnets`,
      subnetIds: props.subnetIds,
    });
    const key = config.kmsKeyArn;
    if (config.finalSnapshot) {
      // A fixed final snapshot name works once: after deploy, destroy, deploy,
      // the second destroy fails because the first snapshot still holds the
      // name. The name carries the instance's creation time instead, captured
      // once by terraform_data (built into Terraform, no extra provider) and
      // frozen by ignore_changes, so it stays put on every later plan. A change
      // that replaces the instance replaces this too (triggers_replace), so the
      // new instance gets a new time.
      this.createdAt = new DataResource(this, 'created-at', {
        input: { at: Fn.formatdate('YYYYMMDDhhmmss', Fn.timestamp()) },
        triggersReplace: { identifier: namePrefix, dbName: config.dbName, username: config.masterUsername, kmsKeyArn: key ?? '' },
        lifecycle: { ignoreChanges: ['input'] },
      });
    }
    this.instance = new DbInstance(this, 'instance', {
      identifier: namePrefix,
      engine: 'mysql',
      engineVersion: config.engineVersion,
      instanceClass: config.instanceClass,
      parameterGroupName: props.parameterGroupName,
      allocatedStorage: config.allocatedStorageGb,
      maxAllocatedStorage: config.maxAllocatedStorageGb,
      storageType: 'gp3',
      storageEncrypted: true,
      dbName: config.dbName,
      // The administrator, for db:bootstrap only: the function connects as its own user (config.dbUser).
      username: config.masterUsername,
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
      // One customer-managed key, where the resource takes one: storage, the
      // master secret, and Performance Insights when it is on.
      ...(key !== undefined ? { kmsKeyId: key, masterUserSecretKmsKeyId: key } : {}),
      ...(key !== undefined && config.performanceInsights ? { performanceInsightsKmsKeyId: key } : {}),
      monitoringInterval: config.monitoringIntervalSeconds,
      ...(config.monitoringIntervalSeconds > 0 ? { monitoringRoleArn: props.monitoringRoleArn } : {}),
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: !config.finalSnapshot,
      ...(this.createdAt ? { finalSnapshotIdentifier: `${namePrefix}${NameSuffix.finalSnapshot}${this.createdAt.output.lookup('at')}` } : {}),
      dependsOn: props.dependsOn,
    });
    this.secretArn = this.instance.masterUserSecret.get(0).secretArn;
    this.secretKmsKeyId = this.instance.masterUserSecret.get(0).kmsKeyId;
  }
}
