// The main thread's half of the drain on Managed Instances. aws-lambda-ric
// runs the handler in worker threads there, and Node delivers SIGTERM to the
// main thread only: without this, SIGTERM meets its default action and every
// worker's pooled connections are aborted. On SIGTERM the coordinator asks
// every worker that announced itself to drain by one shared deadline, waits
// for their reports (or the deadline), writes one line for the process, and
// ends it the way the on-demand drain does, all within the budget.
import {
  WORKER_DRAIN_CHANNEL, WorkerDrainMessageType, parseWorkerDrainMessage, workerDeadlineEpochMs,
  type DrainRequest, type WorkerDrainReport,
} from '../../protocol/worker-drain';
import { isDrainRegistryReport, mergeReports, type MergedResource } from '../../protocol/drain-report';
import type { Logger } from '../logger';

export interface CoordinatorOptions {
  /** The drain's budget after SIGTERM (SHUTDOWN_BUDGET_MS): every worker shares one deadline. */
  budgetMs: number;
  logger: Logger;
  /** How the process ends once the workers have answered (tests inject a recorder). */
  terminate: () => void;
  /** Tests use a channel of their own, so parallel tests never hear each other. */
  channelName?: string;
  clock?: () => number;
}

export interface CoordinatorReport {
  /** Workers that loaded the handler and announced themselves. */
  workers: number;
  reported: number;
  closedCleanly: number;
  closedWithError: number;
  destroyed: number;
  /** Thread ids of workers that did not answer by the deadline (their connections die with the process). */
  notReported: number[];
  durationMs: number;
  budgetMs: number;
  /** Every resource of the workers' registries, added up per resource (name and phase) over the workers that reported it. */
  resources: MergedResource[];
  perWorker: ({ threadId: number } & Omit<WorkerDrainReport, 'registry'>)[];
}

export interface Coordinator {
  /** Thread ids of the workers heard from so far. */
  readonly workers: ReadonlySet<number>;
  /** The SIGTERM listener's work: drain every worker, log, terminate. Runs once; later calls get the first report. */
  drainWorkers(): Promise<CoordinatorReport>;
  close(): void;
}

export function createCoordinator(options: CoordinatorOptions): Coordinator {
  const { budgetMs, logger, terminate } = options;
  const clock = options.clock ?? Date.now;
  // Fetched here, not imported: the preload that bundles this runs in every
  // thread of every runtime and needs worker_threads only on this path.
  const { BroadcastChannel } = process.getBuiltinModule('node:worker_threads');
  const channel = new BroadcastChannel(options.channelName ?? WORKER_DRAIN_CHANNEL);
  // aws-lambda-ric's Worker handles keep the main thread alive; the channel must not.
  channel.unref();
  const workers = new Set<number>();
  const reports = new Map<number, WorkerDrainReport>();
  let request: DrainRequest | undefined;
  let allReported: (() => void) | undefined;
  let running: Promise<CoordinatorReport> | undefined;

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    channel.close();
  };

  const everyWorkerReported = () => [...workers].every((id) => reports.has(id));

  channel.onmessage = (event) => {
    const message = parseWorkerDrainMessage(event.data);
    if (message?.type === WorkerDrainMessageType.ready) {
      workers.add(message.threadId);
      // A worker that finished loading after SIGTERM missed the request: ask again (the others ignore repeats).
      if (request) channel.postMessage(request);
    } else if (message?.type === WorkerDrainMessageType.drained) {
      workers.add(message.threadId);
      reports.set(message.threadId, message.report);
      if (everyWorkerReported()) allReported?.();
    }
  };

  const run = async (): Promise<CoordinatorReport> => {
    const startedAt = clock();
    // Wall-clock instants: the one clock every thread shares.
    const drainRequest: DrainRequest = { type: WorkerDrainMessageType.drain, deadlineEpochMs: workerDeadlineEpochMs(Date.now(), budgetMs) };
    request = drainRequest;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      allReported = resolve;
      timer = setTimeout(resolve, budgetMs);
      channel.postMessage(drainRequest);
      if (workers.size === 0 || everyWorkerReported()) resolve();
    });
    clearTimeout(timer);

    // Each worker's own resource lines are in the merge: the per-worker rows keep the pool's figures only.
    const perWorker = [...reports].map(([threadId, { registry: _registry, ...report }]) => ({ threadId, ...report }));
    const registries = [...reports.values()].map((report) => report.registry).filter(isDrainRegistryReport);
    const sum = (key: 'closedCleanly' | 'closedWithError' | 'destroyed') => perWorker.reduce((total, report) => total + report[key], 0);
    const report: CoordinatorReport = {
      workers: workers.size,
      reported: reports.size,
      closedCleanly: sum('closedCleanly'),
      closedWithError: sum('closedWithError'),
      destroyed: sum('destroyed'),
      notReported: [...workers].filter((id) => !reports.has(id)).sort((a, b) => a - b),
      durationMs: clock() - startedAt,
      budgetMs,
      resources: [...mergeReports(registries).resources],
      perWorker,
    };
    if (report.notReported.length > 0) {
      logger.warn('drained the workers\' resources on SIGTERM; some did not report by the deadline', { ...report });
    } else if (report.resources.some((resource) => resource.outcomes.clean < resource.reports)) {
      logger.warn('drained every worker\'s resources on SIGTERM; some were cut or failed', { ...report });
    } else {
      logger.info('drained every worker\'s resources on SIGTERM', { ...report });
    }
    close();
    terminate();
    return report;
  };

  return {
    workers,
    drainWorkers: () => {
      if (running) {
        logger.warn('SIGTERM received again; the drain already running continues');
        return running;
      }
      running = run();
      return running;
    },
    close,
  };
}
