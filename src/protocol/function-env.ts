// The function's environment: every variable the handler reads, with its
// default and its range, defined once. The infrastructure writes these
// variables, the handler validates them at Init, the emulator, scripts, bench
// and tests set them locally. No paths or `__dirname` here: the handler's ESM
// bundle imports this module.
import { ShutdownBudget } from './lambda-api';
import { ShutdownMode } from './shutdown-mode';

export const FunctionEnv = {
  host: 'DB_HOST',
  port: 'DB_PORT',
  user: 'DB_USER',
  database: 'DB_NAME',
  auth: 'DB_AUTH',
  /** Only with DB_AUTH=password, which only local runs use. */
  password: 'DB_PASSWORD',
  tls: 'DB_TLS',
  poolSize: 'DB_POOL_SIZE',
  /** Bounds on every wait on the database (see DB_WAIT_BOUNDS_MS). */
  connectTimeoutMs: 'DB_CONNECT_TIMEOUT_MS',
  pingTimeoutMs: 'DB_PING_TIMEOUT_MS',
  queryTimeoutMs: 'DB_QUERY_TIMEOUT_MS',
  shutdownBudgetMs: 'SHUTDOWN_BUDGET_MS',
  shutdownMode: 'SHUTDOWN_MODE',
  /** The baseline drain exists for the scenario suite and the bench; never deploy it. */
  drainStrategy: 'DRAIN_STRATEGY',
  /** Enables the debug-* actions that tests use to hold a query in flight. Never set in production. */
  debugActions: 'HANDLER_DEBUG_ACTIONS',
  /** Set by Lambda itself, read for IAM token signing. */
  region: 'AWS_REGION',
  /** Lambda runs the runtime through this executable when set (Managed Instances: the layer's wrapper). */
  execWrapper: 'AWS_LAMBDA_EXEC_WRAPPER',
  /**
   * Set by Lambda on Managed Instances: invocations one environment serves at
   * once. Its presence is what makes aws-lambda-ric run the handler in worker
   * threads, so it is also what turns the main-thread coordinator on.
   */
  maxConcurrency: 'AWS_LAMBDA_MAX_CONCURRENCY',
  /** aws-lambda-ric's worker-thread count on Managed Instances (its default: 8 per vCPU). */
  workerCount: 'AWS_LAMBDA_NODEJS_WORKER_COUNT',
  /** The optional Redis cache: unset CACHE_HOST means no cache, and the client library is never loaded. */
  cacheHost: 'CACHE_HOST',
  cachePort: 'CACHE_PORT',
  /** The ElastiCache user IAM maps to (required with CACHE_AUTH=iam). */
  cacheUser: 'CACHE_USER',
  cacheAuth: 'CACHE_AUTH',
  /** Only with CACHE_AUTH=password, which only local runs use. */
  cachePassword: 'CACHE_PASSWORD',
  cacheTls: 'CACHE_TLS',
  /** The cache's name: what an ElastiCache IAM token is signed for (not the endpoint's host). */
  cacheName: 'CACHE_NAME',
  /** `true` (the default) for ElastiCache Serverless, `false` for a replication group: the IAM token names which. */
  cacheServerless: 'CACHE_SERVERLESS',
  /** Bounds on every wait on the cache (see CACHE_WAIT_BOUNDS_MS). */
  cacheConnectTimeoutMs: 'CACHE_CONNECT_TIMEOUT_MS',
  cacheCommandTimeoutMs: 'CACHE_COMMAND_TIMEOUT_MS',
  /**
   * Tests only, and only with HANDLER_DEBUG_ACTIONS=true: registers a drain
   * resource whose flush never ends on its own, with this cap.
   */
  debugSlowFlushCapMs: 'HANDLER_DEBUG_SLOW_FLUSH_CAP_MS',
} as const;
export type FunctionEnvName = (typeof FunctionEnv)[keyof typeof FunctionEnv];

export const DbAuth = { iam: 'iam', password: 'password' } as const;
export type DbAuth = (typeof DbAuth)[keyof typeof DbAuth];

