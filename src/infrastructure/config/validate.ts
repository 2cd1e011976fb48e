// Synth-time validation: every environment is resolved (defaults filled in) and
// checked before any construct exists, so a bad value fails the synth with the
// field's full path and nothing is written. All issues of all environments are
// reported at once. Kept over a schema library: zod 4.6 took 384 ms to load
// here (valibot 1.5: 54 ms) against a whole synth of about 1.3 s, and these
// checks already print the field's path and the arithmetic behind a refusal.
import { POOL_IDLE_TIMEOUT_MS, POOL_SIZE, SHUTDOWN_BUDGET_MS, longestStoreWaitMs, maxShutdownBudgetMs } from '../../protocol/function-env';
import { ComputeMode } from '../../protocol/lambda-runtime';
import { ShutdownMode } from '../../protocol/shutdown-mode';
import { ConfigError, type ConfigIssue } from '../errors';
import { estimatedMaxConnections, proxyConnectionBudget } from './max-connections';
import { resolveBackend, type PipelineVariables } from './state-backend';
import { Checker, KMS_KEY_ARN, REGION, SG_ID, show } from './checks';
import { checkKmsKeyArn, resolveIam, resolveProvider } from './validate-adoption';
import { resolveCache } from './validate-cache';
import {
  checkComputeCompatibility, connectionDemand, defaultMemoryMb, resolveComputeMode, resolveManagedInstances, resolveRuntime,
} from './validate-compute';
import { checkAdoptedUser, DEFAULT_MASTER_USERNAME, resolveFunctionUser } from './validate-function-user';
import { namePrefixProblems } from './validate-names';
import { NETWORK_DEFAULTS, resolveNetwork } from './validate-network';
import {
  Architecture, ImportableResource,
  type BackendInput, type DatabaseConfig, type EnvironmentConfig, type EnvironmentInput, type EnvironmentsInput,
} from './types';

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const DEFAULTS = {
  network: NETWORK_DEFAULTS,
  database: {
    createDatabase: true, instanceClass: 'db.t4g.micro', engineVersion: '8.4', allocatedStorageGb: 20, maxAllocatedStorageGb: 100,
    multiAz: false, backupRetentionDays: 7, deletionProtection: false, performanceInsights: false, dbName: 'app', masterUsername: DEFAULT_MASTER_USERNAME,
    monitoringIntervalSeconds: 0, finalSnapshot: true,
  },
  proxy: { maxConnectionsPercent: 50, maxIdleConnectionsPercent: 10, connectionBorrowTimeoutSeconds: 30, idleClientTimeoutSeconds: 1800, debugLogging: false },
  function: {
    architecture: Architecture.arm64, memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 5, poolSize: POOL_SIZE.default, shutdownBudgetMs: SHUTDOWN_BUDGET_MS.default,
    tracing: false, shutdownMode: ShutdownMode.layer,
  },
  logs: { retentionDays: 30 },
  backend: { type: 'local' } as BackendInput,
} as const;

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const PROXY_ARN = /^arn:(aws[a-z-]*):rds:([a-z0-9-]+):(\d{12}):db-proxy:(prx-[0-9a-z]+)$/;
/** Enhanced Monitoring intervals RDS accepts (0 = off). */
export const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;
const DB_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const ENGINE_VERSION = /^8\.\d+(\.\d+)?$/;
const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

