// `npm run bench` (after `npm run build`): every figure beside a baseline
// measured in the same run, judged as a ratio to it or as a count; written to
// bench/results.json and printed as markdown. Machines drift 2x from day to
// day, so milliseconds are reported and never judged; the run exits non-zero
// only when a count fails (an aborted connection, a SIGKILL where none may
// happen) or a section could not run at all.
//
// Knobs (environment): BENCH_ENVS (environments per lifecycle series, default
// 50), BENCH_TAIL_ENVS (the idle drain and its SIGKILL baseline, whose p99
// and tail are judged: default 200), BENCH_RUNS (repeats of the
// bundle/extension/init figures, default 20),
// BENCH_SYNTH_RUNS (default 3), BENCH_FLEET_MAX (largest fleet tried, default
// 64), BENCH_SECTIONS (comma list of lifecycle,fleet,extension,bundle,init,
// synth,overhead,network,cache; default all).
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withFunctionUser } from '../src/testing/function-user';
import { resolveLambdaNode } from '../src/emulator/lambda-node';
import { PROJECT_ROOT } from '../src/protocol/artifacts';
import { DEFAULT_LAMBDA_RUNTIME } from '../src/protocol/lambda-runtime';
import { startMysqlServer } from '../src/testing/mysql-server';
import { budgetRows, type BenchResults, type LifecycleResults } from './budgets';
import { emulatorOverheadTable, runEmulatorOverheadBench } from './emulator-overhead';
import { extensionStartupTable, runExtensionStartupBench } from './extension-startup';
import { measureBundles } from './lib/bundle';
import { measureInit } from './lib/init';
import { fleetCapacity, type FleetCapacity } from './lib/fleet';
import { runSequential, type VariantResult } from './lib/lifecycle';
import { describeMachine } from './lib/machine';
import { budgetTable, dist, machineLine, table } from './lib/report';
import { measureSynth } from './lib/synth';
import { tailDetail, withGcTrace } from './lib/tail';
import { cacheBudgetRows, runCacheBench } from './cache';
import { networkBudgetRows, runNetworkBench } from './network';
import { lifecycles } from './lib/variants';

const RESULTS_FILE = path.join(PROJECT_ROOT, 'bench/results.json');
const ENVS = Number(process.env.BENCH_ENVS ?? 50);
const TAIL_ENVS = Number(process.env.BENCH_TAIL_ENVS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const SYNTH_RUNS = Number(process.env.BENCH_SYNTH_RUNS ?? 3);
const FLEET_MAX = Number(process.env.BENCH_FLEET_MAX ?? 64);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'lifecycle,fleet,extension,bundle,init,synth,overhead,network,cache').split(',').map((s) => s.trim()));

/** A private server, the handler connecting as the user `npm run db:bootstrap` makes: the privileges it has on AWS. */
async function startServer() {
  return withFunctionUser(await startMysqlServer({ privateOnly: true }));
}

