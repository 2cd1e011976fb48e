// A local test server whose handler user is the one `npm run db:bootstrap`
// makes, not the all-privileges user the server starts with: the scenario
// suite, the bench and `npm run local` then exercise the handler with exactly
// the privileges it has on AWS. The bootstrap runs as a throwaway admin the
// server's own admin creates, over a real connection, like the command does.
import { randomBytes } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { connectAdmin } from '../database/admin-connection';
import { bootstrap } from '../database/bootstrap';
import { AdminTls, type BootstrapOptions } from '../database/options';
import { FunctionEnv } from '../protocol/function-env';
import { DEFAULT_FUNCTION_USER } from '../infrastructure/config/validate-function-user';
import type { MysqlServer, ServerStatus } from './mysql-server';
import { mysqlUrl } from './mysql-url';

const BOOTSTRAP_ADMIN = 'db_bootstrap';

/** The server with `user`/`password`/`url`/`handlerEnv()` naming the bootstrapped user; everything else is the server's. */
class FunctionUserServer implements MysqlServer {
  constructor(private readonly inner: MysqlServer, readonly user: string, readonly password: string) {}

  get host(): string { return this.inner.host; }
  get port(): number { return this.inner.port; }
  get database(): string { return this.inner.database; }
  get pid(): number | undefined { return this.inner.pid; }
  get errorLogPath(): string | undefined { return this.inner.errorLogPath; }
  get url(): string { return mysqlUrl(this); }

  handlerEnv(): Record<string, string> {
    return { ...this.inner.handlerEnv(), [FunctionEnv.user]: this.user, [FunctionEnv.password]: this.password };
  }

  status(): Promise<ServerStatus> { return this.inner.status(); }
  errorLogLines(pattern: RegExp): string[] { return this.inner.errorLogLines(pattern); }
  setGlobal(name: string, value: number | string): Promise<void> { return this.inner.setGlobal(name, value); }
  query<T extends RowDataPacket[]>(sql: string, params?: unknown[]): Promise<T> { return this.inner.query<T>(sql, params); }
  suspend(): Promise<void> { return this.inner.suspend(); }
  resume(): void { this.inner.resume(); }
  restart(): Promise<void> { return this.inner.restart(); }
  stop(): Promise<void> { return this.inner.stop(); }
}

/**
 * Bootstraps the function user on `server` (its schema, table and grants) and
 * returns the server as that user sees it. Needs a server whose `query()`
 * runs as an account that may create users and grant: a private server
 * (startMysqlServer({ privateOnly: true })), not an arbitrary MYSQL_URL.
 */
export async function withFunctionUser(server: MysqlServer, user: string = DEFAULT_FUNCTION_USER): Promise<MysqlServer> {
  const adminPassword = randomBytes(18).toString('base64url');
  const password = randomBytes(18).toString('base64url');
  await server.query("CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [BOOTSTRAP_ADMIN, adminPassword]);
  await server.query("ALTER USER ?@'%' IDENTIFIED BY ?", [BOOTSTRAP_ADMIN, adminPassword]);
  await server.query("GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [BOOTSTRAP_ADMIN]);
  const options: BootstrapOptions = {
    target: { environment: 'local', schema: server.database, user },
    admin: {
      host: server.host, port: server.port, database: undefined, user: BOOTSTRAP_ADMIN, password: adminPassword, tls: AdminTls.off, tunnel: undefined,
    },
    credential: { kind: 'password', password },
  };
  const connection = await connectAdmin(options.admin);
  try {
    await bootstrap(connection, options);
  } finally {
    await connection.end();
  }
  return new FunctionUserServer(server, user, password);
}
