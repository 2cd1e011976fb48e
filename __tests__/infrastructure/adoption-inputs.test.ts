// The inputs an organisation's guardrails need on day one: role path and
// permissions boundary, provider assume_role and allowed_account_ids,
// customer-managed keys, an existing proxy in another account, a final
// snapshot name that survives a second destroy, Enhanced Monitoring.
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { NameSuffix, namePrefixProblems } from '../../src/infrastructure/config/validate-names';
import { ConfigError } from '../../src/infrastructure/errors';
import { DEV_INPUT, onlyResource, ref, resourcesOf, statementsOf, synthEnvironment, type Json, configIssues } from './support';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
const BOUNDARY = 'arn:aws:iam::123456789012:policy/org/workload-boundary';
const rolesOf = (tf: Json): Json[] => Object.values(resourcesOf(tf, 'aws_iam_role'));
const monitored: EnvironmentInput = { ...DEV_INPUT, database: { monitoringIntervalSeconds: 30 } };

describe('iam.path and iam.permissionsBoundaryArn', () => {
  const s = synthEnvironment('guarded', { ...monitored, iam: { path: '/workloads/graceful-shutdown/', permissionsBoundaryArn: BOUNDARY } });

  it('puts every role the stack creates under the path, with the boundary', () => {
    expect(rolesOf(s.tf).map((r) => r.name).sort()).toEqual([
      'graceful-shutdown-guarded-flow-logs', 'graceful-shutdown-guarded-function', 'graceful-shutdown-guarded-proxy', 'graceful-shutdown-guarded-rds-monitoring',
    ]);
    for (const role of rolesOf(s.tf)) expect(role).toMatchObject({ path: '/workloads/graceful-shutdown/', permissions_boundary: BOUNDARY });
  });

  it.each(Object.keys(environments))('reaches every role of the %s environment, whatever roles its mode creates', (name) => {
    const guarded = synthEnvironment(name, { ...environments[name], iam: { path: '/org/', permissionsBoundaryArn: BOUNDARY } });
    expect(rolesOf(guarded.tf).length).toBeGreaterThan(0);
    for (const role of rolesOf(guarded.tf)) expect({ role: role.name, path: role.path, boundary: role.permissions_boundary }).toEqual({ role: role.name, path: '/org/', boundary: BOUNDARY });
  });

  it('defaults to the root path and no boundary', () => {
    for (const role of rolesOf(synthEnvironment('plain', monitored).tf)) {
      expect(role.path).toBe('/');
      expect(role.permissions_boundary).toBeUndefined();
    }
  });
});

describe('provider assume_role and allowed_account_ids', () => {
  it('assumes the configured role, with session name and external id, and refuses other accounts', () => {
    const s = synthEnvironment('assumed', {
      ...DEV_INPUT,
      provider: {
        assumeRole: { roleArn: 'arn:aws:iam::210987654321:role/terraform-deploy', sessionName: 'graceful-shutdown-deploy', externalId: 'org-7f3a' },
        allowedAccountIds: ['210987654321'],
      },
    });
    expect(s.tf.provider.aws).toEqual([expect.objectContaining({
      assume_role: [{ role_arn: 'arn:aws:iam::210987654321:role/terraform-deploy', session_name: 'graceful-shutdown-deploy', external_id: 'org-7f3a' }],
      allowed_account_ids: ['210987654321'],
    })]);
  });

  it('takes the role alone (session name and external id are optional)', () => {
    const s = synthEnvironment('roleonly', { ...DEV_INPUT, provider: { assumeRole: { roleArn: 'arn:aws:iam::210987654321:role/terraform-deploy' } } });
    expect(s.tf.provider.aws[0].assume_role).toEqual([{ role_arn: 'arn:aws:iam::210987654321:role/terraform-deploy' }]);
    expect(s.tf.provider.aws[0].allowed_account_ids).toBeUndefined();
  });

  it('uses the ambient credentials when neither is configured', () => {
    const aws = synthEnvironment('dev', environments.dev).tf.provider.aws[0];
    expect(aws.assume_role).toBeUndefined();
    expect(aws.allowed_account_ids).toBeUndefined();
  });
});

