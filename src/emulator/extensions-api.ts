// The Extensions API, one per Init generation: registration (external when the
// name is a file in the extensions directory, internal otherwise), per
// extension event queues behind the `event/next` long poll, and the two error
// endpoints. Every 403 is one AWS's own implementation answers with 403 too:
// missing or unknown identifier, registration closed, too many extensions, an
// internal extension subscribing to SHUTDOWN, a second pending `next`, and on
// Managed Instances a registration naming INVOKE.
import { randomUUID } from 'node:crypto';
import {
  ApiErrorType, ApiStatus, ExtensionEventType, ExtensionHeader, ExtensionPath, MAX_EXTENSIONS,
  type ExtensionEvent, type RegisterResponse,
} from '../protocol/lambda-api';
import type { ApiRequest, Reply } from './api-server';
import { headerValue } from './runtime-api';
import type { ExtensionKind, ExtensionReport } from './types';

const EVENT_TYPES: readonly string[] = Object.values(ExtensionEventType);

export class RegisteredExtension {
  readonly id = randomUUID();
  readonly received: string[] = [];
  readonly errors: string[] = [];
  initError?: string;
  exitError?: string;
  pendingNext?: Reply;
  private readonly queue: ExtensionEvent[] = [];

  constructor(
    readonly name: string,
    readonly kind: ExtensionKind,
    readonly events: readonly ExtensionEventType[],
    readonly registeredAt: number,
  ) {}

  /** Waiting in `next` with nothing queued: idle, from the environment's point of view. */
  get waiting(): boolean {
    return this.pendingNext?.open === true && this.queue.length === 0;
  }

  subscribes(eventType: ExtensionEventType): boolean {
    return this.events.includes(eventType);
  }

  enqueue(event: ExtensionEvent): void {
    this.queue.push(event);
    this.flush();
  }

  flush(): void {
    const reply = this.pendingNext;
    const event = this.queue[0];
    if (!reply?.open || !event) return;
    this.queue.shift();
    this.pendingNext = undefined;
    this.received.push(event.eventType);
    reply.json(ApiStatus.ok, event, { [ExtensionHeader.identifier]: this.id });
  }

  report(): ExtensionReport {
    return {
      name: this.name, kind: this.kind, registeredAt: this.registeredAt,
      events: [...this.events], received: [...this.received], errors: [...this.errors],
    };
  }
}

export interface ExtensionsApiOptions {
  /** File names in the extensions directory: registering under one of them makes an external extension. */
  externalNames: ReadonlySet<string>;
  registration: RegisterResponse;
  changed: () => void;
  /** The environment's clock, for `registeredAt`. */
  now: () => number;
  /** False on Managed Instances: there is no per-invoke event, an extension may subscribe to SHUTDOWN only. */
  invokeEvents?: boolean;
}

export class ExtensionsApi {
  private readonly byId = new Map<string, RegisteredExtension>();
  private registrationOpen = true;

  constructor(private readonly options: ExtensionsApiOptions) {}

  get registered(): RegisteredExtension[] {
    return [...this.byId.values()];
  }

  closeRegistration(): void {
    this.registrationOpen = false;
  }

  /** Returns false when the request is not an Extensions API route. */
  handle(request: ApiRequest, reply: Reply): boolean {
    const route = `${request.method} ${request.path}`;
    switch (route) {
      case `POST ${ExtensionPath.register}`: this.register(request, reply); return true;
      case `GET ${ExtensionPath.next}`: this.next(request, reply); return true;
      case `POST ${ExtensionPath.initError}`: this.postError('init', request, reply); return true;
      case `POST ${ExtensionPath.exitError}`: this.postError('exit', request, reply); return true;
      default: return false;
    }
  }

