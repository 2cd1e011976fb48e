// The HTTP transport under the Extensions API client: HTTP/1.1 written on a
// node:net socket, kept alive so register and next share one connection. The
// peer is Lambda's Runtime API on a local address, and every millisecond of
// the extension's start is on the cold-start path. Measured here (Node 24):
// node:net loads in ~1.8 ms, node:http (which loads net) in ~3.4 ms, and its
// first request compiles the ClientRequest and Agent machinery on top; a
// first fetch() loads undici, ~22 ms. This file is bundled into the handler
// too (the in-process extension), so node:net is fetched with
// process.getBuiltinModule when a transport is made, never imported: an ESM
// import of a built-in is hoisted to the top of the bundle and runs even when
// nothing uses it.
import type { Socket } from 'node:net';
import { ConfigurationError, TransportError } from './errors';
import { HttpResponseReader } from './http-response';

export interface TransportResponse {
  status: number;
  /** Names in lower case. */
  headers: Readonly<Record<string, string>>;
  body: string;
}

export interface TransportRequestOptions {
  /**
   * Let the process exit while this request is pending. The in-process
   * extension parks a `next` call that never returns; it must not keep the
   * runtime alive after its own work is done.
   */
  unref?: boolean;
}

export interface Transport {
  request(
    method: 'GET' | 'POST',
    path: string,
    headers: Readonly<Record<string, string>>,
    body?: string,
    options?: TransportRequestOptions,
  ): Promise<TransportResponse>;
}

/** Parses `AWS_LAMBDA_RUNTIME_API` (`host:port`), naming the variable when it is wrong. */
export function parseRuntimeApi(value: string | undefined, variable: string): { host: string; port: number } {
  if (value === undefined || value === '') {
    throw new ConfigurationError(`${variable} is not set: the extension can only run inside a Lambda execution environment (or the emulator)`, { context: { variable } });
  }
  const separator = value.lastIndexOf(':');
  const host = value.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  const port = Number(value.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConfigurationError(`${variable} must be host:port, got "${value}"`, { context: { variable, value } });
  }
  return { host, port };
}

const FORBIDDEN_IN_HEADER = /[\r\n\0]/;

export class SocketHttpTransport implements Transport {
  private readonly net = process.getBuiltinModule('node:net');
  /** Connections that answered in full and may carry the next request. */
  private readonly idle: Socket[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly hostHeader: string;

  constructor(private readonly endpoint: { host: string; port: number }) {
    this.hostHeader = `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
  }

  request(
    method: 'GET' | 'POST',
    path: string,
    headers: Readonly<Record<string, string>>,
    body?: string,
    options: TransportRequestOptions = {},
  ): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      let head: string;
      try {
        head = this.head(method, path, headers, body);
      } catch (cause) {
        reject(this.failure(method, path, cause as Error));
        return;
      }
      const socket = this.idle.pop() ?? this.connect();
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      // A parked socket is unref'd; this request decides whether it holds the process.
      if (options.unref === true) socket.unref();
      else socket.ref();
      const reader = new HttpResponseReader();
      let settled = false;
      const finish = (outcome: { response?: TransportResponse; keepAlive?: boolean; error?: Error }) => {
        if (settled) return;
        settled = true;
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.off('error', onError);
        if (outcome.response !== undefined && outcome.keepAlive === true) this.park(socket);
        else this.discard(socket);
        if (outcome.response !== undefined) resolve(outcome.response);
        else reject(this.failure(method, path, outcome.error ?? new Error('the connection closed before a complete response')));
      };
      const answer = (parsed: ReturnType<HttpResponseReader['push']>) => {
        if (parsed === undefined) return false;
        finish({ response: { status: parsed.status, headers: parsed.headers, body: parsed.body.toString('utf8') }, keepAlive: parsed.keepAlive });
        return true;
      };
      const onData = (chunk: Buffer) => {
        try {
          answer(reader.push(chunk));
        } catch (error) {
          finish({ error: error as Error });
        }
      };
      const onEnd = () => {
        if (!answer(reader.end())) finish({});
      };
      const onError = (error: Error) => finish({ error });
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.on('close', onEnd);
      socket.on('error', onError);
      socket.write(body === undefined ? head : head + body);
    });
  }

  /** Closes every connection (tests and benches; the extension just exits). */
  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.idle.length = 0;
  }

  private head(method: string, path: string, headers: Readonly<Record<string, string>>, body: string | undefined): string {
    const lines = [`${method} ${path} HTTP/1.1`, `host: ${this.hostHeader}`];
    const all: Record<string, string> = { ...headers };
    if (body !== undefined) {
      all['content-type'] = 'application/json';
      all['content-length'] = String(Buffer.byteLength(body));
    }
    for (const [name, value] of Object.entries(all)) {
      if (FORBIDDEN_IN_HEADER.test(name) || FORBIDDEN_IN_HEADER.test(value) || name.includes(':')) {
        throw new Error(`header ${JSON.stringify(name)} has a character HTTP forbids`);
      }
      lines.push(`${name}: ${value}`);
    }
    if (path.includes(' ') || FORBIDDEN_IN_HEADER.test(path)) throw new Error(`path ${JSON.stringify(path)} has a character HTTP forbids`);
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  private connect(): Socket {
    const socket = this.net.connect({ host: this.endpoint.host, port: this.endpoint.port, noDelay: true });
    this.sockets.add(socket);
    return socket;
  }

  /** Keeps an answered connection for the next request, without holding the process. */
  private park(socket: Socket): void {
    socket.unref();
    // A parked connection the server closes is dropped, its error swallowed.
    socket.once('close', () => this.discard(socket));
    socket.once('error', () => this.discard(socket));
    this.idle.push(socket);
  }

  private discard(socket: Socket): void {
    const at = this.idle.indexOf(socket);
    if (at !== -1) this.idle.splice(at, 1);
    this.sockets.delete(socket);
    if (!socket.destroyed) socket.destroy();
  }

  private failure(method: string, path: string, cause: Error): TransportError {
    return new TransportError(`${method} ${path} failed before an HTTP answer: ${cause.message}`, {
      cause,
      context: { method, path, endpoint: `${this.endpoint.host}:${this.endpoint.port}` },
    });
  }
}
