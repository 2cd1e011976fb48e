// The Secrets Manager secret through which RDS Proxy reaches the function's own
// database user. RDS Proxy's SECRETS scheme opens its database connections
// with the `username`/`password` a secret holds, and maps an IAM-authenticated
// client to the secret naming the same user. Terraform creates the secret and
// nothing else: no secret version, so no password is ever in the plan, the
// state or an output. `npm run db:bootstrap` creates the user and writes
// `{username, password}` into the secret.
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Construct } from './cdk';
import { NameSuffix } from './config/validate-names';

export interface FunctionUserSecretProps {
  namePrefix: string;
  /** The MySQL user the secret is for (written into the description; the value is the bootstrap's). */
  userName: string;
  /** Customer-managed key; default the account's AWS-managed `aws/secretsmanager` key. */
  kmsKeyArn?: string;
}

export class FunctionUserSecret extends Construct {
  public readonly secret: SecretsmanagerSecret;
  public readonly arn: string;
  /** Set only for a customer-managed key: the AWS-managed key needs no grant in the reader's role. */
  public readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: FunctionUserSecretProps) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, 'secret', {
      name: `${props.namePrefix}${NameSuffix.functionUserSecret}`,
      description: `Credentials of the database user ${props.userName}, written by npm run db:bootstrap; RDS Proxy reads them`,
      ...(props.kmsKeyArn !== undefined ? { kmsKeyId: props.kmsKeyArn } : {}),
      // The value is reproducible (the bootstrap sets a new password), and a
      // scheduled deletion would hold the name and block a re-create for days.
      recoveryWindowInDays: 0,
    });
    this.arn = this.secret.arn;
    if (props.kmsKeyArn !== undefined) this.kmsKeyArn = props.kmsKeyArn;
  }
}