  private register(request: ApiRequest, reply: Reply): void {
    const name = headerValue(request, ExtensionHeader.name);
    if (!name) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionMissingHeader, `missing ${ExtensionHeader.name} header`);
      return;
    }
    if (!this.registrationOpen) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionRegistrationClosed, `registration is closed: init is over (${name})`);
      return;
    }
    if (this.byId.size >= MAX_EXTENSIONS) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionTooMany, `at most ${MAX_EXTENSIONS} extensions may register (${name})`);
      return;
    }
    if (this.registered.some((extension) => extension.name === name)) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionInvalidName, `an extension named ${name} is already registered`);
      return;
    }
    const events = parseEvents(request.body);
    if (typeof events === 'string') {
      reply.error(ApiStatus.badRequest, ApiErrorType.invalidRequestFormat, events);
      return;
    }
    if (events.some((event) => !EVENT_TYPES.includes(event))) {
      reply.error(ApiStatus.badRequest, ApiErrorType.extensionInvalidEventType, `unknown event type in ${JSON.stringify(events)}`);
      return;
    }
    if (this.options.invokeEvents === false && events.includes(ExtensionEventType.invoke)) {
      // 403 and this error type, as AWS's own Managed Instances Runtime API answers it.
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionInvalidEventType, `${ExtensionEventType.invoke}: on Lambda Managed Instances an extension may subscribe to ${ExtensionEventType.shutdown} only (${name})`);
      return;
    }
    const kind: ExtensionKind = this.options.externalNames.has(name) ? 'external' : 'internal';
    if (kind === 'internal' && events.includes(ExtensionEventType.shutdown)) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionInvalidEventType, `internal extension ${name} may not subscribe to ${ExtensionEventType.shutdown}`);
      return;
    }
    const extension = new RegisteredExtension(name, kind, events as ExtensionEventType[], this.options.now());
    this.byId.set(extension.id, extension);
    reply.json(ApiStatus.ok, this.options.registration, { [ExtensionHeader.identifier]: extension.id });
    this.options.changed();
  }

  private next(request: ApiRequest, reply: Reply): void {
    const extension = this.identify(request, reply);
    if (!extension) return;
    if (extension.pendingNext?.open) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionInvalidState, `${extension.name} already has a next request pending`);
      return;
    }
    extension.pendingNext = reply;
    reply.onClientGone(() => {
      if (extension.pendingNext === reply) extension.pendingNext = undefined;
      this.options.changed();
    });
    extension.flush();
    this.options.changed();
  }

  private postError(which: 'init' | 'exit', request: ApiRequest, reply: Reply): void {
    const extension = this.identify(request, reply);
    if (!extension) return;
    const errorType = headerValue(request, ExtensionHeader.functionErrorType);
    if (!errorType) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionMissingHeader, `missing ${ExtensionHeader.functionErrorType} header`);
      return;
    }
    if (which === 'init' && !this.registrationOpen) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionInvalidState, `init is over: ${extension.name} cannot report an init error`);
      return;
    }
    extension.errors.push(errorType);
    if (which === 'init') extension.initError = errorType;
    else extension.exitError = errorType;
    reply.json(ApiStatus.accepted, { status: 'OK' });
    this.options.changed();
  }

  private identify(request: ApiRequest, reply: Reply): RegisteredExtension | undefined {
    const id = headerValue(request, ExtensionHeader.identifier);
    if (!id) {
      reply.error(ApiStatus.forbidden, ApiErrorType.extensionMissingIdentifier, `missing ${ExtensionHeader.identifier} header`);
      return undefined;
    }
    const extension = this.byId.get(id);
    if (!extension) reply.error(ApiStatus.forbidden, ApiErrorType.extensionUnknownIdentifier, `unknown extension ${id}`);
    return extension;
  }
}

/** The register body's `events`, or a message saying what is wrong with it. */
function parseEvents(body: Buffer): string[] | string {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return 'the register body is not JSON';
  }
  const events = (parsed as { events?: unknown } | null)?.events ?? [];
  if (!Array.isArray(events) || events.some((event) => typeof event !== 'string')) return 'events must be an array of strings';
  return events as string[];
}
