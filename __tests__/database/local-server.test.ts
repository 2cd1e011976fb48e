// withFunctionUser(): a private server whose handler user is the bootstrapped
// one, for the scenario suite, the bench and `npm run local`.
import { createConnection } from 'mysql2/promise';
import { withFunctionUser } from '../../src/testing/function-user';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { wireHandler } from '../handler/support';
import { outcome } from './support';

let plain: MysqlServer;
let server: MysqlServer;

beforeAll(async () => {
  plain = await startMysqlServer({ privateOnly: true });
  server = await withFunctionUser(plain);
});

afterAll(async () => {
  await server?.stop();
});

async function dropTableAs(user: string, password: string): Promise<string> {
  const connection = await createConnection({ host: server.host, port: server.port, user, password, database: server.database });
  try {
    return await outcome(connection, 'DROP TABLE items');
  } finally {
    await connection.end();
  }
}

describe('withFunctionUser', () => {
  it('hands the handler a user with exactly SELECT, INSERT, UPDATE on its table', async () => {
    const env = server.handlerEnv();
    const rows = await server.query('SHOW GRANTS FOR ?@?', [env.DB_USER, '%']);
    const grants = rows.map((row) => String(Object.values(row)[0]));

    expect(env).toMatchObject({ DB_USER: server.user, DB_PASSWORD: server.password, DB_NAME: plain.database, DB_PORT: String(plain.port) });
    expect(server.user).not.toBe(plain.user);
    expect(grants.filter((g) => !g.startsWith('GRANT USAGE ON *.*'))).toEqual([
      `GRANT SELECT, INSERT, UPDATE ON \`${server.database}\`.\`items\` TO \`${server.user}\`@\`%\``,
    ]);
  });

  it('serves put, get and health through the handler connected as that user', async () => {
    const wired = wireHandler(server);
    try {
      expect(await wired.handler({ action: 'put', id: 'k', data: { a: 1 } })).toMatchObject({ ok: true, version: 1 });
      expect(await wired.handler({ action: 'get', id: 'k' })).toMatchObject({ ok: true, item: { data: { a: 1 } } });
      expect(await wired.handler({ action: 'health' })).toMatchObject({ ok: true });
    } finally {
      await wired.pool.drain(1000);
    }
  });

  it('denies that user what the server\'s own handler user may do (DROP TABLE: allowed before, denied after)', async () => {
    expect(await dropTableAs(server.user, server.password)).toBe('ER_TABLEACCESS_DENIED_ERROR');
    // The baseline, last because it destroys the table: the user the server starts with has ALL on the schema.
    expect(await dropTableAs(plain.user, plain.password)).toBe('OK');
  });
});
