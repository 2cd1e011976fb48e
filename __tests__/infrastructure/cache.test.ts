// The cache as synthesized: ElastiCache Serverless in the function's private
// subnets behind its own security group, the function's IAM-authenticated
// ElastiCache user in a user group attached to it, the function role's one
// elasticache:Connect statement, and the variables the handler reads. Without
// `cache`, none of it.
import { CACHE_ACCESS_STRING } from '../../src/infrastructure/cache';
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { DEV_INPUT, onlyResource, ref, resourcesOf, sgRef, sgRules, statementsOf, synthEnvironment, type Json } from './support';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
const PARTITION = '${data.aws_partition.partition.partition}';
const ACCOUNT = '${data.aws_caller_identity.account.account_id}';

const prod = synthEnvironment('prod', environments.prod);
const dev = synthEnvironment('dev', environments.dev);
const redisInput: EnvironmentInput = { ...DEV_INPUT, cache: { engine: 'redis', kmsKeyArn: KEY, snapshotRetentionDays: 3, dailySnapshotTime: '03:30' } };
const redis = synthEnvironment('rediscache', redisInput);

const cacheSgRef = (tf: Json): string => {
  const groups = resourcesOf(tf, 'aws_security_group');
  const name = Object.keys(groups).find((k) => groups[k].name.endsWith('-cache'));
  if (!name) throw new Error('no cache security group');
  return `\${aws_security_group.${name}.id}`;
};
const usersOf = (tf: Json): Json[] => Object.values(resourcesOf(tf, 'aws_elasticache_user'));

describe('the cache of an environment that has one (prod: Valkey)', () => {
  const cache = onlyResource(prod.tf, 'aws_elasticache_serverless_cache');

  it('is ElastiCache Serverless for Valkey 8 in the function\'s private subnets, behind its own security group, with the config\'s ceilings', () => {
    const fn = onlyResource(prod.tf, 'aws_lambda_function');
    expect(cache).toEqual({
      name: 'graceful-shutdown-prod',
      description: 'Read-through cache of the data API: IAM authentication, TLS only',
      engine: 'valkey',
      major_engine_version: '8',
      subnet_ids: fn.vpc_config.subnet_ids,
      security_group_ids: [cacheSgRef(prod.tf)],
      user_group_id: ref(prod.tf, 'aws_elasticache_user_group', 'user_group_id'),
      snapshot_retention_limit: 0,
      cache_usage_limits: [{ data_storage: [{ maximum: 10, unit: 'GB' }], ecpu_per_second: [{ maximum: 100_000 }] }],
    });
    expect(fn.vpc_config.subnet_ids).toHaveLength(3);
  });

  it('has one user, the function\'s: IAM authentication (user name = user id, no password), Valkey, only the data API\'s commands and keys', () => {
    expect(usersOf(prod.tf)).toEqual([{
      user_id: 'graceful-shutdown-prod-app', user_name: 'graceful-shutdown-prod-app', engine: 'valkey',
      access_string: 'on ~item:* -@all +get +set +eval +ping', authentication_mode: { type: 'iam' },
    }]);
    expect(CACHE_ACCESS_STRING).toBe('on ~item:* -@all +get +set +eval +ping');
  });

  it('attaches a Valkey user group holding only that user', () => {
    expect(onlyResource(prod.tf, 'aws_elasticache_user_group')).toEqual({
      user_group_id: 'graceful-shutdown-prod', engine: 'valkey', user_ids: [ref(prod.tf, 'aws_elasticache_user', 'user_id')],
    });
  });

  it('is reached on 6379 only from the Lambda security group, and the Lambda group reaches it on 6379 only; no CIDR anywhere', () => {
    const lambda = sgRef(prod.tf, 'lambda');
    const cacheSg = cacheSgRef(prod.tf);
    const touching = sgRules(prod.tf).filter(({ rule }) => rule.security_group_id === cacheSg || rule.referenced_security_group_id === cacheSg);
    expect(touching).toEqual([
      { kind: 'ingress', rule: { security_group_id: cacheSg, referenced_security_group_id: lambda, ip_protocol: 'tcp', from_port: 6379, to_port: 6379, description: 'valkey from graceful-shutdown-prod Lambda function' } },
      { kind: 'egress', rule: { security_group_id: lambda, referenced_security_group_id: cacheSg, ip_protocol: 'tcp', from_port: 6379, to_port: 6379, description: 'valkey to the ElastiCache Serverless cache' } },
    ]);
    for (const { rule } of sgRules(prod.tf)) expect(Object.keys(rule).filter((k) => /cidr|prefix_list/.test(k))).toEqual([]);
    const group = Object.values(resourcesOf(prod.tf, 'aws_security_group')).find((g: Json) => g.name === 'graceful-shutdown-prod-cache') as Json;
    expect(group).toMatchObject({ revoke_rules_on_delete: true, description: 'ElastiCache Serverless (valkey): from the graceful-shutdown-prod Lambda function only' });
    expect(group.ingress ?? group.egress).toBeUndefined();
  });

  it('lets the function role connect to that cache as that user only: both ARNs in one statement', () => {
    const elasticache = (resource: string): string => `arn:${PARTITION}:elasticache:eu-west-1:${ACCOUNT}:${resource}`;
    const statements = statementsOf(prod.tf, '-function');
    expect(statements.map((s) => s.Sid)).toEqual(['WriteOwnLogs', 'DescribeNetworkInterfaces', 'ManageNetworkInterfaces', 'ConnectThroughProxy', 'ConnectToCache', 'WriteTraces']);
    expect(statements.find((s) => s.Sid === 'ConnectToCache')).toEqual({
      Sid: 'ConnectToCache', Effect: 'Allow', Action: ['elasticache:Connect'],
      Resource: [elasticache('serverlesscache:graceful-shutdown-prod'), elasticache('user:graceful-shutdown-prod-app')],
    });
    const role = Object.values(resourcesOf(prod.tf, 'aws_iam_role')).find((r: Json) => r.name === 'graceful-shutdown-prod-function') as Json;
    expect(role.description).toBe('Lambda function: own logs, VPC interfaces, rds-db:connect through the proxy, elasticache:Connect');
  });

  it('gives the function the cache\'s endpoint, port, IAM authentication over TLS, its user and the cache\'s name, serverless', () => {
    const variables = onlyResource(prod.tf, 'aws_lambda_function').environment.variables;
    expect(Object.fromEntries(Object.entries(variables).filter(([k]) => k.startsWith('CACHE_')))).toEqual({
      CACHE_HOST: ref(prod.tf, 'aws_elasticache_serverless_cache', 'endpoint[0].address'),
      CACHE_PORT: '6379',
      CACHE_AUTH: 'iam',
      CACHE_TLS: 'required',
      CACHE_USER: 'graceful-shutdown-prod-app',
      CACHE_NAME: 'graceful-shutdown-prod',
      CACHE_SERVERLESS: 'true',
    });
  });

  it('outputs the endpoint, the cache name and the user: names and an endpoint, nothing secret', () => {
    expect(prod.tf.output.cache_endpoint.value).toBe(ref(prod.tf, 'aws_elasticache_serverless_cache', 'endpoint[0].address'));
    expect([prod.tf.output.cache_name.value, prod.tf.output.cache_user_name.value]).toEqual(['graceful-shutdown-prod', 'graceful-shutdown-prod-app']);
  });
});

