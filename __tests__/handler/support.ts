// Shared fixtures of the handler tests: a real private server per test file,
// the handler's modules wired the way index.ts wires them, and a log recorder.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type HandlerConfig } from '../../src/handler/config';
import { createDataApi, type DataApiHandler } from '../../src/handler/data-api';
import { createLogger, type Logger } from '../../src/handler/logger';
import { DatabasePool, type DatabasePoolOptions } from '../../src/handler/pool';
import { ItemRepository } from '../../src/handler/repository';
import type { MysqlServer } from '../../src/testing/mysql-server';

export interface LogRecorder {
  logger: Logger;
  lines: Record<string, unknown>[];
}

export function recordLogs(): LogRecorder {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

export interface Wired {
  config: HandlerConfig;
  pool: DatabasePool;
  handler: DataApiHandler;
  logs: LogRecorder;
}

/** The handler's modules against `server`, in this process (no runtime client). */
export function wireHandler(server: MysqlServer, env: Record<string, string> = {}, poolOptions: Pick<DatabasePoolOptions, 'validateAfterIdleMs' | 'readPendingCloses' | 'afterCheckout'> = {}): Wired {
  const config = loadConfig({ ...server.handlerEnv(), HANDLER_DEBUG_ACTIONS: 'true', ...env });
  const logs = recordLogs();
  const pool = new DatabasePool({ config, logger: logs.logger, ...poolOptions });
  const handler = createDataApi({ repository: new ItemRepository(pool), pool, logger: logs.logger, debugActions: true });
  return { config, pool, handler, logs };
}

export async function rowCount(server: MysqlServer, database: string): Promise<number | 'no table'> {
  const tables = await server.query<{ n: number }[] & import('mysql2').RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [database, 'items']);
  if (Number(tables[0]?.n) === 0) return 'no table';
  const rows = await server.query<{ n: number }[] & import('mysql2').RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${database}\`.items`);
  return Number(rows[0]?.n);
}

export { sleep };

/**
 * Polls `read` until `accept` holds or `timeoutMs` passes; returns the last reading.
 * The bound is generous on purpose: it is only reached when the state never comes,
 * and a loaded machine may take seconds to get there.
 */
export async function settle<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value) && Date.now() < deadline) {
    await sleep(25);
    value = await read();
  }
  return value;
}
