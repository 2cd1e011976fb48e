// The Lambda entry point (`index.handler`). Everything here runs once per
// execution environment (on Managed Instances, once per worker thread, each
// with its own pool), during Init: configuration is validated, the
// shutdown listener installed and, in in-process mode, the internal extension
// registered (top-level await, so Init does not end before it). The pool
// itself is created by the first invocation that needs it.
import { isMainThread, threadId } from 'node:worker_threads';
import { registerInProcessExtension } from '../../extension/in-process';
import { createIamTokenProvider, iamAuthPlugins } from './auth';
import { DbAuth } from '../protocol/function-env';
import { ShutdownMode, describeConfig, loadConfig, type HandlerConfig } from './config';
import { createDataApi } from './data-api';
import { installShutdownHandler } from './drain';
import { describeError } from './errors';
import { createLogger } from './logger';
import { DatabasePool } from './pool';
import { ItemRepository } from './repository';
import { tlsOptions } from './tls';
import { installWorkerDrainListener } from './worker-drain';
import { LambdaEnv } from '../protocol/lambda-api';

// On Managed Instances every line names its worker thread, so a request's
// lines can be told apart from the concurrent ones of other workers.
const logger = createLogger({
  base: { source: 'handler', function: process.env[LambdaEnv.functionName], ...(isMainThread ? {} : { threadId }) },
});

function initConfig(): HandlerConfig {
  try {
    return loadConfig();
  } catch (error) {
    logger.error('invalid configuration: init fails', describeError(error));
    throw error;
  }
}

const config = initConfig();
const pool = new DatabasePool({
  config,
  logger,
  ssl: tlsOptions(config),
  ...(config.auth === DbAuth.iam ? { authPlugins: iamAuthPlugins(createIamTokenProvider(config)) } : {}),
});
// In a worker thread (Managed Instances) no signal ever arrives: the main
// thread's coordinator asks for the drain instead.
if (isMainThread) {
  installShutdownHandler({ pool, logger, budgetMs: config.shutdownBudgetMs, strategy: config.drainStrategy });
} else {
  installWorkerDrainListener({ pool, logger, strategy: config.drainStrategy });
}

if (config.shutdownMode === ShutdownMode.inProcess) {
  await registerInProcessExtension();
}
logger.info('handler initialised', describeConfig(config));

export const handler = createDataApi({
  repository: new ItemRepository(pool),
  pool,
  logger,
  debugActions: config.debugActions,
});
