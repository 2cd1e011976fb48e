// Every wait on the database has a bound the handler sets, from the
// function's environment: a statement whose server stops answering ends with
// DATABASE_TIMEOUT and is not retried (it may have run); a server that
// accepts TCP but never greets ends the connect attempt. Neither server ever
// answers or closes here, so only the bound can end the wait.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { loadConfig } from '../../src/handler/config';
import { ConfigError } from '../../src/handler/errors';
import { DB_WAIT_BOUNDS_MS } from '../../src/protocol/function-env';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { wireHandler } from './support';

const LOCAL = { DB_HOST: '127.0.0.1', DB_USER: 'app', DB_NAME: 'app', DB_AUTH: 'password', DB_PASSWORD: 'p', DB_TLS: 'off' };

describe('the wait bounds in the function\'s environment', () => {
  it('default to 2 s to connect, 500 ms for a checkout\'s ping, 5 s for a statement', () => {
    expect(loadConfig(LOCAL)).toMatchObject({ connectTimeoutMs: 2_000, pingTimeoutMs: 500, queryTimeoutMs: 5_000 });
    expect(DB_WAIT_BOUNDS_MS.query.default).toBeLessThan(10_000);
  });

  it.each(['DB_CONNECT_TIMEOUT_MS', 'DB_PING_TIMEOUT_MS', 'DB_QUERY_TIMEOUT_MS'])('names %s when it is out of range', (variable) => {
    let error: unknown;
    try {
      loadConfig({ ...LOCAL, [variable]: '10' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });
});

describe('a statement whose server stops answering (mariadbd SIGSTOPped)', () => {
  let server: MysqlServer;
  beforeAll(async () => {
    server = await startMysqlServer({ privateOnly: true });
  }, 60_000);
  afterAll(async () => {
    server.resume();
    await server.stop();
  }, 30_000);

  it('ends with DATABASE_TIMEOUT at the query bound, once, without a retry even for a read', async () => {
    // No ping at checkout: the statement itself meets the silence.
    const { handler, logs } = wireHandler(server, { DB_QUERY_TIMEOUT_MS: '300' }, { validateAfterIdleMs: Infinity });
    expect(await handler({ action: 'put', id: 'bound-1', data: { a: 1 } })).toMatchObject({ ok: true });

    await server.suspend();
    const result = await handler({ action: 'get', id: 'bound-1' }).finally(() => server.resume());

    expect(result).toMatchObject({ ok: false, error: { code: 'DATABASE_TIMEOUT' } });
    // Logged at ERROR, as any database failure: an alarm on it must not miss a silent server.
    expect(logs.lines.find((line) => line.message === 'request failed')).toMatchObject({ level: 'ERROR', code: 'DATABASE_TIMEOUT' });
    expect(logs.lines.filter((line) => line.message === 'statement got no answer within its bound').map((line) => line.boundMs)).toEqual([300]);
    expect(logs.lines.filter((line) => line.message === 'statement failed on a broken connection')).toEqual([]);
  });
});

describe('a server that accepts TCP but never greets', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((socket) => { sockets.add(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('ends the connect attempt at the connect bound with a structured error', async () => {
    const port = String((silent.address() as AddressInfo).port);
    const fake = { handlerEnv: () => ({ ...LOCAL, DB_PORT: port }) } as unknown as MysqlServer;
    const { handler, logs } = wireHandler(fake, { DB_CONNECT_TIMEOUT_MS: '200' });

    const result = await handler({ action: 'health' });

    expect(result).toMatchObject({ ok: false, error: { code: 'DATABASE_ERROR' } });
    const failed = logs.lines.find((line) => line.message === 'request failed') as { cause?: { code?: string } } | undefined;
    expect(failed?.cause?.code).toBe('ETIMEDOUT');
  });
});
