// The network scenarios' own vocabulary, beside support.ts: the server's side
// of "held" (the sessions it still lists, read as a state) and what a write
// left on the server, read by the test's own connection.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2';
import type { MysqlServer } from '../../src/testing/mysql-server';
import { readBaseline, sessionsSince, waitForServerEnd, type ServerBaseline } from '../../src/testing/server-counters';

/**
 * Waits, bounded, until the server lists exactly `expected` of the sessions
 * opened since `baseline`, and returns the last reading. Sessions only ever
 * leave the list, so a count reached is stable unless they are closed.
 */
export async function sessionsListed(server: MysqlServer, baseline: ServerBaseline, expected: number, timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let ids = await sessionsSince(server, baseline);
  for (let poll = 0; poll < timeoutMs / 20 && ids.length !== expected && Date.now() < deadline; poll += 1) {
    await sleep(20);
    ids = await sessionsSince(server, baseline);
  }
  return ids;
}

/** The server's global wait_timeout, in seconds: how long it keeps an idle session nobody closes. */
export async function waitTimeoutSeconds(server: MysqlServer): Promise<number> {
  const rows = await server.query<RowDataPacket[]>('SELECT @@GLOBAL.wait_timeout AS seconds');
  return Number(rows[0]?.seconds);
}

/** The version of an item, read by the test's own connection (never through the handler). */
export async function storedVersion(server: MysqlServer, id: string): Promise<number | undefined> {
  const rows = await server.query<RowDataPacket[]>(`SELECT version FROM \`${server.database}\`.items WHERE id = ?`, [id]);
  return rows[0] === undefined ? undefined : Number(rows[0].version);
}

/** A MySQL packet carrying an INSERT: the data API's put, not a ping or a read. */
export const isInsert = (bytes: Buffer): boolean => bytes.includes('INSERT INTO');

export { readBaseline, sessionsSince, waitForServerEnd };
