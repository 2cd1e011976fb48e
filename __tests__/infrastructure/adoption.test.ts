// Adopting into an existing estate: bring-your-own network, bring-your-own
// RDS Proxy, the in-process shutdown mode, S3 state, and `import` blocks.
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbProxy } from '@cdktf/provider-aws/lib/db-proxy';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { LambdaLayerVersion } from '@cdktf/provider-aws/lib/lambda-layer-version';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { DEV_INPUT, logGroupNamed, onlyResource, resourcesOf, sgRef, sgRules, statementsOf, synthEnvironment, type Json } from './support';

const EXISTING_NETWORK = { createVpc: false, existingVpcId: 'vpc-0a1b2c3d4e5f67890', existingSubnetIds: ['subnet-0aaa1111bbbb2222c', 'subnet-0ddd3333eeee4444f'] };
const EXISTING_PROXY = {
  endpoint: 'shared.proxy-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
  arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
  securityGroupId: 'sg-0fedcba9876543210',
  dbUser: 'orders_lambda',
  dbName: 'orders',
  connectionBudget: 40,
};
const byoInput: EnvironmentInput = {
  region: 'eu-west-1',
  network: EXISTING_NETWORK,
  database: { createDatabase: false },
  existingProxy: EXISTING_PROXY,
  function: { reservedConcurrency: 10, poolSize: 2 },
};
const byo = synthEnvironment('shared', byoInput);

describe('bring your own network', () => {
  const s = synthEnvironment('byonet', { ...DEV_INPUT, network: EXISTING_NETWORK });

  it('creates no VPC or subnet and places everything in the given ones', () => {
    expect(s.json).not.toHaveResource(Vpc);
    expect(s.json).not.toHaveResource(Subnet);
    expect(s.json).toHaveResourceWithProperties(DbSubnetGroup, { subnet_ids: EXISTING_NETWORK.existingSubnetIds });
    expect(onlyResource(s.tf, 'aws_lambda_function').vpc_config.subnet_ids).toEqual(EXISTING_NETWORK.existingSubnetIds);
    expect(s.json).toHaveResourceWithProperties(DbProxy, { vpc_subnet_ids: EXISTING_NETWORK.existingSubnetIds });
  });

  it('still creates and wires the three security groups in the given VPC', () => {
    for (const sg of Object.values(resourcesOf(s.tf, 'aws_security_group')) as Json[]) expect(sg.vpc_id).toBe('vpc-0a1b2c3d4e5f67890');
    expect(sgRules(s.tf)).toHaveLength(4);
  });

  it('places the function in the given subnets', () => {
    const fn = Object.values(resourcesOf(s.tf, 'aws_lambda_function'))[0] as Json;
    expect(fn.vpc_config.subnet_ids).toEqual(['subnet-0aaa1111bbbb2222c', 'subnet-0ddd3333eeee4444f']);
  });
});

describe('bring your own RDS Proxy', () => {
  it('creates no database, proxy, proxy role or proxy/database security groups', () => {
    for (const type of [DbInstance, DbProxy, DbSubnetGroup]) expect(byo.json).not.toHaveResource(type);
    expect(Object.values(resourcesOf(byo.tf, 'aws_iam_role')).map((r: Json) => r.name)).toEqual(['graceful-shutdown-shared-function']);
    expect(Object.values(resourcesOf(byo.tf, 'aws_security_group')).map((r: Json) => r.name)).toEqual(['graceful-shutdown-shared-lambda']);
  });

  it("opens the existing proxy's security group to the function's, on 3306 only", () => {
    const lambda = sgRef(byo.tf, 'lambda');
    expect(sgRules(byo.tf).map(({ kind, rule }) => [kind, rule.security_group_id, rule.referenced_security_group_id, rule.from_port, rule.to_port])).toEqual([
      ['ingress', 'sg-0fedcba9876543210', lambda, 3306, 3306],
      ['egress', lambda, 'sg-0fedcba9876543210', 3306, 3306],
    ]);
  });

  it("builds rds-db:connect from the given proxy ARN and user, in the proxy's partition, region and account", () => {
    const connect = statementsOf(byo.tf, '-function').find((st) => st.Sid === 'ConnectThroughProxy');
    expect(connect?.Resource).toBe('arn:aws:rds-db:eu-west-1:123456789012:dbuser:prx-0123456789abcdef0/orders_lambda');
  });

  it('points the function at the existing endpoint', () => {
    expect(onlyResource(byo.tf, 'aws_lambda_function').environment.variables).toMatchObject({
      DB_HOST: EXISTING_PROXY.endpoint, DB_USER: 'orders_lambda', DB_NAME: 'orders', DB_AUTH: 'iam', DB_TLS: 'required',
    });
  });
});

