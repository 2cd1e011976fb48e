// AWS_LAMBDA_EXEC_WRAPPER as Lambda runs it (`<wrapper> <runtime command...>`,
// the runtime only), and the function's environment exactly as synthesized:
// /opt and /var/task paths in it are mapped onto the layer and the handler
// directories the emulator runs from.
import * as path from 'node:path';
import { InitFailedError, InitFailureKind } from '../../src/emulator';
import { mapMountedPath, mapMountedPaths } from '../../src/emulator/lambda-mounts';
import { FunctionEnv } from '../../src/protocol/function-env';
import { ComputeMode } from '../../src/protocol/lambda-runtime';
import type { Sandbox } from './support/fixtures';
import { useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();
const WRAPPER = '/opt/wrapper/exec-wrapper';

/** A wrapper like the layer's: logs how it was called, preloads a file found beside itself, execs the runtime. */
function writeWrapper(sandbox: Sandbox): void {
  sandbox.writeMounted('layer', 'wrapper/exec-wrapper', [
    '#!/bin/sh',
    `echo "wrapper $*" >> "${sandbox.logFile}"`,
    'NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require $(dirname "$0")/preload.cjs"',
    'export NODE_OPTIONS',
    'exec "$@"',
    '',
  ].join('\n'), 0o755);
  sandbox.writeMounted('layer', 'wrapper/preload.cjs', preload('layer-preload', sandbox.logFile));
}

function preload(name: string, logFile: string): string {
  return `const { isMainThread } = require('node:worker_threads');
require('node:fs').appendFileSync(${JSON.stringify(logFile)}, ${JSON.stringify(name)} + ' ' + (isMainThread ? 'main' : 'worker') + ' ' + process.version + '\\n');\n`;
}

describe('The exec wrapper', () => {
  it('starts the runtime as <wrapper> <runtime command...>, with the wrapper\'s /opt path mapped onto the layer', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    writeWrapper(sandbox);
    const env = await lifecycle.start(sandbox, { env: { [FunctionEnv.execWrapper]: WRAPPER } });
    expect((await env.invoke({ action: 'whoami' })).outcome).toBe('success');
    const calls = sandbox.log().filter((line) => line.startsWith('wrapper '));
    expect(calls).toHaveLength(1);
    const [node, ric, handler] = (calls[0] ?? '').slice('wrapper '.length).split(' ');
    expect(node).toBe(env.report().nodeBinary);
    expect(ric).toMatch(/aws-lambda-ric[/\\]index\.mjs$/);
    expect(handler).toBe('index.handler');
    expect(sandbox.log()).toContain(`layer-preload main ${env.report().nodeVersion}`);
  });

  it('wraps the runtime only: the extensions start as they are', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    writeWrapper(sandbox);
    const env = await lifecycle.start(sandbox, { env: { [FunctionEnv.execWrapper]: WRAPPER } });
    await env.shutdown();
    expect(sandbox.log().filter((line) => line.startsWith('wrapper '))).toHaveLength(1);
    expect(sandbox.log().filter((line) => line.startsWith('layer-preload '))).toHaveLength(1);
  });

  it('maps /var/task and /opt paths in NODE_OPTIONS, so a preload named as in Lambda is found', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    sandbox.writeMounted('task', 'task-preload.cjs', preload('task-preload', sandbox.logFile));
    const env = await lifecycle.start(sandbox, { extensionsDir: null, env: { NODE_OPTIONS: '--require /var/task/task-preload.cjs' } });
    const echoed = await env.invoke({ action: 'echo' });
    expect((echoed.payload as { env: Record<string, string> }).env.NODE_OPTIONS).toBe(`--require ${path.join(sandbox.handlerDir, 'task-preload.cjs')}`);
    expect(sandbox.log()).toContain(`task-preload main ${env.report().nodeVersion}`);
  });

  it('runs the wrapper\'s preload in the main thread on Managed Instances, where the handler runs in workers', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext', { events: ['SHUTDOWN'] });
    writeWrapper(sandbox);
    const env = await lifecycle.start(sandbox, { computeMode: ComputeMode.managedInstances, workerCount: 2, env: { [FunctionEnv.execWrapper]: WRAPPER } });
    const result = await env.invoke({ action: 'whoami' });
    expect(result.payload).toMatchObject({ isMainThread: false });
    expect(sandbox.log()).toContain(`layer-preload main ${env.report().nodeVersion}`);
  });

  it('fails Init naming the wrapper when there is no layer to find it in, as Lambda would', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const error = await lifecycle.start(sandbox, { extensionsDir: null, env: { [FunctionEnv.execWrapper]: WRAPPER } }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InitFailedError);
    expect((error as InitFailedError).kind).toBe(InitFailureKind.spawnFailed);
    expect((error as Error).message).toContain(WRAPPER);
  });
});

describe('Mounted paths', () => {
  const mounts = { layerDir: '/work/dist/layer', taskDir: '/work/dist/handler' };

  it('maps /opt onto the layer and /var/task onto the handler directory, and nothing else', () => {
    expect(mapMountedPath('/opt/graceful-shutdown/exec-wrapper', mounts)).toBe('/work/dist/layer/graceful-shutdown/exec-wrapper');
    expect(mapMountedPath('/var/task/index.mjs', mounts)).toBe('/work/dist/handler/index.mjs');
    expect(mapMountedPath('/optional/x', mounts)).toBe('/optional/x');
    expect(mapMountedPath('/usr/bin/env', mounts)).toBe('/usr/bin/env');
  });

  it('maps every path in a list of options, after a space or an equals sign', () => {
    expect(mapMountedPaths('--require /opt/a.cjs --import=/var/task/b.mjs --max-old-space-size=256', mounts))
      .toBe('--require /work/dist/layer/a.cjs --import=/work/dist/handler/b.mjs --max-old-space-size=256');
  });

  it('leaves /opt paths alone when the function has no layer', () => {
    expect(mapMountedPath('/opt/x', { ...mounts, layerDir: null })).toBe('/opt/x');
  });
});
