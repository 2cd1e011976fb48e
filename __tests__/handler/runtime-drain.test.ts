// The built handler (dist/handler/index.mjs) under AWS's own runtime interface
// client, inside the lifecycle emulator, judged from the SERVER's side:
// Aborted_clients unchanged, Threads_connected back to its baseline, no
// "Aborted connection" line; the runtime gone by its own SIGTERM inside its
// share, never SIGKILLed. The no-extension case (SIGKILL, no SIGTERM) shows
// the same assertions failing.
import { FunctionEnv } from '../../src/protocol/function-env';
import type { RowDataPacket } from 'mysql2';
import { startMysqlServer, type MysqlServer, type ServerStatus } from '../../src/testing/mysql-server';
import { startRuntime, type RuntimeUnderTest } from './runtime-harness';
import { settle } from './support';

const ABORTED_LINE = /Aborted connection/;
/** What the server logs when wait_timeout ends an idle session. */
const TIMED_OUT_LINE = /Aborted connection .*Got timeout reading communication packets/;

let server: MysqlServer;
beforeAll(async () => { server = await startMysqlServer({ privateOnly: true }); });
afterAll(async () => { await server?.stop(); });

interface Snapshot { status: ServerStatus; abortedLines: number }
async function snapshot(): Promise<Snapshot> {
  return { status: await server.status(), abortedLines: server.errorLogLines(ABORTED_LINE).length };
}

/** What the server saw since `before`; waits (bounded) for its counters to settle. */
async function serverDelta(before: Snapshot, settled: (status: ServerStatus) => boolean) {
  const after = await settle(() => server.status(), settled);
  return {
    abortedClients: after.abortedClients - before.status.abortedClients,
    threadsConnected: after.threadsConnected - before.status.threadsConnected,
    abortedLines: server.errorLogLines(ABORTED_LINE).length - before.abortedLines,
  };
}

const CLEAN = { abortedClients: 0, threadsConnected: 0, abortedLines: 0 };

/**
 * The drain's one log line. The emulator records a process's exit on 'exit',
 * and its last stdout bytes may still be in the pipe then: wait (bounded) for them.
 */
async function drainLine(runtime: RuntimeUnderTest): Promise<Record<string, unknown>> {
  const read = async () => runtime.output().split('\n').filter((line) => line.includes('on SIGTERM'));
  const lines = await settle(read, (found) => found.length > 0, 10_000);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
}

