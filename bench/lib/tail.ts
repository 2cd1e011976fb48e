// What one shutdown's time is made of, and what the slowest ones are made of.
// Every environment of a lifecycle series is traced from three vantage
// points that need no change to the code under test:
// - the emulator's report: when SIGTERM (or SIGKILL) went out and when the
//   runtime's exit was seen, on the environment's monotonic clock;
// - the runtime's own drain line: its wall-clock timestamp, how long the
//   drain took by its own measure, and the CPU it spent; with the runtime on
//   `--trace-gc`, V8's line for every collection in its output;
// - this process: a 1 ms timer's ticks while the shutdown runs, whose
//   longest gap between SIGTERM and the exit is how long this event loop
//   stalled there (the emulator stamps the exit from this loop, so a stall
//   at the exit is in the figure), and the machine's load average.
// The emulator's clock is tied to the wall clock once per environment: the
// shutdown phase begins within microtasks of `env.shutdown()`, where this
// process notes the time.
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { defaultRuntimeCommand, type EnvironmentReport, type ProcessReport } from '../../src/emulator';
import type { Variant } from './lifecycle';
import { ms, table } from './report';
import { round, summarize, type Summary } from './stats';

export interface ShutdownTrace {
  /** SIGTERM sent (SIGKILL for a runtime never told) to the runtime's exit seen, ms. */
  totalMs: number;
  /** SIGTERM sent to the handler's listener starting the drain (its line's time less its duration). */
  signalToDrainMs?: number;
  /** The drain as the handler timed it: COM_QUIT out, the server closing each socket. */
  drainMs?: number;
  /** The drain line written to the exit seen: the re-raised SIGTERM, the kernel's teardown, the emulator noticing. */
  lineToGoneMs?: number;
  /** CPU the runtime spent from SIGTERM to its line. */
  cpuMs?: number;
  /** Collections V8 reported in the runtime between the shutdown's start and its exit. */
  gcCount: number;
  gcPauseMs: number;
  /** This process's longest event-loop stall between SIGTERM and the exit (the exit is stamped from this loop). */
  benchLoopDelayMaxMs: number;
  loadAverage1m: number;
}

// The drain's one line: "drained every resource on SIGTERM", or its warning form when a resource was cut.
const DRAIN_LINE = /"message":"drained[^"]* on SIGTERM/;
// V8's --trace-gc: "[pid:isolate]   1234 ms: Scavenge 5.1 (6.3) -> 4.3 (7.3) MB, pooled: 0 MB, 0.85 / 0.00 ms  (...)".
const GC_LINE = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: [A-Za-z -]+ .*?, ([\d.]+) \/ [\d.]+ ms/;

function lastRuntime(report: EnvironmentReport): ProcessReport | undefined {
  const runtimes = report.processes.filter((p) => p.kind === 'runtime');
  return runtimes[runtimes.length - 1];
}

function drainLine(output: string): { wallMs: number; durationMs?: number; cpuMs?: number } | undefined {
  const line = output.split('\n').find((l) => DRAIN_LINE.test(l));
  if (line === undefined) return undefined;
  try {
    const parsed = JSON.parse(line) as { timestamp?: string; durationMs?: number; cpuMs?: number };
    const wallMs = Date.parse(parsed.timestamp ?? '');
    return Number.isFinite(wallMs) ? { wallMs, durationMs: parsed.durationMs, cpuMs: parsed.cpuMs } : undefined;
  } catch {
    return undefined;
  }
}

function collections(output: string): { count: number; pauseMs: number } {
  let count = 0;
  let pauseMs = 0;
  for (const line of output.split('\n')) {
    const match = GC_LINE.exec(line);
    if (!match) continue;
    count += 1;
    pauseMs += Number(match[1]);
  }
  return { count, pauseMs: round(pauseMs, 2) };
}

export interface ShutdownWatch {
  /** Call with the environment's report once `env.shutdown()` resolved. */
  end(report: EnvironmentReport): ShutdownTrace | undefined;
}

const epochNow = () => performance.timeOrigin + performance.now();

/** The longest gap between consecutive ticks that overlaps [from, to], less the 1 ms period. */
function longestStall(ticks: readonly number[], from: number, to: number): number {
  let longest = 0;
  for (let i = 1; i < ticks.length; i += 1) {
    if (ticks[i] < from || ticks[i - 1] > to) continue;
    longest = Math.max(longest, ticks[i] - ticks[i - 1] - 1);
  }
  return round(Math.max(0, longest), 2);
}

/** Start right before `env.shutdown()`: `outputBefore` is the runtime's output length at that moment. */
export function watchShutdown(outputBefore: number): ShutdownWatch {
  const startedEpochMs = epochNow();
  // Bounded: the shutdown phase lasts at most 2 s, plus the emulator's own reaping.
  const ticks: number[] = [startedEpochMs];
  const ticker = setInterval(() => { if (ticks.length < 20_000) ticks.push(epochNow()); }, 1);
  return {
    end(report) {
      clearInterval(ticker);
      ticks.push(epochNow());
      const runtime = lastRuntime(report);
      const phase = report.phases.find((p) => p.phase === 'shutdown');
      if (runtime?.exitedAt === undefined || phase === undefined) return undefined;
      // The emulator's clock, moved onto the wall clock by the moment the shutdown began.
      const toEpoch = (at: number) => startedEpochMs + (at - phase.startedAt);
      const sentAt = runtime.sigtermSentAt ?? phase.startedAt;
      const shutdownOutput = runtime.output.slice(outputBefore);
      const gc = collections(shutdownOutput);
      const trace: ShutdownTrace = {
        totalMs: round(runtime.exitedAt - sentAt, 2),
        gcCount: gc.count,
        gcPauseMs: gc.pauseMs,
        benchLoopDelayMaxMs: longestStall(ticks, toEpoch(sentAt), toEpoch(runtime.exitedAt)),
        loadAverage1m: round(os.loadavg()[0], 2),
      };
      const line = runtime.sigtermSentAt === undefined ? undefined : drainLine(shutdownOutput);
      if (line?.durationMs !== undefined) {
        trace.drainMs = line.durationMs;
        trace.signalToDrainMs = round(line.wallMs - line.durationMs - toEpoch(sentAt), 1);
        trace.lineToGoneMs = round(toEpoch(runtime.exitedAt) - line.wallMs, 1);
        trace.cpuMs = line.cpuMs;
      }
      return trace;
    },
  };
}

