// The built extension and the in-process alternative under the lifecycle
// emulator (real Runtime and Extensions API, aws-lambda-ric as the runtime,
// real SIGTERM/SIGKILL). The handlers are tiny ESM files in a temp dir: these
// tests are about the shutdown signal, not the database.
import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { INTERNAL_EXTENSION_NAME } from '../../extension/in-process';
import { InitFailedError, InitFailureKind, startEnvironment, type Environment, type EnvironmentOptions } from '../../src/emulator';
import { EXTENSION_EXECUTABLE, EXTENSION_NAME, LAYER_DIR, PROJECT_ROOT } from '../../src/protocol/artifacts';
import { ExtensionEventType, ShutdownBudget, ShutdownReason } from '../../src/protocol/lambda-api';
import { jsonLines, requireBuilt } from './support/processes';

/** A handler that says when it gets SIGTERM, then dies of it (default action). */
const SIGTERM_REPORTER = [
  "process.once('SIGTERM', () => {",
  "  process.stdout.write('runtime received SIGTERM\\n');",
  "  process.kill(process.pid, 'SIGTERM');",
  '});',
  'export const handler = async (event) => ({ ok: true, event });',
].join('\n');

/**
 * A process's output once its pipes have drained. The emulator marks a
 * process exited on 'exit', which can come before the last bytes it wrote are
 * read; this waits (bounded) for `expected` to show up in the report.
 */