/** Waits (bounded) until the server runs `SELECT SLEEP(seconds)` (a distinct duration per test); returns how many. */
async function sleepingStatements(seconds: number): Promise<number> {
  const count = async () => Number((await server.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info = ?', [`SELECT SLEEP(${seconds})`]))[0]?.n);
  return settle(count, (n) => n > 0);
}

const env = (extra: Record<string, string> = {}) => ({ ...server.handlerEnv(), HANDLER_DEBUG_ACTIONS: 'true', ...extra });
/**
 * Where the drain must wait for its deadline: a budget far below the 300 ms
 * share, so late timers on a busy machine cannot turn it into a SIGKILL.
 */
const DEADLINE_BOUND = { [FunctionEnv.shutdownBudgetMs]: '50' };
const FILL_POOL = { action: 'debug-sleep', seconds: 0, parallel: 2 };

describe('the handler under aws-lambda-ric, at shutdown', () => {
  let runtime: RuntimeUnderTest | undefined;
  afterEach(async () => { await runtime?.close(); runtime = undefined; });

  it('drains an idle pool of two on SIGTERM: the server sees clean quits; the runtime is gone by SIGTERM, never SIGKILLed', async () => {
    const before = await snapshot();
    runtime = await startRuntime({ env: env() });
    expect(await runtime.invoke(FILL_POOL)).toMatchObject({ outcome: 'success' });
    expect((await server.status()).threadsConnected).toBe(before.status.threadsConnected + 2);

    const exit = await runtime.shutdown();
    // Not SIGKILLed at the end of the 300 ms share: gone by the SIGTERM it re-raised.
    expect(exit).toMatchObject({ signal: 'SIGTERM', killed: false, budgetMs: 300 });
    expect(await drainLine(runtime)).toMatchObject({ level: 'INFO', closedCleanly: 2, destroyed: 0 });
    expect(await serverDelta(before, (s) => s.threadsConnected === before.status.threadsConnected)).toEqual(CLEAN);
  });

  it('without any extension Lambda SIGKILLs the runtime, and the server counts every pooled connection aborted', async () => {
    const before = await snapshot();
    runtime = await startRuntime({ env: env(), extensions: 'none' });
    await runtime.invoke(FILL_POOL);

    const exit = await runtime.shutdown();
    expect(exit).toMatchObject({ signal: 'SIGKILL', killed: true });
    // The server holds both sessions of the gone environment until its idle timeout, fast-forwarded here.
    expect(await runtime.releaseHeldSessions()).toBe(2);
    expect(await serverDelta(before, (s) => s.abortedClients >= before.status.abortedClients + 2))
      .toEqual({ abortedClients: 2, threadsConnected: 0, abortedLines: 2 });
  });

  it('drains cleanly with the in-process extension instead of the layer (500 ms share)', async () => {
    const before = await snapshot();
    runtime = await startRuntime({ env: env(), extensions: 'in-process' });
    await runtime.invoke(FILL_POOL);
    const exit = await runtime.shutdown();
    expect(exit).toMatchObject({ signal: 'SIGTERM', killed: false, budgetMs: 500 });
    expect(await drainLine(runtime)).toMatchObject({ closedCleanly: 2, destroyed: 0 });
    expect(await serverDelta(before, (s) => s.threadsConnected === before.status.threadsConnected)).toEqual(CLEAN);
  });

  it('exits promptly when the pool was never created', async () => {
    const before = await snapshot();
    runtime = await startRuntime({ env: env() });
    expect(await runtime.invoke({ action: 'nonsense' })).toMatchObject({ payload: { ok: false, error: { code: 'UNKNOWN_ACTION' } } });
    const exit = await runtime.shutdown();
    expect(exit).toMatchObject({ signal: 'SIGTERM', killed: false });
    expect(await drainLine(runtime)).toMatchObject({ poolCreated: false, closedCleanly: 0, destroyed: 0 });
    expect(await serverDelta(before, () => true)).toEqual(CLEAN);
  });

  it('exits inside its share when the function times out with a statement in flight', async () => {
    runtime = await startRuntime({ env: env(DEADLINE_BOUND), timeoutMs: 1_000 });
    await runtime.invoke({ action: 'health' });
    // The timeout resets the environment: SIGTERM arrives while SELECT SLEEP(5) runs.
    expect(await runtime.invoke({ action: 'debug-sleep', seconds: 5 })).toMatchObject({ outcome: 'timeout' });
    expect(runtime.lastRuntimeExit()).toMatchObject({ signal: 'SIGTERM', killed: false });
    expect(await drainLine(runtime)).toMatchObject({ closedCleanly: 0, destroyed: 1 });
  });

  it('exits inside its share when the server does not answer (SIGSTOPped)', async () => {
    runtime = await startRuntime({ env: env(DEADLINE_BOUND) });
    await runtime.invoke({ action: 'health' });
    await server.suspend();
    try {
      const exit = await runtime.shutdown();
      expect(exit).toMatchObject({ signal: 'SIGTERM', killed: false });
      expect(await drainLine(runtime)).toMatchObject({ closedCleanly: 0, destroyed: 1 });
    } finally {
      server.resume();
    }
  });

  it('drains once when SIGTERM arrives again during the drain', async () => {
    runtime = await startRuntime({ env: env() });
    await runtime.invoke({ action: 'health' });
    // A statement in flight holds the drain open until its deadline, so the second SIGTERM surely lands inside it.
    runtime.invokeInBackground({ action: 'debug-sleep', seconds: 6 });
    expect(await sleepingStatements(6)).toBe(1);
    const exit = await runtime.shutdown({ extraSigtermAfterMs: 50 });
    expect(exit).toMatchObject({ signal: 'SIGTERM', killed: false });
    expect(await drainLine(runtime)).toMatchObject({ destroyed: 1 });
    expect(runtime.output()).toContain('SIGTERM received again');
  });

  it('BASELINE (DRAIN_STRATEGY=naive): `await pool.end(); process.exit(0)` blocks under the runtime client until SIGKILL', async () => {
    runtime = await startRuntime({ env: env({ DRAIN_STRATEGY: 'naive' }) });
    await runtime.invoke({ action: 'health' });
    const exit = await runtime.shutdown();
    expect(await drainLine(runtime)).toMatchObject({ message: 'ended the database pool on SIGTERM (naive baseline)' });
    expect(exit).toMatchObject({ signal: 'SIGKILL', killed: true });
  });
});

describe('the handler under aws-lambda-ric, after a pause', () => {
  let runtime: RuntimeUnderTest | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await server.setGlobal('wait_timeout', 28_800);
  });

  it('serves the first invoke after a freeze longer than the server idle timeout, with no error', async () => {
    // wait_timeout applies to sessions opened after it is set.
    await server.setGlobal('wait_timeout', 1);
    runtime = await startRuntime({ env: env() });
    await runtime.invoke(FILL_POOL);
    expect(await runtime.invoke({ action: 'put', id: 'stale', data: { n: 1 } })).toMatchObject({ payload: { ok: true } });
    const timedOutBefore = server.errorLogLines(TIMED_OUT_LINE).length;
    await runtime.freeze(2_500);
    // The scenario really happened: the server dropped both pooled sessions during the freeze.
    expect(server.errorLogLines(TIMED_OUT_LINE).length - timedOutBefore).toBe(2);
    expect(await runtime.invoke({ action: 'put', id: 'stale', data: { n: 2 } })).toMatchObject({ outcome: 'success', payload: { ok: true, version: 2 } });
    expect(await runtime.invoke({ action: 'get', id: 'stale' })).toMatchObject({ payload: { ok: true, item: { data: { n: 2 } } } });
  });

  it('serves the first invoke after a server restart, with no error', async () => {
    runtime = await startRuntime({ env: env() });
    await runtime.invoke({ action: 'put', id: 'restart', data: { n: 1 } });
    await runtime.freeze(0, () => server.restart());
    expect(await runtime.invoke({ action: 'put', id: 'restart', data: { n: 2 } })).toMatchObject({ outcome: 'success', payload: { ok: true, version: 2 } });
  });
});
