// The HTTP server behind AWS_LAMBDA_RUNTIME_API: one per environment, on
// 127.0.0.1 and a port the OS picks. It only parses requests (with the 6 MB
// cap) and hands them to a router; the Runtime and Extensions APIs decide.
//
// Long polls (`next`) may stay pending for as long as a process is frozen, so
// every server-side timeout that could close such a request or its keep-alive
// socket is off: a SIGSTOPped client must find its connection as it left it.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiErrorType, ApiStatus, MAX_PAYLOAD_BYTES, type ApiErrorType as ErrorType } from '../protocol/lambda-api';
import { ApiServerError } from './errors';

export interface ApiRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body was over MAX_PAYLOAD_BYTES (and `body` is empty). */
  tooLarge: boolean;
  /** Which TCP connection it came on (1, 2, ... in the order the server accepted them), for the report. */
  connection: number;
}

/** One answer to one request; long polls keep it until an event arrives. */
export class Reply {
  private closedListener?: () => void;

  constructor(private readonly res: http.ServerResponse) {
    res.once('close', () => {
      if (!res.writableEnded) this.closedListener?.();
    });
  }

  /** Still answerable: not answered yet and the client is still connected. */
  get open(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  /** Called if the client goes away before the answer (a killed process's pending `next`). */
  onClientGone(listener: () => void): void {
    this.closedListener = listener;
  }

  /**
   * Always with Content-Length: the runtime interface client's native HTTP
   * client hangs on a chunked `next` answer.
   */
  send(status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
    if (!this.open) return;
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    this.res.writeHead(status, { 'Content-Type': 'application/json', ...headers, 'Content-Length': String(payload.length) });
    this.res.end(payload);
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.send(status, JSON.stringify(body), headers);
  }

  /** Lambda's error shape for the APIs' own 4xx answers. */
  error(status: number, errorType: ErrorType, errorMessage: string): void {
    this.json(status, { errorMessage, errorType });
  }
}

export type Router = (request: ApiRequest, reply: Reply) => void;

export class ApiServer {
  private readonly server: http.Server;
  private address?: AddressInfo;
  private readonly connectionIds = new WeakMap<object, number>();
  private connections = 0;

  constructor(router: Router) {
    this.server = http.createServer({ keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 0 }, (req, res) => {
      void this.accept(req, res, router);
    });
    this.server.keepAliveTimeout = 0;
    this.server.timeout = 0;
    this.server.on('connection', (socket) => {
      this.connections += 1;
      this.connectionIds.set(socket, this.connections);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(new ApiServerError(`the Runtime API server could not listen: ${error.message}`, 'server', {}, { cause: error }));
      this.server.once('error', onError);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
    return this.runtimeApi;
  }

  /** `127.0.0.1:<port>`, the value of AWS_LAMBDA_RUNTIME_API. */
  get runtimeApi(): string {
    if (!this.address) throw new ApiServerError('the Runtime API server is not listening', 'server');
    return `${this.address.address}:${this.address.port}`;
  }

  /** Closes the listener and every connection (pending long polls included). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async accept(req: http.IncomingMessage, res: http.ServerResponse, router: Router): Promise<void> {
    const reply = new Reply(res);
    try {
      const { body, tooLarge } = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const connection = this.connectionIds.get(req.socket) ?? 0;
      router({ method: req.method ?? 'GET', path, headers: req.headers, body, tooLarge, connection }, reply);
    } catch (error) {
      reply.error(ApiStatus.internalError, ApiErrorType.invalidRequestFormat, `could not read the request: ${(error as Error).message}`);
    }
  }
}

/** Reads the whole body; past MAX_PAYLOAD_BYTES keeps draining (so the client can read the 413) but stores nothing. */
function readBody(req: http.IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.once('end', () => {
      const tooLarge = size > MAX_PAYLOAD_BYTES;
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge });
    });
    req.once('error', reject);
  });
}
