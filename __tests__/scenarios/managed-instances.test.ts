// Managed Instances: aws-lambda-ric runs the handler in worker threads, where
// Node delivers no signal. The function's environment, as the infrastructure
// synthesizes it (AWS_LAMBDA_EXEC_WRAPPER at the layer's wrapper under /opt,
// which the emulator maps onto dist/layer), makes the runtime preload the
// main-thread coordinator; on SIGTERM every worker drains its own pool. The
// baseline is the same handler without the wrapper: SIGTERM's default action
// ends the process and the server counts every worker's connections aborted.
import type { Environment, EnvironmentReport } from '../../src/emulator';
import { EXEC_WRAPPER_LAMBDA_PATH } from '../../src/protocol/artifacts';
import { FunctionEnv } from '../../src/protocol/function-env';
import { ComputeMode } from '../../src/protocol/lambda-runtime';
import {
  ServerWatch, endOrphanedStatement, expectRuntimeExitedWithinBudget, finalRuntime, sessionsRunning, shutdownFacts, useEnvironments, useServer,
} from './support';

const WORKERS = 3;
/**
 * Two invocations' worth per worker, so each worker's pool may open two
 * connections: six open at once can then only mean two in every worker.
 */
const MAX_CONCURRENCY = 2 * WORKERS;
const CONNECTIONS_PER_WORKER = 2;
/**
 * Deadline-bound like DEADLINE_BOUND_ENV, but the coordinator keeps 30 ms of
 * the budget for the workers' reports, and 50 ms would leave the workers 20 ms
 * to hear the drain request and see their idle siblings closed, which a busy
 * machine does not always manage. 150 ms leaves them 120 ms, and still ends
 * the drain at half the runtime's share.
 */
const WORKERS_DEADLINE_BOUND_ENV = { [FunctionEnv.shutdownBudgetMs]: '150' };

const server = useServer();
const startEnvironment = useEnvironments(server);

function startManaged(withCoordinator: boolean, env: Record<string, string> = {}): Promise<Environment> {
  return startEnvironment({
    computeMode: ComputeMode.managedInstances,
    workerCount: WORKERS,
    maxConcurrency: MAX_CONCURRENCY,
    env: { ...(withCoordinator ? { [FunctionEnv.execWrapper]: EXEC_WRAPPER_LAMBDA_PATH } : {}), ...env },
  });
}

/**
 * One invocation per worker at once, each opening two connections. With every
 * worker waiting in `next`, simultaneous invokes go one to each: the
 * emulator's record of which runtime connection took each one shows it, and
 * so does the server's count (no worker's pool may open more than two).
 */
async function fillEveryWorkersPool(env: Environment, watch: ServerWatch): Promise<void> {
  const results = await Promise.all(Array.from({ length: WORKERS }, () =>
    env.invoke({ action: 'debug-sleep', seconds: 0.3, parallel: CONNECTIONS_PER_WORKER })));
  expect(results.map((result) => result.outcome)).toEqual(Array(WORKERS).fill('success'));
  const workersServing = new Set(env.report().invocations.map((invocation) => invocation.connection));
  expect(workersServing.size).toBe(WORKERS);
  expect(await watch.openConnections()).toBe(WORKERS * CONNECTIONS_PER_WORKER);
}

/** The runtime's JSON lines that speak of SIGTERM (the coordinator's, or a worker's). */
function sigtermLines(report: EnvironmentReport): Record<string, unknown>[] {
  return finalRuntime(report).output.split('\n')
    .filter((line) => line.startsWith('{') && line.includes('on SIGTERM'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('shutdown on Managed Instances', () => {
  it('with the layer\'s exec wrapper, every worker drains its pool: 0 aborted, not SIGKILLed, one line for the process', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startManaged(true);
    await fillEveryWorkersPool(env, watch);

    const report = await env.shutdown();

    // On the Node that nodejs24.x runs, whatever Node runs the tests.
    expect({ computeMode: report.computeMode, workerCount: report.workerCount, nodeMajor: report.nodeVersion.split('.')[0] })
      .toEqual({ computeMode: ComputeMode.managedInstances, workerCount: WORKERS, nodeMajor: 'v24' });
    expectRuntimeExitedWithinBudget(report);
    expect(sigtermLines(report)).toEqual([expect.objectContaining({
      level: 'INFO', source: 'graceful-shutdown-coordinator',
      workers: WORKERS, reported: WORKERS, closedCleanly: WORKERS * CONNECTIONS_PER_WORKER, destroyed: 0, notReported: [],
    })]);
    await watch.expectClean();
  });

  it('destroys a worker\'s connection whose statement is still running at the deadline, and still ends before the SIGKILL', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startManaged(true, WORKERS_DEADLINE_BOUND_ENV);
    await fillEveryWorkersPool(env, watch);
    // Answered by the shutdown, not by the statement: the environment goes away under it.
    const inFlight = env.invoke({ action: 'debug-sleep', seconds: 20 }).catch((error: unknown) => error);
    const orphans = await sessionsRunning(server(), 'SELECT SLEEP(20)');
    expect(orphans).toHaveLength(1);

    const report = await env.shutdown();
    await inFlight;
    // Its statement still runs on the server: ended now, not in 20 s, so the
    // server counts it in this test and not in the next one's.
    await endOrphanedStatement(server(), orphans[0]);
    const delta = await watch.settled({ aborted: 1 });

    expectRuntimeExitedWithinBudget(report);
    const [line] = sigtermLines(report);
    // With a budget this short, an idle sibling whose server has not yet
    // closed it by the workers' deadline is destroyed too (its COM_QUIT
    // already sent): how many depends on the machine's speed, so the line is
    // read for what cannot: every connection accounted for, the busy one
    // among the destroyed.
    expect({
      lines: sigtermLines(report).length, workers: line?.workers, reported: line?.reported, notReported: line?.notReported,
      closedWithError: line?.closedWithError, accounted: Number(line?.closedCleanly) + Number(line?.destroyed),
      busyOneDestroyed: Number(line?.destroyed) >= 1,
    }).toEqual({
      lines: 1, workers: WORKERS, reported: WORKERS, notReported: [], closedWithError: 0, accounted: WORKERS * CONNECTIONS_PER_WORKER, busyOneDestroyed: true,
    });
    // The server's side has no such variance: every sibling's COM_QUIT reached
    // it, so the busy connection is the only one it counts aborted.
    expect({ ...delta, abortedConnectionLines: delta.abortedConnectionLines.length })
      .toEqual({ abortedClients: 1, threadsConnected: 0, abortedConnectionLines: 1, sessionsStillOpen: [] });
  });

  it('BASELINE: the same handler without the wrapper dies by SIGTERM\'s default action and every worker\'s connections are aborted', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startManaged(false);
    await fillEveryWorkersPool(env, watch);

    const report = await env.shutdown();

    // Not SIGKILLed either: the default action of SIGTERM is what ended it, with no drain at all.
    expect(shutdownFacts(report)).toMatchObject({ sigtermSent: true, killedByEmulator: false });
    expect(sigtermLines(report)).toEqual([]);
    const delta = await watch.settled({ aborted: WORKERS * CONNECTIONS_PER_WORKER });
    expect({ ...delta, abortedConnectionLines: delta.abortedConnectionLines.length }).toEqual({
      abortedClients: WORKERS * CONNECTIONS_PER_WORKER, threadsConnected: 0, abortedConnectionLines: WORKERS * CONNECTIONS_PER_WORKER, sessionsStillOpen: [],
    });
  });
});
