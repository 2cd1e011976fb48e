// The handler's configuration, read from the environment once at init and
// validated there, so a misconfigured function fails its Init (visible at
// deploy time) instead of its first request. Errors name the variable and
// never echo a value that could be a secret.
import { MAX_SHUTDOWN_BUDGET_MS, SHUTDOWN_MODE_ENV, ShutdownMode } from '../protocol/shutdown-mode';
import { ConfigError } from './errors';

export const AuthMode = { iam: 'iam', password: 'password' } as const;
export type AuthMode = (typeof AuthMode)[keyof typeof AuthMode];

export const TlsMode = { required: 'required', off: 'off' } as const;
export type TlsMode = (typeof TlsMode)[keyof typeof TlsMode];

/**
 * `graceful` is the drain of DESIGN section 5. `naive` (`await pool.end();
 * process.exit(0)`) exists only as the BASELINE the scenario suite compares
 * against; never deploy it.
 */
export const DrainStrategy = { graceful: 'graceful', naive: 'naive' } as const;
export type DrainStrategy = (typeof DrainStrategy)[keyof typeof DrainStrategy];

export const HandlerEnv = {
  host: 'DB_HOST',
  port: 'DB_PORT',
  user: 'DB_USER',
  database: 'DB_NAME',
  auth: 'DB_AUTH',
  password: 'DB_PASSWORD',
  tls: 'DB_TLS',
  poolSize: 'DB_POOL_SIZE',
  shutdownBudgetMs: 'SHUTDOWN_BUDGET_MS',
  drainStrategy: 'DRAIN_STRATEGY',
  region: 'AWS_REGION',
  debugActions: 'HANDLER_DEBUG_ACTIONS',
} as const;

export { ShutdownMode };

/**
 * The runtime's share after SIGTERM is 300 ms (500 ms in-process). 200 ms for
 * the drain leaves room to log and exit before Lambda's SIGKILL.
 */
export const DEFAULT_SHUTDOWN_BUDGET_MS = 200;
/** One invocation at a time per environment: one connection in use, one spare for the retry path. */
export const DEFAULT_POOL_SIZE = 2;
const MAX_POOL_SIZE = 10;

export interface HandlerConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly auth: AuthMode;
  /** Only with `auth: password` (local runs). */
  readonly password?: string;
  readonly tls: TlsMode;
  readonly region: string | undefined;
  readonly poolSize: number;
  readonly shutdownBudgetMs: number;
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

export function loadConfig(env: Env = process.env): HandlerConfig {
  const host = required(env, HandlerEnv.host);
  const port = integer(env, HandlerEnv.port, 3306, 1, 65_535);
  const user = required(env, HandlerEnv.user);
  const database = required(env, HandlerEnv.database);
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
    throw new ConfigError(HandlerEnv.database, 'must be 1-64 characters of letters, digits, _ or $');
  }
  const auth = oneOf(env, HandlerEnv.auth, Object.values(AuthMode));
  const tls = oneOf(env, HandlerEnv.tls, Object.values(TlsMode));
  const region = env[HandlerEnv.region]?.trim() || undefined;

  let password: string | undefined;
  if (auth === AuthMode.password) {
    // Not `required()`: a password of spaces is still a password.
    password = env[HandlerEnv.password];
    if (!password) throw new ConfigError(HandlerEnv.password, 'is required when DB_AUTH=password');
  } else {
    if (env[HandlerEnv.password]) throw new ConfigError(HandlerEnv.password, 'must not be set when DB_AUTH=iam (the IAM token is the password)');
    if (tls !== TlsMode.required) throw new ConfigError(HandlerEnv.tls, 'must be "required" when DB_AUTH=iam (the token is sent in clear text inside TLS)');
    if (!region) throw new ConfigError(HandlerEnv.region, 'is required when DB_AUTH=iam (the token is signed for a region)');
  }

  const shutdownMode = oneOf(env, SHUTDOWN_MODE_ENV, Object.values(ShutdownMode), ShutdownMode.layer);
  return {
    host,
    port,
    user,
    database,
    auth,
    ...(password === undefined ? {} : { password }),
    tls,
    region,
    poolSize: integer(env, HandlerEnv.poolSize, DEFAULT_POOL_SIZE, 1, MAX_POOL_SIZE),
    shutdownBudgetMs: integer(env, HandlerEnv.shutdownBudgetMs, DEFAULT_SHUTDOWN_BUDGET_MS, 1, MAX_SHUTDOWN_BUDGET_MS[shutdownMode]),
    drainStrategy: oneOf(env, HandlerEnv.drainStrategy, Object.values(DrainStrategy), DrainStrategy.graceful),
    shutdownMode,
    debugActions: env[HandlerEnv.debugActions] === 'true',
  };
}

/** The configuration as it may be logged: the password replaced by whether it is set. */
export function describeConfig(config: HandlerConfig): Record<string, unknown> {
  const { password, ...rest } = config;
  return { ...rest, passwordSet: password !== undefined };
}
