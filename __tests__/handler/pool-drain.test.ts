// DatabasePool.drain() in-process, against a real server, in every state the
// pool can be in when SIGTERM arrives. What counts is what the SERVER saw.
import { startMysqlServer, type MysqlServer, type ServerStatus } from '../../src/testing/mysql-server';
import { settle, wireHandler } from './support';

const BUDGET_MS = 200;
/** Scheduling slack on a loaded 2-core machine: the drain must still end well inside the runtime's 300 ms. */
const SLACK_MS = 60;
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
    expect(report.durationMs).toBeLessThan(SLACK_MS);
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

  it('destroys a connection whose statement is still running at the deadline, inside the budget', async () => {
    const { pool, handler } = wireHandler(server);
    const inFlight = handler({ action: 'debug-sleep', seconds: 5 });
    await settle(async () => pool.state().openSockets, (open) => open === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const report = await pool.drain(BUDGET_MS);
    expect(report).toMatchObject({ closedCleanly: 0, destroyed: 1 });
    expect(report.durationMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    // The caller of the interrupted statement gets an answer, not a hang.
    await expect(inFlight).resolves.toMatchObject({ ok: false });
  });

  it('ends inside the budget when the server does not answer at all (SIGSTOP)', async () => {
    const { pool, handler } = wireHandler(server);
    await handler({ action: 'health' });
    await server.suspend();
    try {
      const report = await pool.drain(BUDGET_MS);
      expect(report).toMatchObject({ closedCleanly: 0, destroyed: 1 });
      expect(report.durationMs).toBeLessThan(BUDGET_MS + SLACK_MS);
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
