// The read-through cache against a real redis-server: reads through, writes
// invalidate or update, versions only move forward, and a cache that is down,
// blackholed or reset never fails a request the database can serve.
import { startRedisServer, type RedisServer } from '../../src/testing/redis-server';
import { cacheFor, clientsReach, item, killClientWhileBlocked, type TestItem } from './cache-support';

describe('the read-through cache', () => {
  let server: RedisServer;
  beforeAll(async () => { server = await startRedisServer(); });
  afterAll(async () => { await server?.stop(); });

  it('reads through on a miss, fills the entry, and serves the next read from Redis over one connection', async () => {
    const baseline = await server.connectedClients();
    const { cache, connection } = cacheFor(server);
    const load = jest.fn(async () => item('user:1', 1));
    expect(await cache.get('user:1', load)).toEqual({ item: item('user:1', 1), cache: 'miss' });
    expect(await cache.get('user:1', load)).toEqual({ item: item('user:1', 1), cache: 'hit' });
    expect(load).toHaveBeenCalledTimes(1);
    expect(await server.connectedClients()).toBe(baseline + 1);
    expect(cache.health()).toMatchObject({ state: 'up', hits: 1, misses: 1, degraded: 0, connects: 1 });
    connection.destroy();
  });

  it('answers a read of a missing row from the database, filling nothing', async () => {
    const { cache, connection, keyPrefix } = cacheFor(server);
    expect(await cache.get('nobody', async () => undefined)).toEqual({ item: undefined, cache: 'miss' });
    expect(await server.command('EXISTS', `${keyPrefix}nobody`)).toBe(0);
    connection.destroy();
  });

  it('after a write, invalidates (the next read goes to the database) or updates (the next read hits the new row)', async () => {
    const { cache, connection } = cacheFor(server);
    await cache.get('a', async () => item('a', 1));
    expect(await cache.afterWrite('a', 2)).toBe('invalidated');
    expect(await cache.get('a', async () => item('a', 2))).toEqual({ item: item('a', 2), cache: 'miss' });
    expect(await cache.afterWrite('a', 3, item('a', 3))).toBe('updated');
    expect(await cache.get('a', async () => { throw new Error('must not reach the database'); })).toEqual({ item: item('a', 3), cache: 'hit' });
    connection.destroy();
  });

  it('never lets an older row replace a newer one: a fill read before a concurrent write loses to that write', async () => {
    const { cache, connection, keyPrefix } = cacheFor(server);
    await cache.afterWrite('race', 5); // the writer's tombstone for version 5
    // A reader that read version 4 from the database before the write now tries to fill it.
    expect(await cache.get('race', async () => item('race', 4))).toEqual({ item: item('race', 4), cache: 'miss' });
    expect(await server.command('GET', `${keyPrefix}race`)).toBe('5|t');
    await cache.get('race', async () => item('race', 5));
    expect(await server.command('GET', `${keyPrefix}race`)).toBe(`5|v${JSON.stringify(item('race', 5))}`);
    await cache.afterWrite('race', 4, item('race', 4)); // a late update of an older version
    expect((await cache.get('race', async () => item('race', 5))).item).toEqual(item('race', 5));
    connection.destroy();
  });

  it('sets a TTL on every entry, so a missed invalidation is stale for a bounded time', async () => {
    const { cache, connection, keyPrefix } = cacheFor(server, { ttlMs: 60_000 });
    await cache.get('ttl', async () => item('ttl', 1));
    const ttl = Number(await server.command('PTTL', `${keyPrefix}ttl`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    connection.destroy();
  });

  describe('after a reset during a freeze (the server closed the connection, the FIN still unread)', () => {
    async function resetUnderneath(withPendingCloseRead: boolean) {
      const { cache, connection } = cacheFor(server, { readPendingCloses: withPendingCloseRead });
      await cache.get('thaw', async () => item('thaw', 1));
      const redis = await connection.ready();
      killClientWhileBlocked(server, Number(await redis.client('ID')));
      return { cache, connection };
    }

    it('reads the pending FIN before sending, reconnects, and serves the read from Redis', async () => {
      const { cache, connection } = await resetUnderneath(true);
      expect(await cache.get('thaw', async () => { throw new Error('must not reach the database'); })).toEqual({ item: item('thaw', 1), cache: 'hit' });
      expect(cache.health()).toMatchObject({ state: 'up', connects: 2 });
      connection.destroy();
    });

    it('without that read, retries the command once on a new connection: the caller never sees the reset', async () => {
      const { cache, connection } = await resetUnderneath(false);
      expect(await cache.get('thaw', async () => { throw new Error('must not reach the database'); })).toEqual({ item: item('thaw', 1), cache: 'hit' });
      expect(cache.health()).toMatchObject({ state: 'up', connects: 2, degraded: 0 });
      connection.destroy();
    });
  });
});

describe('a cache that is down', () => {
  let server: RedisServer;
  beforeAll(async () => { server = await startRedisServer({ privateOnly: true }); });
  afterAll(async () => { await server?.stop(); });

  it('at invoke time: the database serves, health says degraded, and the cache is left alone for a while', async () => {
    let now = 0;
    const { cache, connection, lines } = cacheFor(server, { clock: () => now, retryAfterMs: 2_000 });
    await cache.get('warm', async () => item('warm', 1));
    await server.shutdown();
    try {
      expect(await cache.get('warm', async () => item('warm', 1))).toEqual({ item: item('warm', 1), cache: 'degraded' });
      const health = await cache.check();
      expect(health).toMatchObject({ state: 'degraded', reachable: false, degraded: 1, lastError: { errorType: 'CacheUnavailableError' } });
      const connects = cache.health().connects;
      // Within retryAfterMs no request waits on the cache at all.
      now += 1_000;
      expect(await cache.get('warm', async () => item('warm', 2))).toEqual({ item: item('warm', 2), cache: 'degraded' });
      expect(await cache.afterWrite('warm', 3)).toBe('degraded');
      expect(cache.health()).toMatchObject({ connects, pendingInvalidations: 1 });
      expect(lines.filter((line) => line.message === 'cache unavailable; requests are served by the database')).toHaveLength(1);
    } finally {
      await server.start();
    }
    // Back up and past retryAfterMs: the failed invalidation is retried first, so the stale version 1 is not served.
    now += 2_000;
    expect(await cache.get('warm', async () => item('warm', 3))).toEqual({ item: item('warm', 3), cache: 'miss' });
    expect(cache.health()).toMatchObject({ state: 'up', pendingInvalidations: 0 });
    expect(lines.some((line) => line.message === 'cache reachable again')).toBe(true);
    connection.destroy();
  });

  it('blackholed (the server stopped answering): the request is served by the database within the command bound', async () => {
    const { cache, connection } = cacheFor(server);
    await cache.get('hole', async () => item('hole', 1));
    await server.suspend();
    try {
      const load = jest.fn(async () => item('hole', 1));
      expect(await cache.get('hole', load)).toEqual({ item: item('hole', 1), cache: 'degraded' });
      expect(load).toHaveBeenCalledTimes(1);
      expect(cache.health().lastError).toMatchObject({ errorMessage: expect.stringMatching(/timed out/) });
    } finally {
      server.resume();
    }
    connection.destroy();
    expect(await clientsReach(server, 1)).toBe(1);
  });

  it('when it was never reachable: the first request is served by the database', async () => {
    const { cache } = cacheFor({ ...server, host: server.host, port: 1, connectedClients: server.connectedClients } as RedisServer);
    const result = await cache.get('never', async (): Promise<TestItem> => item('never', 1));
    expect(result).toEqual({ item: item('never', 1), cache: 'degraded' });
    expect(cache.health()).toMatchObject({ state: 'degraded', lastError: { errorType: 'CacheUnavailableError', port: 1 } });
  });
});
