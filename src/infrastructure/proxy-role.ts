// The role RDS Proxy assumes to read the database users' secrets: the master
// secret and the function user's, those two only, and decryption with their
// keys only when Secrets Manager asks.
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from './cdk';
import { NameSuffix } from './config/validate-names';
import { guardrailArgs, type RoleGuardrails } from './iam-guardrails';
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from './policy';

export interface ProxyRoleProps {
  namePrefix: string;
  region: string;
  secretArn: string;
  /** The KMS key that encrypts the secret (the RDS-managed secret's kms_key_id). */
  secretKmsKeyId: string;
  /** The function user's secret (its value written by db:bootstrap). */
  functionUserSecretArn: string;
  /** Its customer-managed key, if any (the AWS-managed key needs no grant here). */
  functionUserSecretKmsKeyArn?: string;
  guardrails: RoleGuardrails;
}

export class ProxyRole extends Construct {
  public readonly role: IamRole;
  public readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: ProxyRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: `${props.namePrefix}${NameSuffix.proxyRole}`,
      description: 'RDS Proxy: read the database users\' secrets (master and function user)',
      assumeRolePolicy: serviceTrustPolicy('rds.amazonaws.com'),
      ...guardrailArgs(props.guardrails),
    });
    this.statements = [
      { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [props.secretArn, props.functionUserSecretArn] },
      {
        Sid: 'DecryptDatabaseSecret',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: props.functionUserSecretKmsKeyArn === undefined
          ? props.secretKmsKeyId
          : [props.secretKmsKeyId, props.functionUserSecretKmsKeyArn],
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${props.region}.amazonaws.com` } },
      },
    ];
    new IamRolePolicy(this, 'policy', { name: 'read-database-secret', role: this.role.id, policy: policyDocument(this.statements) });
  }
}
