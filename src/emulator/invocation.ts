// One invoke (DESIGN section 4, phase 2): the event to the runtime's pending
// `next`, INVOKE to the extensions subscribed to it; done when the runtime
// has answered and is back in `next` and every subscribed extension is back
// in `next`. Over the function timeout the environment must be reset
// (`timeout`); a runtime or extension that dies resets it (`failure`).
import { ExtensionEventType, SandboxErrorType, TRACE_HEADER_TYPE } from '../protocol/lambda-api';
import type { Clock } from './clock';
import type { Condition } from './condition';
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
  const runtime = generation.runtime;
  if (!runtime?.alive || !generation.runtimeApi.waiting) {
    return { outcome: 'failure', reset: 'failure', payload: sandboxError(SandboxErrorType.runtimeExit, 'the runtime was not waiting for an invocation') };
  }
  const deadlineEpochMs = Date.now() + timeoutMs;
  generation.runtimeApi.deliver({
    requestId, payload: context.payload, deadlineEpochMs, invokedFunctionArn: context.invokedFunctionArn, traceId: context.traceId,
    ...(context.clientContext !== undefined ? { clientContext: context.clientContext } : {}),
    ...(context.cognitoIdentity !== undefined ? { cognitoIdentity: context.cognitoIdentity } : {}),
  });
  const subscribed = generation.extensionsApi.registered.filter((extension) => extension.subscribes(ExtensionEventType.invoke));
  for (const extension of subscribed) {
    extension.enqueue({
      eventType: ExtensionEventType.invoke, deadlineMs: deadlineEpochMs, requestId,
      invokedFunctionArn: context.invokedFunctionArn, tracing: { type: TRACE_HEADER_TYPE, value: context.traceId },
    });
  }

  const ended = await context.condition.until<Ending>(() => {
    const answer = generation.runtimeApi.answerTo(requestId);
    if (context.shuttingDown()) return { kind: 'shutdown', ...(answer ? { answer } : {}) };
    const dead = generation.processes.find((process) => !process.alive);
    if (dead) return { kind: 'crashed', who: dead.kind === 'runtime' ? 'the runtime' : `extension ${dead.name}`, ...(answer ? { answer } : {}) };
    if (answer && generation.runtimeApi.waiting && subscribed.every((extension) => extension.waiting)) return { kind: 'done', answer };
    return undefined;
  }, timeoutMs);

  if (!ended.done) {
    return { outcome: 'timeout', reset: 'timeout', payload: sandboxError(SandboxErrorType.timeout, `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`) };
  }
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