describe('a Redis OSS cache with a customer key and snapshots', () => {
  it('encrypts with the key and keeps daily snapshots for the days configured', () => {
    expect(onlyResource(redis.tf, 'aws_elasticache_serverless_cache')).toMatchObject({
      engine: 'redis', major_engine_version: '7', kms_key_id: KEY, snapshot_retention_limit: 3, daily_snapshot_time: '03:30',
    });
    expect(onlyResource(redis.tf, 'aws_elasticache_serverless_cache').cache_usage_limits).toBeUndefined();
  });

  it('puts a disabled, password-less user named default beside the function\'s in a Redis OSS user group', () => {
    const users = Object.fromEntries(Object.entries(resourcesOf(redis.tf, 'aws_elasticache_user')).map(([id, u]) => [(u as Json).user_name, { id, user: u }]));
    expect(users.default.user).toEqual({
      user_id: 'graceful-shutdown-rediscache-default', user_name: 'default', engine: 'redis', access_string: 'off -@all', authentication_mode: { type: 'no-password-required' },
    });
    expect(users['graceful-shutdown-rediscache-app'].user).toMatchObject({ engine: 'redis', authentication_mode: { type: 'iam' } });
    expect(onlyResource(redis.tf, 'aws_elasticache_user_group')).toEqual({
      user_group_id: 'graceful-shutdown-rediscache', engine: 'redis',
      user_ids: [`\${aws_elasticache_user.${users.default.id}.user_id}`, `\${aws_elasticache_user.${users['graceful-shutdown-rediscache-app'].id}.user_id}`],
    });
  });

  it('holds no password anywhere in its users', () => {
    for (const user of usersOf(redis.tf)) {
      expect({ user: user.user_id, passwords: user.passwords, nested: user.authentication_mode.passwords }).toEqual({ user: user.user_id, passwords: undefined, nested: undefined });
    }
  });
});

describe('an environment without a cache (dev)', () => {
  it('has no ElastiCache resource, no cache security group or rule, no CACHE_* variable, no elasticache permission and no cache output', () => {
    expect(Object.keys(dev.tf.resource).filter((type) => type.startsWith('aws_elasticache'))).toEqual([]);
    expect(Object.values(resourcesOf(dev.tf, 'aws_security_group')).map((g: Json) => g.name)).not.toContain('graceful-shutdown-dev-cache');
    expect(sgRules(dev.tf).filter(({ rule }) => rule.from_port === 6379)).toEqual([]);
    expect(Object.keys(onlyResource(dev.tf, 'aws_lambda_function').environment.variables).filter((k) => k.startsWith('CACHE_'))).toEqual([]);
    expect(JSON.stringify(statementsOf(dev.tf, '-function'))).not.toContain('elasticache');
    expect(Object.keys(dev.tf.output).filter((k) => k.startsWith('cache'))).toEqual([]);
  });
});
