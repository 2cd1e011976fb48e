// DatabasePool.drain() in-process, against a real server, in every state the
// pool can be in when SIGTERM arrives. What counts is what the SERVER saw.
import { startMysqlServer, type MysqlServer, type ServerStatus } from '../../src/testing/mysql-server';
import { settle, wireHandler } from './support';

const BUDGET_MS = 200;
const ABORTED_LINE = /Aborted connection/;

let server: MysqlServer;
beforeAll(async () => { server = await startMysqlServer({ privateOnly: true }); });
afterAll(async () => { await server?.stop(); });

async function sleepingStatements(): Promise<number> {
  const rows = await server.query<{ n: number }[] & import('mysql2').RowDataPacket[]>(
    "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(%'");
  return Number(rows[0]?.n);
}

async function cleanAfter(baseline: ServerStatus, abortedLinesBefore: number): Promise<void> {
  const after = await settle(() => server.status(), (s) => s.threadsConnected === baseline.threadsConnected);
  expect(after.threadsConnected).toBe(baseline.threadsConnected);
  expect(after.abortedClients).toBe(baseline.abortedClients);
  expect(server.errorLogLines(ABORTED_LINE)).toHaveLength(abortedLinesBefore);
}

describe('draining the pool', () => {
  it('reports nothing to do, at once, when the pool was never created', async () => {
    const { pool } = wireHandler(server);
    const report = await pool.drain(BUDGET_MS);
    expect(report).toMatchObject({ poolCreated: false, closedCleanly: 0, destroyed: 0, poolEnd: 'not-needed' });
  });

  it('closes an idle pool of two cleanly: the server closes each socket after COM_QUIT', async () => {
    const baseline = await server.status();
    const abortedLines = server.errorLogLines(ABORTED_LINE).length;
    const { pool, handler } = wireHandler(server);
    await handler({ action: 'debug-sleep', seconds: 0, parallel: 2 });
    expect(pool.state().openSockets).toBe(2);
    expect((await server.status()).threadsConnected).toBe(baseline.threadsConnected + 2);

    const report = await pool.drain(BUDGET_MS);
    expect(report).toMatchObject({ poolCreated: true, closedCleanly: 2, destroyed: 0, poolEnd: 'resolved' });
    expect(pool.state().openSockets).toBe(0);
    await cleanAfter(baseline, abortedLines);
  });

  it('destroys a connection whose statement is still running at the deadline instead of waiting for it', async () => {
    const { pool, handler } = wireHandler(server);
    const inFlight = handler({ action: 'debug-sleep', seconds: 5 });
    // In flight means the server is running it: wait for that state, not for a while.
    const running = await settle(sleepingStatements, (count) => count === 1, 10_000);
    expect(running).toBe(1);

    const report = await pool.drain(BUDGET_MS);
    // Had the drain waited for the 5 s statement, the connection would have
    // been released and then quit cleanly; destroyed means the deadline ended it.
    expect(report).toMatchObject({ closedCleanly: 0, destroyed: 1 });
    // The caller of the interrupted statement gets an answer, not a hang, and
    // the answer names the shutdown, not the database, as what went wrong.
    await expect(inFlight).resolves.toEqual({
      ok: false, error: { code: 'SHUTTING_DOWN', message: 'the environment shut down while "debug-sleep" was running' },
    });
  });

  describe('a request accepted just before the drain', () => {
    /** A gate at the point between checkout and statement: the test holds a connection there, starts the drain, then opens it. */
    function gateAfterCheckout(operation: string) {
      let reached!: () => void;
      let open!: () => void;
      const held = new Promise<void>((resolve) => { reached = resolve; });
      const opened = new Promise<void>((resolve) => { open = resolve; });
      let armed = false;
      const afterCheckout = async (name: string) => {
        if (!armed || name !== operation) return;
        armed = false;
        reached();
        await opened;
      };
      return { afterCheckout, held, open, arm: () => { armed = true; } };
    }

    it('is answered SHUTTING_DOWN when the drain\'s COM_QUIT got onto its connection first, and that connection still quits cleanly', async () => {
      const baseline = await server.status();
      const abortedLines = server.errorLogLines(ABORTED_LINE).length;
      const gate = gateAfterCheckout('put');
      const { pool, handler } = wireHandler(server, {}, { afterCheckout: gate.afterCheckout });
      expect(await handler({ action: 'put', id: 'race', data: { n: 1 } })).toMatchObject({ ok: true, version: 1 });

      gate.arm();
      const accepted = handler({ action: 'put', id: 'race', data: { n: 2 } });
      await gate.held;
      // drain() runs pool.end() before its first await: COM_QUIT is queued on
      // the checked-out connection, ahead of the statement, when this returns.
      const draining = pool.drain(BUDGET_MS);
      gate.open();

      expect(await accepted).toEqual({
        ok: false, error: { code: 'SHUTTING_DOWN', message: 'the environment shut down while "put" was running' },
      });
      // The connection was left to the drain, not destroyed: the server got its COM_QUIT.
      expect(await draining).toMatchObject({ closedCleanly: 1, closedWithError: 0, destroyed: 0 });
      await cleanAfter(baseline, abortedLines);
      const rows = await server.query<{ version: number }[] & import('mysql2').RowDataPacket[]>(
        `SELECT version FROM \`${server.database}\`.items WHERE id = 'race'`);
      expect(rows.map((row) => Number(row.version))).toEqual([1]);
    });

    it('after the drain started, is refused without the pool being created', async () => {
      const baseline = await server.status();
      const { pool, handler } = wireHandler(server);
      await pool.drain(BUDGET_MS);
      expect(await handler({ action: 'put', id: 'late', data: {} })).toEqual({
        ok: false, error: { code: 'SHUTTING_DOWN', message: 'the environment is shutting down' },
      });
      expect(pool.state()).toMatchObject({ created: false, connectionsCreated: 0, openSockets: 0 });
      expect((await server.status()).threadsConnected).toBe(baseline.threadsConnected);
    });
  });

  it('ends by its deadline when the server does not answer at all (SIGSTOP)', async () => {
    const { pool, handler } = wireHandler(server);
    await handler({ action: 'health' });
    await server.suspend();
    try {
      // A stopped server never closes the socket, so only the deadline can end this drain.
      const report = await pool.drain(BUDGET_MS);
      expect(report).toMatchObject({ closedCleanly: 0, destroyed: 1 });
    } finally {
      server.resume();
    }
  });

  it('runs once: a second call while the first is running gets the same report', async () => {
    const { pool, handler } = wireHandler(server);
    await handler({ action: 'health' });
    const [first, second] = await Promise.all([pool.drain(BUDGET_MS), pool.drain(BUDGET_MS)]);
    expect(first).toMatchObject({ closedCleanly: 1, destroyed: 0 });
    expect(second).toBe(first);
  });
});
