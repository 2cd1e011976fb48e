// Resets and bad input: an invoke past the function timeout, a runtime that
// dies mid-invoke, and malformed events. The environment must recover (a new
// Init) or keep serving, and a caller must never see a half-done write.
import { setTimeout as sleep } from 'node:timers/promises';
import { ShutdownReason } from '../../src/protocol/lambda-api';
import type { Environment } from '../../src/emulator';
import type { RowDataPacket } from 'mysql2';
import { createConnection } from 'mysql2/promise';
import {
  DEADLINE_BOUND_ENV, ServerWatch, endOrphanedStatement, get, put, runtimesOf, sessionsRunning, useEnvironments, useServer,
} from './support';

const server = useServer();
const startEnvironment = useEnvironments(server);


async function rowCount(): Promise<number> {
  // The helper's admin connection has no default database.
  const rows = await server().query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${server().database}\`.items`);
  return Number(rows[0].n);
}

function liveRuntimePid(env: Environment): number {
  const live = runtimesOf(env.report()).filter((p) => p.exitedAt === undefined && p.exitCode === null && p.signal === null);
  if (live.length !== 1) throw new Error(`expected one live runtime, found ${live.length}`);
  return live[0].pid;
}

describe('an invoke past the function timeout', () => {
  it('resets the environment with reason timeout, and the next invoke runs a new Init and succeeds', async () => {
    const watch = await ServerWatch.start(server());
    // A deadline-bound drain: the busy connection is destroyed at its deadline, far inside the runtime's share.
    const env = await startEnvironment({ timeoutMs: 2_000, env: DEADLINE_BOUND_ENV });
    expect((await env.invoke(put('timeout-before', { a: 1 }))).outcome).toBe('success');

    const pending = env.invoke({ action: 'debug-sleep', seconds: 20 });
    // The claim is about a connection that is mid-statement when the timeout
    // strikes: this fails, naming the statement, if the timeout came first.
    const [orphan] = await sessionsRunning(server(), 'SELECT SLEEP(20)');
    const slow = await pending;
    // The reset SIGTERMed the runtime: its drain cannot COM_QUIT a connection
    // that is mid-statement, so that one connection (and only it) is aborted
    // when the server ends the statement and finds its client gone.
    await endOrphanedStatement(server(), orphan);
    const cutOff = await watch.settled({ aborted: 1 });
    const next = await env.invoke(get('timeout-before'));

    expect(slow.outcome).toBe('timeout');
    expect(env.report().resets.map((r) => r.reason)).toEqual([ShutdownReason.timeout]);
    expect({ ...cutOff, abortedConnectionLines: cutOff.abortedConnectionLines.length })
      .toEqual({ abortedClients: 1, threadsConnected: 0, abortedConnectionLines: 1, sessionsStillOpen: [] });
    expect({ outcome: next.outcome, reinitialized: next.reinitialized }).toEqual({ outcome: 'success', reinitialized: true });
    expect(next.payload).toMatchObject({ ok: true, item: { id: 'timeout-before', version: 1 } });
    expect(runtimesOf(env.report())).toHaveLength(2);
  });
});

describe('a write cut off by the function timeout', () => {
  // What a reset can and cannot undo. The handler's put is one autocommit
  // statement: once it is on the server, neither the timeout nor the drain
  // (which destroys a busy socket) withdraws it. Here it waits on a row lock
  // the test holds; the caller gets Sandbox.Timedout; when the lock goes, the
  // server applies the write anyway. A timeout means "outcome unknown",
  // never "not written" (and the new Init does not apply it twice).
  it('is applied once the row lock it waited on is released, although the caller was told it timed out', async () => {
    const env = await startEnvironment({ timeoutMs: 2_000 });
    expect((await env.invoke(put('locked', { v: 1 }))).outcome).toBe('success');
    const db = server();
    const holder = await createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT id FROM items WHERE id = 'locked' FOR UPDATE");

      const pending = env.invoke(put('locked', { v: 2 }));
      // On the server and waiting for the lock before the timeout strikes: what "cut off" is about.
      await sessionsRunning(server(), '%ON DUPLICATE KEY UPDATE%');
      const cutOff = await pending;
      await holder.query('ROLLBACK');
      // The orphaned statement runs on the server's own schedule: wait (bounded) for it to commit or not.
      let version = 1;
      const deadline = Date.now() + 20_000;
      for (let i = 0; i < 1_000 && version === 1 && Date.now() < deadline; i += 1) {
        const [rows] = await holder.query<RowDataPacket[]>("SELECT version FROM items WHERE id = 'locked'");
        version = Number(rows[0].version);
        if (version === 1) await sleep(20);
      }
      const next = await env.invoke(get('locked'));

      expect(cutOff.outcome).toBe('timeout');
      expect(version).toBe(2);
      expect(next).toMatchObject({ outcome: 'success', reinitialized: true, payload: { ok: true, item: { version: 2, data: { v: 2 } } } });
    } finally {
      await holder.end();
    }
  });
});

