// The test database helper itself: its failure when no server exists, and the
// MYSQL_URL mode (exercised against a private server's URL).
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { ExternalServer } from '../../src/testing/external-mysql-server';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { startPrivateServer } from '../../src/testing/private-mysql-server';

describe('the test database helper', () => {
  it('fails, never skips, with how to install a server when no binary is found', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'gs-no-mysql-'));
    await expect(startPrivateServer('app', { binaryDirs: [empty] }))
      .rejects.toThrow(/apt-get update && apt-get install -y mariadb-server.*or set MYSQL_URL/);
  });

  describe('with a server', () => {
    let server: MysqlServer;
    beforeAll(async () => { server = await startMysqlServer({ privateOnly: true }); });
    afterAll(async () => { await server?.stop(); });

    it('counts a connection that vanished without COM_QUIT as an aborted client, with an error log line', async () => {
      const before = await server.status();
      const linesBefore = server.errorLogLines(/Aborted connection/).length;
      const client = await createConnection(server.url);
      expect((await server.status()).threadsConnected).toBe(before.threadsConnected + 1);
      client.destroy(); // a socket closed with no COM_QUIT, as a SIGKILLed process leaves it
      // The server counts the abort, then logs it: wait (bounded, generously for a loaded machine) for both.
      const deadline = Date.now() + 20_000;
      const seen = async () => (await server.status()).abortedClients > before.abortedClients
        && server.errorLogLines(/Aborted connection/).length > linesBefore;
      while (!(await seen()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect((await server.status()).abortedClients).toBe(before.abortedClients + 1);
      expect(server.errorLogLines(/Aborted connection/).length).toBe(linesBefore + 1);
    });

    it('reads counters from a MYSQL_URL server but says its error log is not available', async () => {
      const external = await ExternalServer.connect(server.url);
      try {
        expect(external).toMatchObject({ host: server.host, port: server.port, user: server.user, database: server.database });
        expect(await external.status()).toEqual({
          abortedClients: expect.any(Number), abortedConnects: expect.any(Number), threadsConnected: expect.any(Number),
        });
        expect(() => external.errorLogLines()).toThrow(/not available/);
      } finally {
        await external.stop();
      }
    });
  });
});
