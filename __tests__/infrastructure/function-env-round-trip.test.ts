// The function's environment exactly as synthesized, plus what Lambda itself
// sets, loads in the handler's own config readers (the database's and the
// cache's) with the values the environment's config intended: the
// infrastructure and the handler agree on every variable's name and format.
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentConfig, EnvironmentInput } from '../../src/infrastructure/config/types';
import { loadCacheConfig } from '../../src/handler/cache/cache-config';
import { loadConfig } from '../../src/handler/config';
import { CACHE_WAIT_BOUNDS_MS, FunctionEnv } from '../../src/protocol/function-env';
import { INITIALIZATION_TYPE, INITIALIZATION_TYPE_ENV } from '../../src/protocol/lambda-runtime';
import { DEV_INPUT, onlyResource, synthEnvironment, type Json } from './support';

/** A Terraform reference stands for a value known after apply: give it one of the right shape. */
function applied(value: string): string {
  if (/^\$\{aws_db_proxy\.[^}]+\.endpoint\}$/.test(value)) return 'graceful-shutdown.proxy-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com';
  if (/^\$\{aws_elasticache_serverless_cache\.[^}]+\.endpoint\[0\]\.address\}$/.test(value)) return CACHE_ENDPOINT;
  if (value.includes('${')) throw new Error(`no applied value for ${value}: extend applied() for it`);
  return value;
}

/** The form of a serverless cache's endpoint address. */
const CACHE_ENDPOINT = 'graceful-shutdown-a1b2c3.serverless.euw1.cache.amazonaws.com';

/** What Lambda adds to the function's own variables (the runtime's environment). */
function lambdaEnvironment(config: EnvironmentConfig, fn: Json): Record<string, string> {
  const base: Record<string, string> = {
    AWS_REGION: config.region,
    AWS_DEFAULT_REGION: config.region,
    AWS_LAMBDA_FUNCTION_NAME: config.namePrefix,
    AWS_LAMBDA_FUNCTION_VERSION: fn.publish_to === undefined ? '$LATEST' : '$LATEST.PUBLISHED',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memory_size),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.namePrefix}`,
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: fn.handler,
    TZ: ':UTC',
  };
  const mi = fn.capacity_provider_config?.lambda_managed_instances_capacity_provider_config;
  if (mi === undefined) return { ...base, [INITIALIZATION_TYPE_ENV]: INITIALIZATION_TYPE['on-demand'] };
  return {
    ...base,
    [INITIALIZATION_TYPE_ENV]: INITIALIZATION_TYPE['managed-instances'],
    [FunctionEnv.maxConcurrency]: String(mi.per_execution_environment_max_concurrency),
  };
}

interface RoundTrip {
  config: EnvironmentConfig;
  variables: Record<string, string>;
  loaded: ReturnType<typeof loadConfig>;
  cache: ReturnType<typeof loadCacheConfig>;
}

function roundTrip(name: string, input: EnvironmentInput): RoundTrip {
  const { stack, tf } = synthEnvironment(name, input);
  const fn = onlyResource(tf, 'aws_lambda_function');
  const variables = Object.fromEntries(Object.entries(fn.environment.variables as Record<string, string>).map(([k, v]) => [k, applied(v)]));
  const environment = { ...lambdaEnvironment(stack.config, fn), ...variables };
  return { config: stack.config, variables, loaded: loadConfig(environment), cache: loadCacheConfig(environment) };
}

const cases: [string, EnvironmentInput][] = [
  ...Object.keys(environments).sort().map((name): [string, EnvironmentInput] => [name, environments[name]]),
  ['node22', { ...DEV_INPUT, function: { runtime: 'nodejs22.x', poolSize: 1, shutdownBudgetMs: 150 } }],
  ['in-process', { ...DEV_INPUT, function: { shutdownMode: 'in-process', shutdownBudgetMs: 400 } }],
  ['mi-shared-pools', { ...DEV_INPUT, function: { compute: 'managed-instances' }, managedInstances: { maxVcpuCount: 4, workerCount: 4, maxConcurrency: 4 } }],
  ['redis-cache', { ...DEV_INPUT, cache: { engine: 'redis' } }],
  ['mi-cache', { ...DEV_INPUT, function: { compute: 'managed-instances' }, cache: {} }],
];

describe.each(cases)('the %s function\'s environment', (name, input) => {
  const { config, variables, loaded, cache } = roundTrip(name, input);

  it('names only variables the function contract defines', () => {
    const known = new Set<string>(Object.values(FunctionEnv));
    expect(Object.keys(variables).filter((k) => !known.has(k))).toEqual([]);
  });

  it('loads in the handler\'s config with the database, user and transport the config intended', () => {
    expect(loaded).toMatchObject({
      host: 'graceful-shutdown.proxy-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com',
      port: 3306,
      user: config.database.dbUser,
      database: config.database.dbName,
      auth: 'iam',
      tls: 'required',
      region: config.region,
    });
    expect(loaded.password).toBeUndefined();
  });

  it('loads the shutdown settings the config intended, with the shipped drain and no debug actions', () => {
    expect(loaded).toMatchObject({
      shutdownMode: config.function.shutdownMode,
      shutdownBudgetMs: config.function.shutdownBudgetMs,
      drainStrategy: 'graceful',
      debugActions: false,
    });
  });

  it('loads the pool size and, on Managed Instances, the concurrency and worker count the fleet check counted', () => {
    const mi = config.managedInstances;
    if (mi === undefined) {
      expect(loaded.poolSize).toBe(config.function.poolSize);
      expect(loaded.managedInstances).toBeUndefined();
    } else {
      expect(loaded.poolSize).toBe(mi.connectionsPerWorker);
      expect(loaded.managedInstances).toEqual({ maxConcurrency: mi.maxConcurrency, workerCount: mi.workerCount });
    }
  });

  it('loads in the handler\'s cache config as the cache the config asked for (IAM over TLS, its user, its name, serverless), or as no cache', () => {
    if (config.cache === undefined) {
      expect(cache).toBeUndefined();
      return;
    }
    expect(cache).toEqual({
      host: CACHE_ENDPOINT,
      port: 6379,
      auth: 'iam',
      tls: 'required',
      user: config.cache.userId,
      iam: { cacheName: config.cache.name, serverless: true, region: config.region },
      connectTimeoutMs: CACHE_WAIT_BOUNDS_MS.connect.default,
      commandTimeoutMs: CACHE_WAIT_BOUNDS_MS.command.default,
    });
  });
});
