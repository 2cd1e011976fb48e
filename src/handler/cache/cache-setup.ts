// The cache as index.ts wires it: one connection per environment (per worker
// thread on Managed Instances), the read-through cache over it, and its two
// drain resources. Nothing here connects or loads the client library: the
// first request that needs the cache does.
import { IamTokenProvider, REFRESH_AFTER_MS, iamTokenSigner } from '../auth';
import type { DrainRegistry } from '../drain-registry';
import type { Logger } from '../logger';
import type { Item } from '../repository';
import { elastiCacheTokenRequest } from '../sigv4';
import { CacheAuth, CacheTls } from '../../protocol/function-env';
import type { CacheConfig } from './cache-config';
import { cacheDrainResources } from './cache-resource';
import { ReadThroughCache } from './read-through-cache';
import { RedisConnection, type RedisConnectionOptions } from './redis-client';

export interface CacheSetup {
  cache: ReadThroughCache<Item>;
  connection: RedisConnection;
}

/**
 * The password for each new connection. With IAM, a SigV4-presigned
 * `connect` request for the cache's name and user, from the same signer as
 * the database's token; one token serves new connections for 10 of its 15
 * minutes (ElastiCache checks it only at AUTH).
 */
function passwordSource(config: CacheConfig): RedisConnectionOptions['password'] {
  if (config.auth === CacheAuth.password) {
    const password = config.password;
    return () => password;
  }
  if (config.auth === CacheAuth.none || !config.iam || !config.user) return undefined;
  const { cacheName, serverless, region } = config.iam;
  const request = elastiCacheTokenRequest({ cacheName, user: config.user, region, serverless });
  const provider = new IamTokenProvider(iamTokenSigner(request), Date.now, REFRESH_AFTER_MS, { cache: cacheName, user: config.user, region });
  return () => provider.token();
}

/** The connection's options; TLS verifies the chain against Node's CAs (ElastiCache's certificates chain to Amazon's public roots) and the host name. */
export function connectionOptions(config: CacheConfig): RedisConnectionOptions {
  const password = passwordSource(config);
  return {
    host: config.host,
    port: config.port,
    ...(config.tls === CacheTls.required ? { tls: { servername: config.host, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const } } : {}),
    ...(config.user ? { username: config.user } : {}),
    ...(password ? { password } : {}),
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
  };
}

/** Creates the cache and registers its drain resources on `registry`. */
export function setUpCache(config: CacheConfig, logger: Logger, registry: DrainRegistry): CacheSetup {
  const connection = new RedisConnection(connectionOptions(config));
  const cache = new ReadThroughCache<Item>({ connection, logger });
  for (const resource of cacheDrainResources(cache, connection)) registry.register(resource);
  return { cache, connection };
}
