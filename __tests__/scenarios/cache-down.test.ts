// The cache down, under the real runtime: at invoke time it never fails a
// request MySQL can serve (it degrades, and health says so); after a thaw
// onto a path that lost its connection it reconnects and still serves; at
// SIGTERM its close cannot hold the drain past its cap, so the drain still
// ends inside the budget and MySQL still closes cleanly.
import { cacheEnv, outcomes, redisClientsAt, sigtermLines, useRedis } from './cache-support';
import { expectRuntimeExitedWithinBudget, get, put, served, ServerWatch, sleepOn, useEnvironments, useServer, POOL_SIZE } from './support';

const mysql = useServer();
const redis = useRedis();
const startEnvironment = useEnvironments(mysql);

describe('the cache down at invoke time', () => {
  it('get and put are served by MySQL, health says degraded, and the drain is still clean on MySQL', async () => {
    const watch = await ServerWatch.start(mysql());
    const env = await startEnvironment({ env: cacheEnv(redis()) });
    expect(served(env, await env.invoke(put('down-1', { n: 1 })))).toMatchObject({ payload: { ok: true, version: 1, cache: 'invalidated' } });

    await redis().shutdown();
    try {
      expect(served(env, await env.invoke(get('down-1')))).toMatchObject({ payload: { ok: true, item: { version: 1 }, cache: 'degraded' } });
      expect(served(env, await env.invoke(put('down-1', { n: 2 })))).toMatchObject({ payload: { ok: true, version: 2, cache: 'degraded' } });
      expect(served(env, await env.invoke(get('down-1')))).toMatchObject({ payload: { ok: true, item: { version: 2 }, cache: 'degraded' } });
      expect(served(env, await env.invoke({ action: 'health' }))).toMatchObject({
        payload: { ok: true, database: { reachable: true }, cache: { configured: true, state: 'degraded', reachable: false, pendingInvalidations: 1 } },
      });

      const report = await env.shutdown();

      expectRuntimeExitedWithinBudget(report);
      const [line] = sigtermLines(report);
      // The flush tries the invalidation the outage kept, fails fast (connection refused) and says it is
      // left: that entry may be stale until its TTL, if the server comes back with it.
      expect(outcomes(line)).toEqual(['flush:redis clean', 'close:mysql clean', 'close:redis clean']);
      expect(line?.resources).toContainEqual(expect.objectContaining({ name: 'redis', phase: 'flush', detail: { invalidationsRetried: 0, invalidationsLeft: 1 } }));
      await watch.expectClean();
    } finally {
      await redis().start();
    }
  });
});

describe('a thaw onto a path that lost the cache connection', () => {
  it('the next get reconnects and is still served by Redis, never degraded; the drain is clean on both servers', async () => {
    const watch = await ServerWatch.start(mysql());
    const redisBefore = await redis().connectedClients();
    const env = await startEnvironment({ env: cacheEnv(redis()) });
    for (const event of [put('thaw-1', { n: 1 }), get('thaw-1')]) {
      expect(served(env, await env.invoke(event))).toMatchObject({ payload: { ok: true } });
    }
    // While frozen: a NAT or a failover forgets the connection; the function learns it only when it writes.
    env.network.loseState('cache');

    expect(served(env, await env.invoke(get('thaw-1')))).toMatchObject({ payload: { ok: true, item: { version: 1 }, cache: 'hit' } });
    expect(served(env, await env.invoke({ action: 'health' }))).toMatchObject({ payload: { cache: { state: 'up', connects: 2 } } });
    // The path did lose it: the server's side was closed, and the function's first write on it was reset.
    expect(env.report().network.connections).toMatchObject({ stateLost: 1, resetOnWrite: 1 });

    const report = await env.shutdown();
    expectRuntimeExitedWithinBudget(report);
    expect(outcomes(sigtermLines(report)[0])).toEqual(['flush:redis clean', 'close:mysql clean', 'close:redis clean']);
    await watch.expectClean();
    expect(await redisClientsAt(redis(), redisBefore)).toBe(redisBefore);
  });
});

describe('the cache down at SIGTERM', () => {
  it('blackholed: the QUIT goes nowhere, the cap cuts the connection, the runtime leaves inside its share and MySQL is clean', async () => {
    const watch = await ServerWatch.start(mysql());
    const redisBefore = await redis().connectedClients();
    const env = await startEnvironment({ env: cacheEnv(redis()) });
    for (const event of [put('sigterm-1', { n: 1 }), get('sigterm-1'), sleepOn(POOL_SIZE)]) {
      expect(served(env, await env.invoke(event))).toMatchObject({ payload: { ok: true } });
    }
    env.network.blackhole('cache', { when: 'shutdown' });

    const report = await env.shutdown();

    expectRuntimeExitedWithinBudget(report);
    const [line] = sigtermLines(report);
    expect(outcomes(line)).toEqual(['flush:redis clean', 'close:mysql clean', 'close:redis destroyed by cap']);
    expect(line).toMatchObject({ closedCleanly: POOL_SIZE, destroyed: 0 });
    await watch.expectClean();
    // Nothing reached Redis: it holds the client as it holds any it never heard from again, until released here.
    expect({ held: env.network.held(), clients: await redisClientsAt(redis(), redisBefore + 1) }).toEqual({ held: 1, clients: redisBefore + 1 });
    expect(await env.network.release()).toBe(1);
    expect(await redisClientsAt(redis(), redisBefore)).toBe(redisBefore);
  });

  it('SIGSTOPped: the server takes the QUIT and never answers; the same cut, and MySQL is clean', async () => {
    const watch = await ServerWatch.start(mysql());
    const env = await startEnvironment({ env: cacheEnv(redis()) });
    for (const event of [put('sigterm-2', { n: 1 }), get('sigterm-2')]) {
      expect(served(env, await env.invoke(event))).toMatchObject({ payload: { ok: true } });
    }
    await redis().suspend();
    try {
      const report = await env.shutdown();

      expectRuntimeExitedWithinBudget(report);
      expect(outcomes(sigtermLines(report)[0])).toEqual(['flush:redis clean', 'close:mysql clean', 'close:redis destroyed by cap']);
      await watch.expectClean();
    } finally {
      redis().resume();
    }
  });
});
