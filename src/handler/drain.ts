// SIGTERM, once: drain every registered resource (the mysql2 pool, the Redis
// cache, a team's own clients) inside the budget, log one line, and be gone.
//
// Why the process ends by re-raising SIGTERM and not with process.exit():
// under aws-lambda-ric, process.exit() blocks (the client's native `next()`
// call occupies a libuv worker thread that exit waits for) until Lambda's
// SIGKILL at the end of the runtime's share. With our listener removed, a
// re-raised SIGTERM meets the default disposition and the kernel ends the
// process at once; the parent sees "terminated by SIGTERM", the conventional
// status for a process that honoured SIGTERM.
import { DrainStrategy } from './config';
import type { DrainRegistry, DrainRegistryReport } from './drain-registry';
import { describeError } from './errors';
import type { Logger } from './logger';
import type { DatabasePool } from './pool';
import { POOL_RESOURCE_NAME } from './pool-resource';

export interface ShutdownOptions {
  /** What the graceful drain runs: the pool is one of its resources. */
  registry: DrainRegistry;
  /** The baselines (`naive`, `exit`) touch the pool alone, as they always did. */
  pool: DatabasePool;
  logger: Logger;
  budgetMs: number;
  strategy: DrainStrategy;
  /** How the process ends (tests inject a recorder). Default: re-raise SIGTERM. */
  terminate?: () => void;
  /** The naive baseline's exit. Default: process.exit(0). */
  exit?: (code: number) => void;
}

/**
 * The pool's figures at the top of the line, where they have always been
 * (closedCleanly, destroyed, ...: what alarms and the bench read), then every
 * resource's outcome.
 */
export function drainLineFields(report: DrainRegistryReport): Record<string, unknown> {
  const pool = report.resources.find((resource) => resource.name === POOL_RESOURCE_NAME && resource.phase === 'close');
  const { cutFailed: _cutFailed, started: _started, ...poolFigures } = pool?.detail ?? {};
  return { ...poolFigures, durationMs: report.durationMs, budgetMs: report.budgetMs, clean: report.clean, resources: report.resources };
}

/** If the re-raised signal somehow does not end us, SIGKILL ourselves rather than outlive the budget. */
const LAST_RESORT_MS = 50;

export function terminateBySignal(): void {
  // Every SIGTERM listener, not only ours: any left would catch the signal and keep the process alive.
  process.removeAllListeners('SIGTERM');
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), LAST_RESORT_MS).unref();
}

/** Installs the SIGTERM listener; returns a function that removes it (tests). */
export function installShutdownHandler(options: ShutdownOptions): () => void {
  const { registry, pool, logger, budgetMs, strategy } = options;
  const terminate = options.terminate ?? terminateBySignal;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let draining = false;

  // CPU time from SIGTERM to the last line: what the drain costs a busy host.
  let cpuAtSigterm: NodeJS.CpuUsage | undefined;
  const cpuMs = () => {
    const used = process.cpuUsage(cpuAtSigterm);
    return Math.round((used.user + used.system) / 100) / 10;
  };

  const graceful = async () => {
    try {
      const report = await registry.drain(budgetMs);
      const fields = { strategy, ...drainLineFields(report), cpuMs: cpuMs() };
      if (report.clean) logger.info('drained every resource on SIGTERM', fields);
      else logger.warn('drained on SIGTERM; some resources were cut or failed', fields);
    } catch (error) {
      // drain() does not throw; if it ever does, exiting still beats waiting for SIGKILL.
      logger.error('drain failed on SIGTERM', { strategy, ...describeError(error) });
    }
    terminate();
  };

  // BASELINE ONLY (DRAIN_STRATEGY=naive): the two traps, kept so the scenario
  // suite can show what the server sees. pool.end() resolves when COM_QUIT is
  // queued, not sent, and process.exit() blocks under the runtime client.
  const naive = async () => {
    const startedAt = Date.now();
    await pool.endNaively().catch(() => undefined);
    logger.info('ended the database pool on SIGTERM (naive baseline)', { strategy, durationMs: Date.now() - startedAt });
    exit(0);
  };

  // BASELINE ONLY (DRAIN_STRATEGY=exit): leave at once, pool untouched.
  const exitAtOnce = () => {
    logger.info('left on SIGTERM without draining (exit baseline)', { strategy, cpuMs: cpuMs() });
    terminate();
  };

  const onSigterm = () => {
    if (draining) {
      logger.warn('SIGTERM received again; the drain already running continues');
      return;
    }
    draining = true;
    cpuAtSigterm = process.cpuUsage();
    if (strategy === DrainStrategy.exit) exitAtOnce();
    else void (strategy === DrainStrategy.naive ? naive() : graceful());
  };

  process.on('SIGTERM', onSigterm);
  return () => process.removeListener('SIGTERM', onSigterm);
}
