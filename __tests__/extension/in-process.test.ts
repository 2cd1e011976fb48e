// registerInProcessExtension against a loopback Extensions API: what it
// registers, that it parks in next without holding the process, and that a
// failed registration fails init loudly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { ApiStatusError, ConfigurationError } from '../../extension/errors';
import { InProcessRegistrationError, INTERNAL_EXTENSION_NAME, registerInProcessExtension } from '../../extension/in-process';
import type { LogLine } from '../../extension/log';
import { EXTENSION_NAME, PROJECT_ROOT } from '../../src/protocol/artifacts';
import { ApiStatus, ExtensionHeader, ExtensionPath, LambdaEnv } from '../../src/protocol/lambda-api';
import { LoopbackExtensionsApi } from '../../src/testing/loopback-extensions-api';
import { spawnWithOutput } from './support/processes';

describe('registerInProcessExtension', () => {
  let api: LoopbackExtensionsApi;
  let logged: Parameters<LogLine>[];
  let log: LogLine;

  beforeEach(() => {
    // A fresh sink per test: a previous test's parked next fails when its
    // server closes, and must not log into this test's lines.
    const lines: Parameters<LogLine>[] = [];
    logged = lines;
    log = (...line) => { lines.push(line); };
  });
  afterEach(async () => api?.close());

  it('registers an internal extension for no events, under a name that is not the layer extension\'s', async () => {
    api = await LoopbackExtensionsApi.start();
    await registerInProcessExtension({ runtimeApi: api.address, log });

    const [register] = api.requests;
    expect(register.path).toBe(ExtensionPath.register);
    expect(register.headers[ExtensionHeader.name]).toBe(INTERNAL_EXTENSION_NAME);
    expect(INTERNAL_EXTENSION_NAME).not.toBe(EXTENSION_NAME);
    expect(JSON.parse(register.body)).toEqual({ events: [] });
  });

  it('then waits in next with the identifier it was given, so init can complete', async () => {
    api = await LoopbackExtensionsApi.start({ identifier: 'internal-7' });
    await registerInProcessExtension({ runtimeApi: api.address, name: 'my-sigterm', log });

    const next = await api.waitFor(ExtensionPath.next);
    expect(next.headers[ExtensionHeader.identifier]).toBe('internal-7');
    expect(api.requests[0].headers[ExtensionHeader.name]).toBe('my-sigterm');
  });

  it('logs one warning, and does not throw, if the parked next ever fails', async () => {
    api = await LoopbackExtensionsApi.start();
    await registerInProcessExtension({ runtimeApi: api.address, log });
    await api.waitFor(ExtensionPath.next);
    api.sendEvent({ errorMessage: 'gone' }, ApiStatus.internalError);

    await waitUntil(() => logged.length > 0);
    expect(logged).toHaveLength(1);
    expect(logged[0][0]).toBe('WARN');
    expect(logged[0][2]).toMatchObject({ extension: INTERNAL_EXTENSION_NAME, status: 500 });
  });

  it('reads AWS_LAMBDA_RUNTIME_API when no runtimeApi is given', async () => {
    api = await LoopbackExtensionsApi.start();
    const saved = process.env[LambdaEnv.runtimeApi];
    process.env[LambdaEnv.runtimeApi] = api.address;
    try {
      await registerInProcessExtension({ log });
    } finally {
      if (saved === undefined) delete process.env[LambdaEnv.runtimeApi];
      else process.env[LambdaEnv.runtimeApi] = saved;
    }
    expect(api.requests[0]?.path).toBe(ExtensionPath.register);
  });

  it('fails with an InProcessRegistrationError carrying the API\'s refusal when registration is refused', async () => {
    api = await LoopbackExtensionsApi.start({ registerStatus: ApiStatus.forbidden });
    const error = await registerInProcessExtension({ runtimeApi: api.address, log }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InProcessRegistrationError);
    expect(error).toMatchObject({ name: 'InProcessRegistrationError', context: { name: INTERNAL_EXTENSION_NAME } });
    expect((error as Error).message).toMatch(/SIGKILL/);
    expect((error as Error).cause).toBeInstanceOf(ApiStatusError);
    expect(((error as Error).cause as ApiStatusError).status).toBe(403);
  });

  it('fails naming the variable when there is no Runtime API to register with', async () => {
    const saved = process.env[LambdaEnv.runtimeApi];
    delete process.env[LambdaEnv.runtimeApi];
    try {
      const error = await registerInProcessExtension({ log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InProcessRegistrationError);
      expect((error as Error).cause).toBeInstanceOf(ConfigurationError);
      expect(((error as Error).cause as Error).message).toContain(LambdaEnv.runtimeApi);
    } finally {
      if (saved !== undefined) process.env[LambdaEnv.runtimeApi] = saved;
    }
  });

  it('does not keep a process alive: with only the parked next pending, the process exits on its own', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'in-process-'));
    try {
      const entry = path.join(dir, 'entry.ts');
      writeFileSync(entry, [
        `import { registerInProcessExtension } from ${JSON.stringify(path.join(PROJECT_ROOT, 'extension/in-process'))};`,
        'await registerInProcessExtension();',
        "process.stdout.write('registered\\n');",
      ].join('\n'));
      await build({ entryPoints: [entry], outfile: path.join(dir, 'entry.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
      api = await LoopbackExtensionsApi.start();

      const child = spawnWithOutput(process.execPath, [path.join(dir, 'entry.mjs')], { [LambdaEnv.runtimeApi]: api.address });
      const exit = await child.exited();

      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.output).toContain('registered');
      // It really was parked in next when it left (nothing answered it).
      expect(api.requests.map((r) => r.path)).toEqual([ExtensionPath.register, ExtensionPath.next]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
