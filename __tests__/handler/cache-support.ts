// Shared by the cache tests: a cache over a test Redis server, a log that the
// test reads, and a server-side reset that lands while the event loop is
// blocked, as a reset during a freeze does (the FIN is unread when the next
// command goes out).
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/handler/logger';
import { ReadThroughCache, type ReadThroughCacheOptions } from '../../src/handler/cache/read-through-cache';
import { RedisConnection } from '../../src/handler/cache/redis-client';
import type { RedisServer } from '../../src/testing/redis-server';

export interface TestItem {
  id: string;
  data: unknown;
  version: number;
  updatedAt: string;
}

export const item = (id: string, version: number): TestItem => ({ id, data: { n: version }, version, updatedAt: `2026-01-0${version}T00:00:00.000Z` });

let prefixes = 0;

export function cacheFor(server: RedisServer, options: Partial<ReadThroughCacheOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  // Bounds far above a loopback round trip, far below a test's timeout.
  const connection = new RedisConnection({ host: server.host, port: server.port, connectTimeoutMs: 1_000, commandTimeoutMs: 1_000 });
  const keyPrefix = `t${process.pid}-${(prefixes += 1)}:`;
  const cache = new ReadThroughCache<TestItem>({ connection, logger, keyPrefix, ...options });
  return { cache, connection, lines, keyPrefix };
}

/** CLIENT KILL ID from a child process while this one is blocked: the FIN reaches our socket unread. */
export function killClientWhileBlocked(server: RedisServer, clientId: number): void {
  const command = ['CLIENT', 'KILL', 'ID', String(clientId)];
  const resp = `*${command.length}\r\n${command.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
  const script = `const s = require('node:net').connect(${server.port}, ${JSON.stringify(server.host)}, () => s.write(${JSON.stringify(resp)}));`
    + "s.on('data', (d) => { process.stdout.write(d); s.end(); }); setTimeout(() => process.exit(2), 5000).unref();";
  const reply = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  // The filter form answers with how many clients it closed.
  if (reply !== ':1\r\n') throw new Error(`CLIENT KILL answered ${JSON.stringify(reply)}`);
}

/** Reads connected_clients until it equals `target`, bounded in count and time; returns the last reading. */
export async function clientsReach(server: RedisServer, target: number): Promise<number> {
  // Bounded in count and time; generous, because it only runs out when the state never comes.
  const deadline = Date.now() + 20_000;
  let now = await server.connectedClients();
  for (let i = 0; i < 2_000 && now !== target && Date.now() < deadline; i += 1) {
    await sleep(10);
    now = await server.connectedClients();
  }
  return now;
}
