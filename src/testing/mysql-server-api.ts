// The contract of the test database server (src/testing/mysql-server.ts),
// shared by its two implementations.
import type { Connection, RowDataPacket } from 'mysql2/promise';

/** The database the handler uses when none is asked for. */
export const DEFAULT_DATABASE = 'app';

export interface ServerStatus {
  abortedClients: number;
  abortedConnects: number;
  /**
   * Includes the helper's own admin connection, which opens with the server
   * and stays open: it is in every baseline too, so deltas are the caller's.
   */
  threadsConnected: number;
}

export interface MysqlServer {
  readonly host: string;
  readonly port: number;
  /** The application user (what the handler connects as). */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** `mysql://user:password@host:port/database` for the application user. */
  readonly url: string;
  /** The server process id; undefined with MYSQL_URL. */
  readonly pid: number | undefined;
  /** undefined with MYSQL_URL: an external server's log is not ours to read. */
  readonly errorLogPath: string | undefined;
  /** The handler's `DB_*` variables for this server (password auth, no TLS: local only). */
  handlerEnv(): Record<string, string>;
  status(): Promise<ServerStatus>;
  /** Lines of the error log matching `pattern`; throws with MYSQL_URL (no log available). */
  errorLogLines(pattern: RegExp): string[];
  setGlobal(name: string, value: number | string): Promise<void>;
  query<T extends RowDataPacket[]>(sql: string, params?: unknown[]): Promise<T>;
  /**
   * SIGSTOP: the server accepts TCP (the kernel does) but never answers.
   * Resolves once every thread is really stopped (the signal lands a moment
   * later on a busy machine, and a thread still running could answer).
   */
  suspend(): Promise<void>;
  resume(): void;
  /** Stop and start again on the same port and data: every client connection dies. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export class MysqlServerError extends Error {
  override readonly name = 'MysqlServerError';
  constructor(message: string, readonly context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export async function readStatus(connection: Connection): Promise<ServerStatus> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Aborted_clients', 'Aborted_connects', 'Threads_connected')",
  );
  const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? NaN);
  return {
    abortedClients: value('Aborted_clients'),
    abortedConnects: value('Aborted_connects'),
    threadsConnected: value('Threads_connected'),
  };
}
