// A client of the Lambda Extensions API, one method per verb. It holds the
// identifier Lambda hands out on register and sends it on every later call.
// The transport is injected so the same client runs over node:http in Lambda
// and over anything a test wants.
import {
  ApiStatus, ExtensionEventType, ExtensionHeader, ExtensionPath,
  type ErrorRequest, type ExtensionEvent, type RegisterResponse,
} from '../src/protocol/lambda-api';
import { ApiStatusError, ExtensionError, ProtocolError } from './errors';
import type { Transport, TransportResponse } from './http-transport';

const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(ExtensionEventType));

export class ExtensionsApiClient {
  private extensionId: string | undefined;

  constructor(private readonly transport: Transport) {}

  /** The `Lambda-Extension-Identifier` from a successful register, if any. */
  get identifier(): string | undefined {
    return this.extensionId;
  }

  /**
   * Registers `name` for `events`. The name decides the kind: the file name of
   * an executable in /opt/extensions registers an external extension, any
   * other name an internal one (which may not subscribe to SHUTDOWN).
   */
  async register(name: string, events: readonly ExtensionEventType[]): Promise<RegisterResponse> {
    if (this.extensionId !== undefined) {
      throw new ExtensionError('register called twice: Lambda accepts one registration per extension', { context: { name } });
    }
    const response = await this.transport.request(
      'POST',
      ExtensionPath.register,
      { [ExtensionHeader.name]: name },
      JSON.stringify({ events }),
    );
    expectStatus(response, 'register', ExtensionPath.register, ApiStatus.ok);
    const id = response.headers[ExtensionHeader.identifier];
    if (typeof id !== 'string' || id === '') {
      throw new ProtocolError(`register answered ${response.status} without a ${ExtensionHeader.identifier} header`, {
        context: { operation: 'register', name },
      });
    }
    const body = parseJson(response.body, 'register') as Partial<RegisterResponse>;
    this.extensionId = id;
    return {
      functionName: String(body.functionName ?? ''),
      functionVersion: String(body.functionVersion ?? ''),
      handler: String(body.handler ?? ''),
    };
  }

  /** Blocks until Lambda has an event for this extension (INVOKE or SHUTDOWN). */
  async nextEvent(options: { unref?: boolean } = {}): Promise<ExtensionEvent> {
    const response = await this.transport.request('GET', ExtensionPath.next, this.identifierHeader('nextEvent'), undefined, options);
    expectStatus(response, 'nextEvent', ExtensionPath.next, ApiStatus.ok);
    const event = parseJson(response.body, 'nextEvent') as { eventType?: unknown } | null;
    const eventType = event?.eventType;
    if (typeof eventType !== 'string' || !KNOWN_EVENT_TYPES.has(eventType)) {
      throw new ProtocolError(`nextEvent returned an unknown event type ${JSON.stringify(eventType)}`, {
        context: { operation: 'nextEvent', eventType: String(eventType) },
      });
    }
    return event as ExtensionEvent;
  }

  /**
   * Tells Lambda that init failed; Lambda then fails the environment's init.
   * Lambda requires the identifier on this call, so it is refused here, before
   * any request, when register never succeeded: an extension that could not
   * register reports by exiting non-zero, which fails init just the same.
   */
  async initError(errorType: string, error: unknown): Promise<void> {
    await this.postError(ExtensionPath.initError, 'initError', errorType, error);
  }

  /** Tells Lambda the extension is about to exit because of an error. */
  async exitError(errorType: string, error: unknown): Promise<void> {
    await this.postError(ExtensionPath.exitError, 'exitError', errorType, error);
  }

  private async postError(path: string, operation: string, errorType: string, error: unknown): Promise<void> {
    const headers: Record<string, string> = { ...this.identifierHeader(operation), [ExtensionHeader.functionErrorType]: errorType };
    const body: ErrorRequest = {
      errorType,
      errorMessage: error instanceof Error ? error.message : String(error),
      ...(error instanceof Error && error.stack !== undefined ? { stackTrace: error.stack.split('\n').slice(1).map((line) => line.trim()) } : {}),
    };
    const response = await this.transport.request('POST', path, headers, JSON.stringify(body));
    expectStatus(response, operation, path, ApiStatus.accepted);
  }

  private identifierHeader(operation: string): Record<string, string> {
    if (this.extensionId === undefined) {
      throw new ExtensionError(`${operation} called before a successful register`, { context: { operation } });
    }
    return { [ExtensionHeader.identifier]: this.extensionId };
  }
}

function expectStatus(response: TransportResponse, operation: string, path: string, expected: number): void {
  if (response.status === expected) return;
  throw new ApiStatusError(
    `${operation} answered ${response.status} (expected ${expected}): ${response.body.slice(0, 300)}`,
    response.status,
    { context: { operation, path, body: response.body.slice(0, 300) } },
  );
}

function parseJson(text: string, operation: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError(`${operation} answered a body that is not JSON: ${text.slice(0, 100)}`, { cause, context: { operation } });
  }
}
