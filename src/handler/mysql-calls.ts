// mysql2's callback API as promises, and what its errors mean for a retry.
import type { Pool, PoolConnection } from 'mysql2';

/** Errors that mean "this connection is unusable", not "this statement is wrong". */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { fatal, code } = error as { fatal?: unknown; code?: unknown };
  return fatal === true || ['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'PING_TIMEOUT'].includes(String(code));
}

/**
 * mysql2 refuses to enqueue a command on a connection it already knows is
 * closed: the statement never left the process, so any statement may be retried.
 */
export function isNeverSentError(error: unknown): boolean {
  return error instanceof Error && /in closed state/.test(error.message);
}

/**
 * Resolves after the event loop has run at least one poll phase (sockets
 * read). One setImmediate is not enough: queued from an I/O callback (how an
 * invocation arrives) it runs in the same loop iteration, after the poll that
 * delivered the event; the second one, queued from the check phase, runs only
 * after the next poll. Costs microseconds.
 */
export function afterNextPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

export function getConnection(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))));
}

/** mysql2's error for a statement past its `timeout`: the connection is left waiting for the answer. */
export function isQueryTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/** One statement; with `timeoutMs`, mysql2 gives up on its answer after that long (isQueryTimeout). */
export function runQuery<T>(connection: PoolConnection, sql: string, params: readonly unknown[], timeoutMs?: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const options = { sql, values: params as unknown[], ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) };
    connection.query(options, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/** mysql2's ping has no timeout; a suspended server would hold it until the function times out. */
export function ping(connection: PoolConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`ping timed out after ${timeoutMs} ms`), { code: 'PING_TIMEOUT' })), timeoutMs);
    connection.ping((error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });
}

export function endPool(pool: Pool): Promise<void> {
  return new Promise((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve())));
}
