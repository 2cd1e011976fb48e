// A lifecycle-aware wrapper around one mysql2 pool per execution environment.
//
// - Created on first use: an environment that never touches the database
//   never opens a connection, and Init stays fast.
// - Every TCP socket is opened through a SocketTracker (mysql2's `stream`
//   factory) and tracked until it closes. The drain's promise is about
//   sockets, not about mysql2's bookkeeping: `pool.end()` resolves when
//   COM_QUIT is handed to a socket, and only a socket the server closed
//   proves the server got it.
// - Statements go through `query()` with placeholders (text protocol), never
//   `execute()`: server-side prepared statements pin RDS Proxy sessions.
import { POOL_IDLE_TIMEOUT_MS } from '../protocol/function-env';
import type { Pool, PoolConnection, PoolOptions, SslOptions } from 'mysql2';
// A require, not an import: bundled, an import of CommonJS copies each of
// mysql2's exports onto a namespace object at every cold start (esbuild's
// __toESM), where a require binds its exports object as it is.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import mysql2 = require('mysql2');
import type { HandlerConfig } from './config';
import { DatabaseError, DatabaseTimeoutError, ShuttingDownError, describeError } from './errors';
import type { Logger } from './logger';
import { afterNextPoll, endPool, getConnection, isConnectionError, isNeverSentError, isQueryTimeout, ping, runQuery } from './mysql-calls';
import { SocketTracker, type CloseOutcome } from './socket-tracker';

/** A pooled connection idle longer than this is pinged before use: a freeze may have outlived it. */
export const VALIDATE_AFTER_IDLE_MS = 1_000;
/** After destroying sockets at the deadline, how long to wait for their 'close' (local, near-instant). */
const DESTROY_GRACE_MS = 20;

export interface PoolState {
  created: boolean;
  closing: boolean;
  /** TCP sockets open right now (connecting, idle or in use). */
  openSockets: number;
  connectionsCreated: number;
  /** Pooled connections found dead (by ping or by a failed statement) and replaced. */
  staleDiscarded: number;
  poolSize: number;
}

export interface DrainReport {
  poolCreated: boolean;
  /** Sockets the server closed after our COM_QUIT, before the deadline. */
  closedCleanly: number;
  /** Sockets that closed before the deadline by an error (reset by the peer): no COM_QUIT was acknowledged. */
  closedWithError: number;
  /** Sockets still open at the deadline, destroyed by us (a query in flight, an unreachable server). */
  destroyed: number;
  /** How `pool.end()` fared: it has no timeout of its own. */
  poolEnd: 'resolved' | 'rejected' | 'pending' | 'not-needed';
  durationMs: number;
  budgetMs: number;
}

export interface QueryOptions {
  /**
   * Safe to run twice. Decides whether a statement that failed on a broken
   * connection AFTER it may have reached the server is retried.
   */
  idempotent: boolean;
  /** A name for logs and errors. */
  operation: string;
}

export interface DatabasePoolOptions {
  config: HandlerConfig;
  logger: Logger;
  ssl?: SslOptions;
  authPlugins?: PoolOptions['authPlugins'];
  clock?: () => number;
  /** Default VALIDATE_AFTER_IDLE_MS; Infinity turns the ping off (tests show what it prevents). */
  validateAfterIdleMs?: number;
  /** Default true; false skips the event-loop turn before checkout (tests: a FIN still in flight). */
  readPendingCloses?: boolean;
  /**
   * Awaited between checkout and the statement (tests: hold a checked-out
   * connection at a known point, start the drain, then let it run).
   */
  afterCheckout?: (operation: string) => Promise<void>;
}

export class DatabasePool {
  private pool: Pool | undefined;
  private closing = false;
  private drained: Promise<DrainReport> | undefined;
  private readonly sockets = new SocketTracker();
  private readonly lastReleasedAt = new WeakMap<PoolConnection, number>();
  /**
   * When a connection breaks, its idle siblings most likely broke with it (same
   * server restart, same idle timeout): every connection released before this
   * instant is pinged before its next use, whatever its idle time.
   */
  private suspectBefore = -Infinity;
  private staleDiscarded = 0;
  private readonly clock: () => number;

  constructor(private readonly options: DatabasePoolOptions) {
    this.clock = options.clock ?? Date.now;
  }

