// The function's own database user: the function connects as it, never as the
// master user; the proxy reaches it through a secret Terraform creates empty
// (db:bootstrap writes the value), and nothing secret is synthesized.
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { DEV_INPUT, onlyResource, ref, resourcesOf, statementsOf, synthEnvironment, type Json, type Synthesized, configIssues } from './support';

const repository: [string, Synthesized][] = Object.keys(environments).sort().map((name) => [name, synthEnvironment(name, environments[name])]);
const dev = repository.find(([name]) => name === 'dev')![1];
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100';

/** The function, its role and its role's policy, as one JSON text: where the master user must not appear. */
function functionSide(s: Synthesized): string {
  const roles = resourcesOf(s.tf, 'aws_iam_role');
  const roleKey = Object.keys(roles).find((k) => String(roles[k].name).endsWith('-function'))!;
  const policies = Object.values(resourcesOf(s.tf, 'aws_iam_role_policy')).filter((p: Json) => p.role === `\${aws_iam_role.${roleKey}.id}`);
  return JSON.stringify([onlyResource(s.tf, 'aws_lambda_function'), roles[roleKey], policies]);
}

describe('the function user', () => {
  it.each(repository)('is DB_USER of %s, not the master user', (_name, s) => {
    expect(onlyResource(s.tf, 'aws_lambda_function').environment.variables.DB_USER).toBe('app_rw');
    expect(onlyResource(s.tf, 'aws_db_instance').username).toBe('dbadmin');
  });

  it.each(repository)('is the only user %s may connect as through the proxy', (_name, s) => {
    const connect = statementsOf(s.tf, '-function').filter((st) => st.Action.includes('rds-db:connect'));
    expect(connect).toHaveLength(1);
    expect(connect[0].Resource).toEqual(expect.stringMatching(/:dbuser:\$\{element\(split\(":", aws_db_proxy\.[^)]+\.arn\), 6\)\}\/app_rw$/));
  });

  it.each(repository)('leaves the master user out of the function, its role and its policy in %s', (_name, s) => {
    expect(functionSide(s)).not.toMatch(/dbadmin/);
  });

  it('takes its name from database.functionUser', () => {
    const s = synthEnvironment('dev', { ...DEV_INPUT, database: { functionUser: 'orders_rw' } });
    expect(onlyResource(s.tf, 'aws_lambda_function').environment.variables.DB_USER).toBe('orders_rw');
    expect(statementsOf(s.tf, '-function').find((st) => st.Sid === 'ConnectThroughProxy')?.Resource).toMatch(/\/orders_rw$/);
    expect(resolveEnvironments({ dev: { ...DEV_INPUT, database: { functionUser: 'orders_rw' } } })[0].database).toMatchObject({
      dbUser: 'orders_rw', masterUsername: 'dbadmin',
    });
  });

  it.each<[string, EnvironmentInput['database'], string]>([
    ['the master user', { functionUser: 'dbadmin' },
      'environments.dev.database.functionUser: must not be the master user (database.masterUsername "dbadmin"): the function gets only its data API\'s privileges'],
    ['the master user in other letters', { masterUsername: 'Owner', functionUser: 'owner' },
      'environments.dev.database.functionUser: must not be the master user (database.masterUsername "Owner"): the function gets only its data API\'s privileges'],
    ['a name over 32 characters', { functionUser: 'a'.repeat(33) },
      `environments.dev.database.functionUser: must be a MySQL user name: a letter, then letters, digits or _, at most 32 characters, got "${'a'.repeat(33)}"`],
    ['a name with a hyphen', { functionUser: 'app-rw' },
      'environments.dev.database.functionUser: must be a MySQL user name: a letter, then letters, digits or _, at most 32 characters, got "app-rw"'],
    ['a name starting with a digit', { functionUser: '1app' },
      'environments.dev.database.functionUser: must be a MySQL user name: a letter, then letters, digits or _, at most 32 characters, got "1app"'],
    ['an account RDS manages', { functionUser: 'rdsadmin' },
      'environments.dev.database.functionUser: is an account MySQL or RDS manages itself, got "rdsadmin"'],
    ['a secret key that is not a key ARN', { functionUserSecretKmsKeyArn: 'alias/app' },
      'environments.dev.database.functionUserSecretKmsKeyArn: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "alias/app"'],
  ])('refuses %s, naming the field', (_what, database, message) => {
    expect(configIssues({ dev: { ...DEV_INPUT, database } })).toEqual([message]);
  });

  it('is not configurable next to an existing proxy, whose user is existingProxy.dbUser', () => {
    expect(configIssues({ dev: {
      region: 'eu-west-1',
      network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
      database: { createDatabase: false, functionUser: 'app_rw' },
      existingProxy: {
        endpoint: 'orders.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
        securityGroupId: 'sg-0123456789abcdef0', dbUser: 'orders_lambda', dbName: 'orders', connectionBudget: 40,
      },
    } })).toEqual(['environments.dev.database.functionUser: is only used when createDatabase is true']);
  });

  // The bootstrap converges the user it is given down to the three grants: an
  // adopted proxy's user that is an account RDS or MySQL runs on, or a master
  // user, would lose everything else.
  it.each<[string, string, string]>([
    ['an account RDS manages', 'rdsadmin', 'is an account MySQL or RDS manages itself, got "rdsadmin"'],
    ['an account RDS manages, in other letters', 'RdsReplAdmin', 'is an account MySQL or RDS manages itself, got "RdsReplAdmin"'],
    ['the proxy\'s own account', 'rdsproxyadmin', 'is an account MySQL or RDS manages itself, got "rdsproxyadmin"'],
    ['the role RDS grants the master user', 'rds_superuser_role', 'is an account MySQL or RDS manages itself, got "rds_superuser_role"'],
    ['root', 'root', 'is an account MySQL or RDS manages itself, got "root"'],
    ['the master user of the databases this project creates', 'dbadmin',
      'must not be a master user: "dbadmin" is the master user of every database this project creates (database.masterUsername\'s default); the function gets only its data API\'s privileges'],
    ['a MySQL system account', 'mysql.sys', 'must be a MySQL user name: a letter, then letters, digits or _, at most 32 characters, got "mysql.sys"'],
  ])('refuses %s as existingProxy.dbUser, naming the field', (_what, dbUser, message) => {
    expect(configIssues({ dev: {
      region: 'eu-west-1',
      network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
      database: { createDatabase: false },
      existingProxy: {
        endpoint: 'orders.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
        securityGroupId: 'sg-0123456789abcdef0', dbUser, dbName: 'orders', connectionBudget: 40,
      },
    } })).toEqual([`environments.dev.existingProxy.dbUser: ${message}`]);
  });
});

