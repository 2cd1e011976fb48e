// Entry of dist/layer/graceful-shutdown/coordinator.cjs, which the layer's
// exec wrapper preloads into the runtime with `--require`. A preload runs in
// every thread of the runtime and in every mode, so it does nothing unless it
// is the main thread of a runtime whose handler runs in worker threads:
// AWS_LAMBDA_MAX_CONCURRENCY set, the very test aws-lambda-ric makes before
// it starts its workers. Everywhere else the handler hears SIGTERM itself.
// node:worker_threads is fetched only past the environment check: outside
// Managed Instances the preload loads nothing at all.
import { FunctionEnv, SHUTDOWN_BUDGET_MS } from '../../protocol/function-env';
import { LambdaEnv } from '../../protocol/lambda-api';
import { loadShutdownBudget } from '../config';
import { terminateBySignal } from '../drain';
import { describeError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { createCoordinator } from './coordinator';

export const COORDINATOR_SOURCE = 'graceful-shutdown-coordinator';

/** A bad SHUTDOWN_BUDGET_MS fails every worker's Init anyway; the coordinator says so and keeps the default. */
function budgetMs(logger: Logger): number {
  try {
    return loadShutdownBudget().shutdownBudgetMs;
  } catch (error) {
    logger.error('invalid shutdown budget: the coordinator uses the default', { budgetMs: SHUTDOWN_BUDGET_MS.default, ...describeError(error) });
    return SHUTDOWN_BUDGET_MS.default;
  }
}

function install(): void {
  const logger = createLogger({ base: { source: COORDINATOR_SOURCE, function: process.env[LambdaEnv.functionName] } });
  const coordinator = createCoordinator({ budgetMs: budgetMs(logger), logger, terminate: terminateBySignal });
  process.on('SIGTERM', () => {
    void coordinator.drainWorkers();
  });
}

if (process.env[FunctionEnv.maxConcurrency] !== undefined && process.getBuiltinModule('node:worker_threads').isMainThread) install();
