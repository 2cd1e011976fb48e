// Where the bootstrap's admin connection goes, and the two refusals that
// depend on it: clear text only to this machine, and no RDS Proxy unless asked
// for. Every message names the option and never quotes the admin URL (it
// holds a password).
import { isIPv4, isIPv6 } from 'node:net';
import { DbTls, MYSQL_PORT } from '../protocol/function-env';
import { UsageError } from './errors';

/** The admin connection's TLS takes the same two values as the function's. */
export const AdminTls = DbTls;
export type AdminTls = DbTls;

export interface AdminEndpoint {
  readonly host: string;
  readonly port: number;
  /** The database in the URL (where the admin lands); the bootstrap's own target is `BootstrapTarget.schema`. */
  readonly database: string | undefined;
  readonly user: string;
  readonly password: string;
  readonly tls: AdminTls;
  /** `host:port` actually dialled (an SSM port forward); TLS still verifies `host`, the name the certificate carries. */
  readonly tunnel: { host: string; port: number } | undefined;
}

export function parsePort(option: string, raw: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw new UsageError(option, `port must be 1-65535, got "${raw.slice(0, 10)}"`);
  return port;
}

/** decodeURIComponent, with its URIError (a `%` not followed by two hex digits) turned into an error naming the option and the part. */
function decodePart(option: string, part: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new UsageError(option, `its ${part} has a "%" not followed by two hex digits; write a literal "%" as %25`);
  }
}

/** Parses the admin URL; its messages never quote the URL. */
export function parseAdminUrl(option: string, raw: string, passwordOverride: string | undefined, tls: AdminTls): Omit<AdminEndpoint, 'tunnel'> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(option, 'is not a URL (expected mysql://<user>:<password>@<host>:<port>/<database>)');
  }
  if (url.protocol !== 'mysql:') throw new UsageError(option, `must start with mysql://, got ${url.protocol}//`);
  if (!url.hostname) throw new UsageError(option, 'names no host');
  const user = decodePart(option, 'user', url.username);
  if (!user) throw new UsageError(option, 'names no user (mysql://<user>:<password>@...)');
  // The URL's own password is decoded (and so checked) even when the override replaces it.
  const urlPassword = decodePart(option, 'password', url.password);
  const password = passwordOverride ?? urlPassword;
  if (!password) throw new UsageError(option, 'has no password (put it in the URL or in DB_ADMIN_PASSWORD)');
  const database = decodePart(option, 'database', url.pathname.replace(/^\//, '')) || undefined;
  // URL keeps IPv6 literals in brackets; the socket wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port ? parsePort(option, url.port) : MYSQL_PORT, database, user, password, tls };
}

export function parseTunnel(raw: string): NonNullable<AdminEndpoint['tunnel']> {
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d+)$/.exec(raw);
  if (!m) throw new UsageError('--tunnel', `must be <host>:<port>, got "${raw.slice(0, 60)}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: parsePort('--tunnel', m[2]) };
}

/** 127.0.0.0/8, ::1 (in any spelling, or IPv4-mapped 127.x) and localhost: traffic that never leaves the machine. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (!isIPv6(name)) return false;
  const canonical = new URL(`http://[${name}]`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/** `<name>.proxy-<id>.<region>.rds.amazonaws.com` (and a proxy's custom endpoints, `<name>.endpoint.proxy-...`). */
export function isRdsProxyHost(host: string): boolean {
  return /\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(\.cn)?\.?$/i.test(host);
}

/**
 * Clear text only where nobody else can read it: the admin password or IAM
 * token, and the function user's new password, all cross this connection.
 */
export function checkAdminTls(endpoint: AdminEndpoint): void {
  if (endpoint.tls !== AdminTls.off) return;
  if (isLoopback(endpoint.host) || (endpoint.tunnel && isLoopback(endpoint.tunnel.host))) return;
  throw new UsageError('--admin-tls', `off is only for a server on this machine (127.0.0.0/8, ::1, localhost, or a --tunnel to one);`
    + ` ${endpoint.tunnel ? `${endpoint.host} via ${endpoint.tunnel.host}` : endpoint.host} is not: the admin's password or IAM token`
    + ' and the function user\'s new password would cross the network in clear text. Leave --admin-tls at required');
}

/**
 * CREATE USER / ALTER USER ... IDENTIFIED BY carry the function user's password
 * as SQL text, and an RDS Proxy with debug logging writes SQL text to its
 * CloudWatch log. The bootstrap cannot see that setting, so it goes through a
 * proxy only when told the logging is off (`--allow-proxy`), and never when
 * the environment's own config turns it on.
 */
export function checkProxy(endpoint: AdminEndpoint, allowProxy: boolean, environment: string, configLogsSql: boolean): void {
  if (!isRdsProxyHost(endpoint.host)) return;
  if (!allowProxy) {
    throw new UsageError('--admin-url', `${endpoint.host} is an RDS Proxy endpoint: the new password travels in CREATE/ALTER USER statements,`
      + ' which a proxy with debug logging writes to CloudWatch Logs. Connect to the DB instance\'s endpoint instead, or, once you have'
      + ' checked that the proxy\'s debug logging is off, pass --allow-proxy');
  }
  if (configLogsSql) {
    throw new UsageError('--allow-proxy', `environment "${environment}" sets proxy.debugLogging: true, so its proxy logs SQL text;`
      + ' deploy it with debug logging off, or connect to the DB instance\'s endpoint');
  }
}
