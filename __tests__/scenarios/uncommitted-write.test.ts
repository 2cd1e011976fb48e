// The transaction half of a write cut off by a reset: a write inside a transaction that the
// function timeout interrupts before COMMIT. The reset's drain destroys the
// busy socket; the server must roll the transaction back, so the row is not in
// the table afterwards, and the next invoke runs a new Init and succeeds.
import type { RowDataPacket } from 'mysql2';
import { ShutdownReason } from '../../src/protocol/lambda-api';
import {
  DEADLINE_BOUND_ENV, ServerWatch, endOrphanedStatement, get, put, sessionsRunning, useEnvironments, useServer,
} from './support';

const server = useServer();
const startEnvironment = useEnvironments(server);

async function rowsWithId(id: string): Promise<number> {
  const rows = await server().query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM \`${server().database}\`.items WHERE id = ?`, [id],
  );
  return Number(rows[0].n);
}

describe('a write inside a transaction cut off by the function timeout', () => {
  it('is rolled back: the row is not in the table, and the next invoke re-inits and succeeds', async () => {
    const watch = await ServerWatch.start(server());
    // A deadline-bound drain: the busy connection is destroyed at its deadline, far inside the runtime's share.
    const env = await startEnvironment({ timeoutMs: 2_000, env: DEADLINE_BOUND_ENV });
    // Creates the table, so the count below reads a table that exists.
    expect((await env.invoke(put('committed-before', { a: 1 }))).outcome).toBe('success');

    const pending = env.invoke({ action: 'debug-slow-transaction', id: 'uncommitted', data: { a: 2 }, seconds: 20 });
    // The row is written and the transaction open when the timeout strikes: what "uncommitted" is about.
    const [orphan] = await sessionsRunning(server(), 'SELECT SLEEP(20)');
    const cutOff = await pending;
    // The server notices the destroyed socket only when its statement ends:
    // ended now rather than in 20 s. The session then rolls back before it
    // leaves the process list, and the wait is for that, so the count below
    // reads the table after the rollback, not merely around an open transaction.
    await endOrphanedStatement(server(), orphan);
    const delta = await watch.settled({ aborted: 1 });
    const afterwards = await rowsWithId('uncommitted');
    const next = await env.invoke(get('committed-before'));
    const retried = await env.invoke(put('uncommitted', { a: 3 }));

    expect(cutOff.outcome).toBe('timeout');
    expect(env.report().resets.map((reset) => reset.reason)).toEqual([ShutdownReason.timeout]);
    expect({ ...delta, abortedConnectionLines: delta.abortedConnectionLines.length })
      .toEqual({ abortedClients: 1, threadsConnected: 0, abortedConnectionLines: 1, sessionsStillOpen: [] });
    expect(afterwards).toBe(0);
    expect(next).toMatchObject({ outcome: 'success', reinitialized: true, payload: { ok: true, item: { id: 'committed-before', version: 1 } } });
    // Version 1: the interrupted transaction left nothing for this put to update.
    expect(retried.payload).toMatchObject({ ok: true, id: 'uncommitted', version: 1 });
  });

  it('is committed when the same transaction finishes inside the timeout (the test can tell the two apart)', async () => {
    const env = await startEnvironment({ timeoutMs: 3_000 });

    const finished = await env.invoke({ action: 'debug-slow-transaction', id: 'finished', data: { a: 1 }, seconds: 0.1 });

    expect(finished).toMatchObject({ outcome: 'success', payload: { ok: true, committed: true } });
    expect(await rowsWithId('finished')).toBe(1);
  });
});
