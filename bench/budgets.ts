// The budget table: each figure as a ratio to a baseline from the same run,
// or as a count. Ratios hold across a machine's 2x drift; counts (aborted
// connections, SIGKILLs) do not depend on speed at all, and only they fail a run.
import type { EmulatorOverheadResults } from './emulator-overhead';
import type { ExtensionStartupResults } from './extension-startup';
import type { BundleReport } from './lib/bundle';
import type { InitReport } from './lib/init';
import type { FleetCapacity } from './lib/fleet';
import type { VariantResult } from './lib/lifecycle';
import type { MachineInfo } from './lib/machine';
import { dist, kb, mb, medianIqr, ms, ratioVerdict, verdict, x, type BudgetRow } from './lib/report';
import type { SynthReport } from './lib/synth';
import type { TailReport } from './lib/tail';

export const BUDGET = {
  /** Idle-pool drain p99 / no-extension SIGKILL-to-gone p99. */
  drainVsSigkill: 1.3,
  /** Managed Instances drain p99 / on-demand drain p99. */
  managedVsOnDemand: 1.5,
  /** Fleet capacity of ours / of a runtime that leaves at once. */
  fleetVsExit: 0.8,
  /** Extension spawn-to-registered median / bare `node -e 0` spawn-to-exit median. */
  extensionVsBareNode: 1.1,
  /** Handler import median / the floor's (mysql2/promise, node:crypto, node:tls, same build) import median. */
  importVsFloor: 1.1,
  /** `npm run synth` median / ts-node barrel app median. */
  synthVsBarrel: 0.25,
} as const;

export interface LifecycleResults {
  ours: VariantResult;
  inFlight: VariantResult;
  inProcess: VariantResult;
  managedInstances: VariantResult;
  noExtension: VariantResult;
  naive: VariantResult;
  exitAtOnce: VariantResult;
}

export interface BenchResults {
  machine: MachineInfo;
  /** The Node version the runtime and the extension ran on. */
  lambdaNode: string;
  settings: Record<string, unknown>;
  lifecycle?: LifecycleResults;
  fleet?: { ours: FleetCapacity; exitAtOnce: FleetCapacity };
  extension?: ExtensionStartupResults;
  bundle?: BundleReport;
  init?: InitReport;
  synth?: SynthReport;
  overhead?: EmulatorOverheadResults;
  errors: Record<string, string>;
  budgets?: BudgetRow[];
}

const clean = (r: VariantResult) => r.sigkilled === 0 && r.serverAbortedClients === 0 && r.failures.length === 0 && r.environments > 0;
const counts = (r: VariantResult) => `${r.sigkilled} SIGKILLed, ${r.serverAbortedClients} aborted of ${r.connectionsOpened} open${r.failures.length ? `, ${r.failures.length} failed` : ''}`;

