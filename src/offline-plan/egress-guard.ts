// The offline plan's last line of defence: a loopback HTTP proxy that every
// terraform command after `init` is pointed at (HTTP_PROXY / HTTPS_PROXY), and
// that forwards nothing. A request the stack checks did not foresee (a data
// source, a plan-time API call of some resource) reaches this proxy instead of
// AWS, gets 403, and is recorded, so the run fails naming the host. Go's
// proxy selection never proxies loopback addresses, so the loopback STS is
// still reached directly.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { listenOnLoopback } from './loopback-http';

export interface EgressGuard {
  /** `http://127.0.0.1:<port>`: the proxy URL given to terraform. */
  readonly proxyUrl: string;
  /** Every destination a command tried to reach, `host:port` (HTTPS) or the URL (plain HTTP), in order. */
  readonly attempts: readonly string[];
  close(): Promise<void>;
}

const REFUSAL = 'the offline plan sends no request off this machine';

export async function startEgressGuard(): Promise<EgressGuard> {
  const attempts: string[] = [];
  // Plain HTTP through a proxy: the request line carries the absolute URL.
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    attempts.push(req.url ?? '(none)');
    req.resume();
    res.statusCode = 403;
    res.setHeader('content-type', 'text/plain');
    res.end(`${REFUSAL}: ${req.url}\n`);
  });
  // HTTPS through a proxy: CONNECT host:443, refused before any byte is relayed.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    attempts.push(req.url ?? '(none)');
    socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${REFUSAL}: ${req.url}\n`);
  });
  const { url, close } = await listenOnLoopback(server);
  return { proxyUrl: url, attempts, close };
}

/**
 * The proxy variables for a guarded command: the caller's own proxy settings
 * (any spelling) are dropped, so no exemption of theirs lets a request past.
 */
export function guardedProxyEnv(env: NodeJS.ProcessEnv, proxyUrl: string): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(Object.entries(env).filter(([key]) => !/^(https?|no|all)_proxy$/i.test(key)));
  return {
    ...kept,
    HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, https_proxy: proxyUrl,
    NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost',
  };
}
