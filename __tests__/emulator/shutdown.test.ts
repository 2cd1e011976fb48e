// The shutdown sequence: SIGTERM to the runtime first, its budget (300 ms, or
// 500 ms with internal extensions only), then SHUTDOWN to the external
// extensions with a 2 s deadline; SIGKILL for whoever overstays; and no
// SIGTERM at all when no extension is registered.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentReport } from '../../src/emulator';
import { ShutdownBudget } from '../../src/protocol/lambda-api';
import { rawRequest } from './support/raw-client';
import { processState, useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();

const byName = (report: EnvironmentReport, name: string) => report.processes.find((p) => p.name === name);

describe('Shutdown', () => {
  it('sends SIGTERM to the runtime, and SHUTDOWN to the extensions only once the runtime is gone', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' }).writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    await env.invoke({ action: 'ok' });
    const report = await env.shutdown();
    const lines = sandbox.log();
    const sigterm = lines.indexOf('runtime sigterm');
    const shutdown = lines.findIndex((line) => line.startsWith('ext event {"eventType":"SHUTDOWN"'));
    expect(sigterm).toBeGreaterThanOrEqual(0);
    expect(shutdown).toBeGreaterThan(sigterm);
    expect(JSON.parse(lines[shutdown]?.slice('ext event '.length) ?? '{}')).toEqual({ eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs: expect.any(Number) });
    const runtime = byName(report, 'runtime');
    expect(runtime).toMatchObject({ signal: 'SIGTERM', killedByEmulator: false });
    expect(byName(report, 'ext')).toMatchObject({ exitCode: 0, killedByEmulator: false });
    expect(report).toMatchObject({ shutdownReason: 'spindown', runtimeBudgetMs: ShutdownBudget.runtimeWithExternal });
    expect(report.extensions[0]?.received.at(-1)).toBe('SHUTDOWN');
  });

  it('SIGKILLs a runtime that ignores SIGTERM at the end of its 300 ms, then still tells the extensions', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'ignore' }).writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    const report = await env.shutdown();
    expect(byName(report, 'runtime')).toMatchObject({ signal: 'SIGKILL', killedByEmulator: true });
    expect(report.runtimeBudgetMs).toBe(ShutdownBudget.runtimeWithExternal);
    expect(report.sigtermToRuntimeExitMs).toBeGreaterThanOrEqual(ShutdownBudget.runtimeWithExternal);
    expect(sandbox.log()).toContain('runtime sigterm');
    expect(byName(report, 'ext')).toMatchObject({ exitCode: 0, killedByEmulator: false });
  });

  it('gives the runtime 500 ms when the only extension is internal', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'ignore', internalExtension: 'in-process' });
    const env = await lifecycle.start(sandbox, { extensionsDir: null });
    const report = await env.shutdown();
    expect(report.runtimeBudgetMs).toBe(ShutdownBudget.runtimeInternalOnly);
    expect(report.sigtermToRuntimeExitMs).toBeGreaterThanOrEqual(ShutdownBudget.runtimeInternalOnly);
    expect(byName(report, 'runtime')).toMatchObject({ signal: 'SIGKILL', killedByEmulator: true });
    expect(sandbox.log()).toContain('runtime sigterm');
  });

  it('never sends SIGTERM when no extension is registered: the runtime is SIGKILLed', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' });
    const env = await lifecycle.start(sandbox, { extensionsDir: null });
    await env.invoke({ action: 'ok' });
    const report = await env.shutdown();
    expect(sandbox.log()).not.toContain('runtime sigterm');
    expect(byName(report, 'runtime')).toMatchObject({ signal: 'SIGKILL', killedByEmulator: true });
    expect(byName(report, 'runtime')?.sigtermSentAt).toBeUndefined();
    expect(report.sigtermToRuntimeExitMs).toBeUndefined();
    expect(report.runtimeBudgetMs).toBeUndefined();
  });

  it('SIGKILLs an extension that ignores SHUTDOWN at the 2 s deadline', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' }).writeExtension('stubborn', { onShutdown: 'ignore' });
    const env = await lifecycle.start(sandbox);
    const report = await env.shutdown();
    const shutdownPhase = report.phases.find((p) => p.phase === 'shutdown');
    const stubborn = byName(report, 'stubborn');
    expect(stubborn).toMatchObject({ signal: 'SIGKILL', killedByEmulator: true });
    expect((stubborn?.exitedAt ?? 0) - (shutdownPhase?.startedAt ?? Infinity)).toBeGreaterThanOrEqual(ShutdownBudget.total);
    expect(report.extensions[0]?.received).toEqual(['SHUTDOWN']);
  });

  it('SIGKILLs an extension not subscribed to SHUTDOWN at once', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' }).writeExtension('invoke-only', { events: ['INVOKE'] });
    const env = await lifecycle.start(sandbox);
    const report = await env.shutdown();
    const shutdownPhase = report.phases.find((p) => p.phase === 'shutdown');
    const extension = byName(report, 'invoke-only');
    expect(extension).toMatchObject({ signal: 'SIGKILL', killedByEmulator: true });
    expect((extension?.exitedAt ?? Infinity) - (shutdownPhase?.startedAt ?? 0)).toBeLessThan(ShutdownBudget.total);
    expect(report.extensions[0]?.received).toEqual([]);
    expect(byName(report, 'runtime')).toMatchObject({ signal: 'SIGTERM', killedByEmulator: false });
  });

  it('closes the API once every process has exited', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' }).writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    const report = await env.shutdown();
    expect(env.state).toBe('shutdown');
    expect(report.processes.every((p) => p.exitedAt !== undefined)).toBe(true);
    await expect(rawRequest(env.runtimeApi, 'GET', '/2018-06-01/runtime/invocation/next')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('kills every process group when the host process exits without shutting its environment down', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const script = path.join(sandbox.root, 'orphan.ts');
    fs.writeFileSync(script, [
      `import { startEnvironment } from ${JSON.stringify(path.resolve(__dirname, '../../src/emulator'))};`,
      `void startEnvironment({ handlerDir: ${JSON.stringify(sandbox.handlerDir)}, extensionsDir: ${JSON.stringify(sandbox.extensionsDir)} })`,
      '  .then((env) => { console.log(JSON.stringify(env.report().processes.map((p) => p.pid))); process.exit(0); });',
    ].join('\n'));
    const output = execFileSync(process.execPath, ['--require', 'tsx/cjs', script], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', timeout: 30_000 });
    const pids = JSON.parse(output.trim()) as number[];
    expect(pids).toHaveLength(2);
    // Gone, or a zombie waiting for its new parent to reap it: not running, not stopped.
    const dead = () => pids.every((pid) => ['Z', undefined].includes(processState(pid)));
    for (let i = 0; i < 100 && !dead(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pids.map(processState).filter((state) => state !== 'Z' && state !== undefined)).toEqual([]);
  });
});
