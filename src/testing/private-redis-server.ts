// A private redis-server (or valkey-server) in a temporary directory on a free
// loopback port: no persistence, no idle timeout (Redis's default `timeout 0`
// keeps a client that never closed forever, which is what the proof reads).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminBackedServer, adminConnection, RedisServerError, type RedisServer } from './redis-server-api';

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export const REDIS_INSTALL_HINT =
  'No Redis server binary found (redis-server or valkey-server in PATH, /usr/bin or /usr/sbin) and REDIS_URL is not set. '
  + 'Install one with `apt-get update && apt-get install -y redis-server`, or set REDIS_URL=redis://host:port.';

const BINARY_DIRS = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

function findBinary(names: readonly string[], dirs: readonly string[]): string | undefined {
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

/** Every thread of `pid` in state T (stopped), per /proc; true where /proc is unavailable. */
function allThreadsStopped(pid: number): boolean {
  try {
    // The state follows the parenthesised command name, which may itself contain spaces.
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'))
      .every((stat) => /^[Tt]/.test(stat.slice(stat.lastIndexOf(')') + 2)));
  } catch {
    return true;
  }
}

class PrivateRedisServer extends AdminBackedServer implements RedisServer {
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;

  constructor(private readonly binary: string, private readonly baseDir: string, readonly port: number) {
    super();
  }

  get pid(): number | undefined { return this.child?.pid; }
  private get logPath(): string { return path.join(this.baseDir, 'redis.log'); }

  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) throw new RedisServerError('the server is already running', { port: this.port });
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.baseDir, '--logfile', this.logPath,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--timeout', '0', '--databases', '1',
    ];
    const child = spawn(this.binary, args, { stdio: 'ignore' });
    this.child = child;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let attempt = 0; Date.now() < deadline; attempt += 1) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        this.admin = await adminConnection(this.host, this.port);
        return;
      } catch {
        await Promise.race([sleep(Math.min(10 * (attempt + 1), 100)), exited]);
      }
    }
    child.kill('SIGKILL');
    throw new RedisServerError(`redis-server did not become ready on port ${this.port}`, { port: this.port, exitCode: child.exitCode, log: this.tail() });
  }

  private tail(): string {
    try { return readFileSync(this.logPath, 'utf8').split('\n').slice(-10).join('\n'); } catch { return ''; }
  }

  async suspend(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) throw new RedisServerError('the server is not running');
    this.child?.kill('SIGSTOP');
    const deadline = Date.now() + 2_000;
    while (!allThreadsStopped(pid)) {
      if (Date.now() > deadline) throw new RedisServerError('redis-server did not stop within 2 s of SIGSTOP', { pid });
      await sleep(1);
    }
  }

  resume(): void { this.child?.kill('SIGCONT'); }

  async shutdown(): Promise<void> {
    this.admin?.disconnect();
    this.admin = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // SIGTERM: redis-server closes every client connection and exits (nothing to save).
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await this.shutdown();
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/** Starts a private server; fails (never skips) with how to install one when no binary is found. */
export async function startPrivateRedisServer(options: { binaryDirs?: readonly string[] } = {}): Promise<RedisServer> {
  const binary = findBinary(['redis-server', 'valkey-server'], options.binaryDirs ?? BINARY_DIRS);
  if (!binary) throw new RedisServerError(REDIS_INSTALL_HINT);
  let lastError: unknown;
  // The port is free when probed but another process may take it before redis-server binds: retry on a fresh one.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const baseDir = mkdtempSync(path.join(os.tmpdir(), 'gs-redis-'));
    const server = new PrivateRedisServer(binary, baseDir, await freePort());
    try {
      await server.start();
      return server;
    } catch (error) {
      lastError = error;
      rmSync(baseDir, { recursive: true, force: true });
    }
  }
  throw new RedisServerError('could not start a private redis-server', {}, { cause: lastError });
}
