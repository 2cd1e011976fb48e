// The transaction half of a write cut off by a reset: a write inside a transaction that the
// function timeout interrupts before COMMIT. The reset's drain destroys the
// busy socket; the server must roll the transaction back, so the row is not in
// the table afterwards, and the next invoke runs a new Init and succeeds.
import type { RowDataPacket } from 'mysql2';
import { ShutdownReason } from '../../src/protocol/lambda-api';
import { ServerWatch, get, put, useEnvironments, useServer } from './support';

const server = useServer();
const startEnvironment = useEnvironments(server);

async function rowsWithId(id: string): Promise<number> {
  const rows = await server().query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM \`${server().database}\`.items WHERE id = ?`, [id],
  );
  return Number(rows[0].n);
}

/** Waits (bounded) until no session runs a statement like `pattern`: the cut-off session has ended. */
async function untilNoStatementLike(pattern: string): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const rows = await server().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ?', [pattern]);
    if (Number(rows[0].n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`a statement like ${pattern} was still running on the server after 5 s`);
}

describe('a write inside a transaction cut off by the function timeout', () => {
  it('is rolled back: the row is not in the table, and the next invoke re-inits and succeeds', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startEnvironment({ timeoutMs: 1_000 });
    // Creates the table, so the count below reads a table that exists.
    expect((await env.invoke(put('committed-before', { a: 1 }))).outcome).toBe('success');

    const cutOff = await env.invoke({ action: 'debug-slow-transaction', id: 'uncommitted', data: { a: 2 }, seconds: 2 });
    // The server notices the destroyed socket only when its SLEEP returns, then
    // ends the session and rolls back: wait (bounded) for that, so the count
    // below reads the table after the rollback, not merely around an open transaction.
    await untilNoStatementLike('SELECT SLEEP(%');
    const delta = await watch.settled();
    const afterwards = await rowsWithId('uncommitted');
    const next = await env.invoke(get('committed-before'));
    const retried = await env.invoke(put('uncommitted', { a: 3 }));

    expect(cutOff.outcome).toBe('timeout');
    expect(env.report().resets.map((reset) => reset.reason)).toEqual([ShutdownReason.timeout]);
    expect(delta.threadsConnected).toBe(0);
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
