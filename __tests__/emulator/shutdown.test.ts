// The shutdown sequence: SIGTERM to the runtime first, its budget (300 ms, or
// 500 ms with internal extensions only), then SHUTDOWN to the external
// extensions with a 2 s deadline; SIGKILL for whoever overstays; and no
// SIGTERM at all when no extension is registered.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentReport } from '../../src/emulator';
import { ExtensionHeader, ExtensionPath, LambdaEnv, ShutdownBudget } from '../../src/protocol/lambda-api';
import { rawRequest } from './support/raw-client';
import { processState, useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();

const byName = (report: EnvironmentReport, name: string) => report.processes.find((p) => p.name === name);

/**
 * An external extension (plain JS, run as is) subscribed to SHUTDOWN: on it,
 * it waits (bounded) until the process whose pid is in `peerFile` is gone or a
 * zombie, logs what it saw and exits 0, or 7 if the peer outlived the wait.
 */
function watcherSource(peerFile: string, logFile: string): string {
  return `#!/usr/bin/env node
const fs = require('node:fs');
const http = require('node:http');
const [host, port] = process.env.${LambdaEnv.runtimeApi}.split(':');
const log = (line) => fs.appendFileSync(${JSON.stringify(logFile)}, 'watcher ' + line + '\\n');
function call(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, headers, agent: false }, (res) => {
      let data = '';
      res.on('data', (chunk) => { data += chunk; });
      res.on('end', () => resolve({ headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
function gone(pid) {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
(async () => {
  const reg = await call('POST', '${ExtensionPath.register}', { '${ExtensionHeader.name}': 'watcher' }, JSON.stringify({ events: ['SHUTDOWN'] }));
  const id = reg.headers['${ExtensionHeader.identifier}'];
  const event = JSON.parse((await call('GET', '${ExtensionPath.next}', { '${ExtensionHeader.identifier}': id })).body);
  log(event.eventType === 'SHUTDOWN' ? 'shutdown' : 'unexpected ' + event.eventType);
  const pid = Number(fs.readFileSync(${JSON.stringify(peerFile)}, 'utf8'));
  const until = Date.now() + 10000;
  for (let i = 0; i < 10000 && !gone(pid) && Date.now() < until; i += 1) await new Promise((resolve) => setTimeout(resolve, 1));
  log(gone(pid) ? 'peer-gone' : 'peer-alive');
  process.exit(gone(pid) ? 0 : 7);
})().catch((error) => { log('error ' + error.message); process.exit(2); });
`;
}

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
    // "At once" as a state, not a duration: a subscribed extension that, on
    // SHUTDOWN, leaves only after it has seen the unsubscribed one dead. Were
    // that one killed only at the deadline, the watcher would still be waiting
    // then and be SIGKILLed with it.
    const peerFile = path.join(sandbox.root, 'peer-pid');
    sandbox.writeMounted('layer', 'extensions/watcher', watcherSource(peerFile, sandbox.logFile), 0o755);
    const env = await lifecycle.start(sandbox);
    fs.writeFileSync(peerFile, String(byName(env.report(), 'invoke-only')?.pid));

    const report = await env.shutdown();

    expect(byName(report, 'invoke-only')).toMatchObject({ signal: 'SIGKILL', killedByEmulator: true });
    expect(report.extensions.find((e) => e.name === 'invoke-only')?.received).toEqual([]);
    expect({ watcher: byName(report, 'watcher'), log: sandbox.log().filter((line) => line.startsWith('watcher')) }).toMatchObject({
      watcher: { exitCode: 0, killedByEmulator: false },
      log: ['watcher shutdown', 'watcher peer-gone'],
    });
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
    const deadline = Date.now() + 10_000;
    for (let i = 0; i < 1_000 && !dead() && Date.now() < deadline; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pids.map(processState).filter((state) => state !== 'Z' && state !== undefined)).toEqual([]);
  });
});
