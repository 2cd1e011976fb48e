// The Runtime API's invocation state machine, one per runtime generation:
// `next` long poll, response/error for the current request id, init/error.
// 202 on success; 400 for an id that is not the current invocation's; 403 for
// a call out of order (a second `next`, a response with no invocation waiting
// for one: before any invoke, or a second one); 413 over 6 MB (which, as in
// Lambda, fails the invocation with Function.ResponseSizeTooLarge).
import { ApiErrorType, ApiStatus, MAX_PAYLOAD_BYTES, RuntimeHeader, RuntimePath, SandboxErrorType } from '../protocol/lambda-api';
import type { ApiRequest, Reply } from './api-server';

export interface Invocation {
  requestId: string;
  payload: Buffer;
  deadlineEpochMs: number;
  invokedFunctionArn: string;
  traceId: string;
  clientContext?: string;
  cognitoIdentity?: string;
}

export interface RuntimeAnswer {
  kind: 'response' | 'error';
  body: Buffer;
  errorType?: string;
}

export interface InitErrorReport {
  errorType?: string;
  body: string;
}

export class RuntimeApi {
  private pendingNext?: Reply;
  private current?: { invocation: Invocation; answer?: RuntimeAnswer };
  private initOpen = true;
  /** Set once the runtime posted /runtime/init/error. */
  initError?: InitErrorReport;

  constructor(private readonly changed: () => void) {}

  /** The runtime is waiting in `next` with no invocation of its own in progress. */
  get waiting(): boolean {
    return this.pendingNext?.open === true;
  }

  /** The answer to the latest invocation, once posted (kept after the runtime is back in `next`). */
  answerTo(requestId: string): RuntimeAnswer | undefined {
    return this.current?.invocation.requestId === requestId ? this.current.answer : undefined;
  }

  closeInit(): void {
    this.initOpen = false;
  }

  /** Hands an invocation to the runtime's pending `next`; the caller checked `waiting`. */
  deliver(invocation: Invocation): void {
    const reply = this.pendingNext;
    if (!reply?.open) throw new Error('the runtime is not waiting in next');
    this.pendingNext = undefined;
    this.current = { invocation };
    const headers: Record<string, string> = {
      [RuntimeHeader.requestId]: invocation.requestId,
      [RuntimeHeader.deadlineMs]: String(invocation.deadlineEpochMs),
      [RuntimeHeader.invokedFunctionArn]: invocation.invokedFunctionArn,
      // Always sent: the runtime interface client crashes on an invocation without it.
      [RuntimeHeader.traceId]: invocation.traceId,
    };
    if (invocation.clientContext !== undefined) headers[RuntimeHeader.clientContext] = invocation.clientContext;
    if (invocation.cognitoIdentity !== undefined) headers[RuntimeHeader.cognitoIdentity] = invocation.cognitoIdentity;
    reply.send(ApiStatus.ok, invocation.payload, headers);
  }

  /** Returns false when the request is not a Runtime API route. */
  handle(request: ApiRequest, reply: Reply): boolean {
    if (request.path === RuntimePath.next) {
      if (request.method !== 'GET') return false;
      this.next(reply);
      return true;
    }
    if (request.path === RuntimePath.initError) {
      if (request.method !== 'POST') return false;
      this.postInitError(request, reply);
      return true;
    }
    const match = RuntimePath.invocationPattern.exec(request.path);
    if (!match || request.method !== 'POST') return false;
    const requestId = decodeURIComponent(match[1] ?? '');
    this.postAnswer(match[2] === 'error' ? 'error' : 'response', requestId, request, reply);
    return true;
  }

  private next(reply: Reply): void {
    if (this.waiting) {
      reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, 'a next request is already pending');
      return;
    }
    if (this.current && !this.current.answer) {
      reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, `invocation ${this.current.invocation.requestId} has no response yet`);
      return;
    }
    this.pendingNext = reply;
    reply.onClientGone(() => {
      if (this.pendingNext === reply) this.pendingNext = undefined;
      this.changed();
    });
    this.changed();
  }

  private postAnswer(kind: RuntimeAnswer['kind'], requestId: string, request: ApiRequest, reply: Reply): void {
    const current = this.current;
    if (!current || current.answer) {
      reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, `no invocation is waiting for a ${kind} (request id ${requestId})`);
      return;
    }
    if (current.invocation.requestId !== requestId) {
      reply.error(ApiStatus.badRequest, ApiErrorType.invalidRequestId, `unknown request id ${requestId}`);
      return;
    }
    if (request.tooLarge) {
      // As in Lambda, the invocation is over (failed) and the runtime may ask for the next one.
      const errorMessage = `the ${kind} payload is over the ${MAX_PAYLOAD_BYTES} bytes limit`;
      current.answer = {
        kind: 'error',
        body: Buffer.from(JSON.stringify({ errorMessage, errorType: SandboxErrorType.responseTooLarge })),
        errorType: SandboxErrorType.responseTooLarge,
      };
      reply.error(ApiStatus.payloadTooLarge, ApiErrorType.requestTooLarge, errorMessage);
      this.changed();
      return;
    }
    const errorType = headerValue(request, RuntimeHeader.functionErrorType);
    current.answer = { kind, body: request.body, ...(kind === 'error' && errorType ? { errorType } : {}) };
    reply.json(ApiStatus.accepted, { status: 'OK' });
    this.changed();
  }

  private postInitError(request: ApiRequest, reply: Reply): void {
    if (!this.initOpen) {
      reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, 'init is over');
      return;
    }
    const errorType = headerValue(request, RuntimeHeader.functionErrorType);
    this.initError = { body: request.body.toString('utf8'), ...(errorType ? { errorType } : {}) };
    reply.json(ApiStatus.accepted, { status: 'OK' });
    this.changed();
  }
}

export function headerValue(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
