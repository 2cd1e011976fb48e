// `npm run local -- --cache`: the Redis half of the demo. A private
// redis-server on a free loopback port (REDIS_URL for an existing one), the
// function's cache variables, and what Redis itself says afterwards:
// `connected_clients` from its own INFO clients, and the QUITs it answered.
import { setTimeout as sleep } from 'node:timers/promises';
import { FunctionEnv } from '../src/protocol/function-env';
import { startRedisServer, type RedisServer } from '../src/testing/redis-server';

export interface LocalCache {
  server: RedisServer;
  /** The function's cache variables: no auth and no TLS, as only a local run may. */
  env: Record<string, string>;
  describe(): string;
  readBefore(): Promise<RedisReading>;
}

export interface RedisReading {
  connectedClients: number;
  quits: number;
}

async function read(server: RedisServer): Promise<RedisReading> {
  const stats = (await server.info('commandstats')).cmdstat_quit;
  return { connectedClients: await server.connectedClients(), quits: stats === undefined ? 0 : Number(/calls=(\d+)/.exec(stats)?.[1] ?? 0) };
}

export async function startLocalCache(): Promise<LocalCache> {
  const server = await startRedisServer();
  return {
    server,
    env: {
      [FunctionEnv.cacheHost]: server.host, [FunctionEnv.cachePort]: String(server.port),
      [FunctionEnv.cacheAuth]: 'none', [FunctionEnv.cacheTls]: 'off',
    },
    describe: () => `cache       ${server.pid ? `private redis-server pid ${server.pid}` : 'REDIS_URL server'} on ${server.host}:${server.port} (CACHE_AUTH=none, CACHE_TLS=off)`,
    readBefore: () => read(server),
  };
}

/**
 * Redis's side once the environment is gone. Waits, bounded in polls and
 * time, for the state the run predicts: back at its level before (every
 * client closed), or, without the extension, every client the function
 * opened still there (held: Redis's `timeout` is 0 by default, forever).
 */
export async function redisAfter(cache: LocalCache, before: RedisReading, openedBeforeSpindown: number, expectHeld: boolean): Promise<{ lines: string[]; delta: number }> {
  const target = before.connectedClients + (expectHeld ? openedBeforeSpindown : 0);
  let now = await read(cache.server);
  for (let poll = 0; poll < 250 && now.connectedClients !== target; poll += 1) {
    await sleep(20);
    now = await read(cache.server);
  }
  const delta = now.connectedClients - before.connectedClients;
  const signed = delta > 0 ? `+${delta}` : String(delta);
  const lines = [`Redis after   connected_clients ${now.connectedClients} (${signed})   QUITs answered ${now.quits - before.quits}`];
  if (delta > 0) {
    lines.push(`              ${delta} client${delta === 1 ? '' : 's'} still held after the environment is gone: nothing closed ${delta === 1 ? 'it' : 'them'}, and Redis's \`timeout\` is 0 by default (forever)`);
  }
  return { lines, delta };
}