export const DbTls = { required: 'required', off: 'off' } as const;
export type DbTls = (typeof DbTls)[keyof typeof DbTls];

/** `iam` on AWS; `password` and `none` for local runs only (a private redis-server has no users). */
export const CacheAuth = { iam: 'iam', password: 'password', none: 'none' } as const;
export type CacheAuth = (typeof CacheAuth)[keyof typeof CacheAuth];

/** `required` on AWS (ElastiCache with encryption in transit); `off` for local runs only. */
export const CacheTls = { required: 'required', off: 'off' } as const;
export type CacheTls = (typeof CacheTls)[keyof typeof CacheTls];

/**
 * `graceful` is the drain this project ships. The others are baselines it is
 * measured against: `naive` (`await pool.end(); process.exit(0)`), and `exit`
 * (leave at once on SIGTERM without touching the pool: the cost of doing
 * nothing, against which the drain's cost is judged).
 */
export const DrainStrategy = { graceful: 'graceful', naive: 'naive', exit: 'exit' } as const;
export type DrainStrategy = (typeof DrainStrategy)[keyof typeof DrainStrategy];

/** MySQL's port: the proxy listens on it, and the security groups open only it. */
export const MYSQL_PORT = 3306;

/** Redis's (and ElastiCache's) port. */
export const REDIS_PORT = 6379;

