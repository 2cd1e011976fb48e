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
} as const;
export type FunctionEnvName = (typeof FunctionEnv)[keyof typeof FunctionEnv];

export const DbAuth = { iam: 'iam', password: 'password' } as const;
export type DbAuth = (typeof DbAuth)[keyof typeof DbAuth];

export const DbTls = { required: 'required', off: 'off' } as const;
export type DbTls = (typeof DbTls)[keyof typeof DbTls];

/**
 * `graceful` is the drain this project ships. `naive` (`await pool.end();
 * process.exit(0)`) is the baseline it is measured against.
 */
export const DrainStrategy = { graceful: 'graceful', naive: 'naive' } as const;
export type DrainStrategy = (typeof DrainStrategy)[keyof typeof DrainStrategy];

/** MySQL's port: the proxy listens on it, and the security groups open only it. */
export const MYSQL_PORT = 3306;

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
