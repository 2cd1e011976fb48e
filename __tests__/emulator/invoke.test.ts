// Invokes under the real aws-lambda-ric: what the runtime and the extensions
// receive, the outcomes, and the resets (timeout, failure) with a new Init on
// the next invoke.
import { EnvironmentStateError } from '../../src/emulator';
import { MAX_PAYLOAD_BYTES, SandboxErrorType } from '../../src/protocol/lambda-api';
import { useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();

/** The events an extension logged, parsed. */
function eventsOf(lines: string[], name: string): Record<string, unknown>[] {
  const prefix = `${name} event `;
  return lines.filter((line) => line.startsWith(prefix)).map((line) => JSON.parse(line.slice(prefix.length)) as Record<string, unknown>);
}

describe('Invoke', () => {
  it('hands the event to the handler with the request id, ARN, deadline and trace id, and returns its result', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await lifecycle.start(sandbox, { extensionsDir: null, timeoutMs: 2_000, functionName: 'echo-fn' });
    const result = await env.invoke({ action: 'echo', n: 1 });
    expect(result).toMatchObject({ outcome: 'success', reinitialized: false });
    expect(result.payload).toMatchObject({
      event: { action: 'echo', n: 1 },
      requestId: result.requestId,
      arn: expect.stringMatching(/:function:echo-fn$/),
      traceId: expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/),
    });
    const remaining = (result.payload as { remainingMs: number }).remainingMs;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(2_000);
    expect(env.state).toBe('frozen');
  });

  it('passes a client context and a Cognito identity through their headers', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await lifecycle.start(sandbox, { extensionsDir: null });
    const result = await env.invoke({ action: 'echo' }, {
      clientContext: { client: { app_title: 'demo' }, custom: { tenant: 't1' } },
      cognitoIdentity: { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' },
    });
    expect(result.payload).toMatchObject({
      clientContext: expect.objectContaining({ custom: { tenant: 't1' } }),
      identity: expect.objectContaining({ cognitoIdentityId: 'id-1' }),
    });
  });

  it('sends INVOKE to the extensions subscribed to it, and not to the others', async () => {
    const sandbox = lifecycle.sandbox().writeHandler()
      .writeExtension('listens', { events: ['INVOKE', 'SHUTDOWN'] })
      .writeExtension('shutdown-only', { events: ['SHUTDOWN'] });
    const env = await lifecycle.start(sandbox);
    const first = await env.invoke({ action: 'ok' });
    const second = await env.invoke({ action: 'ok' });
    const events = eventsOf(sandbox.log(), 'listens');
    expect(events).toEqual([first, second].map((result) => ({
      eventType: 'INVOKE', requestId: result.requestId, deadlineMs: expect.any(Number),
      invokedFunctionArn: expect.stringMatching(/^arn:aws:lambda:/), tracing: { type: 'X-Amzn-Trace-Id', value: expect.stringMatching(/^Root=1-/) },
    })));
    expect(eventsOf(sandbox.log(), 'shutdown-only')).toEqual([]);
  });

  it('reports a handler error as outcome error, without a reset', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await lifecycle.start(sandbox, { extensionsDir: null });
    const result = await env.invoke({ action: 'fail' });
    expect(result).toMatchObject({ outcome: 'error', payload: { errorType: 'Error', errorMessage: 'handler failed on purpose' } });
    expect(env.report().resets).toEqual([]);
    expect((await env.invoke({ action: 'ok' })).outcome).toBe('success');
  });

  it('resets the environment with reason timeout past the function timeout, and re-inits on the next invoke', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' }).writeExtension('ext');
    const env = await lifecycle.start(sandbox, { timeoutMs: 1_000 });
    const slow = await env.invoke({ action: 'sleep', ms: 5_000 });
    expect(slow).toMatchObject({ outcome: 'timeout', payload: { errorType: SandboxErrorType.timeout } });
    expect(env.report().resets).toEqual([{ reason: 'timeout', at: expect.any(Number) }]);
    expect(eventsOf(sandbox.log(), 'ext').at(-1)).toMatchObject({ eventType: 'SHUTDOWN', shutdownReason: 'timeout' });
    expect(sandbox.log()).toContain('runtime sigterm');

    const next = await env.invoke({ action: 'ok' });
    expect(next).toMatchObject({ outcome: 'success', reinitialized: true });
    const report = env.report();
    expect(report.processes.map((p) => p.name)).toEqual(['ext', 'runtime', 'ext', 'runtime']);
    expect(report.phases.filter((p) => p.phase === 'init')).toHaveLength(2);
  });

  it('resets the environment with reason failure when the runtime dies mid-invoke, and re-inits on the next invoke', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    const crash = await env.invoke({ action: 'crash' });
    expect(crash).toMatchObject({ outcome: 'failure', payload: { errorType: SandboxErrorType.runtimeExit } });
    expect(env.report().resets).toEqual([{ reason: 'failure', at: expect.any(Number) }]);
    expect(eventsOf(sandbox.log(), 'ext').at(-1)).toMatchObject({ eventType: 'SHUTDOWN', shutdownReason: 'failure' });
    expect(await env.invoke({ action: 'ok' })).toMatchObject({ outcome: 'success', reinitialized: true });
  });

  it('resets the environment with reason failure when an extension dies mid-invoke', async () => {
    const sandbox = lifecycle.sandbox().writeHandler({ sigterm: 'log-and-exit' }).writeExtension('crashy', { exitOnInvoke: true });
    const env = await lifecycle.start(sandbox);
    // The runtime may or may not have answered before the crash was seen: the outcome follows the answer, the reset does not.
    await env.invoke({ action: 'ok' });
    const report = env.report();
    expect(report.resets).toEqual([{ reason: 'failure', at: expect.any(Number) }]);
    expect(report.processes.find((p) => p.name === 'crashy')).toMatchObject({ exitCode: 5, killedByEmulator: false });
    expect(sandbox.log()).toContain('runtime sigterm');
    expect((await env.invoke({ action: 'other' })).reinitialized).toBe(true);
  });

  it('runs several environments side by side, each on its own port', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const envs = await Promise.all([1, 2, 3].map(() => lifecycle.start(sandbox)));
    expect(new Set(envs.map((env) => env.runtimeApi)).size).toBe(3);
    const results = await Promise.all(envs.map((env, i) => env.invoke({ action: 'echo', i })));
    expect(results.map((r) => (r.payload as { event: { i: number } }).event.i)).toEqual([0, 1, 2]);
    const reports = await Promise.all(envs.map((env) => env.shutdown()));
    expect(reports.flatMap((r) => r.processes.map((p) => p.killedByEmulator))).toEqual([false, false, false, false, false, false]);
  });

  it('ends an invoke in flight when the environment is shut down, and refuses invokes afterwards', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox, { timeoutMs: 10_000 });
    const inFlight = env.invoke({ action: 'sleep', ms: 8_000 });
    // In flight: the runtime has taken the event (a state, not a guess at how long that takes).
    const deadline = Date.now() + 10_000;
    for (let i = 0; i < 1_000 && env.report().invocations.length === 0 && Date.now() < deadline; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const report = await env.shutdown();
    expect(await inFlight).toMatchObject({ outcome: 'failure', payload: { errorType: SandboxErrorType.shutdown } });
    expect(report.shutdownReason).toBe('spindown');
    expect(env.state).toBe('shutdown');
    await expect(env.invoke({ action: 'ok' })).rejects.toThrow(EnvironmentStateError);
  });

  it('fails an invoke whose response is over 6 MB as Function.ResponseSizeTooLarge, and the runtime goes on', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await lifecycle.start(sandbox, { extensionsDir: null });
    const big = await env.invoke({ action: 'big', bytes: MAX_PAYLOAD_BYTES + 1 });
    expect(big).toMatchObject({ outcome: 'error', payload: { errorType: SandboxErrorType.responseTooLarge } });
    expect(await env.invoke({ action: 'ok' })).toMatchObject({ outcome: 'success', reinitialized: false });
    expect(env.report().resets).toEqual([]);
  });

  it('refuses an event over 6 MB before it reaches the runtime', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    const env = await lifecycle.start(sandbox, { extensionsDir: null });
    await expect(env.invoke({ data: 'x'.repeat(6 * 1024 * 1024) })).rejects.toThrow(/6 MB/);
    expect((await env.invoke({ action: 'ok' })).outcome).toBe('success');
  });
});
