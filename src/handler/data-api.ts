// One invocation: validate the event, run it, map any failure to a structured
// result. Errors are answered, not thrown: a DB outage gets a result with a
// code, is logged with its cause, and the environment keeps serving. With a
// cache, `get` reads through it and `put` invalidates the entry once the row
// is written; the cache never fails a request the database can serve.
import type { Context } from 'aws-lambda';
import type { CacheHealth, CacheOutcome, ReadThroughCache } from './cache/read-through-cache';
import { Action, parseEvent } from './events';
import { HandlerError, NotFoundError, describeError, type ErrorResult } from './errors';
import type { Logger } from './logger';
import type { DatabasePool, PoolState } from './pool';
import type { Item, ItemRepository } from './repository';

/** What `afterWrite` did to the entry: only present when a cache is configured. */
export type PutCacheOutcome = 'updated' | 'invalidated' | 'degraded';

export type DataApiResult =
  | { ok: true; action: 'put'; id: string; version: number; cache?: PutCacheOutcome }
  | { ok: true; action: 'get'; item: Item; cache?: CacheOutcome }
  | { ok: true; action: 'health'; pool: PoolState; database: { reachable: true; latencyMs: number }; cache: CacheHealth | { configured: false } }
  | { ok: true; action: 'debug-sleep'; sleptSeconds: number; parallel: number }
  | { ok: true; action: 'debug-slow-transaction'; id: string; committed: true }
  | ErrorResult;

export interface DataApiDeps {
  repository: ItemRepository;
  pool: DatabasePool;
  /** The Redis cache, when one is configured. */
  cache?: ReadThroughCache<Item>;
  logger: Logger;
  debugActions: boolean;
  clock?: () => number;
}

export type DataApiHandler = (event: unknown, context?: Pick<Context, 'awsRequestId'>) => Promise<DataApiResult>;

/** The event's action for log lines: only a short string, never whatever a caller put there. */
function loggableAction(event: unknown): string | undefined {
  const action = typeof event === 'object' && event !== null ? (event as { action?: unknown }).action : undefined;
  return typeof action === 'string' && action.length <= 32 ? action : undefined;
}

export function createDataApi(deps: DataApiDeps): DataApiHandler {
  const { repository, pool, cache, logger } = deps;
  const clock = deps.clock ?? Date.now;

  async function run(event: unknown): Promise<DataApiResult> {
    const request = parseEvent(event, { debugActions: deps.debugActions });
    switch (request.action) {
      case Action.put: {
        const version = await repository.put(request.id, request.data);
        if (!cache) return { ok: true, action: 'put', id: request.id, version };
        // The row is written: only now may the entry go (a tombstone of this version, which no older fill overwrites).
        return { ok: true, action: 'put', id: request.id, version, cache: await cache.afterWrite(request.id, version) };
      }
      case Action.get: {
        const read = cache ? await cache.get(request.id, () => repository.get(request.id)) : { item: await repository.get(request.id) };
        if (!read.item) throw new NotFoundError(request.id);
        return { ok: true, action: 'get', item: read.item, ...('cache' in read ? { cache: read.cache } : {}) };
      }
      case Action.health: {
        const started = clock();
        await repository.ping();
        const database = { reachable: true as const, latencyMs: clock() - started };
        return { ok: true, action: 'health', pool: pool.state(), database, cache: cache ? await cache.check() : { configured: false } };
      }
      case Action.debugSleep:
        await Promise.all(Array.from({ length: request.parallel }, () => repository.sleep(request.seconds)));
        return { ok: true, action: 'debug-sleep', sleptSeconds: request.seconds, parallel: request.parallel };
      case Action.debugSlowTransaction:
        await repository.putSlowly(request.id, request.data, request.seconds);
        return { ok: true, action: 'debug-slow-transaction', id: request.id, committed: true };
    }
  }

  return (event, context) => logger.withRequestId(context?.awsRequestId, async () => {
    const started = clock();
    const action = loggableAction(event);
    try {
      const result = await run(event);
      logger.info('request served', { action, durationMs: clock() - started });
      return result;
    } catch (error) {
      if (error instanceof HandlerError) {
        const level = error.code === 'DATABASE_ERROR' || error.code === 'DATABASE_TIMEOUT' ? 'error' : 'warn';
        logger[level]('request failed', { action, durationMs: clock() - started, ...describeError(error) });
        return error.toResult();
      }
      // A bug, not a bad request: let the runtime report it as a function error.
      logger.error('request crashed', { action, ...describeError(error) });
      throw error;
    }
  });
}