describe('database.kmsKeyArn', () => {
  const s = synthEnvironment('cmk', { ...DEV_INPUT, database: { instanceClass: 'db.m7g.large', performanceInsights: true, kmsKeyArn: KEY } });
  const db = onlyResource(s.tf, 'aws_db_instance');

  it('encrypts storage, the master secret and Performance Insights with the key', () => {
    expect(db).toMatchObject({ storage_encrypted: true, kms_key_id: KEY, master_user_secret_kms_key_id: KEY, performance_insights_kms_key_id: KEY });
  });

  it("lets the proxy decrypt both secrets with exactly their keys (the function user's takes the database key), via Secrets Manager only", () => {
    const decrypt = statementsOf(s.tf, '-proxy').find((st) => st.Sid === 'DecryptDatabaseSecret');
    expect(decrypt).toEqual({
      Sid: 'DecryptDatabaseSecret', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [ref(s.tf, 'aws_db_instance', 'master_user_secret[0].kms_key_id'), KEY],
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
  });

  it('sets no Performance Insights key while Performance Insights is off', () => {
    const off = onlyResource(synthEnvironment('cmkoff', { ...DEV_INPUT, database: { kmsKeyArn: KEY } }).tf, 'aws_db_instance');
    expect(off.kms_key_id).toBe(KEY);
    expect(off.performance_insights_kms_key_id).toBeUndefined();
  });

  it('leaves AWS-managed keys in place when unset', () => {
    const plain = onlyResource(synthEnvironment('dev', environments.dev).tf, 'aws_db_instance');
    expect([plain.kms_key_id, plain.master_user_secret_kms_key_id, plain.performance_insights_kms_key_id]).toEqual([undefined, undefined, undefined]);
  });
});

describe('an existing proxy in another account', () => {
  it("grants rds-db:connect in the proxy's partition, region and account, taken from its ARN", () => {
    const s = synthEnvironment('crossacct', {
      region: 'eu-west-1',
      network: { createVpc: false, existingVpcId: 'vpc-0a1b2c3d4e5f67890', existingSubnetIds: ['subnet-0aaa1111bbbb2222c', 'subnet-0ddd3333eeee4444f'] },
      database: { createDatabase: false },
      existingProxy: {
        endpoint: 'shared.proxy-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:555566667777:db-proxy:prx-0123456789abcdef0',
        securityGroupId: 'sg-0fedcba9876543210', dbUser: 'orders_lambda', dbName: 'orders', connectionBudget: 40,
      },
      function: { reservedConcurrency: 10, poolSize: 2 },
    });
    const connect = statementsOf(s.tf, '-function').find((st) => st.Sid === 'ConnectThroughProxy');
    expect(connect?.Resource).toBe('arn:aws:rds-db:eu-west-1:555566667777:dbuser:prx-0123456789abcdef0/orders_lambda');
  });
});

describe('the final snapshot', () => {
  const prod = synthEnvironment('prod', environments.prod);
  const db = onlyResource(prod.tf, 'aws_db_instance');
  const [createdAtId, createdAt] = Object.entries(resourcesOf(prod.tf, 'terraform_data'))[0] as [string, Json];

  it("is named with the instance's creation time, so a second destroy never meets the first one's snapshot", () => {
    expect(db.skip_final_snapshot).toBe(false);
    expect(db.final_snapshot_identifier).toBe(`graceful-shutdown-prod-final-\${terraform_data.${createdAtId}.output["at"]}`);
    expect(createdAt.input).toEqual({ at: '${formatdate("YYYYMMDDhhmmss", timestamp())}' });
  });

  it('keeps that time on every later plan (ignore_changes), and takes a new one when the instance is replaced', () => {
    expect(createdAt.lifecycle).toEqual({ ignore_changes: ['input'] });
    expect(createdAt.triggers_replace).toEqual({ identifier: 'graceful-shutdown-prod', dbName: 'app', username: expect.any(String), kmsKeyArn: '' });
  });

  it('is skipped with finalSnapshot false (dev), and then nothing holds a creation time', () => {
    const dev = synthEnvironment('dev', environments.dev);
    expect(onlyResource(dev.tf, 'aws_db_instance')).toMatchObject({ skip_final_snapshot: true });
    expect(onlyResource(dev.tf, 'aws_db_instance').final_snapshot_identifier).toBeUndefined();
    expect(resourcesOf(dev.tf, 'terraform_data')).toEqual({});
  });

  it('is independent of deletion protection: turning protection off to destroy still leaves a snapshot', () => {
    const unprotected = synthEnvironment('unprotected', { ...environments.prod, database: { ...environments.prod.database, deletionProtection: false } });
    expect(onlyResource(unprotected.tf, 'aws_db_instance')).toMatchObject({ deletion_protection: false, skip_final_snapshot: false });
  });
});

describe('database.monitoringIntervalSeconds (Enhanced Monitoring)', () => {
  const s = synthEnvironment('monitored', monitored);

  it('sets the interval and the monitoring role, created before the instance', () => {
    const db = onlyResource(s.tf, 'aws_db_instance');
    const role = Object.entries(resourcesOf(s.tf, 'aws_iam_role')).find(([, r]) => (r as Json).name.endsWith('-rds-monitoring'))!;
    expect(db).toMatchObject({ monitoring_interval: 30, monitoring_role_arn: `\${aws_iam_role.${role[0]}.arn}` });
    expect(db.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.monitoring-role_policy_/)]));
    expect(JSON.parse((role[1] as Json).assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'monitoring.rds.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
  });

  it('lets RDS write only to the RDSOSMetrics log group of this account and region', () => {
    const group = 'arn:${data.aws_partition.partition.partition}:logs:eu-west-1:${data.aws_caller_identity.account.account_id}:log-group:RDSOSMetrics';
    expect(statementsOf(s.tf, '-rds-monitoring')).toEqual([
      { Sid: 'EnsureMetricsLogGroup', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], Resource: group },
      {
        Sid: 'WriteMetrics', Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'], Resource: `${group}:log-stream:*`,
      },
    ]);
  });

  it('creates no role and sets interval 0 when off (the default)', () => {
    const plain = synthEnvironment('plain', DEV_INPUT);
    expect(onlyResource(plain.tf, 'aws_db_instance').monitoring_interval).toBe(0);
    expect(onlyResource(plain.tf, 'aws_db_instance').monitoring_role_arn).toBeUndefined();
    expect(rolesOf(plain.tf).map((r) => r.name)).not.toContain('graceful-shutdown-plain-rds-monitoring');
  });
});

