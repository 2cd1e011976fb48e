// `npm run bench` (after `npm run build`): the figures of DESIGN section 9,
// each beside its baseline measured in the same run, written to
// bench/results.json and printed as markdown.
//
// Knobs (environment): BENCH_ENVS (environments per lifecycle series, default
// 50), BENCH_RUNS (repeats of the bundle/extension figures, default 20),
// BENCH_SYNTH_RUNS (default 3), BENCH_SECTIONS (comma list of sections to run:
// lifecycle,extension,bundle,synth,fragments; default all).
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/protocol/artifacts';
import { ShutdownBudget } from '../src/protocol/lambda-api';
import { startMysqlServer } from '../src/testing/mysql-server';
import { measureBundles, type BundleReport } from './lib/bundle';
import { runFragments, type FragmentResults } from './lib/fragments';
import { runSequential, runSimultaneous, type VariantResult } from './lib/lifecycle';
import { describeMachine } from './lib/machine';
import { budgetTable, dist, kb, machineLine, mb, medianIqr, ms, table, verdict, type BudgetRow } from './lib/report';
import { measureSynth, type SynthReport } from './lib/synth';
import { lifecycles } from './lib/variants';
import { extensionStartupTable, runExtensionStartupBench, type ExtensionStartupResults } from './extension-startup';

const RESULTS_FILE = path.join(PROJECT_ROOT, 'bench/results.json');
const ENVS = Number(process.env.BENCH_ENVS ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const SYNTH_RUNS = Number(process.env.BENCH_SYNTH_RUNS ?? 3);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'lifecycle,extension,bundle,synth,fragments').split(',').map((s) => s.trim()));

/** Budgets of DESIGN section 9. */
const BUDGET = {
  sequentialP99Ms: 15,
  simultaneousP99Ms: ShutdownBudget.runtimeWithExternal,
  aborted: 0,
  extensionRegisteredMedianMs: 60,
  synthWallMs: 5_000,
} as const;

interface LifecycleResults {
  sequential: Record<'ours' | 'inFlight' | 'inProcess' | 'noExtension' | 'naive', VariantResult>;
  simultaneous: Record<'ours' | 'noExtension', VariantResult>;
}

interface Results {
  machine: ReturnType<typeof describeMachine>;
  settings: { environments: number; runs: number; synthRuns: number; sections: string[] };
  lifecycle?: LifecycleResults;
  extension?: ExtensionStartupResults;
  bundle?: BundleReport;
  synth?: SynthReport;
  fragments?: FragmentResults;
  errors: Record<string, string>;
  budgets?: BudgetRow[];
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function section<T>(results: Results, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!SECTIONS.has(name)) return undefined;
  const started = Date.now();
  log(`${name}: start`);
  try {
    const value = await fn();
    log(`${name}: done in ${Math.round((Date.now() - started) / 1000)} s`);
    return value;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    results.errors[name] = message;
    log(`${name}: FAILED: ${message}`);
    return undefined;
  }
}

async function lifecycle(): Promise<LifecycleResults> {
  const server = await startMysqlServer({ privateOnly: true });
  const v = lifecycles(server);
  try {
    const run = async (label: string, fn: () => Promise<VariantResult>) => {
      log(`  lifecycle: ${label}`);
      return fn();
    };
    const sequential = {
      ours: await run('sequential, ours', () => runSequential(server, v.ours, ENVS)),
      inFlight: await run('sequential, query in flight', () => runSequential(server, v.inFlight, ENVS)),
      inProcess: await run('sequential, in-process', () => runSequential(server, v.inProcess, ENVS)),
      noExtension: await run('sequential, no extension', () => runSequential(server, v.noExtension, ENVS)),
      naive: await run('sequential, naive drain', () => runSequential(server, v.naive, ENVS)),
    };
    const simultaneous = {
      ours: await run('simultaneous, ours', () => runSimultaneous(server, v.ours, ENVS)),
      noExtension: await run('simultaneous, no extension', () => runSimultaneous(server, v.noExtension, ENVS)),
    };
    return { sequential, simultaneous };
  } finally {
    await server.stop();
  }
}

