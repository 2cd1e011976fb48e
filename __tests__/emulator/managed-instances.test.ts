// Managed Instances mode under the real aws-lambda-ric in its multi-concurrent
// mode: one `next` per worker thread, concurrent invokes each answered by its
// own request id, nothing ever frozen, extensions limited to SHUTDOWN, and
// the same shutdown sequence as on-demand.
import { ApiServer } from '../../src/emulator/api-server';
import { Condition } from '../../src/emulator/condition';
import { InitFailedError, InitFailureKind, InvalidOptionError, startEnvironment, type Environment, type EnvironmentOptions } from '../../src/emulator';
import { Generation } from '../../src/emulator/generation';
import { FunctionEnv } from '../../src/protocol/function-env';
import { ApiErrorType, ApiStatus, ExtensionEventType, ExtensionHeader, ExtensionPath, RuntimePath } from '../../src/protocol/lambda-api';
import { ComputeMode, INITIALIZATION_TYPE_ENV } from '../../src/protocol/lambda-runtime';
import { processState, useLifecycle } from './support/lifecycle';
import type { Sandbox } from './support/fixtures';
import { rawRequest } from './support/raw-client';

const lifecycle = useLifecycle();
const WORKERS = 3;
/** Invokes that wait for each other in a barrier need more than the 3 s default on a busy machine. */
const SLOW_OK_MS = 15_000;

function startManaged(sandbox: Sandbox, options: EnvironmentOptions = {}): Promise<Environment> {
  return lifecycle.start(sandbox, { computeMode: ComputeMode.managedInstances, workerCount: WORKERS, timeoutMs: SLOW_OK_MS, ...options });
}

type Whoami = { threadId: number; requestId: string; isMainThread: boolean; n: number | null };

describe('Managed Instances', () => {
  it('gives the runtime the Managed Instances variables, so aws-lambda-ric runs the handler in worker threads', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await startManaged(sandbox, { extensionsDir: null, maxConcurrency: 6 });
    const echoed = await env.invoke({ action: 'echo' });
    expect((echoed.payload as { env: Record<string, string> }).env).toMatchObject({
      [FunctionEnv.maxConcurrency]: '6', [FunctionEnv.workerCount]: String(WORKERS), [INITIALIZATION_TYPE_ENV]: 'lambda-managed-instances',
    });
    const whoami = (await env.invoke({ action: 'whoami' })).payload as Whoami;
    expect(whoami.isMainThread).toBe(false);
    expect(env.report()).toMatchObject({ computeMode: 'managed-instances', maxConcurrency: 6, workerCount: WORKERS });
  });

  it('ends Init only when every worker waits in next, so the first invokes at once go to different workers', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await startManaged(sandbox, { extensionsDir: null });
    // Each invoke returns only once all three are in the handler at the same time: impossible one at a time.
    const results = await Promise.all([0, 1, 2].map(() => env.invoke({ action: 'barrier', name: 'first', count: WORKERS })));
    expect(results.map((r) => r.outcome)).toEqual(['success', 'success', 'success']);
    const threads = new Set(results.map((r) => (r.payload as Whoami).threadId));
    expect(threads.size).toBe(WORKERS);
  });

  it('answers concurrent invokes each with its own result, matched by request id', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await startManaged(sandbox, { extensionsDir: null, maxConcurrency: 6 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, n) => env.invoke({ action: 'whoami', n })));
    results.forEach((result, n) => {
      expect(result.outcome).toBe('success');
      expect(result.payload).toMatchObject({ n, requestId: result.requestId, isMainThread: false });
    });
    expect(new Set(results.map((r) => r.requestId)).size).toBe(12);
    expect(env.report().invocations.map((i) => i.requestId).sort()).toEqual(results.map((r) => r.requestId).sort());
  });

  it('keeps at most maxConcurrency invocations in flight; more wait for a slot', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await startManaged(sandbox, { extensionsDir: null, maxConcurrency: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => env.invoke({ action: 'sleep', ms: 50 })));
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    const spans = env.report().invocations.map((i) => [i.deliveredAt, i.answeredAt ?? Infinity] as const);
    const most = Math.max(...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length));
    expect(most).toBeLessThanOrEqual(2);
  });

  it('never freezes: a timer the handler set fires while no invoke runs', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext', { events: [ExtensionEventType.shutdown] });
    const env = await startManaged(sandbox);
    await env.invoke({ action: 'arm', ms: 100 });
    expect(env.state).toBe('running');
    for (let i = 0; i < 100 && !sandbox.timerFired(); i += 1) await env.idle(50);
    expect(sandbox.timerFired()).toBe(true);
    expect(env.report().processes.map((p) => processState(p.pid))).not.toContain('T');
    expect(env.report().phases.map((p) => p.phase)).not.toContain('freeze');
  });

  it('refuses an extension that registers for INVOKE, failing Init', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('wants-invoke', { events: [ExtensionEventType.invoke, ExtensionEventType.shutdown] });
    const error = await startManaged(sandbox).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InitFailedError);
    expect((error as InitFailedError).kind).toBe(InitFailureKind.extensionExited);
    const refusal = sandbox.log().find((line) => line.startsWith('wants-invoke register-refused '));
    expect(JSON.parse(refusal?.slice('wants-invoke register-refused '.length) ?? '{}')).toMatchObject({ errorType: ApiErrorType.extensionInvalidEventType });
  });

  it('shuts down as on-demand does: SIGTERM to the runtime, then SHUTDOWN to the extension', async () => {
    // The fixture's SIGTERM listener runs in worker threads, where Node delivers no signal: the process dies of SIGTERM itself.
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' }).writeExtension('ext', { events: [ExtensionEventType.shutdown] });
    const env = await startManaged(sandbox);
    await env.invoke({ action: 'whoami' });
    const report = await env.shutdown();
    const runtime = report.processes.find((p) => p.kind === 'runtime');
    expect(runtime).toMatchObject({ signal: 'SIGTERM', killedByEmulator: false });
    expect(report.runtimeBudgetMs).toBe(300);
    expect(report.extensions[0]?.received).toEqual([ExtensionEventType.shutdown]);
    expect(sandbox.log()).not.toContain('runtime sigterm');
  });

  it('resets the whole environment when one invocation times out, and the next invoke runs a new Init', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await startManaged(sandbox, { extensionsDir: null });
    const slow = await env.invoke({ action: 'sleep', ms: 10_000 }, { timeoutMs: 500 });
    expect(slow.outcome).toBe('timeout');
    expect(env.report().resets).toEqual([expect.objectContaining({ reason: 'timeout' })]);
    const next = await env.invoke({ action: 'whoami' });
    expect(next).toMatchObject({ outcome: 'success', reinitialized: true });
  });

  it('refuses the Managed Instances options on an on-demand environment, naming them', async () => {
    await expect(startEnvironment({ maxConcurrency: 4 })).rejects.toThrow(InvalidOptionError);
    await expect(startEnvironment({ workerCount: 2 })).rejects.toThrow(/EnvironmentOptions\.workerCount: applies to computeMode "managed-instances" only/);
    await expect(startEnvironment({ computeMode: ComputeMode.managedInstances, workerCount: 2, env: { [FunctionEnv.workerCount]: '3' } }))
      .rejects.toThrow(/EnvironmentOptions\.workerCount: is 2 but env\.AWS_LAMBDA_NODEJS_WORKER_COUNT is 3/);
  });
});

