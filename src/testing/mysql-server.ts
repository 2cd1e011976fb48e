// A private MySQL-protocol server for tests, `npm run local` and the bench
// (DESIGN section 8): its own mariadbd (or mysqld) in a temporary directory on
// a free loopback port, so every counter it reports belongs to the caller.
// `MYSQL_URL` points everything at an existing server instead.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';

export interface ServerStatus {
  abortedClients: number;
  abortedConnects: number;
  /** Excludes nothing: the helper's own admin connection is open before any baseline is read, so it cancels out. */
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
  /** SIGSTOP: the server accepts TCP (the kernel does) but never answers. */
  suspend(): void;
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

const APP_USER = 'app';
const APP_PASSWORD = 'app-password';
const ADMIN_USER = 'admin';
const ADMIN_PASSWORD = 'admin-password';
const DEFAULT_DATABASE = 'app';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

const INSTALL_HINT =
  'No MySQL-protocol server binary found (mariadbd or mysqld in PATH, /usr/sbin or /usr/bin) and MYSQL_URL is not set. '
  + 'Install one with `apt-get update && apt-get install -y mariadb-server`, or set MYSQL_URL=mysql://user:password@host:port/database.';

function findBinary(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  execFileSync(installDb, [
    '--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${datadir}`, '--skip-test-db',
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

  get url(): string { return `mysql://${this.user}:${this.password}@${this.host}:${this.port}/${this.database}`; }
  get pid(): number | undefined { return this.child?.pid; }
  get errorLogPath(): string { return path.join(this.baseDir, 'error.log'); }

  handlerEnv(): Record<string, string> {
    return {
      DB_HOST: this.host, DB_PORT: String(this.port), DB_USER: this.user, DB_NAME: this.database,
      DB_AUTH: 'password', DB_PASSWORD: this.password, DB_TLS: 'off',
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
      `--log-error=${this.errorLogPath}`,
      // >= 2 logs every "Aborted connection": the evidence DESIGN section 8 asks for.
      '--log-warnings=3', '--skip-name-resolve', `--init-file=${init}`,
      '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=4M', '--innodb-flush-log-at-trx-commit=2',
      '--performance-schema=OFF', '--skip-log-bin', '--max-connections=500',
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ...(this.tls ? [`--ssl-cert=${this.tls.cert}`, `--ssl-key=${this.tls.key}`] : []),
    ];
    const child = spawn(this.binary, args, { stdio: 'ignore', detached: false });
    this.child = child;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        this.admin = await createConnection({
          host: this.host, port: this.port, user: ADMIN_USER, password: ADMIN_PASSWORD, connectTimeout: 1000,
        });
        this.admin.on('error', () => { this.admin = undefined; });
        return;
      } catch {
        await Promise.race([sleep(Math.min(25 * (attempt + 1), 200)), exited]);
      }
    }
    child.kill('SIGKILL');
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

  suspend(): void { this.child?.kill('SIGSTOP'); }
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
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  }
}

async function readStatus(connection: Connection): Promise<ServerStatus> {
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

/** A server we do not own: counters via SHOW GLOBAL STATUS, no error log, no signals. */
class ExternalServer implements MysqlServer {
  readonly pid = undefined;
  readonly errorLogPath = undefined;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;

  private constructor(parsed: URL, private readonly admin: Connection) {
    this.host = parsed.hostname;
    this.port = Number(parsed.port || 3306);
    this.user = decodeURIComponent(parsed.username);
    this.password = decodeURIComponent(parsed.password);
    this.database = parsed.pathname.replace(/^\//, '') || DEFAULT_DATABASE;
  }

  static async connect(url: string): Promise<ExternalServer> {
    const parsed = new URL(url);
    const admin = await createConnection({
      host: parsed.hostname, port: Number(parsed.port || 3306),
      user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password),
    });
    const server = new ExternalServer(parsed, admin);
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${server.database}\``);
    return server;
  }

  get url(): string { return `mysql://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@${this.host}:${this.port}/${this.database}`; }
  handlerEnv(): Record<string, string> {
    return {
      DB_HOST: this.host, DB_PORT: String(this.port), DB_USER: this.user, DB_NAME: this.database,
      DB_AUTH: 'password', DB_PASSWORD: this.password, DB_TLS: 'off',
    };
  }
  async query<T extends RowDataPacket[]>(sql: string, params: unknown[] = []): Promise<T> {
    const [rows] = await this.admin.query<T>(sql, params);
    return rows;
  }
  status(): Promise<ServerStatus> { return readStatus(this.admin); }
  errorLogLines(): string[] {
    throw new MysqlServerError('the error log of a MYSQL_URL server is not available; only the status counters are');
  }
  async setGlobal(name: string, value: number | string): Promise<void> {
    if (!/^[a-z_]+$/.test(name)) throw new MysqlServerError(`not a variable name: ${name}`);
    await this.admin.query(`SET GLOBAL ${name} = ?`, [value]);
  }
  suspend(): void { throw new MysqlServerError('cannot suspend a MYSQL_URL server'); }
  resume(): void { throw new MysqlServerError('cannot resume a MYSQL_URL server'); }
  async restart(): Promise<void> { throw new MysqlServerError('cannot restart a MYSQL_URL server'); }
  async stop(): Promise<void> { await this.admin.end(); }
}

export interface StartOptions {
  database?: string;
  /** Serve TLS with a throwaway self-signed certificate (clients must not verify it). */
  tls?: boolean;
  /** Ignore MYSQL_URL (tests that need signals or the error log). */
  privateOnly?: boolean;
}

/**
 * Starts a private server (or attaches to MYSQL_URL). Fails, never skips, when
 * neither is available: the message says how to get one.
 */
export async function startMysqlServer(options: StartOptions = {}): Promise<MysqlServer> {
  const database = options.database ?? DEFAULT_DATABASE;
  if (process.env.MYSQL_URL && !options.privateOnly) return ExternalServer.connect(process.env.MYSQL_URL);
  const binary = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (!binary || !installDb) throw new MysqlServerError(INSTALL_HINT);
  const template = templateDir(binary, installDb);
  let lastError: unknown;
  // The port is free when probed but another process may take it before mariadbd binds: retry on a fresh one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const baseDir = mkdtempSync(path.join(os.tmpdir(), 'gs-mysql-'));
    mkdirSync(baseDir, { recursive: true });
    cpSync(template, path.join(baseDir, 'data'), { recursive: true });
    const server = new PrivateServer(binary, baseDir, await freePort(), database, options.tls ? selfSignedCertificate(baseDir) : undefined);
    try {
      await server.start();
      return server;
    } catch (error) {
      lastError = error;
      rmSync(baseDir, { recursive: true, force: true });
    }
  }
  throw new MysqlServerError('could not start a private mariadbd', {}, { cause: lastError });
}
