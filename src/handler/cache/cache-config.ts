// The cache's part of the function's environment, validated once at Init like
// the database's: a misconfigured cache fails Init, naming the variable,
// rather than degrading every request in silence. No CACHE_HOST: no cache,
// and nothing of the client library is ever loaded.
import {
  CACHE_WAIT_BOUNDS_MS, CacheAuth, CacheTls, FunctionEnv, REDIS_PORT, type IntegerRange,
} from '../../protocol/function-env';
import { ConfigError } from '../errors';

export interface CacheConfig {
  readonly host: string;
  readonly port: number;
  readonly auth: CacheAuth;
  /** The ElastiCache user (iam); optional with password (Redis ACL user), absent with none. */
  readonly user?: string;
  /** Only with `auth: password` (local runs). */
  readonly password?: string;
  readonly tls: CacheTls;
  /** With `auth: iam`: the cache's name, which the token is signed for, and its kind. */
  readonly iam?: { readonly cacheName: string; readonly serverless: boolean; readonly region: string };
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T {
  const raw = env[name]?.trim();
  if (!raw) throw new ConfigError(name, `is required when ${FunctionEnv.cacheHost} is set (one of ${allowed.join(', ')})`);
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function integer(env: Env, name: string, range: IntegerRange): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return range.default;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) throw new ConfigError(name, `must be an integer between ${range.min} and ${range.max}, got "${raw}"`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, `must be true or false, got "${raw}"`);
  return raw === 'true';
}

/** The cache's configuration, or undefined when the function has none (CACHE_HOST unset). */
export function loadCacheConfig(env: Env = process.env): CacheConfig | undefined {
  const host = env[FunctionEnv.cacheHost]?.trim();
  if (!host) {
    // A cache variable without the host is a half-written configuration, not "no cache".
    const stray = Object.values(FunctionEnv).find((name) => name.startsWith('CACHE_') && name !== FunctionEnv.cacheHost && env[name]?.trim());
    if (stray) throw new ConfigError(stray, `is set but ${FunctionEnv.cacheHost} is not: set both, or neither for no cache`);
    return undefined;
  }
  const port = integer(env, FunctionEnv.cachePort, { default: REDIS_PORT, min: 1, max: 65_535 });
  const auth = oneOf(env, FunctionEnv.cacheAuth, Object.values(CacheAuth));
  const tls = oneOf(env, FunctionEnv.cacheTls, Object.values(CacheTls));
  const user = env[FunctionEnv.cacheUser]?.trim() || undefined;
  const password = env[FunctionEnv.cachePassword];
  const config = {
    host, port, auth, tls,
    connectTimeoutMs: integer(env, FunctionEnv.cacheConnectTimeoutMs, CACHE_WAIT_BOUNDS_MS.connect),
    commandTimeoutMs: integer(env, FunctionEnv.cacheCommandTimeoutMs, CACHE_WAIT_BOUNDS_MS.command),
  };
  if (auth !== CacheAuth.password && password) {
    throw new ConfigError(FunctionEnv.cachePassword, `must not be set when ${FunctionEnv.cacheAuth}=${auth}`);
  }
  switch (auth) {
    case CacheAuth.password:
      // Not trimmed or `?.trim()`-tested: a password of spaces is still a password.
      if (!password) throw new ConfigError(FunctionEnv.cachePassword, `is required when ${FunctionEnv.cacheAuth}=password`);
      return { ...config, password, ...(user ? { user } : {}) };
    case CacheAuth.none:
      if (user) throw new ConfigError(FunctionEnv.cacheUser, `must not be set when ${FunctionEnv.cacheAuth}=none`);
      return config;
    case CacheAuth.iam: {
      // The token travels as the AUTH password, in clear text unless TLS wraps it.
      if (tls !== CacheTls.required) throw new ConfigError(FunctionEnv.cacheTls, `must be "required" when ${FunctionEnv.cacheAuth}=iam (the token is sent as the password)`);
      if (!user) throw new ConfigError(FunctionEnv.cacheUser, `is required when ${FunctionEnv.cacheAuth}=iam (the ElastiCache user the token is for)`);
      const cacheName = env[FunctionEnv.cacheName]?.trim();
      if (!cacheName) throw new ConfigError(FunctionEnv.cacheName, `is required when ${FunctionEnv.cacheAuth}=iam (the token is signed for the cache's name, not its endpoint)`);
      if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(cacheName)) throw new ConfigError(FunctionEnv.cacheName, `must be an ElastiCache name (a letter, then up to 39 letters, digits or -), got "${cacheName}"`);
      const region = env[FunctionEnv.region]?.trim();
      if (!region) throw new ConfigError(FunctionEnv.region, `is required when ${FunctionEnv.cacheAuth}=iam (the token is signed for a region)`);
      const serverless = boolean(env, FunctionEnv.cacheServerless, true);
      return { ...config, user, iam: { cacheName, serverless, region } };
    }
  }
}

/** The configuration as it may be logged: the password replaced by whether it is set. */
export function describeCacheConfig(config: CacheConfig | undefined): Record<string, unknown> {
  if (!config) return { configured: false };
  const { password, ...rest } = config;
  return { configured: true, ...rest, passwordSet: password !== undefined };
}
