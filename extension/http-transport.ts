// The HTTP transport under the Extensions API client. node:http with one
// keep-alive agent: the extension makes a handful of requests to the same
// local address, and every millisecond of its start is on the cold-start path.
// Measured here: loading node:http costs ~3 ms, a first fetch() (undici) ~22 ms.
import * as http from 'node:http';
import { ConfigurationError, TransportError } from './errors';

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
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

export class NodeHttpTransport implements Transport {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 2 });

  constructor(private readonly endpoint: { host: string; port: number }) {}

  request(
    method: 'GET' | 'POST',
    path: string,
    headers: Readonly<Record<string, string>>,
    body?: string,
    options: TransportRequestOptions = {},
  ): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const outgoing: Record<string, string | number> = { ...headers };
      if (body !== undefined) {
        outgoing['content-type'] = 'application/json';
        outgoing['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request(
        { host: this.endpoint.host, port: this.endpoint.port, method, path, headers: outgoing, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (cause) => reject(this.failure(method, path, cause)));
        },
      );
      if (options.unref === true) {
        // The agent re-refs a pooled socket when it hands it out, before this
        // event fires, so unref here sticks for the life of the request.
        req.on('socket', (socket) => socket.unref());
      }
      req.on('error', (cause) => reject(this.failure(method, path, cause)));
      req.end(body);
    });
  }

  /** Closes idle keep-alive sockets (tests and benches; the extension just exits). */
  close(): void {
    this.agent.destroy();
  }

  private failure(method: string, path: string, cause: Error): TransportError {
    return new TransportError(`${method} ${path} failed before an HTTP answer: ${cause.message}`, {
      cause,
      context: { method, path, endpoint: `${this.endpoint.host}:${this.endpoint.port}` },
    });
  }
}
