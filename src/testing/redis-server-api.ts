// The contract of the test Redis server (src/testing/redis-server.ts), shared
// by its two implementations, and the admin connection both read it through.
import { Redis } from 'ioredis';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://host:port` */
  readonly url: string;
  /** The server process id; undefined with REDIS_URL. */
  readonly pid: number | undefined;
  /**
   * `connected_clients` from the server's own `INFO clients`. Includes the
   * helper's admin connection, open from start to stop: it is in every
   * baseline too, so deltas are the caller's.
   */
  connectedClients(): Promise<number>;
  /** One `INFO` section as name/value pairs. */
  info(section: string): Promise<Record<string, string>>;
  /** Any command on the admin connection (`CLIENT KILL`, `CONFIG SET`, `GET`). */
  command(name: string, ...args: (string | number)[]): Promise<unknown>;
  /**
   * Closes every client connection but the helper's own, from the server's
   * side: what an idle timeout, a failover or a node replacement does to a
   * frozen environment's connection. Returns how many it closed.
   */
  killClients(): Promise<number>;
  /** SIGSTOP: the kernel still accepts TCP, the server never answers. Private servers only. */
  suspend(): Promise<void>;
  resume(): void;
  /** The process ends (every client sees its connection close, new ones are refused); the port is kept for `start()`. Private servers only. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port after `shutdown()`. Private servers only. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class RedisServerError extends Error {
  override readonly name = 'RedisServerError';
  constructor(message: string, readonly context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const separator = line.indexOf(':');
    if (separator > 0 && !line.startsWith('#')) fields[line.slice(0, separator)] = line.slice(separator + 1).trim();
  }
  return fields;
}

/** The helper's own connection: bounded waits, no retries, no offline queue, so a dead server fails a call instead of hanging it. */
export async function adminConnection(host: string, port: number, extra: { username?: string; password?: string; tls?: boolean } = {}): Promise<Redis> {
  const admin = new Redis({
    host, port, lazyConnect: true, connectTimeout: 2_000, commandTimeout: 5_000, maxRetriesPerRequest: 0,
    enableOfflineQueue: false, retryStrategy: () => null, connectionName: 'gs-test-admin',
    ...(extra.username ? { username: extra.username } : {}), ...(extra.password ? { password: extra.password } : {}),
    ...(extra.tls ? { tls: {} } : {}),
  });
  admin.on('error', () => undefined);
  await admin.connect();
  return admin;
}

export abstract class AdminBackedServer implements RedisServer {
  abstract readonly host: string;
  abstract readonly port: number;
  abstract readonly pid: number | undefined;
  protected admin: Redis | undefined;

  get url(): string { return `redis://${this.host}:${this.port}`; }

  protected connection(): Redis {
    if (!this.admin || this.admin.status !== 'ready') throw new RedisServerError('the admin connection is closed (server shut down or suspended?)');
    return this.admin;
  }

  async command(name: string, ...args: (string | number)[]): Promise<unknown> {
    return this.connection().call(name, ...args);
  }

  async info(section: string): Promise<Record<string, string>> {
    return parseInfo(String(await this.command('INFO', section)));
  }

  async connectedClients(): Promise<number> {
    const value = Number((await this.info('clients')).connected_clients);
    if (!Number.isInteger(value)) throw new RedisServerError('INFO clients has no connected_clients');
    return value;
  }

  async killClients(): Promise<number> {
    return Number(await this.command('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
  }

  abstract suspend(): Promise<void>;
  abstract resume(): void;
  abstract shutdown(): Promise<void>;
  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
}
