// The cache's share of the shutdown, as drain-registry resources. Flush:
// retry the invalidations that failed while the cache was unreachable (each
// one left is an entry that may be stale until its TTL). Close: QUIT and wait
// for the server to close the socket, inside its cap; past the cap, end the
// socket at once. Redis keeps a client that never closed for as long as its
// `timeout` allows, 0 (forever) by default, so a connection left to SIGKILL
// behind a network that never delivers its FIN is held by the server.
import { DrainPhase, type DrainResource } from '../drain-registry';
import type { ReadThroughCache, Versioned } from './read-through-cache';
import type { RedisConnection } from './redis-client';

export interface CacheDrainCaps {
  /** Retrying failed invalidations. */
  flushCapMs: number;
  /** QUIT and the server's close: one round trip inside the VPC. */
  closeCapMs: number;
}

/** Together 80 ms of the 200 ms default budget, beside the database pool's close, which runs alongside. */
export const DEFAULT_CACHE_DRAIN_CAPS: CacheDrainCaps = { flushCapMs: 30, closeCapMs: 50 };

export const CACHE_RESOURCE_NAME = 'redis';

export function cacheDrainResources<T extends Versioned>(
  cache: ReadThroughCache<T>,
  connection: RedisConnection,
  caps: CacheDrainCaps = DEFAULT_CACHE_DRAIN_CAPS,
): DrainResource[] {
  return [
    {
      name: CACHE_RESOURCE_NAME,
      phase: DrainPhase.flush,
      capMs: caps.flushCapMs,
      graceful: async () => {
        const { retried, left } = await cache.flushPendingInvalidations();
        return { detail: { invalidationsRetried: retried, invalidationsLeft: left } };
      },
      destroy: () => { cache.abandonPendingInvalidations(); },
    },
    {
      name: CACHE_RESOURCE_NAME,
      phase: DrainPhase.close,
      capMs: caps.closeCapMs,
      graceful: async () => ({ detail: { connected: (await connection.quit()).connected } }),
      destroy: () => connection.destroy(),
    },
  ];
}
