// Both servers clean after the spindown: a function holding a mysql2 pool and
// a Redis connection drains both in one budget, read on each server's own
// side (MariaDB's counters and process list, Redis's connected_clients),
// through the emulator's default network, where a session the function did
// not close is still held by the server after its environment is gone.
// Baselines: no extension on demand (SIGKILL: both servers keep every
// session), no coordinator on Managed Instances (SIGTERM's default action:
// every connection cut, none closed). Redis counts no aborted clients, so a
// polite close is read from its own command statistics: the QUITs answered.
import type { Environment } from '../../src/emulator';
import { EXEC_WRAPPER_LAMBDA_PATH } from '../../src/protocol/artifacts';
import { FunctionEnv } from '../../src/protocol/function-env';
import { ComputeMode } from '../../src/protocol/lambda-runtime';
import { cacheEnv, outcomes, quitsAnswered, redisClientsAt, sigtermLines, useRedis } from './cache-support';
import { readBaseline, sessionsListed, waitForServerEnd } from './network-support';
import { expectRuntimeExitedWithinBudget, get, put, served, ServerWatch, shutdownFacts, sleepOn, useEnvironments, useServer, POOL_SIZE } from './support';

const mysql = useServer();
const redis = useRedis();
const startEnvironment = useEnvironments(mysql);

/** A put, a read-through miss, a hit, and both pooled connections open: the function holds both servers. */
async function useBoth(env: Environment, id: string): Promise<void> {
  for (const event of [put(id, { n: 1 }), get(id), get(id), sleepOn(POOL_SIZE)]) {
    expect(served(env, await env.invoke(event))).toMatchObject({ outcome: 'success', payload: { ok: true } });
  }
  expect(served(env, await env.invoke(get(id)))).toMatchObject({ payload: { cache: 'hit' } });
}

describe('on demand: SIGTERM drains the pool and the Redis connection', () => {
  it('with the extension, both servers are clean: no MySQL session aborted or held, connected_clients back', async () => {
    const watch = await ServerWatch.start(mysql());
    const redisBefore = await redis().connectedClients();
    const quitsBefore = await quitsAnswered(redis());
    const env = await startEnvironment({ env: cacheEnv(redis()) });
    await useBoth(env, 'spindown-clean');
    expect(await redis().connectedClients()).toBe(redisBefore + 1);

    const report = await env.shutdown();

    expectRuntimeExitedWithinBudget(report);
    const lines = sigtermLines(report);
    expect(lines).toHaveLength(1);
    expect(outcomes(lines[0])).toEqual(['flush:redis clean', 'close:mysql clean', 'close:redis clean']);
    expect(lines[0]).toMatchObject({ level: 'INFO', clean: true, closedCleanly: POOL_SIZE, destroyed: 0 });
    expect(report.network.connections.heldAtDestroy).toBe(0);
    await watch.expectClean();
    expect(await redisClientsAt(redis(), redisBefore)).toBe(redisBefore);
    expect(await quitsAnswered(redis()) - quitsBefore).toBe(1);
  });

  it('BASELINE without the extension (SIGKILL, no SIGTERM): MySQL keeps both sessions and Redis keeps the client after the environment is gone', async () => {
    const baseline = await readBaseline(mysql());
    const redisBefore = await redis().connectedClients();
    const quitsBefore = await quitsAnswered(redis());
    const env = await startEnvironment({ env: cacheEnv(redis()), extensionsDir: null });
    await useBoth(env, 'spindown-held');

    const report = await env.shutdown();

    expect(shutdownFacts(report)).toMatchObject({ sigtermSent: false, killedByEmulator: true });
    expect(sigtermLines(report)).toEqual([]);
    // The network went with the environment: every session is held until the server's own timeout
    // (MySQL's wait_timeout; Redis's `timeout`, 0 by default: forever).
    expect({
      mysqlSessionsHeld: (await sessionsListed(mysql(), baseline, POOL_SIZE)).length,
      redisClientsHeld: (await redisClientsAt(redis(), redisBefore + 1)) - redisBefore,
      heldByTheNetwork: env.network.held(),
    }).toEqual({ mysqlSessionsHeld: POOL_SIZE, redisClientsHeld: 1, heldByTheNetwork: POOL_SIZE + 1 });

    // Fast-forward both servers' timeouts: MySQL counts each held session aborted; Redis drops its client.
    expect(await env.network.release()).toBe(POOL_SIZE + 1);
    expect(await waitForServerEnd(mysql(), baseline, { aborted: POOL_SIZE })).toMatchObject({ reached: true });
    expect(await redisClientsAt(redis(), redisBefore)).toBe(redisBefore);
    expect(await quitsAnswered(redis()) - quitsBefore).toBe(0);
  });
});

