// A read-through, write-invalidate cache in front of the database. `get`
// reads Redis first and, on a miss, the database, then fills the entry; a
// write to the database is followed by `afterWrite`, which updates or
// invalidates the entry. The database is the truth: a cache that is down,
// slow or reset never fails a request the database can serve. Every wait on
// Redis is bounded (connect, command), and after a failure the cache is left
// alone for `retryAfterMs`, so an outage costs one bounded wait per
// environment, not one per request.
//
// Entries are versioned, and every write to Redis goes through one script
// that only moves an entry forward: a fill carrying version 3 never replaces
// version 4 or the tombstone a write of version 4 left. So a read that began
// before a concurrent write cannot put the old row back after it, and a
// command repeated after a reset changes nothing.
import type { Redis } from 'ioredis';
import { describeError } from '../errors';
import type { Logger } from '../logger';
import { CacheError, type RedisConnection } from './redis-client';

/** Sets KEYS[1] to ARGV[1] '|' ARGV[2] (v + JSON, or t: a tombstone) for ARGV[3] ms unless what is there is newer. */
export const GUARDED_SET_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  local held = sep and tonumber(string.sub(current, 1, sep - 1))
  local incoming = tonumber(ARGV[1])
  if held and held > incoming then return 0 end
  if held and held == incoming and string.sub(current, sep + 1, sep + 1) == 'v' and string.sub(ARGV[2], 1, 1) == 'v' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1`;

const PENDING_RETRIES_PER_REQUEST = 10;

export interface Versioned {
  version: number;
}

export type CacheOutcome = 'hit' | 'miss' | 'degraded';

export interface CacheHealth {
  configured: true;
  /** `unused`: no request needed it yet; `degraded`: the last attempt failed and requests go to the database. */
  state: 'unused' | 'up' | 'degraded';
  /** From `check()` only: a PING just now. */
  reachable?: boolean;
  latencyMs?: number;
  hits: number;
  misses: number;
  /** Requests served without the cache because it failed or was being left alone. */
  degraded: number;
  /** Invalidations that failed and wait to be retried (until then the entry may be stale, at most `ttlMs`). */
  pendingInvalidations: number;
  connects: number;
  lastError?: Record<string, unknown>;
}

export interface ReadThroughCacheOptions {
  connection: Pick<RedisConnection, 'ready' | 'state'>;
  logger: Logger;
  /** Default `item:`. */
  keyPrefix?: string;
  /** Every entry's lifetime, and so the longest an entry can be stale after an invalidation that never arrived. Default 5 min. */
  ttlMs?: number;
  /** After a failure, requests skip the cache this long. Default 2 s. */
  retryAfterMs?: number;
  /** Failed invalidations kept for a retry; beyond this the oldest is given up (its entry expires by `ttlMs`). Default 1000. */
  maxPendingInvalidations?: number;
  clock?: () => number;
  /** Default true; false skips the event-loop turn before a command (tests: a FIN still unread, so the retry is what saves the request). */
  readPendingCloses?: boolean;
}

/** A connection that went away under a command: safe to repeat here, every command being a read or a guarded write. */
function connectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable/.test(error.message)
    || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
}

/** Lets the event loop poll once: a FIN the server sent while the environment was frozen is read before a command goes out. */
const readPendingCloses = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

export class ReadThroughCache<T extends Versioned> {
  private readonly keyPrefix: string;
  private readonly ttlMs: number;
  private readonly retryAfterMs: number;
  private readonly maxPending: number;
  private readonly clock: () => number;
  private readonly pending = new Map<string, number>();
  private leftAloneUntil = 0;
  private state: CacheHealth['state'] = 'unused';
  private counts = { hits: 0, misses: 0, degraded: 0 };
  private lastError: Record<string, unknown> | undefined;

  constructor(private readonly options: ReadThroughCacheOptions) {
    this.keyPrefix = options.keyPrefix ?? 'item:';
    this.ttlMs = options.ttlMs ?? 300_000;
    this.retryAfterMs = options.retryAfterMs ?? 2_000;
    this.maxPending = options.maxPendingInvalidations ?? 1_000;
    this.clock = options.clock ?? Date.now;
  }

  /** The item from Redis, or from `load` (the database) with the entry filled. `load`'s errors are the caller's. */
  async get(id: string, load: () => Promise<T | undefined>): Promise<{ item: T | undefined; cache: CacheOutcome }> {
    const key = this.keyPrefix + id;
    const cached = await this.attempt('get', async (redis) => {
      await this.retryPending(redis);
      return redis.get(key);
    });
    if (cached.ok && cached.value !== null) {
      const item = this.decode(cached.value);
      if (item) {
        this.counts.hits += 1;
        return { item, cache: 'hit' };
      }
    }
    const item = await load();
    if (!cached.ok) {
      this.counts.degraded += 1;
      return { item, cache: 'degraded' };
    }
    this.counts.misses += 1;
    if (item) {
      const filled = await this.attempt('fill', (redis) => this.guardedSet(redis, key, item.version, `v${JSON.stringify(item)}`));
      if (!filled.ok) return { item, cache: 'degraded' };
    }
    return { item, cache: 'miss' };
  }

  /**
   * After the database took a write of `version`: the entry becomes `item`
   * when given, else a tombstone (a miss that no older fill can overwrite).
   * Never throws; a failed invalidation is kept and retried.
   */
  async afterWrite(id: string, version: number, item?: T): Promise<'updated' | 'invalidated' | 'degraded'> {
    const key = this.keyPrefix + id;
    const result = await this.attempt('invalidate', async (redis) => {
      await this.retryPending(redis);
      await this.guardedSet(redis, key, version, item ? `v${JSON.stringify(item)}` : 't');
    });
    if (result.ok) return item ? 'updated' : 'invalidated';
    this.keepPending(id, version);
    this.counts.degraded += 1;
    return 'degraded';
  }

  /** For the `health` action: a PING now (bounded), whatever the recent failures, and the counters. */
  async check(): Promise<CacheHealth> {
    const started = this.clock();
    const pinged = await this.attempt('health', (redis) => redis.ping(), { probe: true });
    return { ...this.health(), reachable: pinged.ok, ...(pinged.ok ? { latencyMs: this.clock() - started } : {}) };
  }

  health(): CacheHealth {
    return {
      configured: true, state: this.state, ...this.counts, pendingInvalidations: this.pending.size,
      connects: this.options.connection.state().connects, ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** The drain's flush: retries the invalidations that failed, within the deadline the caller enforces. */
  async flushPendingInvalidations(): Promise<{ retried: number; left: number }> {
    if (this.pending.size === 0) return { retried: 0, left: 0 };
    const before = this.pending.size;
    await this.attempt('flush', (redis) => this.retryPending(redis, Number.POSITIVE_INFINITY), { probe: true });
    return { retried: before - this.pending.size, left: this.pending.size };
  }

  /** Oldest first; a request retries a few, so a long backlog never lengthens one request much. */
  /** The cut of the drain's flush: what was not retried is given up (those entries expire by their TTL). */
  abandonPendingInvalidations(): number {
    const count = this.pending.size;
    this.pending.clear();
    return count;
  }

  private async retryPending(redis: Redis, limit = PENDING_RETRIES_PER_REQUEST): Promise<void> {
    for (const [id, version] of [...this.pending].slice(0, limit)) {
      await this.guardedSet(redis, this.keyPrefix + id, version, 't');
      this.pending.delete(id);
    }
  }

  private keepPending(id: string, version: number): void {
    this.pending.delete(id);
    this.pending.set(id, Math.max(version, this.pending.get(id) ?? 0));
    if (this.pending.size > this.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.options.logger.warn('cache invalidation given up; the entry expires by its TTL', { id: oldest, ttlMs: this.ttlMs });
    }
  }

  private async guardedSet(redis: Redis, key: string, version: number, payload: string): Promise<void> {
    await redis.eval(GUARDED_SET_SCRIPT, 1, key, String(version), payload, String(this.ttlMs));
  }

  private decode(raw: string): T | undefined {
    const separator = raw.indexOf('|');
    if (separator < 0 || raw[separator + 1] !== 'v') return undefined; // a tombstone: a miss
    try {
      return JSON.parse(raw.slice(separator + 2)) as T;
    } catch {
      return undefined; // not ours: treat as a miss, the next fill replaces it
    }
  }

  /**
   * Runs `fn` on a ready connection. A connection lost under it (a reset
   * during a freeze) is reconnected and `fn` run once more. Any failure
   * leaves the cache alone for `retryAfterMs` and is returned, not thrown.
   */
  private async attempt<R>(operation: string, fn: (redis: Redis) => Promise<R>, options: { probe?: boolean } = {}): Promise<{ ok: true; value: R } | { ok: false }> {
    if (!options.probe && this.clock() < this.leftAloneUntil) return { ok: false };
    try {
      if (this.options.readPendingCloses !== false) await readPendingCloses();
      let value: R;
      try {
        value = await fn(await this.options.connection.ready());
      } catch (error) {
        if (!connectionLost(error)) throw error;
        value = await fn(await this.options.connection.ready());
      }
      this.up();
      return { ok: true, value };
    } catch (error) {
      this.down(operation, error);
      return { ok: false };
    }
  }

  private up(): void {
    if (this.state === 'degraded') this.options.logger.info('cache reachable again', { lastError: this.lastError });
    this.state = 'up';
    this.leftAloneUntil = 0;
  }

  private down(operation: string, error: unknown): void {
    this.lastError = describeError(error);
    if (error instanceof CacheError) Object.assign(this.lastError, error.context);
    this.leftAloneUntil = this.clock() + this.retryAfterMs;
    if (this.state !== 'degraded') {
      this.options.logger.warn('cache unavailable; requests are served by the database', { operation, retryAfterMs: this.retryAfterMs, ...this.lastError });
    }
    this.state = 'degraded';
  }
}
