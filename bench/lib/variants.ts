// The lifecycles the bench compares. Each is the same function against the
// same server; only how the environment is told about its end differs.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Environment, EnvironmentReport } from '../../src/emulator';
import { EXEC_WRAPPER_LAMBDA_PATH, ShutdownMode } from '../../src/protocol/artifacts';
import { ComputeMode } from '../../src/protocol/lambda-runtime';
import { DrainStrategy, FunctionEnv } from '../../src/protocol/function-env';
import type { MysqlServer } from '../../src/testing/mysql-server';
import type { PrepareResult, Variant } from './lifecycle';


let counter = 0;

async function invokeOk(env: Environment, event: unknown): Promise<number> {
  const result = await env.invoke(event);
  const payload = result.payload as { ok?: unknown } | undefined;
  if (result.outcome !== 'success' || payload?.ok !== true) {
    throw new Error(`invoke ${JSON.stringify(event)} -> ${result.outcome} ${JSON.stringify(result.payload)}`);
  }
  return result.durationMs;
}

/**
 * A put (pool and table created), two statements at once (the handler's
 * guarded `debug-sleep` with `parallel: 2`: the pool's second connection
 * opened), and a get (a warm invoke): then frozen with two idle connections,
 * the state the shutdown figures are measured in.
 */
export async function warmPool(env: Environment): Promise<PrepareResult> {
  counter += 1;
  const id = `bench-${process.pid}-${counter}`;
  const firstInvokeMs = await invokeOk(env, { action: 'put', id, data: { n: counter } });
  await invokeOk(env, { action: 'debug-sleep', seconds: 0, parallel: 2 });
  const warmInvokeMs = await invokeOk(env, { action: 'get', id });
  return { firstInvokeMs, warmInvokeMs };
}

const MI_WORKERS = 3;
/** Two invocations at a time per worker: every worker gets work, and opens connections for it. */
const MI_CONCURRENCY = 2 * MI_WORKERS;

/**
 * Managed Instances: as many overlapping statements as the environment takes
 * at once, so every worker thread holds open connections at shutdown (no
 * freeze: the environment simply goes idle).
 */
async function busyWorkers(env: Environment): Promise<PrepareResult> {
  counter += 1;
  const firstInvokeMs = await invokeOk(env, { action: 'put', id: `bench-mi-${process.pid}-${counter}`, data: { n: counter } });
  const started = performance.now();
  await Promise.all(Array.from({ length: MI_CONCURRENCY }, () => invokeOk(env, { action: 'debug-sleep', seconds: 0.2 })));
  return { firstInvokeMs, warmInvokeMs: performance.now() - started };
}

/**
 * The default network leaves every session a SIGKILLed environment held open
 * on the server until its wait_timeout (hours): each is released at once,
 * which the server counts exactly as that timeout, so the series can go on.
 */
async function shutdownAndRelease(env: Environment): Promise<EnvironmentReport> {
  const report = await env.shutdown();
  await env.network.release();
  return report;
}

/** Every lifecycle enables the handler's debug actions, for `parallel: 2` above. */
const DEBUG = { [FunctionEnv.debugActions]: 'true' };
const LAYER_ENV = { ...DEBUG, [FunctionEnv.shutdownMode]: ShutdownMode.layer };

export interface Lifecycles {
  ours: Variant;
  inFlight: Variant;
  inProcess: Variant;
  noExtension: Variant;
  naive: Variant;
  exitAtOnce: Variant;
  managedInstances: Variant;
}

/** Every lifecycle runs the built handler (dist/handler). */
export function lifecycles(server: MysqlServer): Lifecycles {
  return {
    ours: {
      label: 'ours: layer extension, graceful drain',
      options: { env: LAYER_ENV },
      prepare: warmPool,
    },
    inFlight: inFlight(server),
    inProcess: {
      label: 'ours: in-process (internal) extension, no layer',
      options: { extensionsDir: null, env: { ...DEBUG, [FunctionEnv.shutdownMode]: ShutdownMode.inProcess } },
      prepare: warmPool,
    },
    noExtension: {
      label: 'baseline: no extension (SIGKILL, no SIGTERM)',
      options: { extensionsDir: null, env: LAYER_ENV },
      prepare: warmPool,
      shutdown: shutdownAndRelease,
    },
    naive: {
      label: 'baseline: naive drain (await pool.end(); process.exit(0))',
      options: { env: { ...LAYER_ENV, [FunctionEnv.drainStrategy]: DrainStrategy.naive } },
      prepare: warmPool,
    },
    exitAtOnce: {
      label: 'baseline: leaves at once on SIGTERM, pool untouched',
      options: { env: { ...LAYER_ENV, [FunctionEnv.drainStrategy]: DrainStrategy.exit } },
      prepare: warmPool,
    },
    managedInstances: {
      label: `ours: Managed Instances, ${MI_WORKERS} worker threads, coordinator through the layer's exec wrapper`,
      options: {
        computeMode: ComputeMode.managedInstances, workerCount: MI_WORKERS, maxConcurrency: MI_CONCURRENCY,
        env: { ...LAYER_ENV, [FunctionEnv.execWrapper]: EXEC_WRAPPER_LAMBDA_PATH },
      },
      prepare: busyWorkers,
    },
  };
}

// Longer than the drain's 200 ms budget, so the statement is provably still running at its deadline.
const IN_FLIGHT_SLEEP_S = 0.5;
const IN_FLIGHT_WAIT_MS = 3_000;

/** Waits (bounded) until the server is executing the debug-sleep statement. */
async function untilSleepRunning(server: MysqlServer): Promise<boolean> {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  for (let i = 0; i < 300 && Date.now() < deadline; i += 1) {
    const rows = await server.query<({ n: number } & import('mysql2').RowDataPacket)[]>(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(%'",
    );
    if (Number(rows[0]?.n) > 0) return true;
    await sleep(5);
  }
  return false;
}

/**
 * The pool warm, then a statement in flight at the moment of shutdown: the
 * drain cannot COM_QUIT a busy connection and must destroy it at its deadline.
 */
function inFlight(server: MysqlServer): Variant {
  return {
    label: `ours: layer, one query in flight (SLEEP(${IN_FLIGHT_SLEEP_S}))`,
    options: { env: LAYER_ENV },
    prepare: warmPool,
    async shutdown(env: Environment): Promise<EnvironmentReport> {
      const invoke = env.invoke({ action: 'debug-sleep', seconds: IN_FLIGHT_SLEEP_S }).catch((error: unknown) => error);
      if (!(await untilSleepRunning(server))) throw new Error('the debug-sleep statement never reached the server');
      const report = await env.shutdown();
      await invoke;
      return report;
    },
  };
}
