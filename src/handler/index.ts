// The Lambda entry point (`index.handler`). Everything here runs once per
// execution environment (on Managed Instances, once per worker thread, each
// with its own pool), during Init: configuration is validated, the
// shutdown listener installed and, in in-process mode, the internal extension
// registered (top-level await, so Init does not end before it, as for the
// cache's module when a cache is configured). The pool
// and the cache's connection are created by the first invocation that needs
// them; each is a resource of the environment's drain registry, beside any a
// team registers on `environmentDrain`.
import { createIamTokenProvider, iamAuthPlugins } from './auth';
import { DbAuth } from '../protocol/function-env';
import { ShutdownMode, describeConfig, loadConfig, type HandlerConfig } from './config';
import { describeCacheConfig, loadCacheConfig, type CacheConfig } from './cache/cache-config';
import { createDataApi } from './data-api';
import { debugSlowFlushResource } from './debug-drain';
import { installShutdownHandler } from './drain';
import { environmentDrain } from './drain-registry';
import { describeError } from './errors';
import { createLogger } from './logger';
import { DatabasePool } from './pool';
import { poolDrainResource } from './pool-resource';
import { ItemRepository } from './repository';
import { tlsOptions } from './tls';
import { installWorkerDrainListener, runtimeWorkerThreadId } from './worker-drain';
import { LambdaEnv } from '../protocol/lambda-api';

// On Managed Instances every line names its worker thread, so a request's
// lines can be told apart from the concurrent ones of other workers, and goes
// through the worker's process.stdout, which the main thread writes out whole,
// line after line: a worker's own write(2) on fd 1 could interleave a line
// longer than a pipe's atomic write with another worker's.
const threadId = runtimeWorkerThreadId();
const logger = createLogger({
  ...(threadId === undefined ? {} : { write: (line: string) => void process.stdout.write(line) }),
  base: { source: 'handler', function: process.env[LambdaEnv.functionName], ...(threadId === undefined ? {} : { threadId }) },
});

function initConfig(): { config: HandlerConfig; cacheConfig: CacheConfig | undefined } {
  try {
    return { config: loadConfig(), cacheConfig: loadCacheConfig() };
  } catch (error) {
    logger.error('invalid configuration: init fails', describeError(error));
    throw error;
  }
}

const { config, cacheConfig } = initConfig();
const pool = new DatabasePool({
  config,
  logger,
  ssl: tlsOptions(config),
  ...(config.auth === DbAuth.iam ? { authPlugins: iamAuthPlugins(createIamTokenProvider(config)) } : {}),
});
// Tests only (HANDLER_DEBUG_ACTIONS=true): a flush resource that overruns its cap.
const slowFlush = debugSlowFlushResource(process.env, config.debugActions);
if (slowFlush) environmentDrain.register(slowFlush);
// Its cap is the whole budget: only the budget's end cuts the pool, as before the registry.
environmentDrain.register(poolDrainResource(pool, config.shutdownBudgetMs));
// Imported only with a cache configured: the build writes the cache's code (12
// KiB) to a file of its own, which a function without one never compiles.
const cache = cacheConfig ? (await import('./cache/cache-setup')).setUpCache(cacheConfig, logger, environmentDrain).cache : undefined;

// In a worker thread (Managed Instances) no signal ever arrives: the main
// thread's coordinator asks for the drain instead.
if (threadId === undefined) {
  installShutdownHandler({ registry: environmentDrain, pool, logger, budgetMs: config.shutdownBudgetMs, strategy: config.drainStrategy });
} else {
  installWorkerDrainListener({ registry: environmentDrain, pool, logger, strategy: config.drainStrategy });
}

if (config.shutdownMode === ShutdownMode.inProcess) {
  // Imported only in this mode: the build writes it to a file of its own, so the layer's mode never compiles it.
  const { registerInProcessExtension } = await import('../../extension/in-process');
  await registerInProcessExtension();
}
logger.info('handler initialised', { ...describeConfig(config), cache: describeCacheConfig(cacheConfig) });

export const handler = createDataApi({
  repository: new ItemRepository(pool),
  pool,
  ...(cache ? { cache } : {}),
  logger,
  debugActions: config.debugActions,
});
