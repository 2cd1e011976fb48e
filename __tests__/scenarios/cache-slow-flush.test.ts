// One client whose flush takes far too long (an exporter with its own 30 s
// timeout, a collector that never answers) must not cost the others their
// close. The handler's guarded debug hook (HANDLER_DEBUG_SLOW_FLUSH_CAP_MS,
// only with HANDLER_DEBUG_ACTIONS=true) registers a flush resource that ends
// only when it is cut. With a cap it is cut there, and the pool and the Redis
// connection still close cleanly inside the budget. The baseline gives it a
// cap past the budget (the client's own timeout): the budget's end cuts it,
// and the closes are cut without ever starting.
import type { Environment } from '../../src/emulator';
import { FunctionEnv } from '../../src/protocol/function-env';
import { cacheEnv, outcomes, quitsAnswered, redisClientsAt, sigtermLines, useRedis } from './cache-support';
import { expectRuntimeExitedWithinBudget, get, put, served, ServerWatch, sleepOn, useEnvironments, useServer, POOL_SIZE } from './support';

const mysql = useServer();
const redis = useRedis();
const startEnvironment = useEnvironments(mysql);

/** Far below the 200 ms budget, which leaves the closes most of it. */
const FLUSH_CAP_MS = 40;

async function useBoth(env: Environment, id: string): Promise<void> {
  for (const event of [put(id, { n: 1 }), get(id), sleepOn(POOL_SIZE)]) {
    expect(served(env, await env.invoke(event))).toMatchObject({ outcome: 'success', payload: { ok: true } });
  }
}

describe('a flush that overruns its cap', () => {
  it('is cut at its cap, and the pool and the Redis connection still close cleanly inside the budget', async () => {
    const watch = await ServerWatch.start(mysql());
    const redisBefore = await redis().connectedClients();
    const quitsBefore = await quitsAnswered(redis());
    const env = await startEnvironment({ env: { ...cacheEnv(redis()), [FunctionEnv.debugSlowFlushCapMs]: String(FLUSH_CAP_MS) } });
    await useBoth(env, 'slow-flush');

    const report = await env.shutdown();

    expectRuntimeExitedWithinBudget(report);
    const [line] = sigtermLines(report);
    expect(outcomes(line)).toEqual([
      'flush:debug-slow-flush destroyed by cap', 'flush:redis clean', 'close:mysql clean', 'close:redis clean',
    ]);
    expect(line).toMatchObject({ level: 'WARN', clean: false, closedCleanly: POOL_SIZE, destroyed: 0 });
    await watch.expectClean();
    expect(await redisClientsAt(redis(), redisBefore)).toBe(redisBefore);
    expect(await quitsAnswered(redis()) - quitsBefore).toBe(1);
  });

  it('BASELINE with a cap past the budget (the client\'s own timeout): the budget cuts it, and the closes are cut without starting', async () => {
    const redisBefore = await redis().connectedClients();
    const quitsBefore = await quitsAnswered(redis());
    const env = await startEnvironment({ env: { ...cacheEnv(redis()), [FunctionEnv.debugSlowFlushCapMs]: '30000' } });
    await useBoth(env, 'slow-flush-baseline');

    const report = await env.shutdown();

    // The process still ends inside its share (the registry never waits past the budget), but nothing closed politely.
    expectRuntimeExitedWithinBudget(report);
    const [line] = sigtermLines(report);
    expect(outcomes(line)).toEqual([
      'flush:debug-slow-flush destroyed by budget', 'flush:redis clean', 'close:mysql destroyed by budget', 'close:redis destroyed by budget',
    ]);
    const resources = (line?.resources ?? []) as { name: string; phase: string; detail?: Record<string, unknown> }[];
    expect(resources.filter((resource) => resource.phase === 'close').map((resource) => resource.detail?.started)).toEqual([false, false]);
    // Redis's connection was ended, never QUIT. (MySQL's idle connections fare better than the report
    // says: the pool's cut calls pool.end() first, which hands COM_QUIT to each idle socket before it
    // is destroyed; a connection with a statement in flight would be aborted.)
    expect(await redisClientsAt(redis(), redisBefore)).toBe(redisBefore);
    expect(await quitsAnswered(redis()) - quitsBefore).toBe(0);
  });
});
