// How the process-level handler tests run dist/handler/index.mjs: under
// aws-lambda-ric inside the lifecycle emulator (real freeze, real shutdown
// sequence and budgets). One small interface, so each test states a
// lifecycle (invoke, freeze, shutdown) and not the mechanics behind it.
import { startEnvironment, type Environment, type EnvironmentReport, type ProcessReport } from '../../src/emulator';

export interface RuntimeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** SIGKILLed by the environment: at the end of the runtime's share, or at once with no extension. */
  killed: boolean;
  sigtermToExitMs: number | undefined;
  budgetMs: number | undefined;
}

export interface InvokeOutcome {
  outcome: string;
  payload: unknown;
}

/** Where SIGTERM comes from: the layer's external extension, the handler's internal one, or nowhere (SIGKILL only). */
export type ExtensionSetup = 'layer' | 'in-process' | 'none';

export interface RuntimeUnderTest {
  invoke(event: unknown, options?: { timeoutMs?: number }): Promise<InvokeOutcome>;
  /** Starts an invoke without waiting for it (a statement in flight at shutdown). */
  invokeInBackground(event: unknown): void;
  /** Frozen (SIGSTOP) for `ms`, running `during` meanwhile. */
  freeze(ms: number, during?: () => Promise<void>): Promise<void>;
  /** The environment's spindown; optionally a second SIGTERM to the runtime `extraSigtermAfterMs` after the first. */
  shutdown(options?: { extraSigtermAfterMs?: number }): Promise<RuntimeExit>;
  /** The runtime's exit after a reset (timeout / failure) already ended it. */
  lastRuntimeExit(): RuntimeExit;
  /** stdout + stderr of every runtime process so far. */
  output(): string;
  /**
   * Ends the sessions the server still holds for connections of a destroyed
   * environment (the emulator's default network), as its idle timeout would;
   * resolves with how many.
   */
  releaseHeldSessions(): Promise<number>;
  close(): Promise<void>;
}

function runtimeProcesses(report: EnvironmentReport): ProcessReport[] {
  return report.processes.filter((process) => process.kind === 'runtime');
}

function exitOf(report: EnvironmentReport, runtime: ProcessReport | undefined): RuntimeExit {
  if (!runtime) throw new Error('no runtime process in the report');
  return {
    code: runtime.exitCode,
    signal: runtime.signal,
    killed: runtime.killedByEmulator,
    sigtermToExitMs: runtime.sigtermSentAt !== undefined && runtime.exitedAt !== undefined
      ? runtime.exitedAt - runtime.sigtermSentAt
      : report.sigtermToRuntimeExitMs,
    budgetMs: report.runtimeBudgetMs,
  };
}

class EmulatedRuntime implements RuntimeUnderTest {
  private readonly background: Promise<unknown>[] = [];

  constructor(private readonly environment: Environment) {}

  async invoke(event: unknown, options: { timeoutMs?: number } = {}): Promise<InvokeOutcome> {
    const { outcome, payload } = await this.environment.invoke(event, options);
    return { outcome, payload };
  }

  invokeInBackground(event: unknown): void {
    this.background.push(this.environment.invoke(event).catch(() => undefined));
  }

  async freeze(ms: number, during?: () => Promise<void>): Promise<void> {
    await Promise.all([this.environment.idle(ms), during?.()]);
  }

  async shutdown(options: { extraSigtermAfterMs?: number } = {}): Promise<RuntimeExit> {
    const live = runtimeProcesses(this.environment.report()).find((process) => process.exitCode === null && process.signal === null);
    const done = this.environment.shutdown('spindown');
    let extra: NodeJS.Timeout | undefined;
    if (options.extraSigtermAfterMs !== undefined && live) {
      extra = setTimeout(() => {
        // Only while the report still shows it alive: never signal a recycled pid.
        const current = runtimeProcesses(this.environment.report()).find((process) => process.pid === live.pid);
        if (current && current.exitCode === null && current.signal === null) process.kill(live.pid, 'SIGTERM');
      }, options.extraSigtermAfterMs);
    }
    const report = await done;
    clearTimeout(extra);
    await Promise.all(this.background);
    return exitOf(report, runtimeProcesses(report).at(-1));
  }

  lastRuntimeExit(): RuntimeExit {
    const report = this.environment.report();
    return exitOf(report, runtimeProcesses(report).at(-1));
  }

  output(): string {
    return runtimeProcesses(this.environment.report()).map((process) => process.output).join('\n');
  }

  releaseHeldSessions(): Promise<number> {
    return this.environment.network.release();
  }

  async close(): Promise<void> {
    await this.environment.shutdown('spindown').catch(() => undefined);
    await Promise.all(this.background);
  }
}

export async function startRuntime(options: { env: Record<string, string>; extensions?: ExtensionSetup; timeoutMs?: number }): Promise<RuntimeUnderTest> {
  const extensions = options.extensions ?? 'layer';
  const environment = await startEnvironment({
    env: { ...options.env, ...(extensions === 'in-process' ? { SHUTDOWN_MODE: 'in-process' } : {}) },
    ...(extensions === 'layer' ? {} : { extensionsDir: null }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    label: 'handler-test',
  });
  return new EmulatedRuntime(environment);
}
