// Shutdown figures through the emulator against one private server: how long
// the runtime takes to be gone after SIGTERM (or, for the baseline, after the
// shutdown starts), whether it was SIGKILLed, and what the server counted.
import { startEnvironment, type Environment, type EnvironmentOptions, type EnvironmentReport } from '../../src/emulator';
import type { MysqlServer } from '../../src/testing/mysql-server';
import { readBaseline, waitForServerEnd, type ServerCounters } from '../../src/testing/server-counters';
import { summarize, type Summary } from './stats';
import { analyseTail, runtimeOutputLength, watchShutdown, type ShutdownTrace, type TailReport } from './tail';

export interface Variant {
  /** Row label in the table. */
  label: string;
  options: Omit<EnvironmentOptions, 'env' | 'label'> & { env?: Record<string, string> };
  /** Brings the environment to the state under test (e.g. pool open and idle) before shutdown. */
  prepare(env: Environment): Promise<PrepareResult>;
  /**
   * Shuts the environment down. Default `env.shutdown()`; the in-flight
   * variant starts a slow invoke first and shuts down while it runs.
   */
  shutdown?(env: Environment): Promise<EnvironmentReport>;
}

export interface PrepareResult {
  /** The first invoke: pool created, first connection opened. */
  firstInvokeMs: number;
  /** An invoke on a warm environment with its pool open. */
  warmInvokeMs: number;
}

export interface EnvSample {
  /** ms from SIGTERM to the runtime's exit (undefined: no SIGTERM was sent). */
  sigtermToExitMs?: number;
  /** ms from the start of the shutdown phase to the runtime's exit: comparable across every variant. */
  shutdownToGoneMs?: number;
  runtimeBudgetMs?: number;
  killed: boolean;
  exitCode: number | null;
  signal: string | null;
  /** Connections the environment had open on the server just before shutdown. */
  openConnections: number;
  /** CPU time the runtime reported spending from SIGTERM to its last line. */
  cpuMs?: number;
  initMs?: number;
  firstInvokeMs?: number;
  warmInvokeMs?: number;
  /** What the shutdown's time was made of (series run with `trace`). */
  trace?: ShutdownTrace;
}

export interface VariantResult {
  label: string;
  environments: number;
  failures: string[];
  sigtermToExitMs: Summary;
  shutdownToGoneMs: Summary;
  runtimeBudgetMs?: number;
  sigkilled: number;
  exits: Record<string, number>;
  openConnections: Summary;
  /** Connections open on the server just before shutdown, summed over the series. */
  connectionsOpened: number;
  serverAbortedClients: number;
  serverAbortedConnectionLines: number;
  /** Threads_connected after the run minus before: connections left open. */
  serverLeftOpen: number;
  cpuMs: Summary;
  initMs: Summary;
  firstInvokeMs: Summary;
  warmInvokeMs: Summary;
  wallMs: number;
  /** The slowest shutdowns and what they are made of (series run with `trace`). */
  tail?: TailReport;
}

/** The `cpuMs` of the runtime's shutdown log line, if it wrote one. */
function cpuMsOf(output: string): number | undefined {
  const match = /"cpuMs":([\d.]+)/.exec(output);
  return match ? Number(match[1]) : undefined;
}

function sampleOf(report: EnvironmentReport, openConnections: number, prepared?: PrepareResult): EnvSample {
  const runtimes = report.processes.filter((p) => p.kind === 'runtime');
  const runtime = runtimes[runtimes.length - 1];
  const shutdownPhase = report.phases.find((p) => p.phase === 'shutdown');
  const init = report.phases.find((p) => p.phase === 'init');
  return {
    sigtermToExitMs: report.sigtermToRuntimeExitMs,
    shutdownToGoneMs: runtime?.exitedAt !== undefined && shutdownPhase ? runtime.exitedAt - shutdownPhase.startedAt : undefined,
    runtimeBudgetMs: report.runtimeBudgetMs,
    killed: runtime?.killedByEmulator ?? false,
    exitCode: runtime?.exitCode ?? null,
    signal: runtime?.signal ?? null,
    openConnections,
    cpuMs: cpuMsOf(runtime?.output ?? ''),
    initMs: init?.durationMs,
    firstInvokeMs: prepared?.firstInvokeMs,
    warmInvokeMs: prepared?.warmInvokeMs,
  };
}