function lifecycleRows(l: LifecycleResults): BudgetRow[] {
  const { sequential: s, simultaneous: c } = l;
  const baselineGone = (r: VariantResult) =>
    `no extension: SIGKILL, shutdown-to-gone ${dist(r.shutdownToGoneMs)}, ${r.serverAbortedClients} aborted of ${r.connectionsOpened} open`;
  const oursAborted = s.ours.serverAbortedClients + s.inProcess.serverAbortedClients + c.ours.serverAbortedClients;
  return [
    {
      figure: `SIGTERM to runtime gone, idle pool (${s.ours.openConnections.p50} connection(s) open per environment), p99 over ${s.ours.environments} one after another`,
      measured: `${dist(s.ours.sigtermToExitMs)}; ${s.ours.sigkilled} SIGKILLed`,
      baseline: baselineGone(s.noExtension),
      budget: `p99 <= ${BUDGET.sequentialP99Ms} ms`,
      verdict: verdict(s.ours.sigtermToExitMs.n > 0 ? s.ours.sigtermToExitMs.p99 <= BUDGET.sequentialP99Ms && s.ours.sigkilled === 0 : undefined),
      note: 'p50 / p99 / max',
    },
    {
      figure: `the same, one query in flight at SIGTERM`,
      measured: `${dist(s.inFlight.sigtermToExitMs)}; ${s.inFlight.sigkilled} SIGKILLed; ${s.inFlight.serverAbortedClients} aborted`,
      baseline: baselineGone(s.noExtension),
      budget: `inside ${ShutdownBudget.runtimeWithExternal} ms, none SIGKILLed`,
      verdict: verdict(s.inFlight.sigtermToExitMs.n > 0 ? s.inFlight.sigtermToExitMs.max <= ShutdownBudget.runtimeWithExternal && s.inFlight.sigkilled === 0 : undefined),
      note: 'the drain waits its 200 ms budget, then destroys the busy connection: one abort per environment is inherent, the idle one closes cleanly',
    },
    {
      figure: `SIGTERM to runtime gone, ${c.ours.environments} environments shutting down at once`,
      measured: `${dist(c.ours.sigtermToExitMs)}; ${c.ours.sigkilled} SIGKILLed; ${c.ours.serverAbortedClients} aborted of ${c.ours.connectionsOpened} open`,
      baseline: `no extension, ${c.noExtension.environments} at once: shutdown-to-gone ${dist(c.noExtension.shutdownToGoneMs)}, ${c.noExtension.serverAbortedClients} aborted of ${c.noExtension.connectionsOpened} open`,
      budget: `p99 <= ${BUDGET.simultaneousP99Ms} ms, none SIGKILLed`,
      verdict: verdict(c.ours.sigtermToExitMs.n > 0 ? c.ours.sigtermToExitMs.p99 <= BUDGET.simultaneousP99Ms && c.ours.sigkilled === 0 : undefined),
    },
    {
      figure: `server connections aborted by shutdown, all idle-pool environments of ours (layer and in-process one after another, ${c.ours.environments} at once)`,
      measured: `${oursAborted} (Aborted_clients); ${s.ours.serverAbortedConnectionLines + s.inProcess.serverAbortedConnectionLines + c.ours.serverAbortedConnectionLines} "Aborted connection" log lines`,
      baseline: `no extension ${s.noExtension.serverAbortedClients + c.noExtension.serverAbortedClients}; naive drain ${s.naive.serverAbortedClients} (naive: ${s.naive.sigkilled} of ${s.naive.environments} SIGKILLed)`,
      budget: `${BUDGET.aborted}`,
      verdict: verdict(s.ours.environments > 0 ? oursAborted === BUDGET.aborted : undefined),
    },
  ];
}