/** Doubling from 4 to the cap: a handful of runs finds the limit within 2x. */
function fleetSizes(max: number): number[] {
  const sizes: number[] = [];
  for (let size = 4; size <= max; size *= 2) sizes.push(size);
  return sizes;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function section<T>(results: BenchResults, name: string, fn: () => Promise<T>): Promise<T | undefined> {
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
  const server = await startServer();
  const v = lifecycles(server);
  try {
    const run = async (label: string, fn: () => Promise<VariantResult>) => {
      log(`  lifecycle: ${label}`);
      return fn();
    };
    return {
      // The two series the p99 budget compares, traced (the runtime on --trace-gc in both) to say what their tails are made of.
      ours: await run(`ours, ${TAIL_ENVS} traced`, () => runSequential(server, withGcTrace(v.ours), TAIL_ENVS, { trace: true })),
      inFlight: await run('query in flight', () => runSequential(server, v.inFlight, ENVS)),
      inProcess: await run('in-process', () => runSequential(server, v.inProcess, ENVS)),
      managedInstances: await run('managed instances', () => runSequential(server, v.managedInstances, ENVS)),
      noExtension: await run(`no extension, ${TAIL_ENVS} traced`, () => runSequential(server, withGcTrace(v.noExtension), TAIL_ENVS, { trace: true })),
      naive: await run('naive drain', () => runSequential(server, v.naive, ENVS)),
      exitAtOnce: await run('exit at once', () => runSequential(server, v.exitAtOnce, ENVS)),
    };
  } finally {
    await server.stop();
  }
}

async function fleet(): Promise<{ ours: FleetCapacity; exitAtOnce: FleetCapacity }> {
  const server = await startServer();
  const v = lifecycles(server);
  const sizes = fleetSizes(FLEET_MAX);
  try {
    return {
      ours: await fleetCapacity(server, v.ours, { sizes, abortsFail: true }, log),
      exitAtOnce: await fleetCapacity(server, v.exitAtOnce, { sizes, abortsFail: false }, log),
    };
  } finally {
    await server.stop();
  }
}

function lifecycleDetail(l: LifecycleResults): string {
  return table(
    ['lifecycle', 'envs', 'SIGTERM→gone p50/p99/max', 'shutdown start→gone p50/p99/max', 'CPU ms after SIGTERM p50', 'SIGKILLed', 'exits', 'open conns per env', 'Aborted_clients', '"Aborted connection" lines', 'left open', 'failures'],
    Object.values(l).map((r) => [
      r.label, String(r.environments), dist(r.sigtermToExitMs), dist(r.shutdownToGoneMs), r.cpuMs.n ? String(r.cpuMs.p50) : 'n/a', String(r.sigkilled),
      Object.entries(r.exits).map(([k, v]) => `${k}: ${v}`).join(', '),
      r.openConnections.min === r.openConnections.max ? String(r.openConnections.p50) : `${r.openConnections.p50} (${r.openConnections.min}–${r.openConnections.max})`,
      String(r.serverAbortedClients), String(r.serverAbortedConnectionLines), String(r.serverLeftOpen), r.failures.length ? `${r.failures.length}: ${r.failures[0]}` : '0',
    ]),
  );
}

function fleetDetail(f: { ours: FleetCapacity; exitAtOnce: FleetCapacity }): string {
  return table(
    ['lifecycle', 'size at once', 'passed', 'SIGKILLed', 'aborted', 'failures', 'SIGTERM→gone p99'],
    [f.ours, f.exitAtOnce].flatMap((c) => c.steps.map((s) => [
      c.label, String(s.size), s.passed ? 'yes' : 'no', String(s.sigkilled), String(s.aborted), String(s.failures),
      Number.isFinite(s.sigtermToExitP99Ms) ? `${Math.round(s.sigtermToExitP99Ms)} ms` : 'n/a',
    ])),
  );
}

function latencyDetail(l: LifecycleResults): string {
  return table(
    ['lifecycle', 'cold Init (extensions + runtime + handler) p50/p99/max', 'first invoke (pool created) p50/p99/max', 'warm invoke p50/p99/max'],
    [l.ours, l.inProcess, l.managedInstances, l.noExtension].map((v) => [v.label, dist(v.initMs), dist(v.firstInvokeMs), dist(v.warmInvokeMs)]),
  );
}

function render(results: BenchResults): string {
  const parts = [`# Benchmarks\n\n${machineLine(results.machine)} The runtime and the extension ran on Node ${results.lambdaNode}.\n`];
  parts.push(`## Budgets\n\n${budgetTable(results.budgets ?? [])}\n`);
  if (results.lifecycle) {
    parts.push(`## Shutdown, environments one after another (${TAIL_ENVS} for the idle drain and its baseline, ${ENVS} for the others)\n\n${lifecycleDetail(results.lifecycle)}\n`);
    const { ours, noExtension } = results.lifecycle;
    if (ours.tail) parts.push(`## The idle drain's tail\n\n${tailDetail(ours.label, ours.tail)}\n${noExtension.tail ? tailDetail(noExtension.label, noExtension.tail) : ''}`);
    parts.push(`## Init and invoke latency through the emulator (ours and no extension: the runtime on --trace-gc)\n\n${latencyDetail(results.lifecycle)}\n`);
  }
  if (results.fleet) parts.push(`## Environments shutting down at once\n\n${fleetDetail(results.fleet)}\n`);
  if (results.extension) parts.push(`## ${extensionStartupTable(results.extension)}`);
  if (results.overhead) parts.push(`## Emulator overhead\n\n${emulatorOverheadTable(results.overhead)}\n`);
  const errors = Object.entries(results.errors);
  if (errors.length) parts.push(`## Sections that failed\n\n${errors.map(([k, v]) => `- ${k}: ${v}`).join('\n')}\n`);
  return parts.join('\n');
}

async function main(): Promise<void> {
  const node = resolveLambdaNode(DEFAULT_LAMBDA_RUNTIME);
  const results: BenchResults = {
    machine: describeMachine(),
    lambdaNode: node.version,
    settings: { environments: ENVS, runs: RUNS, synthRuns: SYNTH_RUNS, fleetMax: FLEET_MAX, sections: [...SECTIONS] },
    errors: {},
  };
  results.lifecycle = await section(results, 'lifecycle', lifecycle);
  results.fleet = await section(results, 'fleet', fleet);
  results.extension = await section(results, 'extension', () => runExtensionStartupBench(node, RUNS));
  // Four times the rounds: the figures it compares lie a few milliseconds
  // apart, and one round's ratio spreads by +-6% here (IQR); over 80 rounds the
  // median's standard error is about 1.3%, over 40 it was 1.8%.
  results.bundle = await section(results, 'bundle', () => measureBundles(node, 4 * RUNS));
  results.init = await section(results, 'init', () => measureInit(RUNS));
  results.overhead = await section(results, 'overhead', () => runEmulatorOverheadBench({ invokes: 200 }));
  // Last: synth is the heaviest, and a cold page cache after it would tax the others.
  results.synth = await section(results, 'synth', () => measureSynth(SYNTH_RUNS));
  // The network's rows (bench/network.ts): sessions held once environments are gone, thaw, the relay's cost.
  const network = await section(results, 'network', () => runNetworkBench(ENVS, log));
  // The cache's rows (bench/cache.ts): the drain with MySQL and Redis vs MySQL alone, sessions held on each server.
  const cache = await section(results, 'cache', () => runCacheBench(ENVS, log));

  results.budgets = [...budgetRows(results), ...(network ? networkBudgetRows(network) : []), ...(cache ? cacheBudgetRows(cache) : [])];
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ ...results, network, cache, loadAverageAtEnd: os.loadavg() }, null, 2)}\n`);
  console.log(render(results));
  console.log(`Load average at the end: ${os.loadavg().map((n) => n.toFixed(2)).join(' / ')}.`);
  log(`wrote ${path.relative(PROJECT_ROOT, RESULTS_FILE)}`);
  if (Object.keys(results.errors).length > 0 || results.budgets.some((b) => b.verdict === 'FAIL')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exitCode = 1;
});
