// The wait every scenario ends with (src/testing/server-counters.ts), against
// a private mariadbd: it ends on the server's STATE (every session opened
// since the baseline gone from its process list), never on a quiet spell, and
// the counts it then reads are exact.
import { createConnection, type Connection } from 'mysql2/promise';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { ABORTED_CONNECTION_LINE, readBaseline, waitForIdleServer, waitForServerEnd, type ServerBaseline, type ServerEnd } from '../../src/testing/server-counters';
import { sessionsRunning } from './support';

let server: MysqlServer;
beforeAll(async () => {
  server = await startMysqlServer({ privateOnly: true });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

function connect(): Promise<Connection> {
  return createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, database: server.database });
}

function delta(baseline: ServerBaseline, end: ServerEnd) {
  return {
    reached: end.reached,
    abortedClients: end.abortedClients - baseline.abortedClients,
    abortedConnectionLines: server.errorLogLines(ABORTED_CONNECTION_LINE).length - baseline.abortedConnectionLines,
    threadsConnected: end.threadsConnected - baseline.threadsConnected,
    sessionsStillOpen: end.sessionsStillOpen,
  };
}

describe('waiting for the server\'s end of the sessions opened since a baseline', () => {
  it('waits out a session still running its statement after its client vanished, though nothing changes meanwhile', async () => {
    // Someone else's session, open at the baseline: when it closes,
    // Threads_connected is back at the baseline's level while ours still runs.
    // A wait that ended on that level plus a quiet spell read 0 aborts here.
    const foreign = await connect();
    const baseline = await readBaseline(server);
    const client = await connect();
    client.query('SELECT SLEEP(1)').catch(() => undefined);
    await sessionsRunning(server, 'SELECT SLEEP(1)');
    // As a SIGKILLed process leaves it: no COM_QUIT. The server notices only when its SLEEP returns.
    client.destroy();
    await foreign.end();

    const end = await waitForServerEnd(server, baseline, { aborted: 0 });

    // Threads_connected is not compared: the foreign session's own teardown may still be under way.
    const { threadsConnected: _ignored, ...ours } = delta(baseline, end);
    expect(ours).toEqual({ reached: true, abortedClients: 1, abortedConnectionLines: 1, sessionsStillOpen: [] });
  });

  it('reads no abort for a session closed with COM_QUIT', async () => {
    const baseline = await readBaseline(server);
    const client = await connect();
    await client.query('SELECT 1');
    await client.end();

    const end = await waitForServerEnd(server, baseline, { aborted: 0 });

    expect(delta(baseline, end)).toEqual({ reached: true, abortedClients: 0, abortedConnectionLines: 0, threadsConnected: 0, sessionsStillOpen: [] });
  });

  it('gives up at its bound, naming the sessions still open, when they never end', async () => {
    const baseline = await readBaseline(server);
    const client = await connect();
    try {
      const end = await waitForServerEnd(server, baseline, { aborted: 0 }, { timeoutMs: 200 });

      expect(delta(baseline, end)).toMatchObject({ reached: false, abortedClients: 0, threadsConnected: 1, sessionsStillOpen: [client.threadId] });
    } finally {
      await client.end();
    }
  });

  it('does not end before the aborts it expects, even once every session is gone', async () => {
    const baseline = await readBaseline(server);
    const client = await connect();
    await client.end();

    const end = await waitForServerEnd(server, baseline, { aborted: 1 }, { timeoutMs: 200 });

    expect(delta(baseline, end)).toEqual({ reached: false, abortedClients: 0, abortedConnectionLines: 0, threadsConnected: 0, sessionsStillOpen: [] });
  });
});

describe('waiting for an idle server', () => {
  it('is idle only once no session but the reading one is listed', async () => {
    const client = await connect();
    const busy = await waitForIdleServer(server, { timeoutMs: 200 });
    await client.end();
    const idle = await waitForIdleServer(server);

    expect({ busy, idle }).toEqual({ busy: false, idle: true });
  });
});