function extensionRows(e: ExtensionStartupResults): BudgetRow[] {
  const reg = e.shipped.spawnToRegisteredMs;
  return [
    {
      figure: `extension: spawn to registered, ${e.shipped.runs} spawns`,
      measured: `median ${ms(reg.median)} (p90 ${ms(reg.p90)}, max ${ms(reg.max)})`,
      baseline: `in-process registration median ${ms(e.inProcess.registrationMs.median)}`,
      budget: `median <= ${BUDGET.extensionRegisteredMedianMs} ms`,
      verdict: verdict(reg.median <= BUDGET.extensionRegisteredMedianMs),
    },
    {
      figure: 'extension: resident memory waiting in next',
      measured: `median ${mb(e.shipped.rssKb.median / 1024)}`,
      baseline: `in-process: +${mb(e.inProcess.extraRssKb / 1024)} on the runtime's ${mb(e.inProcess.rssWithoutKb.median / 1024)}`,
      budget: 'reported',
      verdict: 'reported',
    },
  ];
}

function bundleRows(b: BundleReport): BudgetRow[] {
  return [{
    figure: 'handler bundle (dist/handler/index.mjs), minified (whitespace and syntax, identifiers kept)',
    measured: `${kb(b.ours.bytes)} (${kb(b.ours.gzipBytes)} gzip); import ${medianIqr(b.ours.importMs, (x) => ms(x))}`,
    baseline: `naive esbuild bundle ${kb(b.naive.bytes)} (${kb(b.naive.gzipBytes)} gzip); import ${medianIqr(b.naive.importMs, (x) => ms(x))}; bare node start ${ms(b.nodeStartupMs.p50)}`,
    budget: 'reported',
    verdict: 'reported',
  }];
}

function synthRows(s: SynthReport): BudgetRow[] {
  const base = 'missing' in s.baseline ? `not measured: ${s.baseline.missing}` : `${medianIqr(s.baseline.wallMs, (x) => ms(x, 0))}, peak ${mb(s.baseline.largestProcessRssMb.p50)} largest process / ${mb(s.baseline.treeRssMb.p50)} tree${s.baseline.failures ? `, ${s.baseline.failures} failed: ${s.baseline.lastError}` : ''}`;
  return [{
    figure: '`npm run synth` (build + all stacks), wall',
    measured: `${medianIqr(s.ours.wallMs, (x) => ms(x, 0))}, peak ${mb(s.ours.largestProcessRssMb.p50)} largest process / ${mb(s.ours.treeRssMb.p50)} tree${s.ours.failures ? `; ${s.ours.failures} of ${s.ours.runs} FAILED: ${s.ours.lastError}` : ''}`,
    baseline: `ts-node barrel app: ${base}`,
    budget: `<= ${BUDGET.synthWallMs} ms`,
    verdict: verdict(s.ours.wallMs.n > 0 && s.ours.failures === 0 ? s.ours.wallMs.p50 <= BUDGET.synthWallMs : undefined),
    note: 'median of runs',
  }, {
    figure: 'synthesis step alone (`tsx scripts/synth.ts`, dist already built)',
    measured: `${medianIqr(s.synthStepOnly.wallMs, (x) => ms(x, 0))}, peak ${mb(s.synthStepOnly.largestProcessRssMb.p50)} largest process${s.synthStepOnly.failures ? `; ${s.synthStepOnly.failures} FAILED: ${s.synthStepOnly.lastError}` : ''}`,
    baseline: 'as above',
    budget: 'reported',
    verdict: 'reported',
  }];
}

