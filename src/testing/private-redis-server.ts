// A private redis-server (or valkey-server) in a temporary directory on a free
// loopback port: no persistence, no idle timeout (Redis's default `timeout 0`
// keeps a client that never closed forever, which is what the proof reads).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { connectWhenReady, endProcess, findBinary, hasExited, startOnFreePort, suspendProcess } from './private-process';
import { AdminBackedServer, adminConnection, RedisServerError, type RedisServer } from './redis-server-api';

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export const REDIS_INSTALL_HINT =
  'No Redis server binary found (redis-server or valkey-server in PATH, /usr/bin or /usr/sbin) and REDIS_URL is not set. '
  + 'Install one with `apt-get update && apt-get install -y redis-server`, or set REDIS_URL=redis://host:port.';

class PrivateRedisServer extends AdminBackedServer implements RedisServer {
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;

  constructor(private readonly binary: string, private readonly baseDir: string, readonly port: number) {
    super();
  }

  get pid(): number | undefined { return this.child?.pid; }
  private get logPath(): string { return path.join(this.baseDir, 'redis.log'); }

  async start(): Promise<void> {
    if (this.child && !hasExited(this.child)) throw new RedisServerError('the server is already running', { port: this.port });
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.baseDir, '--logfile', this.logPath,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--timeout', '0', '--databases', '1',
    ];
    const child = spawn(this.binary, args, { stdio: 'ignore' });
    this.child = child;
    this.admin = await connectWhenReady(child, () => adminConnection(this.host, this.port), { timeoutMs: READY_TIMEOUT_MS, pauseMs: 10, maxPauseMs: 100 });
    if (this.admin) return;
    throw new RedisServerError(`redis-server did not become ready on port ${this.port}`, { port: this.port, exitCode: child.exitCode, log: this.tail() });
  }

  private tail(): string {
    try { return readFileSync(this.logPath, 'utf8').split('\n').slice(-10).join('\n'); } catch { return ''; }
  }

  async suspend(): Promise<void> { await suspendProcess(this.child, 'redis-server', RedisServerError); }

  resume(): void { this.child?.kill('SIGCONT'); }

  async shutdown(): Promise<void> {
    this.admin?.disconnect();
    this.admin = undefined;
    // SIGTERM: redis-server closes every client connection and exits (nothing to save).
    await endProcess(this.child, STOP_TIMEOUT_MS);
  }

  async stop(): Promise<void> {
    await this.shutdown();
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/** Starts a private server; fails (never skips) with how to install one when no binary is found. */
export async function startPrivateRedisServer(options: { binaryDirs?: readonly string[] } = {}): Promise<RedisServer> {
  const binary = findBinary(['redis-server', 'valkey-server'], options.binaryDirs);
  if (!binary) throw new RedisServerError(REDIS_INSTALL_HINT);
  return startOnFreePort('gs-redis-', (baseDir, port) => new PrivateRedisServer(binary, baseDir, port),
    (cause) => new RedisServerError('could not start a private redis-server', {}, { cause }));
}