export interface IntegerRange {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/**
 * One invocation at a time per environment: one connection in use and one
 * spare for the retry after a stale connection. The maximum keeps a
 * misconfigured function from taking a proxy's whole budget on its own.
 */
export const POOL_SIZE: IntegerRange = { default: 2, min: 1, max: 10 };

/** AWS_LAMBDA_MAX_CONCURRENCY as the handler accepts it (a bound, so a typo cannot size a huge queue). */
export const MAX_CONCURRENCY: Omit<IntegerRange, 'default'> = { min: 1, max: 10_000 };
/** AWS_LAMBDA_NODEJS_WORKER_COUNT as the handler accepts it. */
export const WORKER_COUNT: Omit<IntegerRange, 'default'> = { min: 1, max: 1_024 };

/**
 * The connections one worker thread's pool may open on Managed Instances:
 * its share of the environment's concurrency, at most DB_POOL_SIZE. Each
 * invocation needs one connection at a time, so an environment then opens
 * about AWS_LAMBDA_MAX_CONCURRENCY connections in all (as many on-demand
 * environments would), not workers x DB_POOL_SIZE mostly idle ones; an
 * invocation that finds its worker's pool busy waits in the pool's queue.
 * Without AWS_LAMBDA_NODEJS_WORKER_COUNT the share is unknown (the runtime
 * client derives the count from the vCPUs) and DB_POOL_SIZE applies as is.
 */
export function poolSizePerWorker(poolSize: number, maxConcurrency: number, workerCount: number | undefined): number {
  if (workerCount === undefined) return poolSize;
  return Math.max(1, Math.min(poolSize, Math.ceil(maxConcurrency / workerCount)));
}

/**
 * How long a pooled connection may sit idle before the pool closes it itself.
 * Below RDS Proxy's IdleClientTimeout (the synth refuses a proxy whose timeout
 * is not longer) and MySQL's wait_timeout: the function closes its idle
 * connections before the other side gives up on them.
 */
export const POOL_IDLE_TIMEOUT_MS = 600_000;

/**
 * Every wait on the database has a bound the handler sets, so a server or a
 * path that stops answering (a connection blackholed while the environment
 * was frozen, a failover, a NAT that forgot the flow) ends an invocation with
 * a structured error well inside the function's timeout, instead of holding
 * it until Lambda resets the environment.
 * - connect: TCP, TLS and authentication of a new connection. 2 s: in a VPC a
 *   connection to RDS Proxy opens in milliseconds; seconds mean it will not.
 * - ping: the check of a pooled connection that sat idle (a freeze may have
 *   outlived it). 500 ms: a live server answers a ping in a round trip; a
 *   dead one is discarded and a fresh connection opened, which is cheaper
 *   than waiting. Behind a saturated RDS Proxy a ping can wait for a
 *   database connection to borrow: raise it there rather than discard
 *   healthy connections.
 * - query: one statement's answer. 5 s, below the synthesized 10 s function
 *   timeout. A statement that times out is never retried (it may have run).
 * With the defaults the worst case of one invocation (every pooled
 * connection pinged and dead, a new connection, one statement) is
 * 2 x 0.5 + 2 + 5 = 8 s, inside the 10 s function timeout the
 * infrastructure synthesizes by default; a function with a shorter timeout
 * lowers DB_QUERY_TIMEOUT_MS with it.
 */
export const DB_WAIT_BOUNDS_MS: Readonly<Record<'connect' | 'ping' | 'query', IntegerRange>> = {
  connect: { default: 2_000, min: 100, max: 60_000 },
  ping: { default: 500, min: 50, max: 60_000 },
  // Lambda's longest function timeout.
  query: { default: 5_000, min: 100, max: 900_000 },
};

/**
 * Every wait on the cache has a bound too, tighter than the database's: the
 * cache is an optimisation, and the database serves whatever the cache
 * cannot (after a failure the cache is left alone for 2 s).
 * - connect: TCP, TLS and AUTH (an IAM token) of the one connection. 500 ms:
 *   inside a VPC that takes milliseconds.
 * - command: one command's answer. 250 ms; a GET inside a VPC takes well
 *   under a millisecond.
 * A cache that fails costs a request one connect and one command, twice when
 * a connection lost under a command is reconnected: 1.5 s with the
 * defaults, so an invoke whose database and cache both fail still ends
 * (8 s + 1.5 s) inside the 10 s function timeout the infrastructure
 * synthesizes.
 */
export const CACHE_WAIT_BOUNDS_MS: Readonly<Record<'connect' | 'command', IntegerRange>> = {
  connect: { default: 500, min: 50, max: 60_000 },
  command: { default: 250, min: 10, max: 60_000 },
};

/**
 * The longest one invocation can wait on its stores with the default bounds
 * (DB_WAIT_BOUNDS_MS, CACHE_WAIT_BOUNDS_MS): every pooled connection pinged
 * and found dead, a new connection, one statement; with a cache, two of its
 * connects and two commands besides. A function timeout at or below it lets
 * Lambda end the invocation (and reset the environment, SIGKILLing the
 * runtime with its connections) before the handler's own bound answers.
 */
export function longestStoreWaitMs(poolSize: number, withCache: boolean): number {
  const database = poolSize * DB_WAIT_BOUNDS_MS.ping.default + DB_WAIT_BOUNDS_MS.connect.default + DB_WAIT_BOUNDS_MS.query.default;
  const cache = withCache ? 2 * (CACHE_WAIT_BOUNDS_MS.connect.default + CACHE_WAIT_BOUNDS_MS.command.default) : 0;
  return database + cache;
}

/**
 * Time left after the drain for the last log line, the exit and the reaping,
 * inside the runtime's share of the shutdown.
 */
export const EXIT_MARGIN_MS = 50;

/** The drain's budget after SIGTERM. The default leaves 100 ms of the 300 ms share. */
export const SHUTDOWN_BUDGET_MS = {
  default: 200,
  /** Below this the drain cannot even hand COM_QUIT to a socket. */
  min: 10,
} as const;

/** The runtime's share of the shutdown in each mode, as Lambda gives it. */
export const RUNTIME_SHARE_MS: Readonly<Record<ShutdownMode, number>> = {
  [ShutdownMode.layer]: ShutdownBudget.runtimeWithExternal,
  [ShutdownMode.inProcess]: ShutdownBudget.runtimeInternalOnly,
};

/** The largest SHUTDOWN_BUDGET_MS per mode: the runtime's share less the exit margin. */
export function maxShutdownBudgetMs(mode: ShutdownMode): number {
  return RUNTIME_SHARE_MS[mode] - EXIT_MARGIN_MS;
}