describe('the function user\'s secret', () => {
  const secret = onlyResource(dev.tf, 'aws_secretsmanager_secret');

  it('is created by Terraform with a name, and without any value', () => {
    expect(secret).toMatchObject({ name: 'graceful-shutdown-dev-function-user', recovery_window_in_days: 0 });
    expect(secret.kms_key_id).toBeUndefined();
    for (const [, s] of repository) expect(resourcesOf(s.tf, 'aws_secretsmanager_secret_version')).toEqual({});
  });

  it('is registered with the proxy for IAM-authenticated clients', () => {
    expect(onlyResource(dev.tf, 'aws_db_proxy').auth).toContainEqual(expect.objectContaining({
      auth_scheme: 'SECRETS', iam_auth: 'REQUIRED', secret_arn: ref(dev.tf, 'aws_secretsmanager_secret', 'arn'),
    }));
  });

  it('is output by ARN for db:bootstrap', () => {
    expect(dev.tf.output.function_user_secret_arn).toEqual({ value: ref(dev.tf, 'aws_secretsmanager_secret', 'arn') });
  });

  it('is encrypted with the configured key, which the proxy role may use only through Secrets Manager', () => {
    const s = synthEnvironment('dev', { ...DEV_INPUT, database: { functionUserSecretKmsKeyArn: KMS_KEY } });
    expect(onlyResource(s.tf, 'aws_secretsmanager_secret').kms_key_id).toBe(KMS_KEY);
    expect(statementsOf(s.tf, '-proxy').find((st) => st.Sid === 'DecryptDatabaseSecret')).toEqual({
      Sid: 'DecryptDatabaseSecret', Effect: 'Allow', Action: ['kms:Decrypt'],
      Resource: [ref(s.tf, 'aws_db_instance', 'master_user_secret[0].kms_key_id'), KMS_KEY],
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
  });

  it('CKV_AWS_149: takes database.kmsKeyArn when it has no key of its own, and the proxy role may decrypt with it', () => {
    const s = synthEnvironment('dev', { ...DEV_INPUT, database: { kmsKeyArn: KMS_KEY } });
    expect(onlyResource(s.tf, 'aws_secretsmanager_secret').kms_key_id).toBe(KMS_KEY);
    expect(statementsOf(s.tf, '-proxy').find((st) => st.Sid === 'DecryptDatabaseSecret')?.Resource)
      .toEqual([ref(s.tf, 'aws_db_instance', 'master_user_secret[0].kms_key_id'), KMS_KEY]);
    const own = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const both = synthEnvironment('dev', { ...DEV_INPUT, database: { kmsKeyArn: KMS_KEY, functionUserSecretKmsKeyArn: own } });
    expect(onlyResource(both.tf, 'aws_secretsmanager_secret').kms_key_id).toBe(own);
  });

  // Waived rows of the policy table, pinned so a change is a decision: the
  // value is the bootstrap's to make and remake (`--rotate-password`), so no
  // rotation Lambda, and no recovery window that would hold the name.
  it.each(repository)('CKV2_AWS_57: %s has no rotation resource and a recovery window of 0 days', (_name, s) => {
    expect(resourcesOf(s.tf, 'aws_secretsmanager_secret_rotation')).toEqual({});
    expect(onlyResource(s.tf, 'aws_secretsmanager_secret').recovery_window_in_days).toBe(0);
  });

  it('is not created next to an existing proxy', () => {
    const s = synthEnvironment('shared', {
      region: 'eu-west-1',
      network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
      database: { createDatabase: false },
      existingProxy: {
        endpoint: 'orders.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
        securityGroupId: 'sg-0123456789abcdef0', dbUser: 'orders_lambda', dbName: 'orders', connectionBudget: 40,
      },
    });
    expect(resourcesOf(s.tf, 'aws_secretsmanager_secret')).toEqual({});
    expect(s.tf.output.function_user_secret_arn).toBeUndefined();
  });
});

describe('nothing secret in the synthesized JSON', () => {
  /** Every [path, key, value] in a JSON tree. */
  function* walk(node: Json, at: string[] = []): Generator<[string, string, Json]> {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      yield [[...at, key].join('.'), key, value];
      yield* walk(value, [...at, key]);
    }
  }

  it.each(repository)('%s sets no password, secret value or secret version anywhere', (_name, s) => {
    const offending = [...walk(s.tf)].filter(([, key, value]) =>
      /^(password|master_password|secret_string|secret_binary|password_wo)$/.test(key) && value !== undefined,
    ).map(([p]) => p);
    expect(offending).toEqual([]);
    expect(Object.keys(s.tf.resource)).not.toContain('aws_secretsmanager_secret_version');
    expect(onlyResource(s.tf, 'aws_db_instance').manage_master_user_password).toBe(true);
  });

  it.each(repository)('%s puts no password or secret in the function\'s environment', (_name, s) => {
    const variables = onlyResource(s.tf, 'aws_lambda_function').environment.variables as Record<string, string>;
    expect(Object.keys(variables).filter((k) => /PASSWORD|SECRET|TOKEN|KEY/i.test(k))).toEqual([]);
    expect(variables.DB_AUTH).toBe('iam');
  });

  it.each(repository)('%s outputs names, ARNs and endpoints only, none read from a secret\'s value', (_name, s) => {
    for (const [key, output] of Object.entries(s.tf.output as Record<string, { value: string; sensitive?: boolean }>)) {
      expect({ key, value: output.value }).not.toEqual({ key, value: expect.stringMatching(/secret_string|password|secret_binary/) });
      expect(key).toMatch(/_(name|arn|endpoint)$/);
    }
  });
});
