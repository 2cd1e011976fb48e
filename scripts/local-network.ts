// `npm run local`'s network half: which model ran (`--network <name>`), and
// what the MySQL server still holds of the environment once it is gone: the
// sessions it lists, how long it keeps them (its own wait_timeout), and what
// it counts when that timeout ends them, fast-forwarded by releasing them.
import type { RowDataPacket } from 'mysql2';
import { NETWORK_MODELS, NetworkModel, type Environment, type EnvironmentReport } from '../src/emulator';
import type { MysqlServer } from '../src/testing/mysql-server';
import { readCounters, sessionsSince, waitForServerEnd, type ServerBaseline, type ServerCounters } from '../src/testing/server-counters';

const SESSION_POLL_MS = 20;
const SESSION_POLLS = 500;

export function parseNetworkModel(value: string | undefined): NetworkModel {
  if (value === undefined || !(NETWORK_MODELS as readonly string[]).includes(value)) {
    throw new Error(`--network: expected one of ${NETWORK_MODELS.join(', ')}, got ${value ?? 'nothing'}`);
  }
  return value as NetworkModel;
}

const WHAT: Record<NetworkModel, string> = {
  [NetworkModel.destroyed]: 'the default: when the environment goes, its network goes with it; the server keeps what the function did not close',
  [NetworkModel.localKernel]: 'the local kernel closes a killed process\'s sockets at once and the server sees it (the emulator before its network)',
  [NetworkModel.direct]: 'no relay: the function connects to the server itself',
};

/** The header line: the model and what it means. */
export function networkLine(model: NetworkModel): string {
  return `network     ${model} (${WHAT[model]})`;
}

/** Sessions the gone environment left to the MySQL server (the `db` upstream). */
export function heldByServer(report: EnvironmentReport): number {
  return report.network.upstreams.find((upstream) => upstream.name === 'db')?.held ?? 0;
}

/**
 * The server's side once the environment is gone: waits, bounded, for the
 * state the network predicts (every session gone, or exactly the held ones
 * still listed), then reads the counters.
 */
export async function serverAfter(server: MysqlServer, before: ServerBaseline, held: number): Promise<ServerCounters> {
  if (held === 0) return waitForServerEnd(server, before, { aborted: 0 });
  let listed = await sessionsSince(server, before);
  for (let poll = 0; poll < SESSION_POLLS && listed.length !== held; poll += 1) {
    await new Promise((resolve) => setTimeout(resolve, SESSION_POLL_MS));
    listed = await sessionsSince(server, before);
  }
  return readCounters(server);
}

function duration(seconds: number): string {
  if (seconds >= 3_600 && seconds % 3_600 === 0) return `${seconds} s = ${seconds / 3_600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds} s = ${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * For held sessions: how long the server keeps them (its wait_timeout), then
 * the counters once they are released as that timeout would end them.
 */
export async function heldLines(server: MysqlServer, env: Environment, before: ServerBaseline, held: number): Promise<{ lines: string[]; waitTimeout: string }> {
  const rows = await server.query<RowDataPacket[]>('SELECT @@GLOBAL.wait_timeout AS seconds');
  const waitTimeout = duration(Number(rows[0]?.seconds));
  const them = held === 1 ? 'it' : 'them';
  const lines = [
    `                the server still holds ${held} session${held === 1 ? '' : 's'} of an environment that no longer exists:`,
    `                it keeps ${them} until its wait_timeout (${waitTimeout}) passes, then counts ${them} as aborted`,
  ];
  await env.network.release('db');
  const end = await waitForServerEnd(server, before, { aborted: held });
  const aborted = end.abortedClients - before.abortedClients;
  const open = end.threadsConnected - before.threadsConnected;
  lines.push(`At its timeout  Aborted_clients ${end.abortedClients} (+${aborted})   Threads_connected ${end.threadsConnected} (${open > 0 ? `+${open}` : open})   (fast-forwarded: released as the timeout would end ${them})`);
  return { lines, waitTimeout };
}
