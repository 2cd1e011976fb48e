// The worker-thread side of the drain on Managed Instances. A worker thread
// never sees SIGTERM (Node delivers signals to the main thread only), so the
// handler, when loaded in a worker, listens on the drain channel instead: the
// main-thread coordinator asks, this worker drains its own pool exactly as
// the on-demand drain does and answers with its report. Ending the process is
// the coordinator's job, once every worker has answered.
//
// node:worker_threads is fetched, never imported: an on-demand function runs
// on the main thread only, and loading the module there (with the internals
// it pulls in) cost about 1 ms of every cold start's import for nothing.
import { FunctionEnv } from '../protocol/function-env';
import {
  WORKER_DRAIN_CHANNEL, WorkerDrainMessageType, parseWorkerDrainMessage,
  type DrainRequest, type WorkerDrainReport, type WorkerDrained, type WorkerReady,
} from '../protocol/worker-drain';
import { DrainStrategy } from './config';
import type { DrainRegistry } from './drain-registry';
import { describeError } from './errors';
import type { Logger } from './logger';
import type { DatabasePool } from './pool';
import { POOL_RESOURCE_NAME } from './pool-resource';

export interface WorkerDrainOptions {
  /** What the graceful drain runs: the pool is one of its resources. */
  registry: DrainRegistry;
  /** The naive baseline ends the pool alone, as it always did. */
  pool: DatabasePool;
  logger: Logger;
  strategy: DrainStrategy;
  /** Tests use a channel of their own, so parallel tests never hear each other. */
  channelName?: string;
  clock?: () => number;
}

/**
 * This thread's id when it is one of the runtime's worker threads, else
 * undefined. Workers exist only with AWS_LAMBDA_MAX_CONCURRENCY set (the test
 * aws-lambda-ric makes before it starts them), so without it nothing is loaded.
 */
export function runtimeWorkerThreadId(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (env[FunctionEnv.maxConcurrency] === undefined) return undefined;
  const { isMainThread, threadId } = process.getBuiltinModule('node:worker_threads');
  return isMainThread ? undefined : threadId;
}

/** Opens the channel, announces this worker, and drains once on request; returns a function that closes it (tests). */
export function installWorkerDrainListener(options: WorkerDrainOptions): () => void {
  const { registry, pool, logger, strategy } = options;
  const { BroadcastChannel, threadId } = process.getBuiltinModule('node:worker_threads');
  const clock = options.clock ?? Date.now;
  const channel = new BroadcastChannel(options.channelName ?? WORKER_DRAIN_CHANNEL);
  // The runtime's own `next` loop keeps the worker alive; the channel must not.
  channel.unref();
  // Node 24 builds the event onmessage receives from its bundled fetch
  // implementation, loaded at a thread's first message: 12-30 ms of CPU here.
  // The worker that announces itself last hears no other worker's
  // announcement, so its first message was the drain request, and it paid
  // that load after SIGTERM, inside the budget (the coordinator waited 25 ms
  // for 3 workers whose own drains took under 9; 6 ms with this line). One
  // event made here pays it during Init, off the request path on Managed
  // Instances.
  new MessageEvent('message');
  let draining: Promise<void> | undefined;

  const drain = async (request: DrainRequest): Promise<void> => {
    const startedAt = clock();
    let report: WorkerDrainReport;
    try {
      if (strategy === DrainStrategy.naive) {
        // BASELINE ONLY: trusts pool.end()'s promise, as the on-demand baseline does.
        await pool.endNaively().catch(() => undefined);
        report = { poolCreated: pool.state().created, closedCleanly: 0, closedWithError: 0, destroyed: 0, durationMs: clock() - startedAt };
      } else {
        const drained = await registry.drain(Math.max(0, request.deadlineEpochMs - clock()));
        // The pool's figures where the coordinator has always summed them; every resource's line beside them.
        const figures = drained.resources.find((resource) => resource.name === POOL_RESOURCE_NAME && resource.phase === 'close')?.detail ?? {};
        const count = (key: string) => (typeof figures[key] === 'number' ? figures[key] : 0);
        report = {
          poolCreated: figures.poolCreated === true, closedCleanly: count('closedCleanly'), closedWithError: count('closedWithError'),
          destroyed: count('destroyed'), durationMs: drained.durationMs, registry: drained,
        };
      }
    } catch (error) {
      // drain() does not throw; if it ever does, an answer still beats silence.
      logger.error('worker drain failed', { threadId, ...describeError(error) });
      report = { poolCreated: true, closedCleanly: 0, closedWithError: 0, destroyed: 0, durationMs: clock() - startedAt };
    }
    const answer: WorkerDrained = { type: WorkerDrainMessageType.drained, threadId, report };
    channel.postMessage(answer);
  };

  channel.onmessage = (event) => {
    const message = parseWorkerDrainMessage(event.data);
    if (message?.type !== WorkerDrainMessageType.drain) return;
    draining ??= drain(message);
  };
  const ready: WorkerReady = { type: WorkerDrainMessageType.ready, threadId };
  channel.postMessage(ready);
  return () => channel.close();
}
