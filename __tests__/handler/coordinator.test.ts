// The main-thread coordinator of Managed Instances against real worker
// threads: each worker runs the handler's real drain listener (over a pool
// whose answer the test chooses), and they talk over a real BroadcastChannel.
// How the process ends is injected here; the runtime tests prove the real exit.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DrainStrategy } from '../../src/handler/config';
import { createCoordinator, type Coordinator } from '../../src/handler/coordinator/coordinator';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';
import { WORKER_REPORT_GRACE_MS } from '../../src/protocol/worker-drain';
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
  coordinator: Coordinator;
  logs: ReturnType<typeof recordLogs>;
  terminated: () => number;
  /** The budget each worker's drain was given, as the workers report it. */
  drainBudgets: number[];
  /** Workers that ended their pool the baseline way (DRAIN_STRATEGY=naive). */
  endedNaively: () => number;
}

/** A coordinator on a channel of its own, and one worker per entry of `answers`; resolves once every worker has announced itself. */
async function start(answers: { closedCleanly?: number; hang?: boolean; strategy?: DrainStrategy }[]): Promise<Setup> {
  const channelName = `coordinator-test-${process.pid}-${++channelCount}`;
  const logs = recordLogs();
  let terminations = 0;
  coordinator = createCoordinator({ budgetMs: BUDGET_MS, logger: logs.logger, terminate: () => { terminations++; }, channelName });
  const drainBudgets: number[] = [];
  let endedNaively = 0;
  for (const answer of answers) {
    const workerData: DrainWorkerData = {
      channelName, closedCleanly: answer.closedCleanly ?? 0, hang: answer.hang ?? false, strategy: answer.strategy ?? DrainStrategy.graceful,
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
  return { coordinator: current, logs, terminated: () => terminations, drainBudgets, endedNaively: () => endedNaively };
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