function lifecycleRows(l: LifecycleResults): BudgetRow[] {
  const drainRatio = l.ours.sigtermToExitMs.p99 / l.noExtension.shutdownToGoneMs.p99;
  const managedRatio = l.managedInstances.sigtermToExitMs.p99 / l.ours.sigtermToExitMs.p99;
  const cpuRatio = l.ours.cpuMs.p50 / l.exitAtOnce.cpuMs.p50;
  return [
    {
      figure: `idle-pool drain: SIGTERM to runtime gone, p99 over ${l.ours.environments} environments one after another (${l.ours.openConnections.p50} connections open each)`,
      measured: `${dist(l.ours.sigtermToExitMs)}; ${counts(l.ours)}`,
      baseline: `no extension, SIGKILL to gone: ${dist(l.noExtension.shutdownToGoneMs)}; ${counts(l.noExtension)}`,
      budget: `ratio <= ${BUDGET.drainVsSigkill}x; 0 SIGKILLed, 0 aborted`,
      ratio: x(drainRatio),
      verdict: clean(l.ours) ? ratioVerdict(drainRatio, BUDGET.drainVsSigkill, 'at most') : 'FAIL',
    },
    {
      figure: `the same on Managed Instances (${l.managedInstances.openConnections.p50} connections open over the workers)`,
      measured: `${dist(l.managedInstances.sigtermToExitMs)}; ${counts(l.managedInstances)}`,
      baseline: `on-demand drain above: ${dist(l.ours.sigtermToExitMs)}`,
      budget: `ratio <= ${BUDGET.managedVsOnDemand}x; 0 SIGKILLed, 0 aborted`,
      ratio: x(managedRatio),
      verdict: clean(l.managedInstances) ? ratioVerdict(managedRatio, BUDGET.managedVsOnDemand, 'at most') : 'FAIL',
    },
    {
      figure: 'CPU time the runtime spends from SIGTERM to its last line (its own process.cpuUsage)',
      measured: `p50 ${ms(l.ours.cpuMs.p50)} (n=${l.ours.cpuMs.n})`,
      baseline: `leaves at once, pool untouched: p50 ${ms(l.exitAtOnce.cpuMs.p50)} (n=${l.exitAtOnce.cpuMs.n})`,
      budget: 'reported',
      ratio: x(cpuRatio),
      verdict: 'reported',
    },
    {
      figure: `one query in flight at SIGTERM (SLEEP longer than the drain's budget): the busy connection is destroyed, the idle one closes`,
      measured: `${dist(l.inFlight.sigtermToExitMs)}; ${l.inFlight.sigkilled} SIGKILLed, ${l.inFlight.serverAbortedClients} aborted`,
      baseline: `one abort per environment (${l.inFlight.environments}) is inherent`,
      budget: '0 SIGKILLed, at most 1 aborted per environment',
      ratio: '—',
      verdict: verdict(l.inFlight.environments > 0 ? l.inFlight.sigkilled === 0 && l.inFlight.serverAbortedClients <= l.inFlight.environments : undefined),
    },
    {
      figure: 'in-process (internal) extension instead of the layer, idle pool',
      measured: `${dist(l.inProcess.sigtermToExitMs)}; ${counts(l.inProcess)}`,
      baseline: `naive drain (await pool.end(); process.exit(0)): ${counts(l.naive)}`,
      budget: '0 SIGKILLed, 0 aborted',
      ratio: '—',
      verdict: verdict(clean(l.inProcess)),
    },
  ];
}

function fleetRow(f: { ours: FleetCapacity; exitAtOnce: FleetCapacity }): BudgetRow {
  const ratio = f.ours.perCore / f.exitAtOnce.perCore;
  const cap = (c: FleetCapacity) => `${c.largestPassing} at once (${c.perCore} per core)${c.reachedCap ? ', the search\'s cap' : ''}`;
  return {
    figure: 'environments shutting down at once: the most, per core, with none SIGKILLed (ours: and none aborted)',
    measured: cap(f.ours),
    baseline: `leaves at once on SIGTERM, pool untouched: ${cap(f.exitAtOnce)}`,
    budget: `ratio >= ${BUDGET.fleetVsExit}x; 0 aborted`,
    ratio: x(ratio),
    verdict: f.ours.abortedWhilePassing > 0 ? 'FAIL' : ratioVerdict(ratio, BUDGET.fleetVsExit, 'at least'),
  };
}

function extensionRows(e: ExtensionStartupResults): BudgetRow[] {
  const ratio = e.spawnToRegisteredMs.p50 / e.bareNodeSpawnToExitMs.p50;
  return [{
    figure: `extension: spawn to registered, median of ${e.runs}`,
    measured: ms(e.spawnToRegisteredMs.p50),
    baseline: `\`node -e 0\` spawn to exit, same Node (${e.node}): ${ms(e.bareNodeSpawnToExitMs.p50)}`,
    budget: `ratio <= ${BUDGET.extensionVsBareNode}x`,
    ratio: x(ratio),
    verdict: ratioVerdict(ratio, BUDGET.extensionVsBareNode, 'at most'),
  }, {
    figure: 'extension: resident memory waiting in next',
    measured: `${mb(e.rssKb.p50 / 1024)} VmRSS, ${mb(e.rssAnonKb.p50 / 1024)} private`,
    baseline: `in-process alternative: +${mb(e.inProcess.extraRssKb / 1024)} on the runtime's ${mb(e.inProcess.rssWithoutKb.p50 / 1024)}`,
    budget: 'reported',
    ratio: '—',
    verdict: 'reported',
  }];
}

