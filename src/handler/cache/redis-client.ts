// One Redis connection per environment (per worker thread on Managed
// Instances), created by the first request that needs the cache and loaded
// with import(), so a function with no cache configured never loads the
// client library.
//
// The client is ioredis, chosen by measurement (Node 24.22.3, esbuild 0.28.2
// with the handler's build options: ESM, platform node, whitespace and syntax
// minified; medians of 21 fresh processes, interleaved, on a shared 2-core
// machine under load, so the ratios matter more than the milliseconds):
//
//   candidate                       bundle (gzip)     import   construct
//   ioredis 6.1.0                   308 KB ( 69 KB)   77 ms    0.8 ms
//   @redis/client 6.4.0             744 KB (126 KB)   122 ms   48 ms
//   redis 6.4.0 (all modules)       918 KB (149 KB)   (not timed: a superset)
//   @redis/client 5.12.4            505 KB ( 83 KB)   (not timed: no in-flight timeout, below)
//
// Behaviour, against a private redis-server 7.0.15:
// - a connection reset during a freeze, its FIN unread when the next command
//   goes out: ioredis by default reconnects and RESENDS the command
//   (`autoResendUnfulfilledCommands`), so a GET succeeded after 55-130 ms;
//   node-redis fails it at once ("Socket closed unexpectedly") and reconnects.
// - a write the server ran whose reply was lost (a proxy dropping the reply):
//   default ioredis sent the INCR again on every reconnect, 21 times in 3 s
//   (15 with a 500 ms command timeout); node-redis 5 and 6 ran it once.
// - with `autoResendUnfulfilledCommands: false`, `maxRetriesPerRequest: 0`,
//   no offline queue and no automatic reconnect (the options below), ioredis
//   behaves like node-redis 6: the command fails fast (4 ms), the write runs
//   once, and this module reconnects on the next need, with a fresh token.
// - a server that stops answering (SIGSTOP): ioredis' `commandTimeout`
//   bounds a command in flight, QUIT included (500 ms of 500); node-redis 6
//   needs `rejectInFlight` for that; node-redis 5 has no such bound (a GET
//   waited > 3 s) and its destroy() throws once close() has run.
// - QUIT on a healthy server: answered at once, connected_clients back to
//   its level. disconnect() is immediate (it ends the socket).
import type { ConnectionOptions } from 'node:tls';
import type { Redis, RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  host: string;
  port: number;
  /** `true` or TLS options: required on AWS (ElastiCache with encryption in transit). */
  tls?: boolean | ConnectionOptions;
  username?: string;
  /**
   * Asked before every new connection, never cached here: an IAM token is
   * valid 15 minutes and ElastiCache checks it only when a connection
   * authenticates, so each new connection may need a fresh one.
   */
  password?: () => Promise<string | undefined> | string | undefined;
  /** TCP (and TLS) connect plus AUTH; a blackholed endpoint fails within it. */
  connectTimeoutMs: number;
  /** Every command, from sent to answered (a server that stops answering). */
  commandTimeoutMs: number;
  /** Tests inject a loader; the default imports ioredis on first use. */
  load?: () => Promise<RedisConstructor>;
}

export type RedisConstructor = new (options: RedisOptions) => Redis;

