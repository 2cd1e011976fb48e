// The cache's connection: created on first need, every wait bounded, a fresh
// password (an IAM token) for every new connection, and the client library
// kept out of the handler's entry file so a function without a cache never
// loads it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { CacheClosedError, CacheUnavailableError, RedisConnection } from '../../src/handler/cache/redis-client';
import { startRedisServer, type RedisServer } from '../../src/testing/redis-server';
import { killClientWhileBlocked } from './cache-support';

const connectionTo = (server: RedisServer, extra: Partial<ConstructorParameters<typeof RedisConnection>[0]> = {}) =>
  new RedisConnection({ host: server.host, port: server.port, connectTimeoutMs: 1_000, commandTimeoutMs: 1_000, ...extra });

describe('the cache connection', () => {
  let server: RedisServer;
  beforeAll(async () => { server = await startRedisServer({ privateOnly: true }); });
  afterAll(async () => { await server?.stop(); });

  it('loads the client library and connects only when first needed', async () => {
    const load = jest.fn(async () => (await import('ioredis')).default);
    const connection = connectionTo(server, { load });
    expect(load).not.toHaveBeenCalled();
    expect(connection.state()).toEqual({ created: false, status: 'none', connects: 0, closed: false });
    expect(await (await connection.ready()).ping()).toBe('PONG');
    await connection.ready();
    expect(load).toHaveBeenCalledTimes(1);
    expect(connection.state()).toMatchObject({ created: true, status: 'ready', connects: 1 });
    connection.destroy();
  });

  it('asks for a fresh password for every new connection (an IAM token is checked only when a connection authenticates)', async () => {
    await server.command('ACL', 'SETUSER', 'cache-user', 'on', '>token-1', '>token-2', '~*', '+@all');
    const tokens = ['token-1', 'token-2'];
    const password = jest.fn(async () => tokens.shift());
    const connection = connectionTo(server, { username: 'cache-user', password });
    const first = await connection.ready();
    expect(await first.call('ACL', 'WHOAMI')).toBe('cache-user');
    killClientWhileBlocked(server, Number(await first.client('ID')));
    await new Promise((resolve) => first.once('end', resolve));
    const second = await connection.ready();
    expect(await second.call('ACL', 'WHOAMI')).toBe('cache-user');
    expect(password).toHaveBeenCalledTimes(2);
    connection.destroy();
  });

  it('fails to connect with a bounded, named error whose cause says why (a refused password)', async () => {
    await server.command('ACL', 'SETUSER', 'cache-user', 'on', '>token-1', '~*', '+@all');
    const connection = connectionTo(server, { username: 'cache-user', password: () => 'expired-token' });
    const failure = connection.ready();
    await expect(failure).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(failure).rejects.toMatchObject({ context: { host: server.host, port: server.port }, cause: { message: expect.stringMatching(/WRONGPASS/) } });
  });

  it('gives up connecting to a server that accepts TCP but never answers, within its connect bound', async () => {
    await server.suspend();
    try {
      const connection = connectionTo(server, { connectTimeoutMs: 200, password: () => 'any' });
      await expect(connection.ready()).rejects.toThrow(CacheUnavailableError);
    } finally {
      server.resume();
    }
  });

  it('opens nothing once closed by the drain, and ends a connection the drain overtook', async () => {
    const connection = connectionTo(server);
    expect(await connection.quit()).toEqual({ connected: false });
    await expect(connection.ready()).rejects.toBeInstanceOf(CacheClosedError);
    expect(connection.state()).toMatchObject({ created: false, connects: 0, closed: true });

    const racing = connectionTo(server);
    const opening = racing.ready();
    racing.destroy();
    await expect(opening).rejects.toBeInstanceOf(CacheClosedError);
  });
});

describe('the client library in the bundle', () => {
  it('stays out of the entry file when the handler is bundled with code splitting, and loads from its chunk on first need', async () => {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'gs-redis-bundle-'));
    const entry = path.join(outdir, 'entry.ts');
    writeFileSync(entry, `export { RedisConnection } from ${JSON.stringify(path.resolve('src/handler/cache/redis-client.ts'))};\n`);
    await build({
      entryPoints: { index: entry }, outdir, bundle: true, splitting: true, platform: 'node', format: 'esm', target: 'node20', // whichever Node runs jest runs the child too
      minifyWhitespace: true, minifySyntax: true, outExtension: { '.js': '.mjs' }, logLevel: 'silent',
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
    // A message only ioredis' own code has.
    const marker = 'Redis is already connecting/connected';
    const files = readdirSync(outdir).filter((file) => file.endsWith('.mjs'));
    expect(readFileSync(path.join(outdir, 'index.mjs'), 'utf8')).not.toContain(marker);
    expect(files.filter((file) => readFileSync(path.join(outdir, file), 'utf8').includes(marker))).toHaveLength(1);
    expect(readFileSync(path.join(outdir, 'index.mjs'), 'utf8').length).toBeLessThan(20_000);

    const server = await startRedisServer();
    try {
      // jest's module system cannot import ESM: a child Node does, as the runtime would.
      const script = `const { RedisConnection } = await import(${JSON.stringify(pathToFileURL(path.join(outdir, 'index.mjs')).href)});`
        + `const c = new RedisConnection({ host: '${server.host}', port: ${server.port}, connectTimeoutMs: 2000, commandTimeoutMs: 2000 });`
        + 'console.log(await (await c.ready()).ping()); c.destroy();';
      expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 }).trim()).toBe('PONG');
    } finally {
      await server.stop();
    }
  });
});
