// Spindown: what the server sees when an environment is destroyed, with our
// extension, with the in-process alternative, and with the two baselines that
// prove these assertions can fail (no extension at all; the naive drain).
import { ShutdownBudget, ShutdownReason } from '../../src/protocol/lambda-api';
import { ShutdownMode } from '../../src/protocol/artifacts';
import {
  CLEAN, POOL_SIZE, ServerWatch, expectExtensionsLeftOnTheirOwn, expectRuntimeExitedWithinBudget, finalRuntime, get, invokeTimes, put,
  sleepOn, useEnvironments, useServer,
} from './support';

const server = useServer();
const startEnvironment = useEnvironments(server);

describe('spindown with the graceful-shutdown layer', () => {
  it('closes an idle pool of two connections: the runtime is gone inside 300 ms, never SIGKILLed, and the server aborts nothing', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startEnvironment();
    expect((await env.invoke(put('idle-1', { a: 1 }))).outcome).toBe('success');
    expect((await env.invoke(sleepOn(POOL_SIZE))).outcome).toBe('success');
    expect(await watch.openConnections()).toBe(POOL_SIZE);

    const report = await env.shutdown();

    expect(report.shutdownReason).toBe(ShutdownReason.spindown);
    expectRuntimeExitedWithinBudget(report, ShutdownBudget.runtimeWithExternal);
    expectExtensionsLeftOnTheirOwn(report);
    expect(await watch.settled()).toEqual(CLEAN);
  });

  it('closes the pool cleanly after 200 invokes, and every write is in the table', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startEnvironment();

    const failures = await invokeTimes(env, 200, (i) => put(`many-${i % 10}`, { i }));
    const last = await env.invoke(get('many-9'));
    const report = await env.shutdown();

    expect(failures).toEqual([]);
    expect(last.payload).toMatchObject({ ok: true, item: { id: 'many-9', version: 20, data: { i: 199 } } });
    expectRuntimeExitedWithinBudget(report, ShutdownBudget.runtimeWithExternal);
    expect(await watch.settled()).toEqual(CLEAN);
  });
});

describe('spindown with the in-process (internal) extension and no layer', () => {
  it('closes the pool cleanly inside the 500 ms share, with no external extension running', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startEnvironment({ extensionsDir: null, mode: ShutdownMode.inProcess });
    expect((await env.invoke(put('in-process-1', { a: 1 }))).outcome).toBe('success');
    expect((await env.invoke(sleepOn(POOL_SIZE))).outcome).toBe('success');

    const report = await env.shutdown();

    expect(report.processes.filter((p) => p.kind === 'extension')).toEqual([]);
    expect(report.extensions.map((e) => e.kind)).toEqual(['internal']);
    expectRuntimeExitedWithinBudget(report, ShutdownBudget.runtimeInternalOnly);
    expect(await watch.settled()).toEqual(CLEAN);
  });
});

describe('baseline: no extension at all (what this project fixes)', () => {
  it('SIGKILLs the runtime without SIGTERM, and the server counts every pooled connection as aborted', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startEnvironment({ extensionsDir: null, mode: ShutdownMode.layer });
    expect((await env.invoke(put('baseline-1', { a: 1 }))).outcome).toBe('success');
    expect((await env.invoke(sleepOn(POOL_SIZE))).outcome).toBe('success');
    const open = await watch.openConnections();
    expect(open).toBe(POOL_SIZE);

    const report = await env.shutdown();

    expect(report.extensions).toEqual([]);
    expect(report.sigtermToRuntimeExitMs).toBeUndefined();
    expect({ killedByEmulator: finalRuntime(report).killedByEmulator, signal: finalRuntime(report).signal })
      .toEqual({ killedByEmulator: true, signal: 'SIGKILL' });
    const delta = await watch.settled();
    expect({ abortedClients: delta.abortedClients, lines: delta.abortedConnectionLines.length, leftOpen: delta.threadsConnected })
      .toEqual({ abortedClients: open, lines: open, leftOpen: 0 });
  });
});

describe('baseline: the naive drain (await pool.end(); process.exit(0))', () => {
  it('is SIGKILLed at the end of the 300 ms share because process.exit blocks under the runtime client', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startEnvironment({ env: { DRAIN_STRATEGY: 'naive' } });
    expect((await env.invoke(put('naive-1', { a: 1 }))).outcome).toBe('success');
    expect((await env.invoke(sleepOn(POOL_SIZE))).outcome).toBe('success');

    const report = await env.shutdown();
    const runtime = finalRuntime(report);

    expect({ killedByEmulator: runtime.killedByEmulator, signal: runtime.signal }).toEqual({ killedByEmulator: true, signal: 'SIGKILL' });
    expect(runtime.output).toContain('naive baseline');
    // COM_QUIT was handed to the socket before exit() blocked, so the kernel
    // still delivered it: the server side alone cannot tell this from a clean drain.
    expect(await watch.settled()).toEqual(CLEAN);
  });
});