describe('shutdownMode in-process', () => {
  const s = synthEnvironment('inproc', { ...DEV_INPUT, function: { shutdownMode: 'in-process' } });

  it('attaches no layer and tells the handler to register its internal extension', () => {
    expect(s.json).not.toHaveResource(LambdaLayerVersion);
    const fn = onlyResource(s.tf, 'aws_lambda_function');
    expect(fn.layers).toEqual([]);
    expect(fn.environment.variables.SHUTDOWN_MODE).toBe('in-process');
    expect(Object.keys(s.tf.output)).not.toContain('layer_arn');
  });
});

describe('proxy settings from config', () => {
  it('passes idle client timeout, borrow timeout, pool percentages and debug logging through', () => {
    const s = synthEnvironment('tuned', { ...DEV_INPUT, proxy: {
      maxConnectionsPercent: 40, maxIdleConnectionsPercent: 5, connectionBorrowTimeoutSeconds: 12, idleClientTimeoutSeconds: 900, debugLogging: true,
    } });
    expect(onlyResource(s.tf, 'aws_db_proxy')).toMatchObject({ idle_client_timeout: 900, debug_logging: true });
    expect(onlyResource(s.tf, 'aws_db_proxy_default_target_group').connection_pool_config).toEqual({
      max_connections_percent: 40, max_idle_connections_percent: 5, connection_borrow_timeout: 12,
    });
  });
});

describe('the shutdownMode stack option', () => {
  it('overrides the config: in-process drops the layer from a layer-configured environment', () => {
    const s = synthEnvironment('override', DEV_INPUT, { shutdownMode: 'in-process' });
    expect(s.json).not.toHaveResource(LambdaLayerVersion);
    expect(onlyResource(s.tf, 'aws_lambda_function').environment.variables.SHUTDOWN_MODE).toBe('in-process');
    expect(s.stack.config.function.shutdownMode).toBe('in-process');
  });

  it('refuses layer mode when the configured budget only fits the in-process share', () => {
    expect(() => synthEnvironment('toolong', { ...DEV_INPUT, function: { shutdownMode: 'in-process', shutdownBudgetMs: 400 } }, { shutdownMode: 'layer' }))
      .toThrow("environments.toolong.function.shutdownBudgetMs: 400 ms exceeds 250 ms, the most the runtime's share allows with shutdownMode layer");
  });
});

describe('optional hardening', () => {
  const s = synthEnvironment('kms', { ...DEV_INPUT, logs: { retentionDays: 365, kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666' } });

  it('CKV_AWS_158: encrypts the log group with the configured KMS key', () => {
    expect(logGroupNamed(s.tf, '/aws/lambda/graceful-shutdown-kms').group.kms_key_id).toBe('arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666');
  });
});

describe('S3 state without the lock file', () => {
  it('omits use_lockfile when useLockfile is false', () => {
    const s = synthEnvironment('nolock', { ...DEV_INPUT, backend: { type: 's3', bucket: 'team-state', useLockfile: false } });
    expect(s.tf.terraform.backend).toEqual({ s3: { bucket: 'team-state', key: 'graceful-shutdown/nolock.tfstate', region: 'eu-west-1', encrypt: true } });
  });
});

describe('importing existing resources', () => {
  const s = synthEnvironment('adopt', { ...DEV_INPUT, imports: { logGroup: '/aws/lambda/graceful-shutdown-adopt', functionRole: 'graceful-shutdown-adopt-function' } });

  it('writes a Terraform import block for each configured resource', () => {
    const logGroup = logGroupNamed(s.tf, '/aws/lambda/graceful-shutdown-adopt').id;
    const role = Object.keys(resourcesOf(s.tf, 'aws_iam_role')).find((k) => k.startsWith('function-role'));
    expect(s.tf.import).toEqual(expect.arrayContaining([
      { id: '/aws/lambda/graceful-shutdown-adopt', to: `aws_cloudwatch_log_group.${logGroup}` },
      { id: 'graceful-shutdown-adopt-function', to: `aws_iam_role.${role}` },
    ]));
    expect(s.tf.import).toHaveLength(2);
  });
});
