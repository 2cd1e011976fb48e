// The role RDS Proxy assumes to read the database's master secret: that one
// secret, and decryption with its key only when Secrets Manager asks.
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from './cdk';
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from './policy';

export interface ProxyRoleProps {
  namePrefix: string;
  region: string;
  secretArn: string;
  /** The KMS key that encrypts the secret (the RDS-managed secret's kms_key_id). */
  secretKmsKeyId: string;
}

export class ProxyRole extends Construct {
  public readonly role: IamRole;
  public readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: ProxyRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: `${props.namePrefix}-proxy`,
      description: 'RDS Proxy: read the database master secret',
      assumeRolePolicy: serviceTrustPolicy('rds.amazonaws.com'),
    });
    this.statements = [
      { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: props.secretArn },
      {
        Sid: 'DecryptDatabaseSecret',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: props.secretKmsKeyId,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${props.region}.amazonaws.com` } },
      },
    ];
    new IamRolePolicy(this, 'policy', { name: 'read-database-secret', role: this.role.id, policy: policyDocument(this.statements) });
  }
}