function bundleRows(b: BundleReport): BudgetRow[] {
  // The verdict is the median of the rounds' own ratios (ours and the floor loaded seconds apart); the medians' ratio beside it.
  const ratio = b.pairedRatio.ours.p50;
  const cacheRatio = b.pairedRatio.withCache.p50;
  const beside = Object.entries(b.ours.besideBytes).map(([file, bytes]) => `${file} ${kb(bytes)}`).join(', ');
  return [{
    figure: 'handler bundle: import time, median, in a fresh process on the function\'s Node',
    measured: `${medianIqr(b.ours.importMs, (n) => ms(n))}`,
    baseline: `the floor (${b.floor.file}): ${medianIqr(b.floor.importMs, (n) => ms(n))}`,
    budget: `median of the ${b.pairedRatio.ours.n} rounds' ratios <= ${BUDGET.importVsFloor}x (ratio of the medians ${x(b.ours.importMs.p50 / b.floor.importMs.p50)}; rounds' ratios IQR ${x(b.pairedRatio.ours.p25)}–${x(b.pairedRatio.ours.p75)})`,
    ratio: x(ratio),
    verdict: ratioVerdict(ratio, BUDGET.importVsFloor, 'at most'),
  }, {
    figure: 'the same with the cache configured (CACHE_* set: ElastiCache, IAM, TLS)',
    measured: `${medianIqr(b.withCache.ours.importMs, (n) => ms(n))}`,
    baseline: `the floor with its Redis client (${b.withCache.floor.file}): ${medianIqr(b.withCache.floor.importMs, (n) => ms(n))}`,
    budget: `median of the rounds' ratios <= ${BUDGET.importVsFloor}x (ratio of the medians ${x(b.withCache.ours.importMs.p50 / b.withCache.floor.importMs.p50)})`,
    ratio: x(cacheRatio),
    verdict: ratioVerdict(cacheRatio, BUDGET.importVsFloor, 'at most'),
  }, {
    figure: 'handler bundle: spawn to exit of a process that imports it, median; its size',
    measured: `${ms(b.ours.processMs.p50)}; ${kb(b.ours.bytes)} (${kb(b.ours.gzipBytes)} gzip)${beside ? `, beside it (imported only where needed): ${beside}` : ''}`,
    baseline: `bare \`node -e 0\` ${ms(b.nodeStartupMs.p50)}; floor ${ms(b.floor.processMs.p50)}, ${kb(b.floor.bytes)}; naive bundle ${ms(b.naive.processMs.p50)}, ${kb(b.naive.bytes)}, import ${ms(b.naive.importMs.p50)}`,
    budget: 'reported',
    ratio: x(b.ours.processMs.p50 / b.nodeStartupMs.p50),
    verdict: 'reported',
  }];
}

function initRow(i: InitReport): BudgetRow {
  return {
    figure: `init through the emulator: runtime start to its first \`next\` (aws-lambda-ric loading the handler), median of ${i.runs}`,
    measured: `${medianIqr(i.oursMs, (n) => ms(n))}`,
    baseline: `the same with the naive bundle: ${medianIqr(i.naiveMs, (n) => ms(n))}`,
    budget: 'reported',
    ratio: x(i.oursMs.p50 / i.naiveMs.p50),
    verdict: 'reported',
  };
}

