// Init under the real aws-lambda-ric: extensions in alphabetical order, all
// registered before the runtime starts, the environment frozen afterwards,
// the variables each process gets, and every way Init can fail.
import { InitFailedError, InitFailureKind, InvalidOptionError, startEnvironment } from '../../src/emulator';
import { ApiStatus, EXTENSION_HIDDEN_ENV, LambdaEnv } from '../../src/protocol/lambda-api';
import { processState, useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();

async function initFailure(promise: Promise<unknown>): Promise<InitFailedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof InitFailedError)) throw new Error(`expected an InitFailedError, got ${String(error)}`);
  return error;
}

describe('Init', () => {
  it('starts the extensions in alphabetical order and the runtime only after all of them registered', async () => {
    const sandbox = lifecycle.sandbox().writeHandler()
      .writeExtension('zeta').writeExtension('alpha').writeExtension('mid-ext');
    const env = await lifecycle.start(sandbox);
    const report = env.report();
    const extensions = report.processes.filter((p) => p.kind === 'extension');
    const runtime = report.processes.find((p) => p.kind === 'runtime');
    expect(extensions.map((p) => p.name)).toEqual(['alpha', 'mid-ext', 'zeta']);
    expect(report.extensions.map((e) => [e.name, e.kind])).toEqual(expect.arrayContaining([['alpha', 'external'], ['mid-ext', 'external'], ['zeta', 'external']]));
    for (const extension of report.extensions) expect(extension.registeredAt).toBeLessThan(runtime?.startedAt ?? -1);
    expect(report.phases.map((p) => p.phase)).toEqual(['init']);
  });

  it('leaves the environment frozen: every process is stopped once Init is over', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    expect(env.state).toBe('frozen');
    expect(env.report().processes.map((p) => processState(p.pid))).toEqual(['T', 'T']);
  });

  it('waits for an internal extension the runtime registers during its init, and closes registration after', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ internalExtension: 'in-process-ext' });
    const env = await lifecycle.start(sandbox, { extensionsDir: null });
    expect(env.report().extensions).toEqual([expect.objectContaining({ name: 'in-process-ext', kind: 'internal', events: [] })]);
    const late = await env.invoke({ action: 'register', name: 'too-late' });
    expect(late.payload).toMatchObject({ status: ApiStatus.forbidden });
  });

  it('gives the runtime the Lambda variables and the function\'s own, and nothing else of the parent\'s', async () => {
    process.env.EMULATOR_TEST_LEAK = 'leaked';
    try {
      const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext', { logEnv: true });
      // No relay: the network would name itself in DB_HOST (network-environment.test.ts shows that).
      const env = await lifecycle.start(sandbox, { env: { DB_HOST: 'db.local' }, functionName: 'env-check', memorySizeMb: 256, network: 'direct' });
      const result = await env.invoke({ action: 'echo' });
      const runtimeEnv = (result.payload as { env: Record<string, string> }).env;
      expect(runtimeEnv).toMatchObject({
        [LambdaEnv.runtimeApi]: env.runtimeApi, [LambdaEnv.taskRoot]: sandbox.handlerDir, [LambdaEnv.handler]: 'index.handler',
        [LambdaEnv.functionName]: 'env-check', [LambdaEnv.functionVersion]: '$LATEST', [LambdaEnv.memorySize]: '256',
        [LambdaEnv.logGroupName]: '/aws/lambda/env-check', [LambdaEnv.region]: expect.any(String), [LambdaEnv.tz]: expect.any(String),
        [LambdaEnv.logStreamName]: expect.any(String), DB_HOST: 'db.local',
      });
      expect(runtimeEnv.EMULATOR_TEST_LEAK).toBeUndefined();
      expect(Object.keys(runtimeEnv).filter((name) => name.startsWith('JEST'))).toEqual([]);

      const line = sandbox.log().find((l) => l.startsWith('ext env '));
      const extensionEnv = JSON.parse(line?.slice('ext env '.length) ?? '{}') as Record<string, string>;
      expect(extensionEnv).toMatchObject({ [LambdaEnv.runtimeApi]: env.runtimeApi, [LambdaEnv.functionName]: 'env-check', DB_HOST: 'db.local' });
      for (const hidden of EXTENSION_HIDDEN_ENV) expect(extensionEnv[hidden]).toBeUndefined();
      expect(Object.keys(extensionEnv).filter((name) => name.startsWith('_'))).toEqual([]);
    } finally {
      delete process.env.EMULATOR_TEST_LEAK;
    }
  });

  it('fails the environment when an extension posts init/error, killing every process', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('a-ok').writeExtension('b-broken', { initError: true });
    const error = await initFailure(lifecycle.start(sandbox));
    expect(error).toMatchObject({ phase: 'init', kind: InitFailureKind.extensionInitError, context: expect.objectContaining({ errorType: 'Extension.TestInitError' }) });
    expect(error.outputs.map((o) => o.name)).toEqual(expect.arrayContaining(['a-ok', 'b-broken']));
    for (const output of error.outputs) expect(output.exitCode !== null || output.signal !== null).toBe(true);
  });

  it('fails the environment when an extension exits before registering, without starting the runtime', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('quitter', { exitBeforeRegister: true });
    const error = await initFailure(lifecycle.start(sandbox));
    expect(error.kind).toBe(InitFailureKind.extensionExited);
    expect(error.outputs.map((o) => o.name)).toEqual(['quitter']);
    expect(error.describe()).toContain('quitter');
  });

  it('fails the environment when an extension never registers within the init limit', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('silent', { neverRegister: true });
    const error = await initFailure(lifecycle.start(sandbox, { initTimeoutMs: 800 }));
    expect(error.kind).toBe(InitFailureKind.extensionNotRegistered);
    expect(error.message).toContain('silent');
    expect(error.outputs[0]?.signal).toBe('SIGKILL');
  });

  it('fails the environment when the handler module throws during init (the runtime posts init/error)', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ initThrow: true });
    const error = await initFailure(lifecycle.start(sandbox, { extensionsDir: null }));
    expect(error.kind).toBe(InitFailureKind.runtimeInitError);
    expect(error.message).toContain('init failed on purpose');
  });

  it('fails the environment when the runtime never asks for an invocation', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const error = await initFailure(lifecycle.start(sandbox, {
      extensionsDir: null, initTimeoutMs: 800, runtimeCommand: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    }));
    expect(error.kind).toBe(InitFailureKind.timeout);
    expect(error.message).toContain('runtime: not in next');
  });

  it('fails the environment when the runtime exits during init', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const error = await initFailure(lifecycle.start(sandbox, { extensionsDir: null, runtimeCommand: [process.execPath, '-e', 'process.exit(7)'] }));
    expect(error.kind).toBe(InitFailureKind.runtimeExited);
    expect(error.outputs).toEqual([expect.objectContaining({ name: 'runtime', exitCode: 7 })]);
  });

  it('rejects a bad option with an error naming it, before starting anything', async () => {
    await expect(startEnvironment({ timeoutMs: 0 })).rejects.toThrow(InvalidOptionError);
    await expect(startEnvironment({ timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(startEnvironment({ handlerDir: '/nonexistent/handler' })).rejects.toThrow(/handlerDir/);
    await expect(startEnvironment({ handler: 'no-export' })).rejects.toThrow(/handler/);
  });
});
