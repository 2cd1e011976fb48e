// The stacks of this repository's environments (src/infrastructure/config/environments.ts),
// resource by resource, plus the policy-table rules of docs/policy-table.md
// (tests named after the rule id).
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { environments } from '../../src/infrastructure/config/environments';
import { logGroupNamed, onlyResource, ref, resourcesOf, sgRef, sgRules, synthEnvironment, type Json, type Synthesized } from './support';

const dev: Synthesized = synthEnvironment('dev', environments.dev);
const prod: Synthesized = synthEnvironment('prod', environments.prod);
const both: [string, Synthesized][] = [['dev', dev], ['prod', prod]];

describe('network', () => {
  it('creates a VPC with one private subnet per configured AZ and no internet route', () => {
    expect(dev.json).toHaveResourceWithProperties(Vpc, { cidr_block: '10.40.0.0/16', enable_dns_support: true });
    const subnets = Object.values(resourcesOf(prod.tf, 'aws_subnet'));
    expect(subnets.map((s: Json) => s.availability_zone)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    for (const s of subnets) expect(s.map_public_ip_on_launch).toBe(false);
    for (const type of [NatGateway, InternetGateway, Route]) expect(dev.json).not.toHaveResource(type);
  });

  it('takes the AZs from config, so synth needs no availability-zones data source', () => {
    expect(dev.json).not.toHaveDataSource(DataAwsAvailabilityZones);
    expect(dev.json).toHaveResource(Vpc);
  });

  it('strips every rule from the created VPC default security group', () => {
    const sg = onlyResource(dev.tf, 'aws_default_security_group');
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });
});

describe('security groups', () => {
  const { tf } = dev;
  const lambda = sgRef(tf, 'lambda');
  const proxy = sgRef(tf, 'proxy');
  const database = sgRef(tf, 'database');
  const paths = sgRules(tf).map(({ kind, rule }) => [kind, rule.security_group_id, rule.referenced_security_group_id, rule.ip_protocol, rule.from_port, rule.to_port]);

  it('allows exactly Lambda -> proxy -> database on TCP 3306, and nothing else', () => {
    expect(paths).toEqual(expect.arrayContaining([
      ['egress', lambda, proxy, 'tcp', 3306, 3306],
      ['ingress', proxy, lambda, 'tcp', 3306, 3306],
      ['egress', proxy, database, 'tcp', 3306, 3306],
      ['ingress', database, proxy, 'tcp', 3306, 3306],
    ]));
    expect(paths).toHaveLength(4);
  });

  it('declares no inline rules, so the separate rule resources are the whole truth', () => {
    for (const sg of Object.values(resourcesOf(tf, 'aws_security_group'))) {
      expect((sg as Json).ingress).toBeUndefined();
      expect((sg as Json).egress).toBeUndefined();
    }
  });

  it('CKV_AWS_277 / AWS-0104: no rule names a CIDR (no 0.0.0.0/0 ingress or egress anywhere)', () => {
    for (const [, s] of both) {
      for (const { rule } of sgRules(s.tf)) {
        expect(rule.cidr_ipv4).toBeUndefined();
        expect(rule.cidr_ipv6).toBeUndefined();
        expect(rule.prefix_list_id).toBeUndefined();
        expect(rule.referenced_security_group_id).toMatch(/^\$\{aws_security_group\./);
      }
      expect(s.json).not.toContain('0.0.0.0/0');
    }
  });

  it('CKV_AWS_23: every security group and every rule has a description', () => {
    for (const [, s] of both) {
      for (const sg of Object.values(resourcesOf(s.tf, 'aws_security_group'))) expect((sg as Json).description).toEqual(expect.any(String));
      for (const { rule } of sgRules(s.tf)) expect(rule.description).toEqual(expect.any(String));
    }
  });
});

describe('database', () => {
  const dbOf = (s: Synthesized): Json => onlyResource(s.tf, 'aws_db_instance');

  it('is MySQL 8 with a password RDS manages in Secrets Manager and IAM authentication on', () => {
    const db = dbOf(dev);
    expect(db).toMatchObject({ engine: 'mysql', engine_version: '8.4', manage_master_user_password: true, iam_database_authentication_enabled: true });
    expect(db.password).toBeUndefined();
    expect(db.db_subnet_group_name).toBe(ref(dev.tf, 'aws_db_subnet_group', 'name'));
    expect(onlyResource(dev.tf, 'aws_db_subnet_group').subnet_ids).toEqual(Object.keys(resourcesOf(dev.tf, 'aws_subnet')).map((k) => `\${aws_subnet.${k}.id}`));
    expect(db.vpc_security_group_ids).toEqual([sgRef(dev.tf, 'database')]);
  });

  it('upgrades minor versions automatically and copies tags to snapshots', () => {
    for (const [, s] of both) expect(dbOf(s)).toMatchObject({ auto_minor_version_upgrade: true, copy_tags_to_snapshot: true });
  });

  it('CKV_AWS_16: storage is encrypted', () => {
    for (const [, s] of both) expect(dbOf(s).storage_encrypted).toBe(true);
  });

  it('CKV_AWS_17: is not publicly accessible', () => {
    for (const [, s] of both) expect(dbOf(s).publicly_accessible).toBe(false);
  });

  it('CKV_AWS_157: prod is multi-AZ (dev deliberately single-AZ)', () => {
    expect(dbOf(prod).multi_az).toBe(true);
    expect(dbOf(dev).multi_az).toBe(false);
  });

  it('CKV_AWS_293: prod has deletion protection and leaves a final snapshot named with its creation time; dev can be destroyed', () => {
    expect(dbOf(prod)).toMatchObject({ deletion_protection: true, skip_final_snapshot: false });
    expect(dbOf(prod).final_snapshot_identifier).toMatch(/^graceful-shutdown-prod-final-\$\{terraform_data\.[^}]+\.output\["at"\]\}$/);
    expect(dbOf(dev)).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
  });

  it('CKV_AWS_133: keeps automated backups (retention from config)', () => {
    expect(dbOf(dev).backup_retention_period).toBe(3);
    expect(dbOf(prod).backup_retention_period).toBe(14);
  });

  it('CKV_AWS_129: exports its logs to CloudWatch', () => {
    for (const [, s] of both) expect(dbOf(s).enabled_cloudwatch_logs_exports).toEqual(['error', 'slowquery']);
  });

  it('enables Performance Insights per config', () => {
    expect(dbOf(prod).performance_insights_enabled).toBe(true);
    expect(dbOf(dev).performance_insights_enabled).toBe(false);
  });
});

describe('RDS Proxy', () => {
  const proxy = onlyResource(prod.tf, 'aws_db_proxy');

  it('requires TLS and IAM authentication over the RDS-managed master secret and the function user\'s secret', () => {
    expect(proxy).toMatchObject({ engine_family: 'MYSQL', require_tls: true, idle_client_timeout: 1800 });
    expect(proxy.auth).toEqual([
      expect.objectContaining({ auth_scheme: 'SECRETS', iam_auth: 'REQUIRED', secret_arn: ref(prod.tf, 'aws_db_instance', 'master_user_secret[0].secret_arn') }),
      expect.objectContaining({ auth_scheme: 'SECRETS', iam_auth: 'REQUIRED', secret_arn: ref(prod.tf, 'aws_secretsmanager_secret', 'arn') }),
    ]);
    expect(proxy.role_arn).toBe(`\${aws_iam_role.${Object.keys(resourcesOf(prod.tf, 'aws_iam_role')).find((k) => k.startsWith('proxy-role'))}.arn}`);
    expect(proxy.vpc_security_group_ids).toEqual([sgRef(prod.tf, 'proxy')]);
  });

  it('takes its pool settings from config and targets the instance', () => {
    expect(onlyResource(prod.tf, 'aws_db_proxy_default_target_group').connection_pool_config).toEqual({
      max_connections_percent: 60, max_idle_connections_percent: 20, connection_borrow_timeout: 30,
    });
    expect(onlyResource(prod.tf, 'aws_db_proxy_target')).toMatchObject({
      db_instance_identifier: ref(prod.tf, 'aws_db_instance', 'identifier'),
      target_group_name: ref(prod.tf, 'aws_db_proxy_default_target_group', 'name'),
    });
  });
});

describe('function, layer and log group', () => {
  const fnOf = (s: Synthesized): Json => onlyResource(s.tf, 'aws_lambda_function');

  it('runs the handler bundle on nodejs24.x arm64 with JSON logs into its own log group', () => {
    expect(fnOf(dev)).toMatchObject({
      function_name: 'graceful-shutdown-dev', runtime: 'nodejs24.x', architectures: ['arm64'], handler: 'index.handler',
      filename: 'assets/handler.zip', timeout: 10, memory_size: 512,
      logging_config: { log_format: 'JSON', log_group: logGroupNamed(dev.tf, '/aws/lambda/graceful-shutdown-dev').ref('name') },
    });
  });

  it('gets the database settings and the shutdown budget in its environment', () => {
    // prod's cache variables (CACHE_*) are cache.test.ts's.
    const variables = Object.entries(fnOf(prod).environment.variables).filter(([name]) => !name.startsWith('CACHE_'));
    expect(Object.fromEntries(variables)).toEqual({
      DB_HOST: ref(prod.tf, 'aws_db_proxy', 'endpoint'), DB_PORT: '3306', DB_USER: 'app_rw', DB_NAME: 'app',
      DB_AUTH: 'iam', DB_TLS: 'required', DB_POOL_SIZE: '2', SHUTDOWN_BUDGET_MS: '200', SHUTDOWN_MODE: 'layer',
    });
  });

  it('attaches the extension layer (shutdownMode layer), built for both architectures', () => {
    expect(fnOf(dev).layers).toEqual([ref(dev.tf, 'aws_lambda_layer_version', 'arn')]);
    expect(onlyResource(dev.tf, 'aws_lambda_layer_version')).toMatchObject({
      filename: 'assets/extension-layer.zip', compatible_architectures: ['arm64', 'x86_64'],
    });
  });

  it('is created after its log group and its role policy', () => {
    expect(fnOf(dev).depends_on).toEqual([
      `aws_cloudwatch_log_group.${logGroupNamed(dev.tf, '/aws/lambda/graceful-shutdown-dev').id}`,
      expect.stringMatching(/^aws_iam_role_policy\.function-role_policy_/),
    ]);
  });

  it('outputs function name and ARN, proxy endpoint, layer ARN, log group name and the function user secret\'s ARN', () => {
    expect(Object.keys(dev.tf.output).sort()).toEqual(['function_arn', 'function_name', 'function_user_secret_arn', 'layer_arn', 'log_group_name', 'proxy_endpoint']);
  });

  it('CKV_AWS_117: runs inside the VPC, in the private subnets with the Lambda security group', () => {
    const vpc = fnOf(dev).vpc_config;
    expect(vpc.security_group_ids).toEqual([sgRef(dev.tf, 'lambda')]);
    expect(vpc.subnet_ids).toEqual(Object.keys(resourcesOf(dev.tf, 'aws_subnet')).map((k) => `\${aws_subnet.${k}.id}`));
  });

  it('CKV_AWS_115: has a function-level concurrency limit', () => {
    expect(fnOf(dev).reserved_concurrent_executions).toBe(5);
    expect(fnOf(prod).reserved_concurrent_executions).toBe(100);
  });

  it('CKV_AWS_50: prod traces with X-Ray (Active); dev passes trace headers through', () => {
    expect(fnOf(prod).tracing_config).toEqual({ mode: 'Active' });
    expect(fnOf(dev).tracing_config).toEqual({ mode: 'PassThrough' });
  });

  it('CKV_AWS_66: every log group has a retention period', () => {
    for (const [, s] of both) {
      for (const group of Object.values(resourcesOf(s.tf, 'aws_cloudwatch_log_group')) as Json[]) expect(group.retention_in_days).toEqual(expect.any(Number));
    }
  });

  it('CKV_AWS_338: prod keeps logs for at least a year (dev 14 days, deliberately)', () => {
    for (const group of Object.values(resourcesOf(prod.tf, 'aws_cloudwatch_log_group')) as Json[]) expect(group.retention_in_days).toBeGreaterThanOrEqual(365);
    expect(logGroupNamed(dev.tf, '/aws/lambda/graceful-shutdown-dev').group.retention_in_days).toBe(14);
  });
});

describe('state backend', () => {
  it('is a local file outside cdktf.out, by a relative path, when no pipeline variable is set (dev)', () => {
    expect(dev.tf.terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
  });

  it('is S3, encrypted, with the native lock file, when the pipeline sets TF_STATE_BUCKET (prod)', () => {
    const piped = synthEnvironment('prod', environments.prod, { variables: { TF_STATE_BUCKET: 'example-org-terraform-state', TF_STATE_REQUIRED: 'true' } });
    expect(piped.tf.terraform.backend).toEqual({
      s3: { bucket: 'example-org-terraform-state', key: 'graceful-shutdown/prod.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true },
    });
    expect(piped.json).not.toContain('dynamodb_table');
  });
});

describe('whole-stack snapshots for plan review', () => {
  it.each(both)('%s', (_name, s) => {
    expect(s.tf).toMatchSnapshot();
  });

  it('steady (Managed Instances)', () => {
    expect(synthEnvironment('steady', environments.steady).tf).toMatchSnapshot();
  });
});