describe('Managed Instances Runtime and Extensions API', () => {
  let server: ApiServer;
  let generation: Generation;
  let api: string;
  const condition = new Condition();

  beforeEach(async () => {
    generation = new Generation(1, new Set(['ext']), { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler' }, () => condition.notify(), () => 0, true);
    server = new ApiServer((request, reply) => {
      if (!generation.route(request, reply)) reply.error(ApiStatus.notFound, ApiErrorType.notFound, 'no route');
    });
    api = await server.listen();
  });
  afterEach(() => server.close());

  const invocation = (requestId: string) => ({
    requestId, payload: Buffer.from(JSON.stringify({ requestId })), deadlineEpochMs: Date.now() + 3_000,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', traceId: 'Root=1-00000000-000000000000000000000000;Sampled=0',
  });

  it('keeps several next calls pending and answers each invocation by its request id', async () => {
    const nexts = [rawRequest(api, 'GET', RuntimePath.next), rawRequest(api, 'GET', RuntimePath.next), rawRequest(api, 'GET', RuntimePath.next)];
    await condition.until(() => (generation.runtimeApi.waitingCount === 3 ? true : undefined), 5_000);
    expect(generation.runtimeApi.waitingCount).toBe(3);
    for (const id of ['a', 'b', 'c']) generation.runtimeApi.deliver(invocation(id));
    const delivered = (await Promise.all(nexts)).map((response) => (response.json() as { requestId: string }).requestId).sort();
    expect(delivered).toEqual(['a', 'b', 'c']);
    // Answered out of order, each to its own id; a second answer is refused, an unknown id is 400.
    for (const id of ['c', 'a', 'b']) expect((await rawRequest(api, 'POST', RuntimePath.response(id), { body: JSON.stringify({ id }) })).status).toBe(ApiStatus.accepted);
    expect(generation.runtimeApi.answerTo('a')?.body.toString()).toBe('{"id":"a"}');
    expect((await rawRequest(api, 'POST', RuntimePath.response('a'), { body: '{}' })).status).toBe(ApiStatus.forbidden);
    expect((await rawRequest(api, 'POST', RuntimePath.response('zzz'), { body: '{}' })).status).toBe(ApiStatus.badRequest);
  });

  it('answers a registration naming INVOKE with 403 Extension.InvalidEventType, and accepts SHUTDOWN alone', async () => {
    const register = (events: string[]) => rawRequest(api, 'POST', ExtensionPath.register, { headers: { [ExtensionHeader.name]: 'ext' }, body: JSON.stringify({ events }) });
    const refused = await register([ExtensionEventType.invoke, ExtensionEventType.shutdown]);
    expect(refused.status).toBe(ApiStatus.forbidden);
    expect(refused.json()).toEqual({ errorType: ApiErrorType.extensionInvalidEventType, errorMessage: expect.stringContaining(ExtensionEventType.invoke) });
    expect((await register([ExtensionEventType.shutdown])).status).toBe(ApiStatus.ok);
  });
});