function lifecycleDetail(l: LifecycleResults): string {
  const rows = [
    ...Object.values(l.sequential).map((r) => ['one after another', r]),
    ...Object.values(l.simultaneous).map((r) => ['all at once', r]),
  ] as [string, VariantResult][];
  return table(
    ['lifecycle', 'series', 'envs', 'SIGTERM→gone p50/p99/max', 'shutdown start→gone p50/p99/max', 'SIGKILLed', 'exits', 'open conns per env, p50 (min–max)', 'Aborted_clients', '"Aborted connection" lines', 'left open', 'failures'],
    rows.map(([series, r]) => [
      r.label, series, String(r.environments), dist(r.sigtermToExitMs), dist(r.shutdownToGoneMs), String(r.sigkilled),
      Object.entries(r.exits).map(([k, v]) => `${k}: ${v}`).join(', '),
      r.openConnections.min === r.openConnections.max ? String(r.openConnections.p50) : `${r.openConnections.p50} (${r.openConnections.min}–${r.openConnections.max})`,
      String(r.serverAbortedClients), String(r.serverAbortedConnectionLines), String(r.serverLeftOpen), r.failures.length ? `${r.failures.length}: ${r.failures[0]}` : '0',
    ]),
  );
}

function latencyDetail(l: LifecycleResults): string {
  const r = [l.sequential.ours, l.sequential.inProcess, l.sequential.noExtension];
  return table(
    ['lifecycle', 'cold Init (extensions + runtime + handler) p50/p99/max', 'first invoke (pool created) p50/p99/max', 'warm invoke p50/p99/max'],
    r.map((v) => [v.label, dist(v.initMs), dist(v.firstInvokeMs), dist(v.warmInvokeMs)]),
  );
}

function render(results: Results): string {
  const parts = [`# Benchmarks\n\n${machineLine(results.machine)}\n`];
  parts.push(`## Budgets (DESIGN section 9)\n\n${budgetTable(results.budgets ?? [])}\n`);
  if (results.lifecycle) {
    parts.push(`## Shutdown, per lifecycle\n\n${lifecycleDetail(results.lifecycle)}\n`);
    parts.push(`## Init and invoke latency through the emulator\n\n${latencyDetail(results.lifecycle)}\n`);
  }
  if (results.extension) parts.push(`## ${extensionStartupTable(results.extension)}`);
  if (results.fragments) parts.push(...results.fragments.markdown);
  const errors = Object.entries(results.errors);
  if (errors.length) parts.push(`## Sections that failed\n\n${errors.map(([k, v]) => `- ${k}: ${v}`).join('\n')}\n`);
  return parts.join('\n');
}

async function main(): Promise<void> {
  const results: Results = {
    machine: describeMachine(),
    settings: { environments: ENVS, runs: RUNS, synthRuns: SYNTH_RUNS, sections: [...SECTIONS] },
    errors: {},
  };
  results.lifecycle = await section(results, 'lifecycle', lifecycle);
  results.extension = await section(results, 'extension', () => runExtensionStartupBench({ runs: RUNS, variants: false }));
  results.bundle = await section(results, 'bundle', () => measureBundles(RUNS));
  results.fragments = await section(results, 'fragments', () => runFragments(log, { drainRuns: ENVS, overheadInvokes: 200 }));
  for (const [name, error] of Object.entries(results.fragments?.errors ?? {})) results.errors[`fragments/${name}`] = error;
  // Last: synth is the heaviest, and a cold page cache after it would tax the others.
  results.synth = await section(results, 'synth', () => measureSynth(SYNTH_RUNS));

  results.budgets = [
    ...(results.lifecycle ? lifecycleRows(results.lifecycle) : []),
    ...(results.extension ? extensionRows(results.extension) : []),
    ...(results.bundle ? bundleRows(results.bundle) : []),
    ...(results.synth ? synthRows(results.synth) : []),
  ];
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...results, loadAverageAtEnd: os.loadavg() }, null, 2)}\n`);
  console.log(render(results));
  console.log(`Load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}.`);
  log(`wrote ${path.relative(PROJECT_ROOT, RESULTS_FILE)}`);
  if (Object.keys(results.errors).length > 0 || results.budgets.some((b) => b.verdict === 'FAIL')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exitCode = 1;
});