describe('a runtime that dies mid-invoke', () => {
  it('resets the environment with reason failure, and the next invoke runs a new Init and succeeds', async () => {
    const env = await startEnvironment({ timeoutMs: 10_000 });
    expect((await env.invoke(put('crash-before', { a: 1 }))).outcome).toBe('success');

    const pending = env.invoke({ action: 'debug-sleep', seconds: 3 });
    await sessionsRunning(server(), 'SELECT SLEEP(3)');
    // Killed from outside, as the OOM killer would: no handler code runs.
    process.kill(liveRuntimePid(env), 'SIGKILL');
    const crashed = await pending;
    const next = await env.invoke(put('crash-after', { a: 2 }));

    expect(crashed.outcome).toBe('failure');
    expect(env.report().resets.map((r) => r.reason)).toEqual([ShutdownReason.failure]);
    expect({ outcome: next.outcome, reinitialized: next.reinitialized }).toEqual({ outcome: 'success', reinitialized: true });
    expect(next.payload).toMatchObject({ ok: true, id: 'crash-after', version: 1 });
  });
});

describe('malformed events across a live environment', () => {
  const malformed: [string, unknown, string, RegExp][] = [
    ['a string instead of an object', 'put please', 'INVALID_EVENT', /event/],
    ['an array', [{ action: 'put' }], 'INVALID_EVENT', /event/],
    ['null', null, 'INVALID_EVENT', /event/],
    ['no action', { id: 'x', data: {} }, 'INVALID_EVENT', /action/],
    ['an unknown action', { action: 'drop-table', id: 'x' }, 'UNKNOWN_ACTION', /action/],
    ['a put without data', { action: 'put', id: 'x' }, 'INVALID_EVENT', /data/],
    ['a put whose data is not an object', { action: 'put', id: 'x', data: 'text' }, 'INVALID_EVENT', /data/],
    ['an id with forbidden characters', { action: 'put', id: "x'; DROP TABLE items; --", data: {} }, 'INVALID_EVENT', /id/],
    ['a numeric id', { action: 'get', id: 42 }, 'INVALID_EVENT', /id/],
    ['an unexpected field', { action: 'put', id: 'x', data: {}, version: 7 }, 'INVALID_EVENT', /version/],
    ['data over the size cap', { action: 'put', id: 'x', data: { blob: 'x'.repeat(70 * 1024) } }, 'INVALID_EVENT', /data/],
  ];

  it('answers each with a structured error naming the field, writes no row, and keeps serving from the same runtime', async () => {
    const env = await startEnvironment();
    expect((await env.invoke(put('valid-before', { a: 1 }))).outcome).toBe('success');
    const rowsBefore = await rowCount();

    const answers = [];
    for (const [, event] of malformed) answers.push(await env.invoke(event));
    const rowsAfterMalformed = await rowCount();
    const after = await env.invoke(put('valid-after', { a: 2 }));

    answers.forEach((answer, i) => {
      const [label, , code, field] = malformed[i];
      expect({ label, outcome: answer.outcome, reinitialized: answer.reinitialized, payload: answer.payload }).toEqual({
        label, outcome: 'success', reinitialized: false,
        payload: { ok: false, error: { code, field: expect.stringMatching(field) as unknown, message: expect.stringMatching(field) as unknown } },
      });
    });
    expect(rowsAfterMalformed).toBe(rowsBefore);
    expect(after).toMatchObject({ outcome: 'success', reinitialized: false, payload: { ok: true, id: 'valid-after', version: 1 } });
    expect(env.report().resets).toEqual([]);
    expect(runtimesOf(env.report())).toHaveLength(1);
  });
});
