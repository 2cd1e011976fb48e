// The Runtime API's invocation state machine, one per runtime generation:
// `next` long poll, response/error per request id, init/error. 202 on
// success; 400 for an id that is not an invocation's; 403 for a call out of
// order (a response with no invocation waiting for it, a second response);
// 413 over 6 MB (which, as in Lambda, fails the invocation with
// Function.ResponseSizeTooLarge).
//
// On-demand, one invocation at a time: a second `next` while one is pending,
// or a `next` while the invocation has no answer, is 403. On Managed
// Instances every worker thread of the runtime keeps a `next` pending, even
// while its invocations run, so any number of `next` calls may wait and any
// number of invocations may be in flight, each answered by its request id.
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

/** Which runtime connection took an invocation, and when (the environment's clock). */
export interface Delivery {
  requestId: string;
  /** 1, 2, ...: the order in which the runtime's connections first asked for `next` (a connection, not a worker thread). */
  connection: number;
  deliveredAt: number;
  answeredAt?: number;
}

interface InFlight {
  invocation: Invocation;
  answer?: RuntimeAnswer;
  delivery: Delivery;
}

/** Answered ids remembered so a late second answer still gets 403, not 400; bounded for long benches. */
const FINISHED_IDS_KEPT = 1_000;

export interface InitErrorReport {
  errorType?: string;
  body: string;
}

export class RuntimeApi {
  private readonly pending: { reply: Reply; connection: number }[] = [];
  private readonly inFlight = new Map<string, InFlight>();
  private readonly finished = new Set<string>();
  /** On-demand: the latest invocation, kept after its answer until the next one. */
  private current?: InFlight;
  /** Server connection ids in the order they first asked for `next`. */
  private readonly connectionOrder: number[] = [];
  private initOpen = true;
  /** Every invocation handed out, in order. */
  readonly deliveries: Delivery[] = [];
  /** Set once the runtime posted /runtime/init/error. */
  initError?: InitErrorReport;
  /**
   * Runs before the runtime hears back from its /init/error: Lambda resets an
   * environment whose Init failed, so its network goes first. aws-lambda-ric
   * rethrows once answered and its process exits; answered before the network
   * went, that exit's close would reach the server, depending on which ran first.
   */
  initFailing: () => Promise<void> = () => Promise.resolve();

  constructor(
    private readonly changed: () => void,
    private readonly now: () => number = () => 0,
    /** Managed Instances: several `next` calls and invocations at once. */
    readonly concurrent = false,
  ) {}

  /** A `next` is pending (on-demand: with no invocation of its own in progress). */
  get waiting(): boolean {
    return this.waitingCount > 0;
  }

  /** How many `next` calls are pending: on Managed Instances, one per idle worker. */
  get waitingCount(): number {
    return this.pending.filter((entry) => entry.reply.open).length;
  }

  /** The answer to an invocation, once posted (on-demand: kept after the runtime is back in `next`). */
  answerTo(requestId: string): RuntimeAnswer | undefined {
    return this.inFlight.get(requestId)?.answer ?? (this.current?.invocation.requestId === requestId ? this.current.answer : undefined);
  }

  /** Forgets a finished invocation (Managed Instances keeps many; on-demand keeps only the latest). */
  release(requestId: string): void {
    if (!this.concurrent) return;
    if (this.inFlight.delete(requestId)) this.remember(requestId);
  }

  closeInit(): void {
    this.initOpen = false;
  }

