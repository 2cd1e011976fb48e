// A private mariadbd (or mysqld) in a temporary directory on a free loopback
// port, with real users and an error log that records every aborted connection.
import { DbAuth, DbTls, FunctionEnv } from '../protocol/function-env';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { MysqlServerError, readStatus, type MysqlServer, type ServerStatus } from './mysql-server-api';
import { mysqlUrl } from './mysql-url';
import { connectWhenReady, endProcess, findBinary, startOnFreePort, suspendProcess } from './private-process';

const APP_USER = 'app';
const APP_PASSWORD = 'app-password';
const ADMIN_USER = 'admin';
const ADMIN_PASSWORD = 'admin-password';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export const INSTALL_HINT =
  'No MySQL-protocol server binary found (mariadbd or mysqld in PATH, /usr/sbin or /usr/bin) and MYSQL_URL is not set. '
  + 'Install one with `apt-get update && apt-get install -y mariadb-server`, or set MYSQL_URL=mysql://user:password@host:port/database.';

/**
 * install-db takes ~0.5 s; a copy of its output takes a few ms. One template per
 * server version, shared by every test process (written atomically by rename).
 */
function templateDir(serverBinary: string, installDb: string): string {
  const version = execFileSync(serverBinary, ['--version'], { encoding: 'utf8' }).trim().replace(/[^A-Za-z0-9.]+/g, '-').slice(0, 80);
  const dir = path.join(os.tmpdir(), `gs-mysql-template-${version}`);
  if (existsSync(path.join(dir, 'mysql'))) return dir;
  const staging = mkdtempSync(path.join(os.tmpdir(), 'gs-mysql-staging-'));
  const datadir = path.join(staging, 'data');
  // Its own --tmpdir: two bootstraps sharing one (two jest workers on a new
  // machine) collide on their temporary table files and abort.
  execFileSync(installDb, [
    '--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${datadir}`, '--skip-test-db', `--tmpdir=${staging}`,
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    '--innodb-log-file-size=4M', '--innodb-buffer-pool-size=16M',
  ], { stdio: 'pipe', timeout: 60_000 });
  try {
    // Atomic: a reader sees no template or a complete one, never a half-copied one.
    renameSync(datadir, dir);
  } catch {
    // Another process won the race; its template is as good as ours.
  }
  rmSync(staging, { recursive: true, force: true });
  return dir;
}

function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'server-cert.pem');
  const key = path.join(dir, 'server-key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'pipe', timeout: 30_000 });
  return { cert, key };
}

class PrivateServer implements MysqlServer {
  readonly host = '127.0.0.1';
  readonly user = APP_USER;
  readonly password = APP_PASSWORD;
  private child: ChildProcess | undefined;
  private admin: Connection | undefined;

  constructor(
    private readonly binary: string,
    private readonly baseDir: string,
    public port: number,
    readonly database: string,
    private readonly tls: { cert: string; key: string } | undefined,
  ) {}

  get url(): string { return mysqlUrl(this); }
  get pid(): number | undefined { return this.child?.pid; }
  get errorLogPath(): string { return path.join(this.baseDir, 'error.log'); }

  handlerEnv(): Record<string, string> {
    return {
      [FunctionEnv.host]: this.host, [FunctionEnv.port]: String(this.port), [FunctionEnv.user]: this.user,
      [FunctionEnv.database]: this.database, [FunctionEnv.auth]: DbAuth.password, [FunctionEnv.password]: this.password,
      [FunctionEnv.tls]: DbTls.off,
    };
  }

