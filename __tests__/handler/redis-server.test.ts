// The test Redis helper itself: its failure when no server exists, the
// counters it reads from the server's side, and the REDIS_URL mode
// (exercised against a private server's URL).
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { startPrivateRedisServer } from '../../src/testing/private-redis-server';
import { ExternalRedisServer, startRedisServer, type RedisServer } from '../../src/testing/redis-server';
import { clientsReach } from './cache-support';

/** A plain client with every wait bounded, so a test never hangs on a server it stopped. */
function client(server: RedisServer): Redis {
  const redis = new Redis({ host: server.host, port: server.port, lazyConnect: true, connectTimeout: 1_000, commandTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
}

describe('the test Redis helper', () => {
  it('fails, never skips, with how to install a server when no binary is found', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'gs-no-redis-'));
    await expect(startPrivateRedisServer({ binaryDirs: [empty] }))
      .rejects.toThrow(/apt-get update && apt-get install -y redis-server.*or set REDIS_URL/);
  });

  describe('with a private server', () => {
    let server: RedisServer;
    beforeAll(async () => { server = await startRedisServer({ privateOnly: true }); });
    afterAll(async () => { await server?.stop(); });

    it('counts a client in connected_clients while it is connected, and not once it has quit', async () => {
      const before = await server.connectedClients();
      expect(before).toBe(1); // the helper's own admin connection
      const redis = client(server);
      await redis.connect();
      expect(await server.connectedClients()).toBe(before + 1);
      await redis.quit();
      expect(await clientsReach(server, before)).toBe(before);
    });

    it('closes every client but its own from the server side', async () => {
      const redis = client(server);
      await redis.connect();
      const closed = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      expect(await server.killClients()).toBe(1);
      await closed;
      expect(redis.status).toBe('end');
      expect(await server.connectedClients()).toBe(1);
    });

    it('shuts down (clients see their connection close, new ones are refused) and starts again on the same port', async () => {
      const redis = client(server);
      await redis.connect();
      const closed = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      await server.shutdown();
      await closed;
      await expect(client(server).connect()).rejects.toThrow(/Connection is closed/);
      await expect(server.connectedClients()).rejects.toThrow(/admin connection is closed/);
      await server.start();
      const again = client(server);
      await again.connect();
      expect(await again.ping()).toBe('PONG');
      again.disconnect();
    });

    it('suspends: a command gets no answer until the server is resumed', async () => {
      const redis = client(server);
      await redis.connect();
      await server.suspend();
      try {
        await expect(redis.ping()).rejects.toThrow(/timed out/);
      } finally {
        server.resume();
      }
      const after = client(server);
      await after.connect();
      expect(await after.ping()).toBe('PONG');
      redis.disconnect();
      after.disconnect();
    });

    it('reads the same server through REDIS_URL, and refuses what only a private server can do', async () => {
      const previous = process.env.REDIS_URL;
      process.env.REDIS_URL = server.url;
      let external: RedisServer | undefined;
      try {
        external = await startRedisServer();
        expect(external).toBeInstanceOf(ExternalRedisServer);
        expect(external).toMatchObject({ host: server.host, port: server.port, pid: undefined });
        // Both helpers' admin connections, read from either side.
        expect(await external.connectedClients()).toBe(2);
        expect(await server.connectedClients()).toBe(2);
        await expect(external.shutdown()).rejects.toThrow(/cannot shut down a REDIS_URL server/);
        await expect(external.suspend()).rejects.toThrow(/cannot suspend a REDIS_URL server/);
      } finally {
        if (previous === undefined) delete process.env.REDIS_URL;
        else process.env.REDIS_URL = previous;
        await external?.stop();
      }
      expect(await clientsReach(server, 1)).toBe(1);
    });
  });
});
