// The access string the stack gives the function's ElastiCache user is a Redis
// ACL rule set, so a real redis-server can hold it: the handler's own cache
// code (its connection options, its default key prefix, every command it
// sends) runs as a user with exactly that string and does all it does, and the
// same user is refused everything else. The IAM token cannot be tried off AWS;
// here the user authenticates with a password through the same AUTH path.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { CACHE_ACCESS_STRING, CACHE_KEY_PATTERN, DISABLED_DEFAULT_ACCESS_STRING } from '../../src/infrastructure/cache';
import type { CacheConfig } from '../../src/handler/cache/cache-config';
import { connectionOptions } from '../../src/handler/cache/cache-setup';
import { ReadThroughCache } from '../../src/handler/cache/read-through-cache';
import { RedisConnection } from '../../src/handler/cache/redis-client';
import { createLogger } from '../../src/handler/logger';
import { CacheAuth, CacheTls } from '../../src/protocol/function-env';
import { startRedisServer, type RedisServer } from '../../src/testing/redis-server';

interface TestItem { id: string; version: number; data: string }
const row = (id: string, version: number): TestItem => ({ id, version, data: `v${version}` });

// Unique per run: the server may be a shared one (REDIS_URL).
const run = `${process.pid}-${randomBytes(4).toString('hex')}`;
const USER = `gs-access-${run}`;
const DEFAULT_STAND_IN = `gs-disabled-${run}`;
const PASSWORD = randomBytes(18).toString('hex');

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
  // `reset` first: the user holds exactly the synthesized rules, nothing inherited.
  await server.command('ACL', 'SETUSER', USER, 'reset', ...CACHE_ACCESS_STRING.split(' '), `>${PASSWORD}`);
  await server.command('ACL', 'SETUSER', DEFAULT_STAND_IN, 'reset', ...DISABLED_DEFAULT_ACCESS_STRING.split(' '), 'nopass');
});

afterAll(async () => {
  if (!server) return;
  await server.command('ACL', 'DELUSER', USER, DEFAULT_STAND_IN).catch(() => undefined);
  await server.stop();
});

function handlerConfig(): CacheConfig {
  return {
    host: server.host, port: server.port, auth: CacheAuth.password, user: USER, password: PASSWORD, tls: CacheTls.off,
    // Far above a loopback round trip, far below the test's timeout.
    connectTimeoutMs: 2_000, commandTimeoutMs: 2_000,
  };
}

/** A plain client logged in as the function's user, for the commands the handler never sends. */
async function asFunctionUser(): Promise<Redis> {
  const client = new Redis({
    host: server.host, port: server.port, username: USER, password: PASSWORD, lazyConnect: true, enableReadyCheck: false,
    connectTimeout: 2_000, commandTimeout: 2_000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

const refusal = (promise: Promise<unknown>): Promise<string> => promise.then(
  (value) => `allowed: ${JSON.stringify(value)}`,
  (error: unknown) => String((error as Error).message).split(' ')[0],
);

describe('the ElastiCache user\'s access string, held by a real Redis', () => {
  it('lets the handler\'s cache read through, fill, invalidate, update, answer health and QUIT, with no error', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const connection = new RedisConnection(connectionOptions(handlerConfig()));
    // No keyPrefix: the handler's default, which the key pattern must cover.
    const cache = new ReadThroughCache<TestItem>({ connection, logger });
    const id = `access-${run}`;
    expect(await cache.get(id, async () => row(id, 1))).toEqual({ item: row(id, 1), cache: 'miss' });
    expect(await cache.get(id, async () => { throw new Error('must be a hit'); })).toEqual({ item: row(id, 1), cache: 'hit' });
    expect(await cache.afterWrite(id, 2)).toBe('invalidated');
    expect(await cache.afterWrite(id, 3, row(id, 3))).toBe('updated');
    expect(await cache.get(id, async () => { throw new Error('must be a hit'); })).toEqual({ item: row(id, 3), cache: 'hit' });
    expect(await cache.check()).toMatchObject({ state: 'up', reachable: true, degraded: 0, pendingInvalidations: 0 });
    expect(cache.health().lastError).toBeUndefined();
    expect(await connection.quit()).toEqual({ connected: true });
    expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
    // What the script wrote is under the handler's prefix, which the pattern names.
    const keys = await server.command('KEYS', `*${id}`) as string[];
    expect(keys).toEqual([`${CACHE_KEY_PATTERN.slice(0, -1)}${id}`]);
    await server.command('DEL', ...keys);
  });

  it('refuses the function\'s user every other command, and every key outside the handler\'s prefix', async () => {
    const client = await asFunctionUser();
    try {
      expect({
        flushall: await refusal(client.flushall()),
        keys: await refusal(client.keys('*')),
        scan: await refusal(client.scan(0)),
        config: await refusal(client.call('CONFIG', 'GET', 'maxmemory')),
        del: await refusal(client.del(`item:${run}`)),
        outsideKey: await refusal(client.get(`other:${run}`)),
        scriptOutsideKey: await refusal(client.eval("return redis.call('SET', KEYS[1], 'x')", 1, `other:${run}`)),
        undeclaredKey: await refusal(client.eval(`return redis.call('GET', 'other:${run}')`, 0)),
        aclList: await refusal(client.call('ACL', 'LIST')),
      }).toEqual({
        flushall: 'NOPERM', keys: 'NOPERM', scan: 'NOPERM', config: 'NOPERM', del: 'NOPERM', outsideKey: 'NOPERM',
        scriptOutsideKey: 'NOPERM', undeclaredKey: 'ERR', aclList: 'NOPERM',
      });
    } finally {
      client.disconnect();
    }
  });

  it('gives the disabled default stand-in (Redis OSS user groups) no way in, password or none', async () => {
    // Unauthenticated, then AUTH as the stand-in: what a client that names it would send.
    const client = new Redis({
      host: server.host, port: server.port, lazyConnect: true, enableReadyCheck: false,
      connectTimeout: 2_000, commandTimeout: 2_000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      expect({
        withPassword: await refusal(client.call('AUTH', DEFAULT_STAND_IN, 'anything')),
        withEmptyPassword: await refusal(client.call('AUTH', DEFAULT_STAND_IN, '')),
      }).toEqual({ withPassword: 'WRONGPASS', withEmptyPassword: 'WRONGPASS' });
    } finally {
      client.disconnect();
    }
  });
});
