// The handler's configuration, read from the environment once at init and
// validated there, so a misconfigured function fails its Init (visible at
// deploy time) instead of its first request. Errors name the variable and
// never echo a value that could be a secret.
import {
  DB_WAIT_BOUNDS_MS, DbAuth, DbTls, DrainStrategy, FunctionEnv, MAX_CONCURRENCY, MYSQL_PORT, POOL_SIZE, SHUTDOWN_BUDGET_MS, WORKER_COUNT,
  maxShutdownBudgetMs, poolSizePerWorker, type IntegerRange,
} from '../protocol/function-env';
import { ShutdownMode } from '../protocol/shutdown-mode';
import { ConfigError } from './errors';
import { MAX_PARALLEL } from './events';

export { DrainStrategy, ShutdownMode };

export interface HandlerConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly auth: DbAuth;
  /** Only with `auth: password` (local runs). */
  readonly password?: string;
  readonly tls: DbTls;
  readonly region: string | undefined;
  /** Connections this pool may open: DB_POOL_SIZE, or on Managed Instances this worker's share of it. */
  readonly poolSize: number;
  /**
   * Statements that may wait for a connection: every invocation this pool can
   * serve at once (one on-demand; all of AWS_LAMBDA_MAX_CONCURRENCY could land
   * on one worker) times the statements one invocation runs at once. Bounded,
   * so a leak still shows, but never the reason a valid request fails.
   */
  readonly poolQueueLimit: number;
  /** Managed Instances only: what the pool was sized from. */
  readonly managedInstances?: { readonly maxConcurrency: number; readonly workerCount: number | undefined };
  readonly shutdownBudgetMs: number;
  /** Bounds on every wait on the database: a new connection, a checkout's ping, one statement. */
  readonly connectTimeoutMs: number;
  readonly pingTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly drainStrategy: DrainStrategy;
  /** `in-process`: the handler registers an internal extension at Init instead of relying on the layer. */
  readonly shutdownMode: ShutdownMode;
  /** Enables the `debug-sleep` action (tests hold a query in flight with it). Never set in production. */
  readonly debugActions: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, 'is required');
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer between ${min} and ${max}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be an integer between ${min} and ${max}, got ${value}`);
  return value;
}

function bound(env: Env, name: string, range: IntegerRange): number {
  return integer(env, name, range.default, range.min, range.max);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback?: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(name, `is required (one of ${allowed.join(', ')})`);
  }
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * SHUTDOWN_BUDGET_MS, validated against the runtime's share for the shutdown
 * mode. Its own export: the main-thread coordinator needs the budget and
 * nothing else of the configuration.
 */
export function loadShutdownBudget(env: Env = process.env): { shutdownMode: ShutdownMode; shutdownBudgetMs: number } {
  const shutdownMode = oneOf(env, FunctionEnv.shutdownMode, Object.values(ShutdownMode), ShutdownMode.layer);
  const shutdownBudgetMs = integer(env, FunctionEnv.shutdownBudgetMs, SHUTDOWN_BUDGET_MS.default, SHUTDOWN_BUDGET_MS.min, maxShutdownBudgetMs(shutdownMode));
  return { shutdownMode, shutdownBudgetMs };
}

export function loadConfig(env: Env = process.env): HandlerConfig {
  const host = required(env, FunctionEnv.host);
  const port = integer(env, FunctionEnv.port, MYSQL_PORT, 1, 65_535);
  const user = required(env, FunctionEnv.user);
  const database = required(env, FunctionEnv.database);
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
    throw new ConfigError(FunctionEnv.database, 'must be 1-64 characters of letters, digits, _ or $');
  }
  const auth = oneOf(env, FunctionEnv.auth, Object.values(DbAuth));
  const tls = oneOf(env, FunctionEnv.tls, Object.values(DbTls));
  const region = env[FunctionEnv.region]?.trim() || undefined;

  let password: string | undefined;
  if (auth === DbAuth.password) {
    // Not `required()`: a password of spaces is still a password.
    password = env[FunctionEnv.password];
    if (!password) throw new ConfigError(FunctionEnv.password, 'is required when DB_AUTH=password');
  } else {
    if (env[FunctionEnv.password]) throw new ConfigError(FunctionEnv.password, 'must not be set when DB_AUTH=iam (the IAM token is the password)');
    if (tls !== DbTls.required) throw new ConfigError(FunctionEnv.tls, 'must be "required" when DB_AUTH=iam (the token is sent in clear text inside TLS)');
    if (!region) throw new ConfigError(FunctionEnv.region, 'is required when DB_AUTH=iam (the token is signed for a region)');
  }

  const { shutdownMode, shutdownBudgetMs } = loadShutdownBudget(env);
  const configuredPoolSize = integer(env, FunctionEnv.poolSize, POOL_SIZE.default, POOL_SIZE.min, POOL_SIZE.max);
  const managedInstances = loadManagedInstances(env);
  if (managedInstances && shutdownMode === ShutdownMode.inProcess) {
    throw new ConfigError(FunctionEnv.shutdownMode, `must be "${ShutdownMode.layer}" on Managed Instances (${FunctionEnv.maxConcurrency} is set): every worker thread would register the same internal extension, and the exec wrapper that lets the workers drain ships in the layer`);
  }
  const poolSize = managedInstances
    ? poolSizePerWorker(configuredPoolSize, managedInstances.maxConcurrency, managedInstances.workerCount)
    : configuredPoolSize;
  return {
    host,
    port,
    user,
    database,
    auth,
    ...(password === undefined ? {} : { password }),
    tls,
    region,
    poolSize,
    poolQueueLimit: (managedInstances?.maxConcurrency ?? 1) * MAX_PARALLEL,
    ...(managedInstances ? { managedInstances } : {}),
    shutdownBudgetMs,
    connectTimeoutMs: bound(env, FunctionEnv.connectTimeoutMs, DB_WAIT_BOUNDS_MS.connect),
    pingTimeoutMs: bound(env, FunctionEnv.pingTimeoutMs, DB_WAIT_BOUNDS_MS.ping),
    queryTimeoutMs: bound(env, FunctionEnv.queryTimeoutMs, DB_WAIT_BOUNDS_MS.query),
    drainStrategy: oneOf(env, FunctionEnv.drainStrategy, Object.values(DrainStrategy), DrainStrategy.graceful),
    shutdownMode,
    debugActions: env[FunctionEnv.debugActions] === 'true',
  };
}

/** Set by Lambda on Managed Instances: aws-lambda-ric runs the handler in worker threads exactly when it is. */
function loadManagedInstances(env: Env): HandlerConfig['managedInstances'] {
  if (env[FunctionEnv.maxConcurrency] === undefined) return undefined;
  const maxConcurrency = integer(env, FunctionEnv.maxConcurrency, MAX_CONCURRENCY.min, MAX_CONCURRENCY.min, MAX_CONCURRENCY.max);
  const workers = env[FunctionEnv.workerCount]?.trim();
  const workerCount = workers ? integer(env, FunctionEnv.workerCount, WORKER_COUNT.min, WORKER_COUNT.min, WORKER_COUNT.max) : undefined;
  return { maxConcurrency, workerCount };
}

/** The configuration as it may be logged: the password replaced by whether it is set. */
export function describeConfig(config: HandlerConfig): Record<string, unknown> {
  const { password, ...rest } = config;
  return { ...rest, passwordSet: password !== undefined };
}