async function drainedOutput(env: Environment, kind: 'runtime' | 'extension', expected: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const output = env.report().processes.filter((p) => p.kind === kind).map((p) => p.output).join('');
    if (output.includes(expected) || Date.now() > deadline) return output;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('under the emulator', () => {
  let dir: string;
  const started: Environment[] = [];

  beforeAll(() => {
    requireBuilt(EXTENSION_EXECUTABLE);
    dir = mkdtempSync(path.join(tmpdir(), 'extension-emulator-'));
  });
  // A failed expectation must not leave a frozen (SIGSTOPped) environment behind.
  afterEach(async () => {
    for (const env of started.splice(0)) if (env.state !== 'shutdown') await env.shutdown();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function start(options: EnvironmentOptions): Promise<Environment> {
    const env = await startEnvironment(options);
    started.push(env);
    return env;
  }

  /** Bundles `source` (which may import the in-process module) into its own handler dir. */
  async function handlerDir(name: string, source: string): Promise<string> {
    const out = path.join(dir, name);
    const entry = path.join(dir, `${name}.ts`);
    writeFileSync(entry, source);
    await build({ entryPoints: [entry], outfile: path.join(out, 'index.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
    return out;
  }

  describe('the layer extension', () => {
    it('registers as external for SHUTDOWN, gets SHUTDOWN spindown, logs one line and exits 0 by itself', async () => {
      const env = await start({ handlerDir: await handlerDir('layer', SIGTERM_REPORTER), label: 'extension-layer' });
      expect((await env.invoke({ ping: 1 })).outcome).toBe('success');
      const shutdownCalledAt = Date.now();
      const report = await env.shutdown(ShutdownReason.spindown);
      const shutdownReturnedAt = Date.now();

      expect(report.extensions).toEqual([expect.objectContaining({
        name: EXTENSION_NAME, kind: 'external', events: [ExtensionEventType.shutdown], received: [ExtensionEventType.shutdown], errors: [],
      })]);
      const extension = report.processes.find((p) => p.kind === 'extension' && p.name === EXTENSION_NAME);
      expect(extension).toMatchObject({ exitCode: 0, signal: null, killedByEmulator: false });
      const lines = jsonLines(await drainedOutput(env, 'extension', 'shutdown received'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ message: 'shutdown received', shutdownReason: 'spindown' });
      // The emulator (in this process, on this clock) sets the deadline to the
      // sequence's start plus 2 s, inside shutdown(); the extension reads its
      // clock after that and before shutdown() returns. So the ms it reports
      // say when it read them: inside that call, however slow the machine.
      const msToDeadline = lines[0].msToDeadline as number;
      expect(msToDeadline).toEqual(expect.any(Number));
      expect({
        readAfterTheDeadlineWasSet: msToDeadline <= ShutdownBudget.total,
        readBeforeShutdownReturned: msToDeadline >= shutdownCalledAt + ShutdownBudget.total - shutdownReturnedAt,
      }).toEqual({ readAfterTheDeadlineWasSet: true, readBeforeShutdownReturned: true });
    });

    it('makes the emulator SIGTERM the runtime, with the 300 ms share', async () => {
      const env = await start({ handlerDir: await handlerDir('layer-sigterm', SIGTERM_REPORTER), label: 'extension-layer-sigterm' });
      const report = await env.shutdown(ShutdownReason.spindown);

      const runtime = report.processes.find((p) => p.kind === 'runtime');
      expect(await drainedOutput(env, 'runtime', 'runtime received SIGTERM')).toContain('runtime received SIGTERM');
      expect(runtime).toMatchObject({ signal: 'SIGTERM', killedByEmulator: false });
      expect(report.runtimeBudgetMs).toBe(ShutdownBudget.runtimeWithExternal);
    });

    it('fails init when its registration is refused (renamed, it is no file\'s name: an internal extension asking for SHUTDOWN, 403)', async () => {
      const layer = path.join(dir, 'renamed-layer');
      cpSync(LAYER_DIR, layer, { recursive: true });
      renameSync(path.join(layer, 'extensions', EXTENSION_NAME), path.join(layer, 'extensions', 'renamed-extension'));

      const error = await start({
        handlerDir: await handlerDir('renamed', SIGTERM_REPORTER), extensionsDir: path.join(layer, 'extensions'), label: 'extension-renamed',
      }).catch((e: unknown) => e);

      // Lambda requires the identifier on init/error, and a refused register
      // hands out none: the extension does not try, and its non-zero exit is
      // what fails init.
      expect(error).toBeInstanceOf(InitFailedError);
      const initFailed = error as InitFailedError;
      expect(initFailed.kind).toBe(InitFailureKind.extensionExited);
      const extension = initFailed.outputs.find((p) => p.name === 'renamed-extension');
      expect(extension?.exitCode).toBe(1);
      const lines = jsonLines(extension?.output ?? '');
      expect(lines).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'registration failed', status: 403 }));
      expect(lines.filter((line) => line.level === 'WARN')).toEqual([]);
    });
  });

  describe('the in-process (internal) extension', () => {
    it('with no layer at all, gets the runtime a SIGTERM instead of a SIGKILL, with the 500 ms share', async () => {
      const source = [
        `import { registerInProcessExtension } from ${JSON.stringify(path.join(PROJECT_ROOT, 'extension/in-process'))};`,
        'await registerInProcessExtension();',
        SIGTERM_REPORTER,
      ].join('\n');
      const env = await start({ handlerDir: await handlerDir('in-process', source), extensionsDir: null, label: 'extension-in-process' });
      expect((await env.invoke({ ping: 1 })).outcome).toBe('success');
      const report = await env.shutdown(ShutdownReason.spindown);

      expect(report.extensions).toEqual([expect.objectContaining({ name: INTERNAL_EXTENSION_NAME, kind: 'internal', events: [], received: [], errors: [] })]);
      expect(report.processes.filter((p) => p.kind === 'extension')).toEqual([]);
      const runtime = report.processes.find((p) => p.kind === 'runtime');
      expect(await drainedOutput(env, 'runtime', 'runtime received SIGTERM')).toContain('runtime received SIGTERM');
      expect(runtime).toMatchObject({ signal: 'SIGTERM', killedByEmulator: false });
      expect(report.runtimeBudgetMs).toBe(ShutdownBudget.runtimeInternalOnly);
    });

    it('fails loudly when called after init, which Lambda refuses with 403', async () => {
      const source = [
        `import { registerInProcessExtension } from ${JSON.stringify(path.join(PROJECT_ROOT, 'extension/in-process'))};`,
        'export const handler = async () => {',
        '  try { await registerInProcessExtension(); return { registered: true }; }',
        '  catch (error) { return { registered: false, name: error.name, status: error.cause?.status }; }',
        '};',
      ].join('\n');
      const env = await start({ handlerDir: await handlerDir('late-registration', source), extensionsDir: null, label: 'extension-late' });
      const result = await env.invoke({});
      await env.shutdown();

      expect(result).toMatchObject({ outcome: 'success', payload: { registered: false, name: 'InProcessRegistrationError', status: 403 } });
    });

    it('is what makes the difference: the same handler without it is SIGKILLed with no SIGTERM', async () => {
      const env = await start({ handlerDir: await handlerDir('no-extension', SIGTERM_REPORTER), extensionsDir: null, label: 'extension-none' });
      const report = await env.shutdown(ShutdownReason.spindown);

      expect(report.extensions).toEqual([]);
      const runtime = report.processes.find((p) => p.kind === 'runtime');
      expect(runtime?.output).not.toContain('runtime received SIGTERM');
      expect(runtime?.signal).toBe('SIGKILL');
      expect(report.runtimeBudgetMs).toBeUndefined();
    });
  });
});