describe('validation of the adoption inputs (each message names the field)', () => {
  const issuesOf = (input: EnvironmentInput, name = 'dev'): string[] => configIssues({ [name]: input });

  it.each<[string, Partial<EnvironmentInput>, string]>([
    ['a role path without its trailing slash', { iam: { path: '/workloads' } },
      'environments.dev.iam.path: must be "/" or start and end with "/" (printable ASCII, at most 512 characters), got "/workloads"'],
    ['a boundary that is a role, not a policy', { iam: { permissionsBoundaryArn: 'arn:aws:iam::123456789012:role/boundary' } },
      'environments.dev.iam.permissionsBoundaryArn: must be a managed policy ARN (arn:aws:iam::<account>:policy/<name>), got "arn:aws:iam::123456789012:role/boundary"'],
    ['an assume_role target that is not a role ARN', { provider: { assumeRole: { roleArn: 'terraform-deploy' } } },
      'environments.dev.provider.assumeRole.roleArn: must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "terraform-deploy"'],
    ['a session name with a space', { provider: { assumeRole: { roleArn: 'arn:aws:iam::210987654321:role/deploy', sessionName: 'my session' } } },
      'environments.dev.provider.assumeRole.sessionName: must be 2-64 characters of letters, digits and +=,.@_-, got "my session"'],
    ['an allowed account id of 11 digits', { provider: { allowedAccountIds: ['12345678901'] } },
      'environments.dev.provider.allowedAccountIds[0]: must be a 12-digit AWS account id, got "12345678901"'],
    ['an empty allowed account list', { provider: { allowedAccountIds: [] } },
      'environments.dev.provider.allowedAccountIds: must list at least one account id when set (leave it out to allow any)'],
    ['a database key given as an alias', { database: { kmsKeyArn: 'alias/rds' } },
      'environments.dev.database.kmsKeyArn: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "alias/rds"'],
    ['a monitoring interval RDS does not offer', { database: { monitoringIntervalSeconds: 20 } },
      'environments.dev.database.monitoringIntervalSeconds: must be one of 0, 1, 5, 10, 15, 30, 60, got 20'],
  ])('names the field: %s', (_what, change, message) => {
    expect(issuesOf({ ...DEV_INPUT, ...change })).toEqual([message]);
  });
});

