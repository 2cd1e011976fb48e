// What a MySQL-protocol server saw, read from its own side: the status
// counters and the error log's "Aborted connection" lines. One reading and
// one bounded wait, shared by the scenario suite, the bench and the demo.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MysqlServer, ServerStatus } from './mysql-server';

/** What MariaDB writes (log_warnings >= 2) for every client that vanished without COM_QUIT. */
export const ABORTED_CONNECTION_LINE = /Aborted connection/;

export interface ServerCounters extends ServerStatus {
  abortedConnectionLines: number;
}

export async function readCounters(server: MysqlServer): Promise<ServerCounters> {
  const status = await server.status();
  const abortedConnectionLines = server.errorLogPath ? server.errorLogLines(ABORTED_CONNECTION_LINE).length : 0;
  return { ...status, abortedConnectionLines };
}

export interface SettleOptions {
  /** The whole wait. Only a server that never settles waits this long. */
  timeoutMs?: number;
  pollMs?: number;
  /** Two readings this far apart with equal abort counters: the server has finished counting. */
  stableMs?: number;
}

/**
 * Waits, bounded in count and time, until Threads_connected is down to
 * `threadsTarget`, then until the abort counters stop moving: MariaDB drops
 * Threads_connected a moment before it counts the aborted client, so a single
 * reading could miss the last abort. Returns the last reading.
 */
export async function settleCounters(server: MysqlServer, threadsTarget: number, options: SettleOptions = {}): Promise<ServerCounters> {
  const { timeoutMs = 10_000, pollMs = 10, stableMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  let now = await readCounters(server);
  for (let i = 0; i < 10_000 && Date.now() < deadline && now.threadsConnected > threadsTarget; i += 1) {
    await sleep(pollMs);
    now = await readCounters(server);
  }
  for (let i = 0; i < 40 && Date.now() < deadline; i += 1) {
    await sleep(stableMs);
    const again = await readCounters(server);
    const moved = again.abortedClients !== now.abortedClients || again.abortedConnectionLines !== now.abortedConnectionLines;
    now = again;
    if (!moved) break;
  }
  return now;
}
