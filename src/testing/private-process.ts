// What the private test servers (redis-server, mariadbd) share as processes:
// finding the binary, a fresh directory on a free loopback port, waiting for
// the first connection, and the signals a test sends them.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** PATH, then the system directories: server binaries live in sbin, which a user's PATH often lacks. */
const BINARY_DIRS = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'];

/** Each server's own error class (RedisServerError, MysqlServerError). */
export type ServerErrorClass = new (message: string, context?: Record<string, unknown>) => Error;

/** The first of `names` found, trying every directory for a name before the next name. */
export function findBinary(names: readonly string[], dirs: readonly string[] = BINARY_DIRS): string | undefined {
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Makes a server in a fresh temporary directory on a free port and starts it.
 * The port is free when probed but another process may take it before the
 * server binds: up to three attempts, each on a fresh port and directory.
 */
export async function startOnFreePort<T extends { start(): Promise<void> }>(
  dirPrefix: string,
  make: (baseDir: string, port: number) => T,
  failure: (cause: unknown) => Error,
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const baseDir = mkdtempSync(path.join(os.tmpdir(), dirPrefix));
    const server = make(baseDir, await freePort());
    try {
      await server.start();
      return server;
    } catch (error) {
      lastError = error;
      rmSync(baseDir, { recursive: true, force: true });
    }
  }
  throw failure(lastError);
}

/**
 * Tries `connect` with growing pauses (cut short when the process exits) until
 * it succeeds or `timeoutMs` has passed. Undefined, the process killed, when
 * the server never became ready.
 */
export async function connectWhenReady<T>(
  child: ChildProcess,
  connect: () => Promise<T>,
  timing: { timeoutMs: number; pauseMs: number; maxPauseMs: number },
): Promise<T | undefined> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timing.timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt += 1) {
    if (hasExited(child)) break;
    try {
      return await connect();
    } catch {
      await Promise.race([sleep(Math.min(timing.pauseMs * (attempt + 1), timing.maxPauseMs)), exited]);
    }
  }
  child.kill('SIGKILL');
  return undefined;
}

/** Every thread of `pid` in state T (stopped), per /proc; true where /proc is unavailable. */
function allThreadsStopped(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tasks.every((tid) => {
    try {
      // The state follows the parenthesised command name, which may itself contain spaces.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return /^[Tt]/.test(stat.slice(stat.lastIndexOf(')') + 2));
    } catch {
      // A thread that ended since the listing answers nothing either.
      return true;
    }
  });
}

/**
 * SIGSTOP, resolved once every thread is really stopped: the signal lands a
 * moment later on a busy machine, and a thread still running could answer.
 */
export async function suspendProcess(child: ChildProcess | undefined, name: string, ServerError: ServerErrorClass): Promise<void> {
  const pid = child?.pid;
  if (child === undefined || pid === undefined) throw new ServerError('the server is not running');
  child.kill('SIGSTOP');
  const deadline = Date.now() + 2_000;
  while (!allThreadsStopped(pid)) {
    if (Date.now() > deadline) throw new ServerError(`${name} did not stop within 2 s of SIGSTOP`, { pid });
    await sleep(1);
  }
}

/** SIGTERM (after SIGCONT, should it be suspended), SIGKILL after `killAfterMs`; resolves once the process has exited. */
export async function endProcess(child: ChildProcess | undefined, killAfterMs: number): Promise<void> {
  if (!child || hasExited(child)) return;
  child.kill('SIGCONT');
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await gone;
  clearTimeout(timer);
}