  state(): PoolState {
    return {
      created: this.pool !== undefined,
      closing: this.closing,
      openSockets: this.sockets.openCount,
      connectionsCreated: this.sockets.openedCount,
      staleDiscarded: this.staleDiscarded,
      poolSize: this.options.config.poolSize,
    };
  }

  /** Runs one statement; on a dead pooled connection, retries once on a fresh one where that is safe (see QueryOptions). */
  async query<T>(sql: string, params: readonly unknown[], options: QueryOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const connection = await this.acquire(options.operation);
      try {
        await this.options.afterCheckout?.(options.operation);
        const result = await runQuery<T>(connection, sql, params, this.options.config.queryTimeoutMs);
        this.release(connection);
        return result;
      } catch (error) {
        this.throwIfDrainInterrupted(options.operation, error);
        this.throwIfTimedOut(connection, options.operation, error);
        if (!isConnectionError(error)) {
          this.release(connection);
          throw new DatabaseError(options.operation, error);
        }
        connection.destroy();
        this.staleDiscarded++;
        this.suspectBefore = this.clock();
        // WHY a retry is safe: either the statement never left the process
        // (mysql2 refused it on a closed connection), or it is idempotent
        // (a read, CREATE TABLE IF NOT EXISTS), so running it again cannot
        // change the outcome. A non-idempotent write that may have reached the
        // server is NOT retried: the caller gets the error rather than a
        // double-applied version bump. Pings on checkout (acquire) make that
        // case rare: a connection a freeze has killed is caught before use.
        const retry = attempt === 1 && !this.closing && (options.idempotent || isNeverSentError(error));
        this.options.logger.warn('statement failed on a broken connection', {
          operation: options.operation, attempt, retry, ...describeError(error),
        });
        if (!retry) throw new DatabaseError(options.operation, error);
      }
    }
  }

  /**
   * Runs statements as one transaction on one connection. Never retried: after
   * a failure nobody knows how far it got. The connection is destroyed rather
   * than returned on any failure, so the server rolls the transaction back.
   */
  async transaction(operation: string, statements: readonly { sql: string; params: readonly unknown[] }[]): Promise<void> {
    const connection = await this.acquire(operation);
    try {
      await this.options.afterCheckout?.(operation);
      const boundMs = this.options.config.queryTimeoutMs;
      await runQuery(connection, 'START TRANSACTION', [], boundMs);
      for (const { sql, params } of statements) await runQuery(connection, sql, params, boundMs);
      await runQuery(connection, 'COMMIT', [], boundMs);
      this.release(connection);
    } catch (error) {
      this.throwIfDrainInterrupted(operation, error);
      this.throwIfTimedOut(connection, operation, error);
      connection.destroy();
      throw new DatabaseError(operation, error);
    }
  }

  /**
   * No answer within the query bound: the connection still waits for one, so
   * it is destroyed (its siblings become suspect, as after any break), and
   * the statement is not retried, idempotent or not: it may have run, and a
   * second wait would take the invocation past the bound the caller relies on.
   */
  private throwIfTimedOut(connection: PoolConnection, operation: string, error: unknown): void {
    if (!isQueryTimeout(error)) return;
    connection.destroy();
    this.staleDiscarded++;
    this.suspectBefore = this.clock();
    const boundMs = this.options.config.queryTimeoutMs;
    this.options.logger.warn('statement got no answer within its bound', { operation, boundMs, ...describeError(error) });
    throw new DatabaseTimeoutError(operation, boundMs, error);
  }

  /**
   * A statement that lost its connection once the drain had started lost it
   * to the drain: `pool.end()` queued COM_QUIT ahead of it (mysql2 then
   * refuses it, "closed state"), or the deadline destroyed it in flight. The
   * truth for the caller is SHUTTING_DOWN, not a database failure. The
   * connection is left to the drain, whose COM_QUIT may still be on its way:
   * destroying it here would cut that short. A statement the server itself
   * refused while draining is still a database error.
   */
  private throwIfDrainInterrupted(operation: string, error: unknown): void {
    if (this.closing && isConnectionError(error)) throw new ShuttingDownError({ operation, cause: error });
  }

  /**
   * A connection known to be alive. A pooled connection idle past
   * VALIDATE_AFTER_IDLE_MS, or idle since a sibling broke, is pinged first (one
   * round trip, only after a pause or a failure): after a freeze longer than
   * the server's or the proxy's idle timeout it is dead, and finding out with a
   * ping is safe for any statement.
   */
  private async acquire(operation: string): Promise<PoolConnection> {
    if (this.options.readPendingCloses ?? true) {
      // A frozen process reads nothing: the FIN of a server that closed our
      // idle connections (wait_timeout, restart, failover) is still queued when
      // the next event arrives. Letting the event loop poll once lets mysql2
      // read it and drop those connections before one is picked, whatever
      // their idle time.
      await afterNextPoll();
    }
    const limit = this.options.config.poolSize + 1;
    for (let attempt = 1; attempt <= limit; attempt++) {
      if (this.closing) throw new ShuttingDownError();
      const connection = await getConnection(this.ensurePool()).catch((error: unknown) => {
        throw this.closing ? new ShuttingDownError() : new DatabaseError(operation, error);
      });
      const releasedAt = this.lastReleasedAt.get(connection);
      const validateAfterIdleMs = this.options.validateAfterIdleMs ?? VALIDATE_AFTER_IDLE_MS;
      const suspect = releasedAt !== undefined && (releasedAt <= this.suspectBefore || this.clock() - releasedAt >= validateAfterIdleMs);
      if (!suspect) return connection;
      try {
        await ping(connection, this.options.config.pingTimeoutMs);
        return connection;
      } catch (error) {
        this.throwIfDrainInterrupted(operation, error);
        connection.destroy();
        this.staleDiscarded++;
        this.options.logger.info('discarded a stale pooled connection', {
          operation, idleMs: this.clock() - (releasedAt ?? 0), ...describeError(error),
        });
      }
    }
    throw new DatabaseError(operation, new Error(`no live connection after ${limit} attempts`));
  }

  private release(connection: PoolConnection): void {
    this.lastReleasedAt.set(connection, this.clock());
    connection.release();
  }

  private ensurePool(): Pool {
    if (this.pool) return this.pool;
    const { config } = this.options;
    this.pool = mysql2.createPool({
      host: config.host,
      port: config.port,
      user: config.user,
      database: config.database,
      ...(config.password === undefined ? {} : { password: config.password }),
      ...(this.options.ssl ? { ssl: this.options.ssl } : {}),
      ...(this.options.authPlugins ? { authPlugins: this.options.authPlugins } : {}),
      connectionLimit: config.poolSize,
      maxIdle: config.poolSize,
      idleTimeout: POOL_IDLE_TIMEOUT_MS,
      // Bounded by what the configuration allows at once (see poolQueueLimit),
      // so a valid request waits for a connection instead of failing.
      queueLimit: config.poolQueueLimit,
      connectTimeout: config.connectTimeoutMs,
      supportBigNumbers: true,
      stream: () => this.sockets.open(config.host, config.port),
    });
    this.options.logger.info('database pool created', { host: config.host, port: config.port, poolSize: config.poolSize });
    return this.pool;
  }

  /**
   * The drain. Stops new work at once; asks every
   * connection to quit (`pool.end()`: COM_QUIT after any statement in flight);
   * waits, until `budgetMs` after the start, for the SERVER to close each
   * socket, which proves COM_QUIT arrived; destroys what is still open at the
   * deadline; waits for those sockets to close too. Never throws. Runs once:
   * later calls get the first call's report.
   */
  drain(budgetMs: number): Promise<DrainReport> {
    this.drained ??= this.runDrain(budgetMs);
    return this.drained;
  }

  private async runDrain(budgetMs: number): Promise<DrainReport> {
    const startedAt = this.clock();
    this.closing = true;
    const pool = this.pool;
    const report = (outcome: CloseOutcome, poolEnd: DrainReport['poolEnd']): DrainReport => ({
      poolCreated: pool !== undefined, ...outcome, poolEnd, durationMs: this.clock() - startedAt, budgetMs,
    });
    if (!pool) return report({ closedCleanly: 0, closedWithError: 0, destroyed: 0 }, 'not-needed');

    let poolEnd: DrainReport['poolEnd'] = 'pending';
    endPool(pool).then(() => { poolEnd = 'resolved'; }, () => { poolEnd = 'rejected'; });
    return report(await this.sockets.closeBy(startedAt + budgetMs, this.clock, DESTROY_GRACE_MS), poolEnd);
  }

  /** The BASELINE's shutdown (DRAIN_STRATEGY=naive): trusts `pool.end()`'s promise. */
  async endNaively(): Promise<void> {
    this.closing = true;
    const pool = this.pool;
    if (pool) await endPool(pool);
  }
}
