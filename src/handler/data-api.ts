// One invocation: validate the event, run it, map any failure to a structured
// result. Errors are answered, not thrown: a DB outage gets a result with a
// code, is logged with its cause, and the environment keeps serving.
import type { Context } from 'aws-lambda';
import { Action, parseEvent } from './events';
import { HandlerError, NotFoundError, describeError, type ErrorResult } from './errors';
import type { Logger } from './logger';
import type { DatabasePool, PoolState } from './pool';
import type { Item, ItemRepository } from './repository';

export type DataApiResult =
  | { ok: true; action: 'put'; id: string; version: number }
  | { ok: true; action: 'get'; item: Item }
  | { ok: true; action: 'health'; pool: PoolState; database: { reachable: true; latencyMs: number } }
  | { ok: true; action: 'debug-sleep'; sleptSeconds: number; parallel: number }
  | { ok: true; action: 'debug-slow-transaction'; id: string; committed: true }
  | ErrorResult;

export interface DataApiDeps {
  repository: ItemRepository;
  pool: DatabasePool;
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
  const { repository, pool, logger } = deps;
  const clock = deps.clock ?? Date.now;

  async function run(event: unknown): Promise<DataApiResult> {
    const request = parseEvent(event, { debugActions: deps.debugActions });
    switch (request.action) {
      case Action.put:
        return { ok: true, action: 'put', id: request.id, version: await repository.put(request.id, request.data) };
      case Action.get: {
        const item = await repository.get(request.id);
        if (!item) throw new NotFoundError(request.id);
        return { ok: true, action: 'get', item };
      }
      case Action.health: {
        const started = clock();
        await repository.ping();
        return { ok: true, action: 'health', pool: pool.state(), database: { reachable: true, latencyMs: clock() - started } };
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
        const level = error.code === 'DATABASE_ERROR' ? 'error' : 'warn';
        logger[level]('request failed', { action, durationMs: clock() - started, ...describeError(error) });
        return error.toResult();
      }
      // A bug, not a bad request: let the runtime report it as a function error.
      logger.error('request crashed', { action, ...describeError(error) });
      throw error;
    }
  });
}
