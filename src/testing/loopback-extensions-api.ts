// A minimal Extensions API on 127.0.0.1:0 for the client tests, the
// failed-registration test and bench/extension-startup.ts: it records every
// request, answers register with a configurable status, and parks `next` until
// the test hands it an event. As strict as Lambda about the identifier: every
// call after register must carry the one it handed out, or gets 403.
// Deliberately not the emulator: these tests pin the extension's side of the
// protocol on their own.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiErrorType, ApiStatus, ExtensionHeader, ExtensionPath } from '../protocol/lambda-api';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request's body was complete. */
  at: number;
  /** Client port: the same for requests sent over one keep-alive connection. */
  remotePort: number;
}

export interface LoopbackOptions {
  /** Status for register (default 200). */
  registerStatus?: number;
  /** Body for register (default a valid RegisterResponse). */
  registerBody?: string;
  /** Identifier to hand out (default 'ext-id-1'); '' omits the header. */
  identifier?: string;
}

export class LoopbackExtensionsApi {
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly parked: http.ServerResponse[] = [];
  private readonly waiters: { path: string; resolve: (r: RecordedRequest) => void }[] = [];
  /** The identifier handed out by a successful register; later calls must send it. */
  private registeredId: string | undefined;

  private constructor(private readonly options: LoopbackOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  static async start(options: LoopbackOptions = {}): Promise<LoopbackExtensionsApi> {
    const api = new LoopbackExtensionsApi(options);
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  /** `127.0.0.1:<port>`, the value of AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves with the first (already or future) request on `path`, or rejects after `timeoutMs`. */
  waitFor(path: string, timeoutMs = 10_000): Promise<RecordedRequest> {
    const seen = this.requests.find((r) => r.path === path);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no request on ${path} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ path, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
  }

  /** Answers every parked `next` with `event` (status 200 unless told). */
  sendEvent(event: unknown, status: number = ApiStatus.ok): number {
    const parked = this.parked.splice(0);
    for (const res of parked) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(event));
    return parked.length;
  }

  async close(): Promise<void> {
    for (const res of this.parked.splice(0)) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
        remotePort: req.socket.remotePort ?? 0,
      };
      this.requests.push(recorded);
      this.answer(recorded, res);
      for (const waiter of this.waiters.filter((w) => w.path === recorded.path)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(recorded);
      }
    });
  }

  private answer(request: RecordedRequest, res: http.ServerResponse): void {
    switch (request.path) {
      case ExtensionPath.register: {
        const status = this.options.registerStatus ?? ApiStatus.ok;
        const identifier = this.options.identifier ?? 'ext-id-1';
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (status === ApiStatus.ok && identifier !== '') {
          headers[ExtensionHeader.identifier] = identifier;
          this.registeredId = identifier;
        }
        const body = this.options.registerBody
          ?? (status === ApiStatus.ok
            ? JSON.stringify({ functionName: 'loopback-fn', functionVersion: '$LATEST', handler: 'index.handler' })
            : JSON.stringify({ errorMessage: 'registration refused', errorType: 'Extension.Forbidden' }));
        res.writeHead(status, headers).end(body);
        return;
      }
      case ExtensionPath.next:
        if (this.refusedWithoutIdentifier(request, res)) return;
        this.parked.push(res);
        return;
      case ExtensionPath.initError:
      case ExtensionPath.exitError:
        if (this.refusedWithoutIdentifier(request, res)) return;
        res.writeHead(ApiStatus.accepted, { 'content-type': 'application/json' }).end('{"status":"OK"}');
        return;
      default:
        res.writeHead(ApiStatus.notFound).end();
    }
  }

  /** Lambda's answer to a call without the registered identifier: 403, and the call has no effect. */
  private refusedWithoutIdentifier(request: RecordedRequest, res: http.ServerResponse): boolean {
    const id = request.headers[ExtensionHeader.identifier.toLowerCase()];
    if (id !== undefined && id === this.registeredId) return false;
    const errorType = id === undefined ? ApiErrorType.extensionMissingIdentifier : ApiErrorType.extensionUnknownIdentifier;
    res.writeHead(ApiStatus.forbidden, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errorMessage: `${ExtensionHeader.identifier}: ${id === undefined ? 'missing' : `unknown "${String(id)}"`}`, errorType }));
    return true;
  }
}
