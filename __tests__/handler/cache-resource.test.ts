// The cache's share of the shutdown, through the drain registry, read from
// the Redis server's own side (connected_clients). Caps are generous where
// the test expects `clean` (a loaded machine must not turn a QUIT into a cut)
// and small where nothing can answer (a suspended server).
import { cacheDrainResources } from '../../src/handler/cache/cache-resource';
import { createDrainRegistry } from '../../src/handler/drain-registry';
import { startRedisServer, type RedisServer } from '../../src/testing/redis-server';
import { cacheFor, clientsReach, item } from './cache-support';

const GENEROUS = { flushCapMs: 5_000, closeCapMs: 5_000 };

describe('the cache as a drain resource', () => {
  let server: RedisServer;
  let baseline: number;
  beforeAll(async () => { server = await startRedisServer({ privateOnly: true }); });
  afterAll(async () => { await server?.stop(); });
  beforeEach(async () => { baseline = await clientsReach(server, 1); });

  it('QUITs inside its cap: the server lets the client go, and later requests go to the database without reconnecting', async () => {
    const { cache, connection } = cacheFor(server);
    await cache.get('k', async () => item('k', 1));
    expect(await server.connectedClients()).toBe(baseline + 1);
    const registry = createDrainRegistry();
    for (const resource of cacheDrainResources(cache, connection, GENEROUS)) registry.register(resource);

    const { resources, clean } = await registry.drain(10_000);
    expect(clean).toBe(true);
    expect(resources).toMatchObject([
      { name: 'redis', phase: 'flush', outcome: 'clean', detail: { invalidationsRetried: 0, invalidationsLeft: 0 } },
      { name: 'redis', phase: 'close', outcome: 'clean', detail: { connected: true } },
    ]);
    expect(await server.connectedClients()).toBe(baseline);
    expect(await cache.get('k', async () => item('k', 1))).toEqual({ item: item('k', 1), cache: 'degraded' });
    expect(connection.state()).toMatchObject({ closed: true, connects: 1 });
  });

  it('is cut after its cap when the server does not answer the QUIT, and the server sees the close once it runs again', async () => {
    const { cache, connection } = cacheFor(server);
    await cache.get('k', async () => item('k', 1));
    const registry = createDrainRegistry();
    for (const resource of cacheDrainResources(cache, connection, { flushCapMs: 100, closeCapMs: 100 })) registry.register(resource);
    await server.suspend();
    let report;
    try {
      report = await registry.drain(1_000);
    } finally {
      server.resume();
    }
    expect(report.resources).toMatchObject([
      { phase: 'flush', outcome: 'clean' },
      { phase: 'close', outcome: 'destroyed', cutBy: 'cap' },
    ]);
    expect(await clientsReach(server, baseline)).toBe(baseline);
  });

  it('closes cleanly, opening nothing, when no request ever needed the cache', async () => {
    const { cache, connection } = cacheFor(server);
    const registry = createDrainRegistry();
    for (const resource of cacheDrainResources(cache, connection, GENEROUS)) registry.register(resource);
    const { resources } = await registry.drain(10_000);
    expect(resources).toMatchObject([{ outcome: 'clean' }, { outcome: 'clean', detail: { connected: false } }]);
    expect(connection.state()).toMatchObject({ created: false, connects: 0 });
    expect(await server.connectedClients()).toBe(baseline);
  });

  it('with the cache down at SIGTERM: closes at once, and reports the invalidations it could not retry', async () => {
    const { cache, connection } = cacheFor(server, { retryAfterMs: 0 });
    await cache.get('k', async () => item('k', 1));
    await server.shutdown();
    try {
      expect(await cache.afterWrite('k', 2)).toBe('degraded');
      const registry = createDrainRegistry();
      for (const resource of cacheDrainResources(cache, connection, GENEROUS)) registry.register(resource);
      const { resources } = await registry.drain(10_000);
      expect(resources).toMatchObject([
        { phase: 'flush', outcome: 'clean', detail: { invalidationsRetried: 0, invalidationsLeft: 1 } },
        { phase: 'close', outcome: 'clean', detail: { connected: false } },
      ]);
    } finally {
      await server.start();
    }
  });

  it('retries, in the flush phase, an invalidation that failed while the cache was down', async () => {
    // However recently the cache failed, the flush tries it: it is the last chance for these entries.
    const { cache, connection, keyPrefix } = cacheFor(server, { retryAfterMs: 60_000 });
    await cache.get('k', async () => item('k', 1));
    await server.suspend();
    try {
      expect(await cache.afterWrite('k', 2)).toBe('degraded'); // the command times out
    } finally {
      server.resume();
    }
    const registry = createDrainRegistry();
    for (const resource of cacheDrainResources(cache, connection, GENEROUS)) registry.register(resource);
    const { resources } = await registry.drain(10_000);
    expect(resources).toMatchObject([
      { phase: 'flush', outcome: 'clean', detail: { invalidationsRetried: 1, invalidationsLeft: 0 } },
      { phase: 'close', outcome: 'clean', detail: { connected: true } },
    ]);
    expect(await server.command('GET', `${keyPrefix}k`)).toBe('2|t');
    expect(await clientsReach(server, baseline)).toBe(baseline);
  });
});
