// DatabasePool.drain() in-process, against a real server, in every state the
// pool can be in when SIGTERM arrives. What counts is what the SERVER saw.
import { startMysqlServer, type MysqlServer, type ServerStatus } from '../../src/testing/mysql-server';
import { settle, wireHandler } from './support';

const BUDGET_MS = 200;
const ABORTED_LINE = /Aborted connection/;

let server: MysqlServer;
beforeAll(async () => { server = await startMysqlServer({ privateOnly: true }); });
afterAll(async () => { await server?.stop(); });

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
    await settle(async () => pool.state().openSockets, (open) => open === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const report = await pool.drain(BUDGET_MS);
    // Had the drain waited for the 5 s statement, the connection would have
    // been released and then quit cleanly; destroyed means the deadline ended it.
    expect(report).toMatchObject({ closedCleanly: 0, destroyed: 1 });
    // The caller of the interrupted statement gets an answer, not a hang.
    await expect(inFlight).resolves.toMatchObject({ ok: false });
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