/** "+9.1 ms over the median: drain +6.2, line to exit seen +2.4, signal to drain +0.3, other +0.2 (GC +0, bench loop +2.1)". */
export function tailMakeUp(t: TailReport): string {
  const names: Record<string, string> = {
    signalToDrainMs: 'signal to drain', drainMs: 'drain', lineToGoneMs: 'line to exit seen', other: 'other', gcPauseMs: 'GC', benchLoopDelayMaxMs: 'bench loop stall',
  };
  const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`;
  const parts = (['drainMs', 'lineToGoneMs', 'signalToDrainMs', 'other'] as const).filter((k) => t.madeOf[k] !== undefined)
    .map((k) => `${names[k]} ${signed(t.madeOf[k] as number)}`);
  const beside = (['gcPauseMs', 'benchLoopDelayMaxMs'] as const).filter((k) => t.madeOf[k] !== undefined)
    .map((k) => `${names[k]} ${signed(t.madeOf[k] as number)}`);
  return `${signed(t.excessMs)} ms over the median: ${parts.join(', ')}${beside.length ? ` (beside them: ${beside.join(', ')})` : ''}`;
}

function tailRow(ours: TailReport, baseline: TailReport | undefined): BudgetRow {
  const top = ours.slowest[0];
  return {
    figure: `idle-drain tail: the ${ours.slowest.length} slowest of ${ours.environments} shutdowns, what their excess over the median is made of (ms, means)`,
    measured: `${tailMakeUp(ours)}; slowest ${ms(top?.totalMs)} (GC in it ${top?.gcCount ?? 0}, ${ms(top?.gcPauseMs)}; bench loop delay ${ms(top?.benchLoopDelayMaxMs)}; load ${top?.loadAverage1m ?? 'n/a'})`,
    baseline: baseline ? `no extension, SIGKILL to gone: ${tailMakeUp(baseline)}; slowest ${ms(baseline.slowest[0]?.totalMs)}` : 'n/a',
    budget: 'reported',
    ratio: '—',
    verdict: 'reported',
  };
}

function synthRow(s: SynthReport): BudgetRow {
  if ('missing' in s.baseline || s.ours.failures > 0) {
    return {
      figure: '`npm run synth`, all stacks, wall', measured: `${s.ours.failures} of ${s.ours.runs} failed: ${s.ours.lastError ?? ''}`,
      baseline: 'missing' in s.baseline ? `not measured: ${s.baseline.missing}` : 'measured', budget: `ratio <= ${BUDGET.synthVsBarrel}x`, ratio: 'n/a',
      verdict: s.ours.failures > 0 ? 'FAIL' : 'not measured',
    };
  }
  const ratio = s.ours.wallMs.p50 / s.baseline.wallMs.p50;
  return {
    figure: '`npm run synth` (build + all stacks), wall, median',
    measured: `${medianIqr(s.ours.wallMs, (n) => ms(n, 0))}; peak ${mb(s.ours.largestProcessRssMb.p50)} largest process`,
    baseline: `ts-node app with the provider's barrel import: ${medianIqr(s.baseline.wallMs, (n) => ms(n, 0))}; peak ${mb(s.baseline.largestProcessRssMb.p50)}`,
    budget: `ratio <= ${BUDGET.synthVsBarrel}x; peak memory reported`,
    ratio: x(ratio),
    verdict: ratioVerdict(ratio, BUDGET.synthVsBarrel, 'at most'),
  };
}

function abortedRow(l: LifecycleResults | undefined, f: BenchResults['fleet']): BudgetRow {
  const graceful = [l?.ours, l?.inProcess, l?.managedInstances].filter((r): r is VariantResult => r !== undefined);
  const aborted = graceful.reduce((sum, r) => sum + r.serverAbortedClients, 0) + (f?.ours.abortedWhilePassing ?? 0);
  const lines = graceful.reduce((sum, r) => sum + r.serverAbortedConnectionLines, 0);
  const opened = graceful.reduce((sum, r) => sum + r.connectionsOpened, 0);
  return {
    figure: 'server connections aborted by any graceful shutdown in the bench (idle pools: layer, in-process, Managed Instances, every passing fleet size)',
    measured: `${aborted} Aborted_clients, ${lines} "Aborted connection" lines (${opened} connections in the one-after-another series)`,
    baseline: l ? `no extension: ${l.noExtension.serverAbortedClients} of ${l.noExtension.connectionsOpened}` : 'n/a',
    budget: '0',
    ratio: '—',
    verdict: verdict(graceful.length > 0 || f ? aborted === 0 && lines === 0 : undefined),
  };
}

export function budgetRows(r: BenchResults): BudgetRow[] {
  return [
    ...(r.lifecycle ? lifecycleRows(r.lifecycle) : []),
    ...(r.fleet ? [fleetRow(r.fleet)] : []),
    ...(r.extension ? extensionRows(r.extension) : []),
    ...(r.bundle ? bundleRows(r.bundle) : []),
    ...(r.init ? [initRow(r.init)] : []),
    ...(r.lifecycle?.ours.tail ? [tailRow(r.lifecycle.ours.tail, r.lifecycle.noExtension.tail)] : []),
    ...(r.synth ? [synthRow(r.synth)] : []),
    abortedRow(r.lifecycle, r.fleet),
  ];
}
