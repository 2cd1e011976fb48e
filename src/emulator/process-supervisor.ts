// One supervised process: spawned in its own process group (detached) so that
// freeze, thaw and kill reach it and anything it forks, exactly as Lambda
// treats every process of an environment. Records its exit (code or signal),
// whether the emulator had to SIGKILL it, and everything it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Clock } from './clock';
import type { ProcessKind, ProcessReport } from './types';

/** Output kept per process: enough for any diagnosis, bounded for long benches. */
const MAX_OUTPUT_CHARS = 256 * 1024;
/** Bound on waiting for a SIGSTOPped process to be reported stopped. */
const STOP_TIMEOUT_MS = 500;

const PROC_AVAILABLE = existsSync('/proc/self/stat');

/** The state letter of /proc/<pid>/stat (R, S, T, Z...), undefined without /proc. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * Every supervised process still alive, across environments. Only a safety
 * net: if the host process exits without shutting its environments down (a
 * crashed test worker, Ctrl-C), their process groups would otherwise stay
 * behind, SIGSTOPped, forever; detached children do not die with their parent.
 */
const alive = new Set<SupervisedProcess>();

function killLeftovers(): void {
  for (const process of alive) process.kill();
}

/** The exit hook is only installed while something is alive, so module reloads (jest) do not pile up listeners. */
function track(supervised: SupervisedProcess): void {
  if (alive.size === 0) process.once('exit', killLeftovers);
  alive.add(supervised);
}

function untrack(supervised: SupervisedProcess): void {
  if (alive.delete(supervised) && alive.size === 0) process.off('exit', killLeftovers);
}

export interface SpawnSpec {
  name: string;
  kind: ProcessKind;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export class SupervisedProcess {
  readonly name: string;
  readonly kind: ProcessKind;
  readonly startedAt: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<void>;
  /** Resolves when its stdout and stderr are closed: its last lines are in the report (never rejects). */
  readonly outputClosed: Promise<void>;
  /** Set when spawning itself failed (ENOENT, EACCES). */
  spawnError?: Error;

  private readonly child: ChildProcess;
  private output = '';
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private exitedAt?: number;
  private sigtermSentAt?: number;
  private killedByEmulator = false;
  private readonly exitListeners: ((process: SupervisedProcess) => void)[] = [];

  constructor(spec: SpawnSpec, private readonly clock: Clock) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.startedAt = clock.now();
    this.child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(this);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk));
    this.outputClosed = new Promise<void>((resolve) => {
      this.child.once('close', () => resolve());
      this.child.once('error', () => resolve());
    });
    this.exited = new Promise<void>((resolve) => {
      // 'exit', not 'close': a grandchild holding the pipes open must not delay the exit time.
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.exitedAt = this.clock.now();
        untrack(this);
        resolve();
        for (const listener of this.exitListeners.splice(0)) listener(this);
      });
      this.child.once('error', (error) => {
        this.spawnError = error;
        if (this.child.pid === undefined) {
          this.exitedAt = this.clock.now();
          untrack(this);
          this.append(`[emulator] spawn failed: ${error.message}\n`);
          resolve();
          for (const listener of this.exitListeners.splice(0)) listener(this);
        }
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exitedAt === undefined;
  }

  onExit(listener: (process: SupervisedProcess) => void): void {
    if (this.alive) this.exitListeners.push(listener);
    else listener(this);
  }

  /** SIGSTOP the whole group: timers stop firing, sockets stop being read. */
  freeze(): void {
    if (this.alive) this.signalGroup('SIGSTOP');
  }

  /**
   * SIGSTOP is delivered asynchronously: a process that was running (often, on
   * two cores) stops a moment later. Polls /proc until the kernel reports it
   * stopped, so "frozen" means frozen when the caller goes on. Where /proc is
   * missing, trusts the signal.
   */
  async stopped(timeoutMs = STOP_TIMEOUT_MS): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (let attempt = 0; attempt < 1_000; attempt += 1) {
      if (!this.alive) return true;
      const state = procState(this.pid);
      if (state === undefined || state === 'T' || state === 't') return true;
      if (performance.now() > deadline) return false;
      // Usually a matter of microseconds: yield cheaply first, then back off to 1 ms polls.
      await new Promise((resolve) => (attempt < 100 ? setImmediate(resolve) : setTimeout(resolve, 1)));
    }
    return false;
  }

  thaw(): void {
    if (this.alive) this.signalGroup('SIGCONT');
  }

  terminate(): void {
    if (!this.alive) return;
    this.sigtermSentAt = this.clock.now();
    this.signalGroup('SIGTERM');
  }

  /**
   * True when the kernel already reports the process dead (a zombie not yet
   * reaped, or gone) even though its exit event has not been processed: with
   * a busy event loop the timer of a budget can run before the exit event of
   * a process that left in time, and such a process must not be counted as
   * SIGKILLed.
   */
  hasExited(): boolean {
    if (!this.alive) return true;
    const state = procState(this.pid);
    return state === undefined ? PROC_AVAILABLE : state === 'Z' || state === 'X';
  }

  /**
   * SIGKILL the group; counted as "killed by the emulator" only if the process
   * was still running, as judged now or, when the caller judged it at its
   * deadline (`runningAtDeadline`), then.
   */
  kill(runningAtDeadline?: boolean): void {
    if (!this.alive) return;
    if (!(runningAtDeadline ?? !this.hasExited())) {
      this.reapGroup();
      return;
    }
    this.killedByEmulator = true;
    this.signalGroup('SIGKILL');
  }

  /** SIGKILL whatever is left in the group (children of an exited leader), not counted against it. */
  reapGroup(): void {
    if (this.pid > 0) this.signalGroup('SIGKILL');
  }

  get sigtermAt(): number | undefined {
    return this.sigtermSentAt;
  }

  get exitAt(): number | undefined {
    return this.exitedAt;
  }

  report(): ProcessReport {
    return {
      name: this.name,
      kind: this.kind,
      pid: this.pid,
      exitCode: this.exitCode,
      signal: this.exitSignal,
      killedByEmulator: this.killedByEmulator,
      startedAt: this.startedAt,
      ...(this.sigtermSentAt !== undefined ? { sigtermSentAt: this.sigtermSentAt } : {}),
      ...(this.exitedAt !== undefined ? { exitedAt: this.exitedAt } : {}),
      output: this.output,
    };
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch (error) {
      // ESRCH: the group is already gone, which is what every caller wants.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  private append(chunk: string): void {
    this.output += chunk;
    if (this.output.length > MAX_OUTPUT_CHARS) this.output = this.output.slice(-MAX_OUTPUT_CHARS);
  }
}
