// The main-thread coordinator of Managed Instances against real worker
// threads: each worker runs the handler's real drain listener (over a pool
// whose answer the test chooses), and they talk over a real BroadcastChannel.
// How the process ends is injected here; the runtime tests prove the real exit.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { DrainStrategy } from '../../src/handler/config';
import { createCoordinator, type Coordinator } from '../../src/handler/coordinator/coordinator';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';
import { WORKER_REPORT_GRACE_MS, WorkerDrainMessageType, parseWorkerDrainMessage, type WorkerDrained } from '../../src/protocol/worker-drain';
import type { DrainWorkerData } from './fixtures/drain-worker';
import { recordLogs, settle } from './support';

const BUDGET_MS = 200;

let bundleDir: string;
let workerFile: string;
beforeAll(async () => {
  // Worker threads load JavaScript, not the TypeScript jest transforms: bundle the fixture once.
  bundleDir = mkdtempSync(path.join(tmpdir(), 'drain-worker-'));
  workerFile = path.join(bundleDir, 'drain-worker.cjs');
  await build({
    entryPoints: [path.join(PROJECT_ROOT, '__tests__/handler/fixtures/drain-worker.ts')],
    outfile: workerFile, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning',
  });
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

let channelCount = 0;
let workers: Worker[] = [];
let coordinator: Coordinator | undefined;
afterEach(async () => {
  coordinator?.close();
  coordinator = undefined;
  await Promise.all(workers.map((worker) => worker.terminate()));
  workers = [];
});

interface Setup {
  channelName: string;
  coordinator: Coordinator;
  logs: ReturnType<typeof recordLogs>;
  terminated: () => number;
  /** The budget each worker's drain was given, as the workers report it. */
  drainBudgets: number[];
  /** Workers that ended their pool the baseline way (DRAIN_STRATEGY=naive). */
  endedNaively: () => number;
}

/** A coordinator on a channel of its own, and one worker per entry of `answers`; resolves once every worker has announced itself. */
async function start(answers: { closedCleanly?: number; hang?: boolean; poolHangs?: boolean; strategy?: DrainStrategy; redis?: 'clean' | 'overrun' }[]): Promise<Setup> {
  const channelName = `coordinator-test-${process.pid}-${++channelCount}`;
  const logs = recordLogs();
  let terminations = 0;
  coordinator = createCoordinator({ budgetMs: BUDGET_MS, logger: logs.logger, terminate: () => { terminations++; }, channelName });
  const drainBudgets: number[] = [];
  let endedNaively = 0;
  for (const answer of answers) {
    const workerData: DrainWorkerData = {
      channelName, closedCleanly: answer.closedCleanly ?? 0, hang: answer.hang ?? false, strategy: answer.strategy ?? DrainStrategy.graceful,
      ...(answer.redis ? { redis: answer.redis } : {}), ...(answer.poolHangs ? { poolHangs: true } : {}),
    };
    const worker = new Worker(workerFile, { workerData });
    worker.on('message', (message: { drainBudgetMs?: number; endedNaively?: true }) => {
      if (message.drainBudgetMs !== undefined) drainBudgets.push(message.drainBudgetMs);
      if (message.endedNaively) endedNaively++;
    });
    workers.push(worker);
  }
  const current = coordinator;
  const heard = await settle(async () => current.workers.size, (size) => size === answers.length, 10_000);
  expect(heard).toBe(answers.length);
  return { channelName, coordinator: current, logs, terminated: () => terminations, drainBudgets, endedNaively: () => endedNaively };
}

const linesOnSigterm = (logs: Setup['logs']) => logs.lines.filter((line) => String(line.message).includes('on SIGTERM'));

describe('the Managed Instances coordinator', () => {
  it('asks every worker to drain, sums their reports in one log line, then ends the process', async () => {
    const { coordinator, logs, terminated } = await start([{ closedCleanly: 2 }, { closedCleanly: 2 }, { closedCleanly: 1 }]);
    const report = await coordinator.drainWorkers();

    expect(report).toMatchObject({ workers: 3, reported: 3, closedCleanly: 5, destroyed: 0, notReported: [], budgetMs: BUDGET_MS });
    expect(report.perWorker.map((worker) => worker.threadId).sort()).toEqual(workers.map((worker) => worker.threadId).sort());
    expect(linesOnSigterm(logs)).toEqual([expect.objectContaining({ level: 'INFO', workers: 3, closedCleanly: 5, notReported: [] })]);
    expect(terminated()).toBe(1);
  });

  it('adds the workers\' drain registries up per resource in its one line: a resource cut in one worker makes it WARN', async () => {
    const { coordinator, logs } = await start([
      { closedCleanly: 2, redis: 'clean' }, { closedCleanly: 2, redis: 'overrun' }, { closedCleanly: 1, redis: 'clean' },
    ]);
    const report = await coordinator.drainWorkers();

    expect(report.resources).toEqual([
      expect.objectContaining({ name: 'mysql', phase: 'close', reports: 3, outcomes: { clean: 3, destroyed: 0, 'timed-out': 0, failed: 0 }, totals: { closedCleanly: 5, closedWithError: 0, destroyed: 0 } }),
      expect.objectContaining({ name: 'redis', phase: 'close', reports: 3, outcomes: { clean: 2, destroyed: 1, 'timed-out': 0, failed: 0 } }),
    ]);
    // The pool's figures stay where they were, per worker and summed; the registries' own lines are only in the merge.
    expect(report).toMatchObject({ reported: 3, closedCleanly: 5, destroyed: 0 });
    expect(report.perWorker.every((worker) => !('registry' in worker))).toBe(true);
    expect(linesOnSigterm(logs)).toEqual([expect.objectContaining({ level: 'WARN', resources: report.resources })]);
  });

  it('gives every worker a deadline that leaves the end of the budget for their reports', async () => {
    const { coordinator, drainBudgets } = await start([{}, {}, {}]);
    await coordinator.drainWorkers();
    const budgets = await settle(async () => drainBudgets, (found) => found.length === 3);
    expect(budgets).toHaveLength(3);
    for (const budget of budgets) {
      expect(budget).toBeGreaterThan(0);
      expect(budget).toBeLessThanOrEqual(BUDGET_MS - WORKER_REPORT_GRACE_MS);
    }
  });

  it('names a worker that does not answer by the deadline, and still ends the process', async () => {
    const { coordinator, logs, terminated } = await start([{ closedCleanly: 2 }, { hang: true }]);
    const hung = workers[1]?.threadId;
    const report = await coordinator.drainWorkers();

    expect(report).toMatchObject({ workers: 2, reported: 1, closedCleanly: 2, notReported: [hung] });
    expect(linesOnSigterm(logs)).toEqual([expect.objectContaining({ level: 'WARN', notReported: [hung] })]);
    expect(terminated()).toBe(1);
  });

  it('hears from a worker whose pool drain never settles: its registry cuts the pool at the deadline and it reports timed-out', async () => {
    const { channelName } = await start([{ poolHangs: true }]);
    // Read on the channel itself, with no deadline of its own: what the worker says, however late a loaded machine makes it.
    const listener = new BroadcastChannel(channelName);
    const answers: WorkerDrained[] = [];
    listener.onmessage = (event) => {
      const message = parseWorkerDrainMessage(event.data);
      if (message?.type === WorkerDrainMessageType.drained) answers.push(message);
    };
    try {
      listener.postMessage({ type: WorkerDrainMessageType.drain, deadlineEpochMs: Date.now() + 50 });
      const heard = await settle(async () => answers.length, (n) => n > 0, 10_000);
      expect(heard).toBe(1);
      expect(answers[0]?.report.registry?.resources).toEqual([
        expect.objectContaining({ name: 'mysql', outcome: 'timed-out', detail: { cutFailed: expect.stringContaining('did not settle') as unknown } }),
      ]);
    } finally {
      listener.close();
    }
  });

  it('drains once when SIGTERM arrives again during the drain', async () => {
    const { coordinator, logs, terminated } = await start([{ hang: true }]);
    const first = coordinator.drainWorkers();
    const second = coordinator.drainWorkers();
    expect(await second).toBe(await first);
    expect(terminated()).toBe(1);
    expect(linesOnSigterm(logs)).toHaveLength(1);
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'WARN', message: expect.stringContaining('SIGTERM received again') }));
  });

  it('with DRAIN_STRATEGY=naive, has each worker end its pool the baseline way (pool.end() trusted) and still report', async () => {
    const { coordinator, endedNaively, drainBudgets } = await start([{ strategy: DrainStrategy.naive }, { strategy: DrainStrategy.naive }]);
    const report = await coordinator.drainWorkers();
    expect(report).toMatchObject({ workers: 2, reported: 2, notReported: [] });
    expect(await settle(async () => endedNaively(), (n) => n === 2)).toBe(2);
    expect(drainBudgets).toEqual([]);
  });

  it('reports no workers and ends the process when no worker ever loaded the handler', async () => {
    const { coordinator, logs, terminated } = await start([]);
    const report = await coordinator.drainWorkers();
    expect(report).toMatchObject({ workers: 0, reported: 0, notReported: [] });
    expect(linesOnSigterm(logs)).toHaveLength(1);
    expect(terminated()).toBe(1);
  });
});