describe('namePrefix against the naming rules of every resource it prefixes', () => {
  const prefixIssues = (namePrefix: string): string[] => namePrefixProblems(namePrefix);

  // The longest role suffix decides the longest prefix (IAM role names: 64 characters).
  const roleKeys = Object.keys(NameSuffix).filter((k): k is keyof typeof NameSuffix & `${string}Role` => k.endsWith('Role'));
  const longestRoleSuffix = Math.max(...roleKeys.map((k) => NameSuffix[k].length));
  const longest = `a${'b'.repeat(64 - longestRoleSuffix - 1)}`;

  it('accepts the default prefixes and a prefix that just fits every rule', () => {
    expect(prefixIssues('graceful-shutdown-prod')).toEqual([]);
    expect(prefixIssues(longest)).toEqual([]);
  });

  it('refuses two consecutive hyphens, which RDS refuses in instance, proxy, parameter group and snapshot names', () => {
    expect(prefixIssues('team--orders')).toEqual([
      'gives the RDS DB instance identifier "team--orders", which must not contain two consecutive hyphens',
      'gives the RDS Proxy name "team--orders", which must not contain two consecutive hyphens',
      'gives the RDS parameter group name "team--orders-mysql8-4", which must not contain two consecutive hyphens',
      'gives the RDS final snapshot identifier "team--orders-final-20260101000000", which must not contain two consecutive hyphens',
    ]);
  });

  it('refuses a trailing hyphen (the instance and proxy names would end with it)', () => {
    expect(prefixIssues('orders-')).toEqual([
      'gives the RDS DB instance identifier "orders-", which must not end with a hyphen',
      'gives the RDS Proxy name "orders-", which must not end with a hyphen',
      // Appending "-mysql8-4" or "-final-..." makes "--".
      'gives the RDS parameter group name "orders--mysql8-4", which must not contain two consecutive hyphens',
      'gives the RDS final snapshot identifier "orders--final-20260101000000", which must not contain two consecutive hyphens',
    ]);
  });

  it('refuses a prefix one character too long for the longest role name, naming that role and its length', () => {
    const tooLong = `${longest}b`;
    const key = roleKeys.find((k) => NameSuffix[k].length === longestRoleSuffix)!;
    expect(prefixIssues(tooLong)).toEqual([
      `gives the IAM role name (${key}) "${tooLong}${NameSuffix[key]}", which is 65 characters, at most 64 allowed`,
    ]);
  });

  it('names every resource a very long prefix breaks', () => {
    expect(prefixIssues(`a${'b'.repeat(63)}`).map((p) => p.split('"')[0])).toEqual([
      'gives the RDS DB instance identifier ', 'gives the RDS Proxy name ',
      ...roleKeys.map((k) => `gives the IAM role name (${k}) `),
    ]);
  });

  it('refuses upper case and other characters before any resource rule', () => {
    expect(prefixIssues('Orders')).toEqual(['must start with a lowercase letter and hold only lowercase letters, digits and hyphens, got "Orders"']);
  });

  it('reports under environments.<env>.namePrefix at synth', () => {
    try {
      resolveEnvironments({ dev: { ...DEV_INPUT, namePrefix: 'team--orders' } }, {});
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual(Array(4).fill('environments.dev.namePrefix'));
    }
  });
});
