// The data API's SQL: one table, created on first use. Every statement is
// text-protocol `query()` with placeholders (see pool.ts for why).
import { isoTimestamp } from '../protocol/log-line';
import type { DatabasePool } from './pool';

export const TABLE = 'items';

// ascii_bin: ids are ASCII by validation, and compared exactly (case matters).
// Exported: `npm run db:bootstrap` creates the table with this same DDL.
export const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  data JSON NOT NULL,
  version BIGINT UNSIGNED NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB`;

// One atomic statement, no transaction, no read-back: LAST_INSERT_ID(expr)
// stores the new version in the connection's "last insert id", which the OK
// packet returns (insertId). A new row gets version 1; an existing one gets
// its version + 1 under the row lock. The data is bound twice rather than
// read back with VALUES(), which MySQL 8 deprecates and MariaDB spells VALUE().
const UPSERT = `INSERT INTO ${TABLE} (id, data, version) VALUES (?, ?, LAST_INSERT_ID(1))
  ON DUPLICATE KEY UPDATE data = ?, version = LAST_INSERT_ID(version + 1)`;

const TABLE_EXISTS = 'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?';

const SELECT_ONE = `SELECT id, data, version, updated_at AS updatedAt FROM ${TABLE} WHERE id = ?`;

export interface Item {
  id: string;
  data: unknown;
  version: number;
  updatedAt: string;
}

interface ItemRow {
  id: string;
  data: unknown;
  version: number | string;
  updatedAt: Date | string;
}

interface OkPacket {
  insertId: number | string;
  affectedRows: number;
}

export class ItemRepository {
  private tableReady: Promise<void> | undefined;

  constructor(private readonly pool: DatabasePool) {}

  /** Upserts and returns the row's new version. */
  async put(id: string, data: unknown): Promise<number> {
    await this.ensureTable();
    const json = JSON.stringify(data);
    // Not idempotent: a repeat bumps the version again (pool.ts retries it only when it never reached the server).
    const result = await this.pool.query<OkPacket>(UPSERT, [id, json, json], { idempotent: false, operation: 'put' });
    return Number(result.insertId);
  }

  async get(id: string): Promise<Item | undefined> {
    await this.ensureTable();
    const rows = await this.pool.query<ItemRow[]>(SELECT_ONE, [id], { idempotent: true, operation: 'get' });
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      // MySQL returns JSON columns parsed; MariaDB's JSON is LONGTEXT and comes back as a string.
      data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
      version: Number(row.version),
      updatedAt: isoTimestamp(new Date(row.updatedAt)),
    };
  }

  /** One round trip; its latency is part of the health answer. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1', [], { idempotent: true, operation: 'health' });
  }

  async sleep(seconds: number): Promise<void> {
    await this.pool.query('SELECT SLEEP(?)', [seconds], { idempotent: true, operation: 'debug-sleep' });
  }

  /** A put that stays uncommitted for `seconds` (debug action: a write a reset must not leave behind). */
  async putSlowly(id: string, data: unknown, seconds: number): Promise<void> {
    await this.ensureTable();
    const json = JSON.stringify(data);
    await this.pool.transaction('debug-slow-transaction', [
      { sql: UPSERT, params: [id, json, json] },
      { sql: 'SELECT SLEEP(?)', params: [seconds] },
    ]);
  }

  /** Once per environment; a failure is not cached, so the next call tries again. */
  private ensureTable(): Promise<void> {
    this.tableReady ??= this.createTableIfMissing()
      .catch((error: unknown) => {
        this.tableReady = undefined;
        throw error;
      });
    return this.tableReady;
  }

  /**
   * The function's own user has no CREATE (db:bootstrap creates the table), and
   * the server checks that privilege before IF NOT EXISTS: even a no-op CREATE
   * is refused (1142, measured on MariaDB 10.11). So look first; only a
   * privileged local user on a fresh schema ever runs the CREATE.
   */
  private async createTableIfMissing(): Promise<void> {
    const rows = await this.pool.query<{ n: number | string }[]>(TABLE_EXISTS, [TABLE], { idempotent: true, operation: 'create-table' });
    if (Number(rows[0]?.n) > 0) return;
    await this.pool.query(CREATE_TABLE, [], { idempotent: true, operation: 'create-table' });
  }
}