  async start(): Promise<void> {
    const init = path.join(this.baseDir, 'init.sql');
    // Real users with real passwords: the handler authenticates like it would against RDS.
    writeFileSync(init, [
      `CREATE DATABASE IF NOT EXISTS \`${this.database}\`;`,
      `CREATE USER IF NOT EXISTS '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}';`,
      `GRANT ALL ON \`${this.database}\`.* TO '${APP_USER}'@'%';`,
      `CREATE USER IF NOT EXISTS '${ADMIN_USER}'@'%' IDENTIFIED BY '${ADMIN_PASSWORD}';`,
      `GRANT ALL ON *.* TO '${ADMIN_USER}'@'%' WITH GRANT OPTION;`,
      '',
    ].join('\n'));
    const args = [
      '--no-defaults', `--datadir=${path.join(this.baseDir, 'data')}`, `--port=${this.port}`, '--bind-address=127.0.0.1',
      `--socket=${path.join(this.baseDir, 'mysqld.sock')}`, `--pid-file=${path.join(this.baseDir, 'mysqld.pid')}`,
      `--tmpdir=${this.baseDir}`,
      `--log-error=${this.errorLogPath}`,
      // >= 2 logs every "Aborted connection": the evidence a clean shutdown is judged by.
      '--log-warnings=3', '--skip-name-resolve', `--init-file=${init}`,
      '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=4M', '--innodb-flush-log-at-trx-commit=2',
      '--performance-schema=OFF', '--skip-log-bin', '--max-connections=500',
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ...(this.tls ? [`--ssl-cert=${this.tls.cert}`, `--ssl-key=${this.tls.key}`] : []),
    ];
    const child = spawn(this.binary, args, { stdio: 'ignore', detached: false });
    this.child = child;
    this.admin = await connectWhenReady(child, async () => {
      const admin = await createConnection({
        host: this.host, port: this.port, user: ADMIN_USER, password: ADMIN_PASSWORD, connectTimeout: 1000,
      });
      admin.on('error', () => { this.admin = undefined; });
      return admin;
    }, { timeoutMs: READY_TIMEOUT_MS, pauseMs: 25, maxPauseMs: 200 });
    if (this.admin) return;
    throw new MysqlServerError(`mariadbd did not become ready on port ${this.port}`, {
      port: this.port, exitCode: child.exitCode, log: this.tail(),
    });
  }

  private tail(): string {
    try { return readFileSync(this.errorLogPath, 'utf8').split('\n').slice(-15).join('\n'); } catch { return ''; }
  }

  private connection(): Connection {
    if (!this.admin) throw new MysqlServerError('the admin connection is closed (server stopped or suspended?)');
    return this.admin;
  }

  async query<T extends RowDataPacket[]>(sql: string, params: unknown[] = []): Promise<T> {
    const [rows] = await this.connection().query<T>(sql, params);
    return rows;
  }

  async status(): Promise<ServerStatus> { return readStatus(this.connection()); }

  errorLogLines(pattern: RegExp): string[] {
    return readFileSync(this.errorLogPath, 'utf8').split('\n').filter((line) => pattern.test(line));
  }

  async setGlobal(name: string, value: number | string): Promise<void> {
    if (!/^[a-z_]+$/.test(name)) throw new MysqlServerError(`not a variable name: ${name}`);
    await this.connection().query(`SET GLOBAL ${name} = ?`, [value]);
  }

  async suspend(): Promise<void> { await suspendProcess(this.child, 'mariadbd', MysqlServerError); }
  resume(): void { this.child?.kill('SIGCONT'); }

  async restart(): Promise<void> {
    await this.shutdownProcess();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.shutdownProcess();
    rmSync(this.baseDir, { recursive: true, force: true });
  }

  private async shutdownProcess(): Promise<void> {
    const child = this.child;
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
    await endProcess(child, STOP_TIMEOUT_MS);
  }
}

/** Starts a private server; fails (never skips) with how to install one when no binary is found. */
export async function startPrivateServer(
  database: string,
  options: { tls?: boolean; binaryDirs?: readonly string[] } = {},
): Promise<MysqlServer> {
  const binary = findBinary(['mariadbd', 'mysqld'], options.binaryDirs);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db'], options.binaryDirs);
  if (!binary || !installDb) throw new MysqlServerError(INSTALL_HINT);
  const template = templateDir(binary, installDb);
  return startOnFreePort('gs-mysql-', (baseDir, port) => {
    cpSync(template, path.join(baseDir, 'data'), { recursive: true });
    return new PrivateServer(binary, baseDir, port, database, options.tls ? selfSignedCertificate(baseDir) : undefined);
  }, (cause) => new MysqlServerError('could not start a private mariadbd', {}, { cause }));
}
