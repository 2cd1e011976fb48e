// A MySQL-protocol server for tests, `npm run local` and the bench: by
// default a private mariadbd (or mysqld) in a temporary directory on a free
// loopback port, so every counter it reports belongs to
// the caller; `MYSQL_URL` points everything at an existing server instead.
// With neither available, starting one FAILS with how to get one: database
// tests never skip silently.
import { ExternalServer } from './external-mysql-server';
import { DEFAULT_DATABASE, type MysqlServer } from './mysql-server-api';
import { startPrivateServer } from './private-mysql-server';

export { MysqlServerError, type MysqlServer, type ServerStatus } from './mysql-server-api';

export interface StartOptions {
  database?: string;
  /** Serve TLS with a throwaway self-signed certificate (clients must not verify it). Private servers only. */
  tls?: boolean;
  /** Ignore MYSQL_URL (tests that need signals or the error log). */
  privateOnly?: boolean;
}

export async function startMysqlServer(options: StartOptions = {}): Promise<MysqlServer> {
  const database = options.database ?? DEFAULT_DATABASE;
  if (process.env.MYSQL_URL && !options.privateOnly) return ExternalServer.connect(process.env.MYSQL_URL);
  return startPrivateServer(database, options.tls === undefined ? {} : { tls: options.tls });
}