function aggregate(label: string, samples: EnvSample[], failures: string[], before: ServerCounters, after: ServerCounters, wallMs: number): VariantResult {
  const exits: Record<string, number> = {};
  for (const s of samples) {
    const key = s.signal ? `signal ${s.signal}` : `code ${s.exitCode}`;
    exits[key] = (exits[key] ?? 0) + 1;
  }
  const num = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  return {
    label,
    environments: samples.length,
    failures,
    sigtermToExitMs: summarize(num(samples.map((s) => s.sigtermToExitMs))),
    shutdownToGoneMs: summarize(num(samples.map((s) => s.shutdownToGoneMs))),
    runtimeBudgetMs: samples.find((s) => s.runtimeBudgetMs !== undefined)?.runtimeBudgetMs,
    sigkilled: samples.filter((s) => s.killed).length,
    exits,
    openConnections: summarize(samples.map((s) => s.openConnections)),
    connectionsOpened: samples.reduce((sum, s) => sum + (Number.isFinite(s.openConnections) ? s.openConnections : 0), 0),
    serverAbortedClients: after.abortedClients - before.abortedClients,
    serverAbortedConnectionLines: after.abortedConnectionLines - before.abortedConnectionLines,
    serverLeftOpen: after.threadsConnected - before.threadsConnected,
    cpuMs: summarize(num(samples.map((s) => s.cpuMs))),
    initMs: summarize(num(samples.map((s) => s.initMs))),
    firstInvokeMs: summarize(num(samples.map((s) => s.firstInvokeMs))),
    warmInvokeMs: summarize(num(samples.map((s) => s.warmInvokeMs))),
    wallMs,
  };
}

function envOptions(server: MysqlServer, variant: Variant, label: string): EnvironmentOptions {
  return { ...variant.options, label, env: { ...server.handlerEnv(), ...variant.options.env } };
}

/**
 * `count` environments, one after another: start, prepare, shut down, let the
 * server settle. With `trace`, each shutdown is traced (bench/lib/tail.ts)
 * and the result carries the tail's make-up.
 */
export async function runSequential(server: MysqlServer, variant: Variant, count: number, options: { trace?: boolean } = {}): Promise<VariantResult> {
  const started = Date.now();
  const before = await readBaseline(server);
  const samples: EnvSample[] = [];
  const failures: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const level = await readBaseline(server);
    let env: Environment | undefined;
    try {
      env = await startEnvironment(envOptions(server, variant, `${variant.label} #${i}`));
      const prepared = await variant.prepare(env);
      const open = (await server.status()).threadsConnected - level.threadsConnected;
      const watch = options.trace ? watchShutdown(runtimeOutputLength(env.report())) : undefined;
      const report = await (variant.shutdown ? variant.shutdown(env) : env.shutdown());
      const trace = watch?.end(report);
      samples.push({ ...sampleOf(report, open, prepared), ...(trace ? { trace } : {}) });
    } catch (error) {
      failures.push(`#${i}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      if (env && env.state !== 'shutdown') await env.shutdown().catch(() => undefined);
    }
    // Each environment's sessions are gone from the server before the next starts (the counts are then final).
    await waitForServerEnd(server, level, { aborted: 0 });
  }
  const after = await waitForServerEnd(server, before, { aborted: 0 });
  const result = aggregate(variant.label, samples, failures, before, after, Date.now() - started);
  if (options.trace) result.tail = analyseTail(samples.map((sample) => sample.trace));
  return result;
}

async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i], i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * `count` environments started and prepared with bounded concurrency (Init of
 * 50 at once would measure the 2 cores, not the shutdown), then shut down
 * all at the same moment.
 */
export async function runSimultaneous(server: MysqlServer, variant: Variant, count: number, startConcurrency = 4): Promise<VariantResult> {
  const started = Date.now();
  const before = await readBaseline(server);
  const failures: string[] = [];
  const envs: Environment[] = [];
  const prepared = await mapBounded(Array.from({ length: count }, (_, i) => i), startConcurrency, async (i) => {
    const env = await startEnvironment(envOptions(server, variant, `${variant.label} #${i}`));
    envs.push(env);
    await variant.prepare(env);
    return env;
  });
  prepared.forEach((r, i) => { if (r.status === 'rejected') failures.push(`#${i} start: ${String((r.reason as Error)?.message ?? r.reason).split('\n')[0]}`); });
  const open = (await server.status()).threadsConnected - before.threadsConnected;
  const ready = prepared.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const reports = await Promise.allSettled(ready.map((env) => (variant.shutdown ? variant.shutdown(env) : env.shutdown())));
  const samples: EnvSample[] = [];
  reports.forEach((r, i) => {
    if (r.status === 'fulfilled') samples.push(sampleOf(r.value, Number.NaN));
    else failures.push(`#${i} shutdown: ${String((r.reason as Error)?.message ?? r.reason).split('\n')[0]}`);
  });
  // Environments whose prepare failed still hold processes: end them, outside the figures.
  await Promise.allSettled(envs.filter((env) => env.state !== 'shutdown').map((env) => env.shutdown()));
  const after = await waitForServerEnd(server, before, { aborted: 0 });
  const result = aggregate(variant.label, samples, failures, before, after, Date.now() - started);
  // Per-environment counts are not separable when all are open at once: report the mean over the fleet.
  result.openConnections = summarize([ready.length > 0 ? open / ready.length : 0]);
  result.connectionsOpened = open;
  return result;
}
