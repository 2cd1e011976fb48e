// The mysql2 pool as one resource of the drain registry. Its drain is the one
// it always had (pool.end(), wait for the server to close each socket,
// destroy what is still open at the deadline, up to 20 ms more for those to
// close): the registry hands it the time left and reports what it did.
import { DrainPhase, type DrainDetail, type DrainResource } from './drain-registry';
import type { DatabasePool, DrainReport } from './pool';

export const POOL_RESOURCE_NAME = 'mysql';

/** The pool's figures as a report line carries them (summed across Managed Instances workers). */
export function poolDetail(report: DrainReport): DrainDetail {
  const { poolCreated, closedCleanly, closedWithError, destroyed, poolEnd } = report;
  return { poolCreated, closedCleanly, closedWithError, destroyed, poolEnd };
}

/**
 * `capMs`: the shutdown budget, so only the budget's end ever cuts the pool.
 * The pool destroys its own sockets at that deadline, the very instant the
 * registry cuts it: the cut then waits for the pool's own report (its destroy
 * grace is the registry's), so the line still says what each socket did.
 */
export function poolDrainResource(pool: DatabasePool, capMs: number): DrainResource {
  let drained: Promise<DrainReport> | undefined;
  return {
    name: POOL_RESOURCE_NAME,
    phase: DrainPhase.close,
    capMs,
    graceful: async ({ remainingMs }) => {
      drained = pool.drain(remainingMs());
      const report = await drained;
      return { cut: report.destroyed > 0, detail: poolDetail(report) };
    },
    destroy: async () => {
      // Not started (the flush phase took the whole budget): the pool's drain at a deadline of now destroys every socket.
      const report = await (drained ?? pool.drain(0));
      return { detail: poolDetail(report) };
    },
  };
}
