// Fixtures of the bootstrap tests: a private mariadbd with an admin account
// shaped like the RDS master user (every privilege, grantable), the command
// run in-process with its output captured, the real Secrets Manager client
// pointed at a loopback fake (AWS is out of reach here), and connections as
// the function user.
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { runBootstrapCli, type CliDeps, type ExitCode } from '../../src/database/cli';
import { AwsSecretStore } from '../../src/database/secret-store';
import { environments } from '../../src/infrastructure/config/environments';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import type { MysqlServer } from '../../src/testing/mysql-server';
import { FAKE_REGION, type FakeSecretsManager } from './fake-secrets-manager';

export const ADMIN = { user: 'bootstrap_admin', password: 'admin-pw-Xq93!k' } as const;
export const FUNCTION_PASSWORD = 'fn-pw-7Hs2p0qLz';

/** The environment the tests bootstrap, resolved from the repository's own config, as the command does. */
export const ENV_NAME = 'dev';
export const target = (() => {
  const config = resolveEnvironments(environments).find((c) => c.name === ENV_NAME);
  if (!config) throw new Error(`the repository config has no "${ENV_NAME}" environment`);
  return { schema: config.database.dbName, user: config.database.dbUser };
})();

export async function createAdmin(server: MysqlServer): Promise<void> {
  await server.query(`CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`, [ADMIN.user, ADMIN.password]);
  await server.query(`GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION`, [ADMIN.user]);
}

export function adminUrl(server: MysqlServer, database = 'mysql'): string {
  return `mysql://${ADMIN.user}:${encodeURIComponent(ADMIN.password)}@${server.host}:${server.port}/${database}`;
}

/** The real SDK client, sent to a loopback FakeSecretsManager with fake keys: nothing leaves the machine. */
export function loopbackStore(fake: FakeSecretsManager, region = FAKE_REGION): AwsSecretStore {
  return new AwsSecretStore(region, {
    endpoint: fake.endpoint, credentials: { accessKeyId: 'AKIDLOOPBACKTEST0000', secretAccessKey: 'loopback-test-secret-key' },
  });
}

export interface CliRun {
  code: ExitCode;
  out: string[];
  err: string[];
}

export async function runCli(argv: string[], env: Record<string, string> = {}, deps: CliDeps = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBootstrapCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) }, deps);
  return { code, out, err };
}

/** `--env dev --admin-url ... --admin-tls off --password ...`, plus `extra`. */
export function passwordArgs(server: MysqlServer, extra: string[] = []): string[] {
  return ['--env', ENV_NAME, '--admin-url', adminUrl(server), '--admin-tls', 'off', '--password', FUNCTION_PASSWORD, ...extra];
}

export async function showGrants(server: MysqlServer, user = target.user): Promise<string[]> {
  const rows = await server.query<RowDataPacket[]>('SHOW GRANTS FOR ?@?', [user, '%']);
  return rows.map((row) => String(Object.values(row)[0])).sort();
}

export async function accountExists(server: MysqlServer, user: string): Promise<boolean> {
  const rows = await server.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?', [user]);
  return Number(rows[0]?.n) > 0;
}

export async function connectAs(server: MysqlServer, user: string, password: string): Promise<Connection> {
  const connection = await createConnection({ host: server.host, port: server.port, user, password, database: target.schema });
  connection.on('error', () => undefined);
  return connection;
}

/** The server's error code for `sql` run on `connection`, or 'OK' when it ran. */
export async function outcome(connection: Connection, sql: string): Promise<string> {
  try {
    await connection.query(sql);
    return 'OK';
  } catch (error) {
    return String((error as { code?: unknown }).code ?? error);
  }
}
