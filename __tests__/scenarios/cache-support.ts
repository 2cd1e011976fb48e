// The cache scenarios' own vocabulary, on top of support.ts and
// network-support.ts: a private redis-server per test file beside the private
// mariadbd, the function's cache variables, Redis's side of "clean" read as a
// state (connected_clients back at its level before), and the drain's one
// line as the runtime wrote it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvironmentReport } from '../../src/emulator';
import { FunctionEnv } from '../../src/protocol/function-env';
import { startRedisServer, type RedisServer } from '../../src/testing/redis-server';
import { finalRuntime } from './support';

/** One private redis-server for the whole test file: its counters belong to the test alone. */
export function useRedis(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    // Signals and shutdowns are part of the scenarios: never an existing server.
    server = await startRedisServer({ privateOnly: true });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return () => {
    if (!server) throw new Error('the scenario redis-server did not start (see the beforeAll error above)');
    return server;
  };
}

/**
 * The function's cache variables for a local server (no auth, no TLS), with
 * bounds far above a loopback round trip on a loaded machine, far below a
 * test's timeout: the scenarios are about the drain, not about a slow connect.
 */
export function cacheEnv(redis: RedisServer): Record<string, string> {
  return {
    [FunctionEnv.cacheHost]: redis.host, [FunctionEnv.cachePort]: String(redis.port),
    [FunctionEnv.cacheAuth]: 'none', [FunctionEnv.cacheTls]: 'off',
    [FunctionEnv.cacheConnectTimeoutMs]: '2000', [FunctionEnv.cacheCommandTimeoutMs]: '2000',
  };
}

/**
 * Waits, bounded in polls and time, until Redis's own `connected_clients`
 * equals `expected` (a state: clients only come and go when something opens
 * or closes them), and returns the last reading.
 */
export async function redisClientsAt(redis: RedisServer, expected: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let now = await redis.connectedClients();
  for (let poll = 0; poll < timeoutMs / 20 && now !== expected && Date.now() < deadline; poll += 1) {
    await sleep(20);
    now = await redis.connectedClients();
  }
  return now;
}

/**
 * QUITs the server has answered so far, from its own `INFO commandstats`:
 * how a client that left politely differs from one whose socket merely
 * closed (Redis counts no aborted clients).
 */
export async function quitsAnswered(redis: RedisServer): Promise<number> {
  const stats = (await redis.info('commandstats')).cmdstat_quit;
  return stats === undefined ? 0 : Number(/calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

export interface ResourceLine {
  name: string;
  phase: string;
  outcome: string;
  cutBy?: string;
  detail?: Record<string, unknown>;
}

/** The runtime's JSON lines that speak of SIGTERM (the handler's drain line, or the coordinator's). */
export function sigtermLines(report: EnvironmentReport): Record<string, unknown>[] {
  return finalRuntime(report).output.split('\n')
    .filter((line) => line.startsWith('{') && line.includes('on SIGTERM'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Each resource of the one drain line as `phase:name outcome` (plus `by cap`/`by budget` when cut), in report order. */
export function outcomes(line: Record<string, unknown> | undefined): string[] {
  const resources = (line?.resources ?? []) as ResourceLine[];
  return resources.map((resource) => `${resource.phase}:${resource.name} ${resource.outcome}${resource.cutBy ? ` by ${resource.cutBy}` : ''}`);
}
