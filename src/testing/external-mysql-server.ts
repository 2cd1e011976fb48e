// A MySQL-protocol server we do not own (MYSQL_URL): counters via SHOW GLOBAL
// STATUS, no error log, no signals.
import { DbAuth, DbTls, FunctionEnv } from '../protocol/function-env';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { DEFAULT_DATABASE, MysqlServerError, readStatus, type MysqlServer, type ServerStatus } from './mysql-server-api';
import { mysqlUrl } from './mysql-url';

/** A server we do not own: counters via SHOW GLOBAL STATUS, no error log, no signals. */
export class ExternalServer implements MysqlServer {
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

  get url(): string { return mysqlUrl(this); }
  handlerEnv(): Record<string, string> {
    return {
      [FunctionEnv.host]: this.host, [FunctionEnv.port]: String(this.port), [FunctionEnv.user]: this.user,
      [FunctionEnv.database]: this.database, [FunctionEnv.auth]: DbAuth.password, [FunctionEnv.password]: this.password,
      [FunctionEnv.tls]: DbTls.off,
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
  async suspend(): Promise<void> { throw new MysqlServerError('cannot suspend a MYSQL_URL server'); }
  resume(): void { throw new MysqlServerError('cannot resume a MYSQL_URL server'); }
  async restart(): Promise<void> { throw new MysqlServerError('cannot restart a MYSQL_URL server'); }
  async stop(): Promise<void> { await this.admin.end(); }
}