function resolveDatabase(c: Checker, input: EnvironmentInput): DatabaseConfig {
  const d = input.database ?? {};
  const createDatabase = c.bool('database.createDatabase', d.createDatabase ?? DEFAULTS.database.createDatabase);
  if (!createDatabase) {
    if (input.proxy !== undefined) c.fail('proxy', 'is only used when database.createDatabase is true (an existing proxy keeps its own settings)');
    const e = input.existingProxy ?? {};
    if (input.existingProxy === undefined) c.fail('existingProxy', 'is required when database.createDatabase is false');
    const endpoint = c.match('existingProxy.endpoint', e.endpoint ?? '', /^[a-z0-9.-]+\.rds\.amazonaws\.com(\.cn)?$/, 'the proxy endpoint host name (<name>.proxy-....rds.amazonaws.com)');
    const arn = e.arn ?? '';
    const arnMatch = PROXY_ARN.exec(arn);
    if (!arnMatch) c.fail('existingProxy.arn', `must be an RDS Proxy ARN (arn:aws:rds:<region>:<account>:db-proxy:prx-...), got ${show(arn)}`);
    else if (arnMatch[2] !== input.region) c.fail('existingProxy.arn', `must be in the environment's region ${input.region}, got ${show(arn)}`);
    const securityGroupId = c.match('existingProxy.securityGroupId', e.securityGroupId ?? '', SG_ID, 'a security group id (sg-...)');
    const dbUser = checkAdoptedUser(e.dbUser ?? '', (f, m) => c.fail(f, m));
    const dbName = c.match('existingProxy.dbName', e.dbName ?? '', DB_IDENTIFIER, 'a MySQL schema name (letters, digits, _)');
    const connectionBudget = e.connectionBudget === undefined
      ? (c.fail('existingProxy.connectionBudget', 'is required: how many database connections this function may hold through the existing proxy'), 0)
      : c.int('existingProxy.connectionBudget', e.connectionBudget, 1, 100_000);
    for (const field of Object.keys(d).filter((k) => k !== 'createDatabase')) {
      c.fail(`database.${field}`, 'is only used when createDatabase is true');
    }
    return {
      createDatabase: false, endpoint, arn, resourceId: arnMatch?.[4] ?? '',
      partition: arnMatch?.[1] ?? '', proxyRegion: arnMatch?.[2] ?? '', accountId: arnMatch?.[3] ?? '',
      securityGroupId, dbUser, dbName, connectionBudget,
    };
  }
  if (input.existingProxy !== undefined) c.fail('existingProxy', 'is only used when database.createDatabase is false');
  const D = DEFAULTS.database;
  const instanceClass = c.match('database.instanceClass', d.instanceClass ?? D.instanceClass, INSTANCE_CLASS, 'an RDS instance class (db.<family>.<size>)');
  const engineVersion = c.match('database.engineVersion', d.engineVersion ?? D.engineVersion, ENGINE_VERSION, 'a MySQL 8 version (8.0, 8.4, 8.4.x)');
  const allocatedStorageGb = c.int('database.allocatedStorageGb', d.allocatedStorageGb ?? D.allocatedStorageGb, 20, 65_536);
  const maxAllocatedStorageGb = c.int('database.maxAllocatedStorageGb', d.maxAllocatedStorageGb ?? D.maxAllocatedStorageGb, 0, 65_536);
  if (maxAllocatedStorageGb !== 0 && maxAllocatedStorageGb < allocatedStorageGb) {
    c.fail('database.maxAllocatedStorageGb', `must be 0 (no autoscaling) or >= allocatedStorageGb (${allocatedStorageGb}), got ${maxAllocatedStorageGb}`);
  }
  const backupRetentionDays = c.int('database.backupRetentionDays', d.backupRetentionDays ?? D.backupRetentionDays, 1, 35);
  const dbName = c.match('database.dbName', d.dbName ?? D.dbName, DB_IDENTIFIER, 'a MySQL schema name (letters, digits, _)');
  const masterUsername = c.match('database.masterUsername', d.masterUsername ?? D.masterUsername, DB_IDENTIFIER, 'a MySQL user name (letters, digits, _)');
  if (['admin', 'rdsadmin', 'root'].includes(masterUsername)) c.fail('database.masterUsername', `is reserved by MySQL on RDS, got ${show(masterUsername)}`);
  const functionUser = resolveFunctionUser(d, masterUsername, (f, m) => c.fail(f, m));
  const databaseKey = checkKmsKeyArn('database.kmsKeyArn', d.kmsKeyArn, (f, m) => c.fail(f, m));
  const dbUser = functionUser.name;
  let maxConnections: number;
  let maxConnectionsSource: 'table' | 'config';
  if (d.maxConnections !== undefined) {
    maxConnections = c.int('database.maxConnections', d.maxConnections, 1, 100_000);
    maxConnectionsSource = 'config';
  } else {
    const estimate = estimatedMaxConnections(instanceClass);
    if (estimate === undefined) c.fail('database.maxConnections', `is required for instance class ${show(instanceClass)}: it is not in the max_connections table (src/infrastructure/config/max-connections.ts)`);
    maxConnections = estimate ?? 0;
    maxConnectionsSource = 'table';
  }
  const p = input.proxy ?? {};
  const P = DEFAULTS.proxy;
  const proxy = {
    maxConnectionsPercent: c.int('proxy.maxConnectionsPercent', p.maxConnectionsPercent ?? P.maxConnectionsPercent, 1, 100),
    maxIdleConnectionsPercent: c.int('proxy.maxIdleConnectionsPercent', p.maxIdleConnectionsPercent ?? P.maxIdleConnectionsPercent, 0, 100),
    connectionBorrowTimeoutSeconds: c.int('proxy.connectionBorrowTimeoutSeconds', p.connectionBorrowTimeoutSeconds ?? P.connectionBorrowTimeoutSeconds, 1, 3600),
    idleClientTimeoutSeconds: c.int('proxy.idleClientTimeoutSeconds', p.idleClientTimeoutSeconds ?? P.idleClientTimeoutSeconds, 1, 28_800),
    debugLogging: c.bool('proxy.debugLogging', p.debugLogging ?? P.debugLogging),
  };
  // A proxy that drops idle clients before the pool retires them makes every
  // quiet spell end in a stale connection (retried, but a wasted round trip).
  if (proxy.idleClientTimeoutSeconds * 1000 <= POOL_IDLE_TIMEOUT_MS) {
    c.fail('proxy.idleClientTimeoutSeconds', `must be longer than the function's pool idle timeout (${POOL_IDLE_TIMEOUT_MS / 1000} s), got ${proxy.idleClientTimeoutSeconds}`);
  }
  if (proxy.maxIdleConnectionsPercent > proxy.maxConnectionsPercent) {
    c.fail('proxy.maxIdleConnectionsPercent', `must not exceed maxConnectionsPercent (${proxy.maxConnectionsPercent}), got ${proxy.maxIdleConnectionsPercent}`);
  }
  return {
    createDatabase: true, instanceClass, engineVersion, allocatedStorageGb, maxAllocatedStorageGb,
    multiAz: c.bool('database.multiAz', d.multiAz ?? D.multiAz),
    backupRetentionDays,
    deletionProtection: c.bool('database.deletionProtection', d.deletionProtection ?? D.deletionProtection),
    performanceInsights: c.bool('database.performanceInsights', d.performanceInsights ?? D.performanceInsights),
    dbName, dbUser, masterUsername, maxConnections, maxConnectionsSource, proxy,
    // The function user's secret is the master secret's sibling: an estate that
    // keys its database with its own CMK gets that key on both, unless told otherwise.
    ...optional('functionUserSecretKmsKeyArn', functionUser.secretKmsKeyArn ?? databaseKey),
    ...optional('kmsKeyArn', databaseKey),
    monitoringIntervalSeconds: c.oneOf('database.monitoringIntervalSeconds', d.monitoringIntervalSeconds ?? D.monitoringIntervalSeconds, MONITORING_INTERVALS as readonly number[]),
    finalSnapshot: c.bool('database.finalSnapshot', d.finalSnapshot ?? D.finalSnapshot),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** `variables`: the pipeline's (TF_STATE_*), read only by `backend: { type: 'pipeline' }`. */
export function resolveEnvironment(
  name: string, input: EnvironmentInput, variables: PipelineVariables = process.env,
): { config: EnvironmentConfig; issues: ConfigIssue[] } {
  const c = new Checker(`environments.${name}`);
  if (!NAME.test(name)) c.fail('name', `must be lowercase letters, digits and -, starting with a letter (it names the stack), got ${show(name)}`);
  const region = c.match('region', input.region, REGION, 'an AWS region (e.g. eu-west-1)');
  const namePrefix = input.namePrefix ?? `graceful-shutdown-${name}`;
  for (const problem of namePrefixProblems(namePrefix)) c.fail('namePrefix', problem);
  const network = resolveNetwork(c, input);
  const database = resolveDatabase(c, input);
  if (!database.createDatabase && network.createVpc) {
    // Security groups only reference each other within one VPC: the function must run in the proxy's.
    c.fail('network.createVpc', 'must be false when adopting an existing proxy (set existingVpcId/existingSubnetIds to the proxy\'s VPC)');
  }

  const f = input.function ?? {};
  const F = DEFAULTS.function;
  const compute = resolveComputeMode(input, (field, m) => c.fail(field, m));
  const fn = {
    architecture: c.oneOf('function.architecture', f.architecture ?? F.architecture, Object.values(Architecture)),
    memoryMb: c.int('function.memoryMb', f.memoryMb ?? defaultMemoryMb(compute, F.memoryMb), 128, 10_240),
    timeoutSeconds: c.int('function.timeoutSeconds', f.timeoutSeconds ?? F.timeoutSeconds, 1, 900),
    reservedConcurrency: c.int('function.reservedConcurrency', f.reservedConcurrency ?? F.reservedConcurrency, 1, 10_000),
    poolSize: c.int('function.poolSize', f.poolSize ?? F.poolSize, POOL_SIZE.min, POOL_SIZE.max),
    shutdownBudgetMs: f.shutdownBudgetMs ?? F.shutdownBudgetMs,
    tracing: c.bool('function.tracing', f.tracing ?? F.tracing),
    shutdownMode: c.oneOf('function.shutdownMode', f.shutdownMode ?? F.shutdownMode, Object.values(ShutdownMode)),
    runtime: resolveRuntime(f.runtime, (field, m) => c.fail(field, m)),
    compute,
  };
  checkComputeCompatibility(fn, (field, m) => c.fail(field, m));
  const managedInstances = compute === ComputeMode.managedInstances
    ? resolveManagedInstances(input.managedInstances, fn, (field, m) => c.fail(field, m))
    : undefined;
  c.int('function.shutdownBudgetMs', fn.shutdownBudgetMs, SHUTDOWN_BUDGET_MS.min, maxShutdownBudgetMs(fn.shutdownMode ?? ShutdownMode.layer));

  const retentionDays = c.oneOf('logs.retentionDays', input.logs?.retentionDays ?? DEFAULTS.logs.retentionDays, LOG_RETENTION_DAYS as readonly number[]);
  const kmsKeyArn = input.logs?.kmsKeyArn;
  if (kmsKeyArn !== undefined) c.match('logs.kmsKeyArn', kmsKeyArn, KMS_KEY_ARN, 'a KMS key ARN');

  const imports = input.imports ?? {};
  for (const [key, id] of Object.entries(imports)) {
    if (!(Object.values(ImportableResource) as string[]).includes(key)) {
      c.fail(`imports.${key}`, `is not importable; importable: ${Object.values(ImportableResource).join(', ')}`);
    } else if (typeof id !== 'string' || id.length === 0) {
      c.fail(`imports.${key}`, `must be the existing resource's import id, got ${show(id)}`);
    }
  }
  if (!database.createDatabase) {
    for (const key of ['database', 'proxy', 'proxyRole', 'proxySecurityGroup', 'databaseSecurityGroup', 'dbSubnetGroup'] as const) {
      if (imports[key] !== undefined) c.fail(`imports.${key}`, 'names a resource this stack does not create with an existing proxy');
    }
  }
  if (!network.createVpc && imports.vpc !== undefined) c.fail('imports.vpc', 'names a resource this stack does not create with createVpc false');

  const connectionBudget = database.createDatabase
    ? proxyConnectionBudget(database.maxConnections, database.proxy.maxConnectionsPercent)
    : database.connectionBudget;
  const demand = connectionDemand(fn, managedInstances);
  if (c.issues.length === 0 && demand.connections > connectionBudget) {
    const how = database.createDatabase
      ? `max_connections ${database.maxConnections} (${database.maxConnectionsSource === 'table' ? `${database.instanceClass}, table` : 'database.maxConnections'}) x maxConnectionsPercent ${database.proxy.maxConnectionsPercent} / 100`
      : 'existingProxy.connectionBudget';
    c.fail(demand.field, `${demand.arithmetic} exceeds the proxy's connection budget ${connectionBudget} (${how})`);
  }

  const cache = resolveCache(input, namePrefix, (f, m) => c.fail(f, m));
  const longestWaitMs = longestStoreWaitMs(fn.poolSize, cache !== undefined);
  if (fn.timeoutSeconds * 1000 <= longestWaitMs) {
    c.fail('function.timeoutSeconds', `must exceed the longest wait of one invocation on its stores, ${longestWaitMs} ms with poolSize ${fn.poolSize}${cache ? ' and the cache' : ''} (pings, a new connection, the statement${cache ? ', two cache connects and commands' : ''}), so the handler answers before Lambda ends the invocation; got ${fn.timeoutSeconds} s`);
  }

  const tags = { Project: 'lambda-graceful-shutdown', Environment: name, ManagedBy: 'cdktf', ...(input.tags ?? {}) };
  return {
    config: {
      name, region, namePrefix, tags, network, database, function: fn,
      ...optional('managedInstances', managedInstances),
      ...optional('cache', cache),
      logs: { retentionDays, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) },
      backend: resolveBackend(input, name, variables, (f, m) => c.fail(f, m)),
      iam: resolveIam(input.iam, (f, m) => c.fail(f, m)),
      provider: resolveProvider(input.provider, (f, m) => c.fail(f, m)),
      imports,
      connectionBudget,
    },
    issues: c.issues,
  };
}

/** Resolves and validates every environment; throws one ConfigError naming every bad field. */
export function resolveEnvironments(inputs: EnvironmentsInput, variables: PipelineVariables = process.env): EnvironmentConfig[] {
  const names = Object.keys(inputs).sort();
  if (names.length === 0) throw new ConfigError([{ path: 'environments', message: 'must define at least one environment' }]);
  const results = names.map((name) => resolveEnvironment(name, inputs[name], variables));
  const issues = results.flatMap((r) => r.issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return results.map((r) => r.config);
}