  /** Hands an invocation to the oldest pending `next`; the caller checked `waiting`. Returns its delivery record. */
  deliver(invocation: Invocation): Delivery {
    let entry = this.pending.shift();
    while (entry && !entry.reply.open) entry = this.pending.shift();
    if (!entry) throw new Error('the runtime is not waiting in next');
    const delivery: Delivery = { requestId: invocation.requestId, connection: this.workerIndex(entry.connection), deliveredAt: this.now() };
    const record: InFlight = { invocation, delivery };
    this.deliveries.push(delivery);
    if (this.concurrent) {
      this.inFlight.set(invocation.requestId, record);
    } else {
      if (this.current) this.remember(this.current.invocation.requestId);
      this.inFlight.clear();
      this.inFlight.set(invocation.requestId, record);
      this.current = record;
    }
    const headers: Record<string, string> = {
      [RuntimeHeader.requestId]: invocation.requestId,
      [RuntimeHeader.deadlineMs]: String(invocation.deadlineEpochMs),
      [RuntimeHeader.invokedFunctionArn]: invocation.invokedFunctionArn,
      // Always sent: the runtime interface client crashes on an invocation without it.
      [RuntimeHeader.traceId]: invocation.traceId,
    };
    if (invocation.clientContext !== undefined) headers[RuntimeHeader.clientContext] = invocation.clientContext;
    if (invocation.cognitoIdentity !== undefined) headers[RuntimeHeader.cognitoIdentity] = invocation.cognitoIdentity;
    entry.reply.send(ApiStatus.ok, invocation.payload, headers);
    return delivery;
  }

  /** Returns false when the request is not a Runtime API route. */
  handle(request: ApiRequest, reply: Reply): boolean {
    if (request.path === RuntimePath.next) {
      if (request.method !== 'GET') return false;
      this.next(request, reply);
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

  private workerIndex(connection: number): number {
    let index = this.connectionOrder.indexOf(connection);
    if (index < 0) index = this.connectionOrder.push(connection) - 1;
    return index + 1;
  }

  private remember(requestId: string): void {
    this.finished.add(requestId);
    if (this.finished.size > FINISHED_IDS_KEPT) this.finished.delete(this.finished.values().next().value as string);
  }

  private next(request: ApiRequest, reply: Reply): void {
    if (!this.concurrent) {
      if (this.waiting) {
        reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, 'a next request is already pending');
        return;
      }
      if (this.current && !this.current.answer) {
        reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, `invocation ${this.current.invocation.requestId} has no response yet`);
        return;
      }
    }
    this.workerIndex(request.connection);
    const entry = { reply, connection: request.connection };
    this.pending.push(entry);
    reply.onClientGone(() => {
      const index = this.pending.indexOf(entry);
      if (index >= 0) this.pending.splice(index, 1);
      this.changed();
    });
    this.changed();
  }

  private postAnswer(kind: RuntimeAnswer['kind'], requestId: string, request: ApiRequest, reply: Reply): void {
    const record = this.inFlight.get(requestId);
    if (!this.concurrent && (!this.current || this.current.answer)) {
      reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, `no invocation is waiting for a ${kind} (request id ${requestId})`);
      return;
    }
    if (record?.answer || (!record && this.finished.has(requestId))) {
      reply.error(ApiStatus.forbidden, ApiErrorType.invalidStateTransition, `invocation ${requestId} already has its ${kind}`);
      return;
    }
    if (!record) {
      reply.error(ApiStatus.badRequest, ApiErrorType.invalidRequestId, `unknown request id ${requestId}`);
      return;
    }
    record.delivery.answeredAt = this.now();
    if (request.tooLarge) {
      // As in Lambda, the invocation is over (failed) and the runtime may ask for the next one.
      const errorMessage = `the ${kind} payload is over the ${MAX_PAYLOAD_BYTES} bytes limit`;
      record.answer = {
        kind: 'error',
        body: Buffer.from(JSON.stringify({ errorMessage, errorType: SandboxErrorType.responseTooLarge })),
        errorType: SandboxErrorType.responseTooLarge,
      };
      reply.error(ApiStatus.payloadTooLarge, ApiErrorType.requestTooLarge, errorMessage);
      this.changed();
      return;
    }
    const errorType = headerValue(request, RuntimeHeader.functionErrorType);
    record.answer = { kind, body: request.body, ...(kind === 'error' && errorType ? { errorType } : {}) };
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
    this.changed();
    const answer = () => reply.json(ApiStatus.accepted, { status: 'OK' });
    this.initFailing().then(answer, answer);
  }
}

export function headerValue(request: ApiRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
