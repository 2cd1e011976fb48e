// What the main-thread coordinator and the handler's worker threads say to
// each other on Managed Instances. Node delivers signals to the main thread
// only, and aws-lambda-ric loads the handler only in worker threads: so the
// coordinator hears SIGTERM and asks, each worker drains its own pool and
// answers. A BroadcastChannel carries it: it needs no handle on the Worker
// objects aws-lambda-ric creates, and a worker that loads the handler
// announces itself on it. No paths or `__dirname` here: the handler's ESM
// bundle imports this module.
import type { DrainRegistryReport } from './drain-report';

/** The channel's name: any thread of the process that opens it hears every other. */
export const WORKER_DRAIN_CHANNEL = 'lambda-graceful-shutdown:worker-drain';

export const WorkerDrainMessageType = {
  /** A worker loaded the handler and listens for a drain request. */
  ready: 'worker-ready',
  /** The coordinator heard SIGTERM: drain by `deadlineEpochMs`. */
  drain: 'drain',
  /** A worker's drain is over: what its sockets did. */
  drained: 'worker-drained',
} as const;
export type WorkerDrainMessageType = (typeof WorkerDrainMessageType)[keyof typeof WorkerDrainMessageType];

export interface WorkerReady {
  readonly type: typeof WorkerDrainMessageType.ready;
  readonly threadId: number;
}

export interface DrainRequest {
  readonly type: typeof WorkerDrainMessageType.drain;
  /**
   * An instant on the wall clock (`Date.now()`), shared by every thread; a
   * relative budget would lose whatever time the message spent queued.
   */
  readonly deadlineEpochMs: number;
}

/** One worker's drain, in the numbers the on-demand drain reports. */
export interface WorkerDrainReport {
  readonly poolCreated: boolean;
  readonly closedCleanly: number;
  readonly closedWithError: number;
  readonly destroyed: number;
  readonly durationMs: number;
  /** Every resource of the worker's drain registry (absent from the naive baseline, which has none). */
  readonly registry?: DrainRegistryReport;
}

export interface WorkerDrained {
  readonly type: typeof WorkerDrainMessageType.drained;
  readonly threadId: number;
  readonly report: WorkerDrainReport;
}

export type WorkerDrainMessage = WorkerReady | DrainRequest | WorkerDrained;

/**
 * The end of the budget kept back from the workers' deadline: a worker
 * destroys what is still open at its deadline, waits up to 20 ms for those
 * sockets to close (the pool's destroy grace), then answers. So every report
 * is in by the end of the budget and the process ends there, leaving the
 * rest of the runtime's share for tearing down a process of several threads.
 */
export const WORKER_REPORT_GRACE_MS = 30;

/** The workers' deadline for a drain that starts at `startEpochMs` with `budgetMs`. */
export function workerDeadlineEpochMs(startEpochMs: number, budgetMs: number): number {
  return startEpochMs + Math.max(0, budgetMs - WORKER_REPORT_GRACE_MS);
}

/** The channel also carries messages of other threads: accept only the known shapes. */
export function parseWorkerDrainMessage(data: unknown): WorkerDrainMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const message = data as Record<string, unknown>;
  switch (message.type) {
    case WorkerDrainMessageType.ready:
      return typeof message.threadId === 'number' ? (message as unknown as WorkerReady) : undefined;
    case WorkerDrainMessageType.drain:
      return typeof message.deadlineEpochMs === 'number' ? (message as unknown as DrainRequest) : undefined;
    case WorkerDrainMessageType.drained:
      return typeof message.threadId === 'number' && typeof message.report === 'object' && message.report !== null
        ? (message as unknown as WorkerDrained)
        : undefined;
    default:
      return undefined;
  }
}
