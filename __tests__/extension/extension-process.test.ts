// The built external extension (dist/layer), run as Lambda runs it, against a
// loopback Extensions API that plays Lambda's part.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EXTENSION_EXECUTABLE, EXTENSION_NAME, LAYER_DIR } from '../../src/protocol/artifacts';
import {
  ApiStatus, ExtensionEventType, ExtensionHeader, ExtensionPath, LambdaEnv, ShutdownBudget, ShutdownReason,
} from '../../src/protocol/lambda-api';
import { ExtensionErrorType } from '../../extension/errors';
import { LoopbackExtensionsApi, type LoopbackOptions } from '../../src/testing/loopback-extensions-api';
import { jsonLines, requireBuilt, spawnWithOutput, type Spawned } from './support/processes';

describe('the graceful-shutdown extension process', () => {
  let api: LoopbackExtensionsApi;

  beforeAll(() => requireBuilt(EXTENSION_EXECUTABLE));
  afterEach(async () => api?.close());

  let extension: Spawned;

  async function launch(options: LoopbackOptions = {}, executable = EXTENSION_EXECUTABLE): Promise<Spawned> {
    api = await LoopbackExtensionsApi.start(options);
    extension = spawnWithOutput(executable, [], { [LambdaEnv.runtimeApi]: api.address });
    return extension;
  }

  /** The first request on `path`, failing with the extension's output if it exits first. */
  function requestOn(path: string) {
    return extension.unlessExited(api.waitFor(path), `a request on ${path}`);
  }

  it('registers under its executable\'s file name for SHUTDOWN only', async () => {
    await launch();
    const register = await requestOn(ExtensionPath.register);
    await requestOn(ExtensionPath.next);

    expect(register.headers[ExtensionHeader.name]).toBe(path.basename(EXTENSION_EXECUTABLE));
    expect(register.headers[ExtensionHeader.name]).toBe(EXTENSION_NAME);
    expect(JSON.parse(register.body)).toEqual({ events: [ExtensionEventType.shutdown] });
    extension.child.kill('SIGKILL');
    await extension.exited();
  });

  it('on SHUTDOWN logs one JSON line with the reason and the ms left, and exits 0', async () => {
    await launch();
    await requestOn(ExtensionPath.next);
    const sentAt = Date.now();
    const deadlineMs = sentAt + ShutdownBudget.total;
    api.sendEvent({ eventType: ExtensionEventType.shutdown, shutdownReason: ShutdownReason.spindown, deadlineMs });

    const exit = await extension.exited();
    const exitSeenAt = Date.now();
    expect(exit).toMatchObject({ code: 0, signal: null });
    const lines = jsonLines(exit.output);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', extension: EXTENSION_NAME, shutdownReason: 'spindown' });
    expect(lines[0].msToDeadline).toEqual(expect.any(Number));
    // The ms left are the event's deadline minus the extension's clock, read
    // after the event was sent and before the extension exited: a fact of the
    // line, true however slow the machine, and false for any other arithmetic.
    const readAt = deadlineMs - (lines[0].msToDeadline as number);
    expect({ readAfterSending: readAt >= sentAt, readBeforeExit: readAt <= exitSeenAt }).toEqual({ readAfterSending: true, readBeforeExit: true });
  });

  it('finds its code relative to its own path, wherever the layer is mounted', async () => {
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'layer-copy-'));
    try {
      cpSync(LAYER_DIR, elsewhere, { recursive: true });
      await launch({}, path.join(elsewhere, 'extensions', EXTENSION_NAME));
      await requestOn(ExtensionPath.next);
      api.sendEvent({ eventType: ExtensionEventType.shutdown, shutdownReason: ShutdownReason.timeout, deadlineMs: Date.now() + ShutdownBudget.total });
      expect(await extension.exited()).toMatchObject({ code: 0 });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('after a refused registration, exits non-zero with one error line and posts nothing Lambda would refuse', async () => {
    await launch({ registerStatus: ApiStatus.forbidden });
    const exit = await extension.exited();

    expect(exit.code).toBe(1);
    // init/error needs the identifier a refused register never handed out: the exit code is the report.
    expect(api.requests.map((r) => r.path)).toEqual([ExtensionPath.register]);
    const lines = jsonLines(exit.output);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'registration failed', status: 403 }));
    expect(lines.filter((line) => line.level === 'WARN')).toEqual([]);
  });

  it('reports an event it did not subscribe to on exit/error and exits non-zero', async () => {
    await launch();
    await requestOn(ExtensionPath.next);
    api.sendEvent({ eventType: ExtensionEventType.invoke, deadlineMs: Date.now() + 3000, requestId: 'r-1', invokedFunctionArn: 'arn', tracing: { type: 'X-Amzn-Trace-Id', value: 't' } });

    const exit = await extension.exited();
    const exitError = api.requests.find((r) => r.path === ExtensionPath.exitError);
    expect(exit.code).toBe(1);
    expect(exitError?.headers[ExtensionHeader.functionErrorType]).toBe(ExtensionErrorType.unexpectedEvent);
    expect(exitError?.headers[ExtensionHeader.identifier]).toBe('ext-id-1');
  });

  it('reports a failed next on exit/error and exits non-zero', async () => {
    await launch();
    await requestOn(ExtensionPath.next);
    api.sendEvent({ errorMessage: 'internal' }, ApiStatus.internalError);

    const exit = await extension.exited();
    const exitError = api.requests.find((r) => r.path === ExtensionPath.exitError);
    expect(exit.code).toBe(1);
    expect(exitError?.headers[ExtensionHeader.functionErrorType]).toBe(ExtensionErrorType.nextEventFailed);
  });

  it('exits non-zero, naming the variable, when AWS_LAMBDA_RUNTIME_API is missing', async () => {
    const extension = spawnWithOutput(EXTENSION_EXECUTABLE, [], {});
    const exit = await extension.exited();
    expect(exit.code).toBe(1);
    expect(jsonLines(exit.output)).toContainEqual(expect.objectContaining({ errorType: 'ConfigurationError', variable: LambdaEnv.runtimeApi }));
  });
});
