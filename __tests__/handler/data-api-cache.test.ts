// The data API with the Redis cache wired as index.ts wires it, against a
// private mariadbd and a private redis-server: `get` reads through, `put`
// invalidates after the row is written, `health` reports the cache, and a
// cache that is down never fails a request MySQL can serve.
import { createDataApi, type DataApiHandler } from '../../src/handler/data-api';
import { createDrainRegistry } from '../../src/handler/drain-registry';
import { loadCacheConfig } from '../../src/handler/cache/cache-config';
import { setUpCache, type CacheSetup } from '../../src/handler/cache/cache-setup';
import { ItemRepository } from '../../src/handler/repository';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { startRedisServer, type RedisServer } from '../../src/testing/redis-server';
import { wireHandler, type Wired } from './support';

let mysql: MysqlServer;
let redis: RedisServer;
beforeAll(async () => {
  [mysql, redis] = await Promise.all([startMysqlServer(), startRedisServer({ privateOnly: true })]);
});
afterAll(async () => {
  await Promise.all([mysql?.stop(), redis?.stop()]);
});

let seq = 0;
interface WiredWithCache extends Wired {
  cached: DataApiHandler;
  setup: CacheSetup;
  registryNames: () => string[];
}

/** The handler over a fresh database, with the cache from the function's variables (bounds far above loopback, far below the test's timeout). */
async function wire(): Promise<WiredWithCache> {
  const database = `cache_${process.pid}_${++seq}`;
  await mysql.query(`CREATE DATABASE \`${database}\``);
  await mysql.query(`GRANT ALL ON \`${database}\`.* TO '${mysql.user}'@'%'`);
  const wired = wireHandler(mysql, { DB_NAME: database });
  const config = loadCacheConfig({
    CACHE_HOST: redis.host, CACHE_PORT: String(redis.port), CACHE_AUTH: 'none', CACHE_TLS: 'off',
    CACHE_CONNECT_TIMEOUT_MS: '2000', CACHE_COMMAND_TIMEOUT_MS: '2000',
  });
  if (!config) throw new Error('no cache config');
  const registry = createDrainRegistry();
  const registered: string[] = [];
  const register = registry.register.bind(registry);
  registry.register = (resource) => { registered.push(`${resource.phase}:${resource.name}`); return register(resource); };
  const setup = setUpCache(config, wired.logs.logger, registry);
  const cached = createDataApi({ repository: new ItemRepository(wired.pool), pool: wired.pool, cache: setup.cache, logger: wired.logs.logger, debugActions: true });
  return { ...wired, cached, setup, registryNames: () => registered };
}

describe('the data API with the cache', () => {
  let wired: WiredWithCache;
  beforeEach(async () => { wired = await wire(); });
  afterEach(async () => {
    wired.setup.connection.destroy();
    await wired.pool.drain(200);
  });

  it('registers the cache\'s flush and close on the drain registry', () => {
    expect(wired.registryNames()).toEqual(['flush:redis', 'close:redis']);
  });

  it('reads through: a miss from MySQL fills the entry, the next get is a hit; a put invalidates, so no get ever sees an old version', async () => {
    await wired.cached({ action: 'put', id: 'doc', data: { n: 1 } });
    expect(await wired.cached({ action: 'get', id: 'doc' })).toMatchObject({ ok: true, item: { version: 1, data: { n: 1 } }, cache: 'miss' });
    expect(await wired.cached({ action: 'get', id: 'doc' })).toMatchObject({ ok: true, item: { version: 1 }, cache: 'hit' });
    expect(await wired.cached({ action: 'put', id: 'doc', data: { n: 2 } })).toEqual({ ok: true, action: 'put', id: 'doc', version: 2, cache: 'invalidated' });
    expect(await wired.cached({ action: 'get', id: 'doc' })).toMatchObject({ ok: true, item: { version: 2, data: { n: 2 } }, cache: 'miss' });
    expect(await wired.cached({ action: 'get', id: 'nobody' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('reports the cache on health; without a cache, says it has none', async () => {
    expect(await wired.cached({ action: 'health' })).toMatchObject({
      ok: true, database: { reachable: true }, cache: { configured: true, state: 'up', reachable: true, connects: 1 },
    });
    expect(await wired.handler({ action: 'health' })).toMatchObject({ ok: true, cache: { configured: false } });
  });

  it('with the cache down at invoke time: get and put are served by MySQL, health says degraded', async () => {
    await wired.cached({ action: 'put', id: 'k', data: { n: 1 } });
    await redis.shutdown();
    try {
      expect(await wired.cached({ action: 'get', id: 'k' })).toMatchObject({ ok: true, item: { version: 1 }, cache: 'degraded' });
      expect(await wired.cached({ action: 'put', id: 'k', data: { n: 2 } })).toEqual({ ok: true, action: 'put', id: 'k', version: 2, cache: 'degraded' });
      expect(await wired.cached({ action: 'get', id: 'k' })).toMatchObject({ ok: true, item: { version: 2 }, cache: 'degraded' });
      expect(await wired.cached({ action: 'health' })).toMatchObject({
        ok: true, database: { reachable: true },
        cache: { configured: true, state: 'degraded', reachable: false, pendingInvalidations: 1, lastError: { errorType: 'CacheUnavailableError' } },
      });
    } finally {
      await redis.start();
    }
  });
});
