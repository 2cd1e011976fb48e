// Spindown: what the server sees when an environment is destroyed, with our
// extension, with the in-process alternative, and with the two baselines that
// prove these assertions can fail (no extension at all; the naive drain).
import { ShutdownBudget, ShutdownReason } from '../../src/protocol/lambda-api';
import { ShutdownMode } from '../../src/protocol/artifacts';
import {
  POOL_SIZE, ServerWatch, expectExtensionsLeftOnTheirOwn, expectRuntimeExitedWithinBudget, finalRuntime, get, invokeTimes, put,
  sessionsSince, sleepOn, useEnvironments, useServer,
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
    await watch.expectClean();
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
    await watch.expectClean();
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
    await watch.expectClean();
  });
});

describe('baseline: no extension at all (what this project fixes)', () => {
  it('SIGKILLs the runtime without SIGTERM; the server holds every pooled session until its own timeout counts it aborted', async () => {
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
    // The environment is gone, its sessions are not (the default network
    // model, as on AWS): the server still lists every pooled one.
    expect(await sessionsSince(server(), watch.before)).toHaveLength(open);
    // Fast-forward the server's idle timeout: each held session then ends as an aborted client.
    expect(await env.network.release()).toBe(open);
    const delta = await watch.settled({ aborted: open });
    expect({ ...delta, abortedConnectionLines: delta.abortedConnectionLines.length })
      .toEqual({ abortedClients: open, threadsConnected: 0, abortedConnectionLines: open, sessionsStillOpen: [] });
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
    await watch.expectClean();
  });
});