describe('on Managed Instances: every worker drains its pool and its Redis connection', () => {
  const WORKERS = 3;
  const CONCURRENT_GETS = 12;

  function startManaged(withCoordinator: boolean): Promise<Environment> {
    return startEnvironment({
      computeMode: ComputeMode.managedInstances, workerCount: WORKERS, maxConcurrency: 2 * WORKERS,
      env: { ...cacheEnv(redis()), ...(withCoordinator ? { [FunctionEnv.execWrapper]: EXEC_WRAPPER_LAMBDA_PATH } : {}) },
    });
  }

  /**
   * Concurrent gets after a put: each worker that serves one opens its own
   * Redis connection (the cache is per worker thread, like the pool), so
   * Redis counts between one and WORKERS new clients; returns how many.
   */
  async function getsOnWorkers(env: Environment, id: string, redisBefore: number): Promise<number> {
    expect(served(env, await env.invoke(put(id, { n: 1 })))).toMatchObject({ payload: { ok: true } });
    const results = await Promise.all(Array.from({ length: CONCURRENT_GETS }, () => env.invoke(get(id))));
    expect(results.map((result) => result.outcome)).toEqual(Array(CONCURRENT_GETS).fill('success'));
    const opened = (await redis().connectedClients()) - redisBefore;
    expect({ atLeastOne: opened >= 1, atMostOnePerWorker: opened <= WORKERS }).toEqual({ atLeastOne: true, atMostOnePerWorker: true });
    return opened;
  }

  it('with the coordinator, both servers are clean and its one line adds every worker\'s resources up', async () => {
    const watch = await ServerWatch.start(mysql());
    const redisBefore = await redis().connectedClients();
    const quitsBefore = await quitsAnswered(redis());
    const env = await startManaged(true);
    const redisOpened = await getsOnWorkers(env, 'mi-clean', redisBefore);

    const report = await env.shutdown();

    expectRuntimeExitedWithinBudget(report);
    const lines = sigtermLines(report);
    expect(lines).toEqual([expect.objectContaining({ level: 'INFO', source: 'graceful-shutdown-coordinator', workers: WORKERS, reported: WORKERS, destroyed: 0, notReported: [] })]);
    // Every worker's registry has the three resources, each clean in every worker.
    const allClean = { clean: WORKERS, destroyed: 0, 'timed-out': 0, failed: 0 };
    expect(lines[0]?.resources).toEqual([
      expect.objectContaining({ name: 'redis', phase: 'flush', reports: WORKERS, outcomes: allClean }),
      expect.objectContaining({ name: 'mysql', phase: 'close', reports: WORKERS, outcomes: allClean }),
      expect.objectContaining({ name: 'redis', phase: 'close', reports: WORKERS, outcomes: allClean, totals: {} }),
    ]);
    expect(report.network.connections.heldAtDestroy).toBe(0);
    await watch.expectClean();
    expect(await redisClientsAt(redis(), redisBefore)).toBe(redisBefore);
    // Every worker's connection left with a QUIT the server answered.
    expect(await quitsAnswered(redis()) - quitsBefore).toBe(redisOpened);
  });

  it('BASELINE without the coordinator: SIGTERM\'s default action ends the process with no drain: MySQL counts every connection aborted, no Redis client sent QUIT', async () => {
    const watch = await ServerWatch.start(mysql());
    const redisBefore = await redis().connectedClients();
    const quitsBefore = await quitsAnswered(redis());
    const env = await startManaged(false);
    const redisOpened = await getsOnWorkers(env, 'mi-baseline', redisBefore);
    const mysqlOpen = await watch.openConnections();

    const report = await env.shutdown();

    expect(shutdownFacts(report)).toMatchObject({ sigtermSent: true, killedByEmulator: false });
    expect(sigtermLines(report)).toEqual([]);
    const delta = await watch.settled({ aborted: mysqlOpen });
    expect({ aborted: delta.abortedClients, open: delta.threadsConnected }).toEqual({ aborted: mysqlOpen, open: 0 });
    // Redis's clients are gone too (the kernel closed the dead process's sockets while its network was
    // still up), but none of them sent QUIT: they were cut, not closed.
    expect({ opened: redisOpened > 0, after: await redisClientsAt(redis(), redisBefore), quits: await quitsAnswered(redis()) - quitsBefore })
      .toEqual({ opened: true, after: redisBefore, quits: 0 });
  });
});