/** The runtime's output length so far: what `watchShutdown` skips. */
export function runtimeOutputLength(report: EnvironmentReport): number {
  return lastRuntime(report)?.output.length ?? 0;
}

export type TraceComponent = 'signalToDrainMs' | 'drainMs' | 'lineToGoneMs' | 'gcPauseMs' | 'benchLoopDelayMaxMs';
/** The three consecutive parts of a drained shutdown: they add up to its total (to the rounding of the line's timestamp). */
export type TracePart = 'signalToDrainMs' | 'drainMs' | 'lineToGoneMs';
const PARTS: readonly TracePart[] = ['signalToDrainMs', 'drainMs', 'lineToGoneMs'];
const COMPONENTS: readonly TraceComponent[] = [...PARTS, 'gcPauseMs', 'benchLoopDelayMaxMs'];

export interface TailReport {
  environments: number;
  /** The slowest shutdowns, slowest first, with their index in the series. */
  slowest: (ShutdownTrace & { index: number })[];
  /** Each component over the whole series. */
  typical: Partial<Record<TraceComponent | 'totalMs', Summary>>;
  /** How much slower than the median total the slowest were, on average, ms. */
  excessMs: number;
  /**
   * That excess split into the parts (each part less its own median,
   * averaged; signed, so they add up to the excess with `other`, the
   * rounding and what no part covers), and beside them the GC pauses and
   * this process's loop stalls of the slowest, less their medians.
   */
  madeOf: Partial<Record<TracePart | 'other' | 'gcPauseMs' | 'benchLoopDelayMaxMs', number>>;
}

/** The tail of a series: its `count` slowest shutdowns and what their excess over the median total is made of. */
export function analyseTail(traces: readonly (ShutdownTrace | undefined)[], count = 5): TailReport {
  const indexed = traces.flatMap((trace, index) => (trace ? [{ ...trace, index }] : []));
  const slowest = [...indexed].sort((a, b) => b.totalMs - a.totalMs).slice(0, count);
  const typical: TailReport['typical'] = { totalMs: summarize(indexed.map((t) => t.totalMs)) };
  for (const component of COMPONENTS) {
    const values = indexed.flatMap((t) => (t[component] === undefined ? [] : [t[component] as number]));
    if (values.length > 0) typical[component] = summarize(values);
  }
  const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
  const over = (component: TraceComponent) => mean(slowest.map((t) => (t[component] ?? Number.NaN) - (typical[component]?.p50 ?? Number.NaN)).filter(Number.isFinite));
  const excessMs = mean(slowest.map((t) => t.totalMs - (typical.totalMs?.p50 ?? t.totalMs)));
  const madeOf: TailReport['madeOf'] = {};
  let covered = 0;
  for (const part of PARTS) {
    if (typical[part] === undefined) continue;
    madeOf[part] = round(over(part), 2);
    covered += over(part);
  }
  madeOf.other = round(excessMs - covered, 2);
  for (const beside of ['gcPauseMs', 'benchLoopDelayMaxMs'] as const) {
    if (typical[beside] !== undefined) madeOf[beside] = round(over(beside), 2);
  }
  return { environments: indexed.length, slowest, typical, excessMs: round(excessMs, 2), madeOf };
}

/** The variant with its runtime on `--trace-gc`, so each collection during a shutdown shows in the trace. */
export function withGcTrace(variant: Variant): Variant {
  const [node, ...rest] = defaultRuntimeCommand(variant.options.runtime);
  return { ...variant, options: { ...variant.options, runtimeCommand: [node as string, '--trace-gc', ...rest] } };
}

const cell = (value: number | undefined) => (value === undefined ? '—' : ms(value));

/** The slowest shutdowns of a series, one row each, under a row of medians. */
export function tailDetail(label: string, tail: TailReport): string {
  const rows = tail.slowest.map((t) => [
    `#${t.index}`, ms(t.totalMs), cell(t.signalToDrainMs), cell(t.drainMs), cell(t.lineToGoneMs), t.cpuMs === undefined ? '—' : ms(t.cpuMs),
    `${t.gcCount} (${ms(t.gcPauseMs)})`, ms(t.benchLoopDelayMaxMs), String(t.loadAverage1m),
  ]);
  const p50 = (key: TraceComponent | 'totalMs') => cell(tail.typical[key]?.p50);
  rows.unshift(['median of all', p50('totalMs'), p50('signalToDrainMs'), p50('drainMs'), p50('lineToGoneMs'), '', '', p50('benchLoopDelayMaxMs'), '']);
  return `${label}, ${tail.environments} environments:\n\n${table(
    ['environment', 'total', 'signal → drain starts', 'drain (handler\'s own measure)', 'line → exit seen', 'runtime CPU', 'GCs (pause)', 'bench loop delay max', 'load 1 min'],
    rows,
  )}\n`;
}