/** The cache could not be reached or has been closed: the caller degrades, it never fails a request for it. */
export class CacheError extends Error {
  override readonly name: string = 'CacheError';
  constructor(message: string, readonly context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class CacheUnavailableError extends CacheError {
  override readonly name = 'CacheUnavailableError';
}

/** The drain has closed the connection: nothing may open a new one. */
export class CacheClosedError extends CacheError {
  override readonly name = 'CacheClosedError';
  constructor() {
    super('the cache connection is closed: the environment is shutting down');
  }
}

// `default`, not the named `Redis`: ioredis is CommonJS, and an ESM bundle's
// import() of it (esbuild, .mjs output) exposes only `default` (module.exports,
// which is the client class itself); Node and jest expose it there too.
const loadIoredis = async (): Promise<RedisConstructor> => (await import('ioredis')).default;

export interface RedisConnectionState {
  created: boolean;
  /** ioredis' status: wait, connecting, ready, end... */
  status: string;
  connects: number;
  closed: boolean;
}

export class RedisConnection {
  private client: Redis | undefined;
  private connecting: Promise<Redis> | undefined;
  private connects = 0;
  private closed = false;
  private lastSocketError: unknown;

  constructor(private readonly options: RedisConnectionOptions) {}

  state(): RedisConnectionState {
    return { created: this.client !== undefined, status: this.client?.status ?? 'none', connects: this.connects, closed: this.closed };
  }

  /** A ready client: connects (or reconnects, after a reset) first, within `connectTimeoutMs`. */
  async ready(): Promise<Redis> {
    if (this.closed) throw new CacheClosedError();
    // `ready` with a stream no longer writable: the server's FIN was read, ioredis has not processed the close yet.
    if (this.client?.status === 'ready' && this.client.stream?.writable) return this.client;
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async connect(): Promise<Redis> {
    if (this.client && this.client.status !== 'wait' && this.client.status !== 'end') {
      // Half-way through closing after a failed attempt: ioredis refuses connect() then; start afresh.
      this.end(this.client);
      this.client = undefined;
    }
    const client = this.client ?? await this.create();
    const password = await this.options.password?.();
    // ioredis reads its options at every connect: this is how a reconnection authenticates with a fresh token.
    client.options.password = password;
    this.connects += 1;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed-out'>((resolve) => { timer = setTimeout(() => resolve('timed-out'), this.options.connectTimeoutMs); });
    try {
      const outcome = await Promise.race([client.connect().then(() => 'ready' as const), timedOut]);
      if (outcome === 'timed-out') {
        this.end(client);
        throw new CacheUnavailableError(`could not connect to the cache within ${this.options.connectTimeoutMs} ms`, this.where());
      }
    } catch (error) {
      if (error instanceof CacheError) throw error;
      this.end(client);
      // ioredis rejects with "Connection is closed."; the socket's own error says why.
      throw new CacheUnavailableError('could not connect to the cache', this.where(), { cause: this.lastSocketError ?? error });
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) {
      // The drain started while this connection was being made: it must not outlive it.
      client.disconnect();
      throw new CacheClosedError();
    }
    this.lastSocketError = undefined;
    return client;
  }

  private async create(): Promise<Redis> {
    const Client = await (this.options.load ?? loadIoredis)();
    const { host, port, tls, username } = this.options;
    const client = new Client({
      host, port, ...(username ? { username } : {}),
      ...(tls ? { tls: tls === true ? { servername: host } : tls } : {}),
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs,
      commandTimeout: this.options.commandTimeoutMs,
      // Never send a command twice, never queue one while disconnected, never
      // reconnect in the background: this module reconnects when a request
      // needs it, with a fresh token, and the caller decides what to retry.
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      // Each is one more round trip before the first command, at every cold start.
      enableReadyCheck: false,
      disableClientInfo: true,
      maintNotifications: 'disabled',
      noDelay: true,
      keepAlive: 30_000,
    });
    client.on('error', (error: unknown) => { this.lastSocketError = error; });
    if (this.closed) {
      client.disconnect();
      throw new CacheClosedError();
    }
    this.client = client;
    return client;
  }

  private where(): Record<string, unknown> {
    return { host: this.options.host, port: this.options.port };
  }

  /**
   * The drain's graceful close: no new connection from now on; QUIT, then
   * wait until the socket is closed (the server closes it after answering).
   * Bounded by the caller (the drain registry cuts it with `destroy()`).
   */
  async quit(): Promise<{ connected: boolean }> {
    this.closed = true;
    const client = this.client;
    if (!client || client.status === 'end' || client.status === 'wait') return { connected: false };
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
    await ended;
    return { connected: true };
  }

  /** The cut: no new connection, and the socket is ended at once, whatever is in flight. */
  destroy(): void {
    this.closed = true;
    if (this.client) this.end(this.client);
  }

  /**
   * disconnect() on a client whose socket already closed arms a 2 s timer
   * that nothing clears (it waits for a 'close' that has come and gone),
   * keeping the event loop busy for nothing: only end a live one.
   */
  private end(client: Redis): void {
    if (client.status !== 'end') client.disconnect();
  }
}
