// One invoke: the event to the runtime's pending
// `next`, INVOKE to the extensions subscribed to it; done when the runtime
// has answered and is back in `next` and every subscribed extension is back
// in `next`. Over the function timeout the environment must be reset
// (`timeout`); a runtime or extension that dies resets it (`failure`).
import { ExtensionEventType, SandboxErrorType, TRACE_HEADER_TYPE } from '../protocol/lambda-api';
import type { Clock } from './clock';
import type { Condition, Waited } from './condition';
import type { Generation } from './generation';
import type { RuntimeAnswer } from './runtime-api';
import type { InvokeOutcome } from './types';

export interface InvocationContext {
  requestId: string;
  payload: Buffer;
  timeoutMs: number;
  invokedFunctionArn: string;
  traceId: string;
  clientContext?: string;
  cognitoIdentity?: string;
  clock: Clock;
  condition: Condition;
  shuttingDown: () => boolean;
}

export interface InvocationResult {
  outcome: InvokeOutcome;
  payload: unknown;
  /** Set when the environment must be reset. */
  reset?: 'timeout' | 'failure';
}

type Ending =
  | { kind: 'done'; answer: RuntimeAnswer }
  | { kind: 'crashed'; who: string; answer?: RuntimeAnswer }
  | { kind: 'shutdown'; answer?: RuntimeAnswer };

export async function runInvocation(generation: Generation, context: InvocationContext): Promise<InvocationResult> {
  const { requestId, timeoutMs } = context;
  const api = generation.runtimeApi;
  const started = context.clock.now();
  const invocation = (deadlineEpochMs: number) => ({
    requestId, payload: context.payload, deadlineEpochMs, invokedFunctionArn: context.invokedFunctionArn, traceId: context.traceId,
    ...(context.clientContext !== undefined ? { clientContext: context.clientContext } : {}),
    ...(context.cognitoIdentity !== undefined ? { cognitoIdentity: context.cognitoIdentity } : {}),
  });
  let deadlineEpochMs: number;
  if (api.concurrent) {
    // Every worker may be between an answer and its next `next`: wait for one, within the timeout.
    // The check takes the `next` itself, so two invokes woken together cannot both count on the same one.
    const taken = await context.condition.until<'shutdown' | 'dead' | number>(() => {
      if (context.shuttingDown()) return 'shutdown';
      if (!generation.runtime?.alive) return 'dead';
      if (!api.waiting) return undefined;
      const deadline = Date.now() + timeoutMs - (context.clock.now() - started);
      api.deliver(invocation(deadline));
      return deadline;
    }, timeoutMs);
    if (!taken.done) return timedOut(timeoutMs);
    if (taken.value === 'shutdown') return { outcome: 'failure', payload: sandboxError(SandboxErrorType.shutdown, 'the environment was shut down before the invocation started') };
    if (taken.value === 'dead') return { outcome: 'failure', reset: 'failure', payload: sandboxError(SandboxErrorType.runtimeExit, 'the runtime was not running') };
    deadlineEpochMs = taken.value;
  } else {
    if (!generation.runtime?.alive || !api.waiting) {
      return { outcome: 'failure', reset: 'failure', payload: sandboxError(SandboxErrorType.runtimeExit, 'the runtime was not waiting for an invocation') };
    }
    deadlineEpochMs = Date.now() + timeoutMs;
    api.deliver(invocation(deadlineEpochMs));
  }
  const remainingMs = timeoutMs - (context.clock.now() - started);
  const subscribed = generation.extensionsApi.registered.filter((extension) => extension.subscribes(ExtensionEventType.invoke));
  for (const extension of subscribed) {
    extension.enqueue({
      eventType: ExtensionEventType.invoke, deadlineMs: deadlineEpochMs, requestId,
      invokedFunctionArn: context.invokedFunctionArn, tracing: { type: TRACE_HEADER_TYPE, value: context.traceId },
    });
  }

  const ended = await context.condition.until<Ending>(() => {
    const answer = api.answerTo(requestId);
    if (context.shuttingDown()) return { kind: 'shutdown', ...(answer ? { answer } : {}) };
    const dead = generation.processes.find((process) => !process.alive);
    if (dead) return { kind: 'crashed', who: dead.kind === 'runtime' ? 'the runtime' : `extension ${dead.name}`, ...(answer ? { answer } : {}) };
    // On-demand the invoke lasts until the runtime is back in `next`; on Managed Instances other workers may all be busy.
    if (answer && (api.concurrent || api.waiting) && subscribed.every((extension) => extension.waiting)) return { kind: 'done', answer };
    return undefined;
  }, remainingMs);
  api.release(requestId);
  return settle(ended, timeoutMs);
}

function settle(ended: Waited<Ending>, timeoutMs: number): InvocationResult {
  if (!ended.done) return timedOut(timeoutMs);
  const ending = ended.value;
  switch (ending.kind) {
    case 'done':
      return fromAnswer(ending.answer);
    case 'crashed':
      // An answer posted before the crash still reached the caller; the environment is reset all the same.
      if (ending.answer) return { ...fromAnswer(ending.answer), reset: 'failure' };
      return { outcome: 'failure', reset: 'failure', payload: sandboxError(SandboxErrorType.runtimeExit, `${ending.who} exited during the invocation`) };
    case 'shutdown':
      if (ending.answer) return fromAnswer(ending.answer);
      return { outcome: 'failure', payload: sandboxError(SandboxErrorType.shutdown, 'the environment was shut down during the invocation') };
  }
}

function timedOut(timeoutMs: number): InvocationResult {
  return { outcome: 'timeout', reset: 'timeout', payload: sandboxError(SandboxErrorType.timeout, `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`) };
}

function fromAnswer(answer: RuntimeAnswer): InvocationResult {
  const payload = parseBody(answer.body);
  if (answer.kind === 'response') return { outcome: 'success', payload };
  return { outcome: 'error', payload };
}

function parseBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sandboxError(errorType: string, errorMessage: string) {
  return { errorType, errorMessage };
}
