// Bench section `network`: what the emulator's network shows and costs.
// - Sessions the server still holds once N environments are gone (the
//   default model, `destroyed`): ours (the layer's drain) against no
//   extension. A count: ours must be 0.
// - The first response after a thaw onto a path that lost the connection's
//   state (the checkout's ping meets a reset, a fresh connection answers)
//   against a thaw onto an intact path (the ping answers). A ratio, reported.
// - The relay's own cost: a warm invoke, and SIGTERM-to-gone of the drain,
//   through the relay against `direct` (no relay). Ratios, reported.
//
// Run alone: `npm run build && tsx bench/network.ts` (BENCH_ENVS, default 50).
import { setTimeout as sleep } from 'node:timers/promises';
import { startEnvironment, type Environment, type EnvironmentOptions } from '../src/emulator';
import { NetworkModel } from '../src/emulator/network-types';
import { VALIDATE_AFTER_IDLE_MS } from '../src/handler/pool';
import { ShutdownMode } from '../src/protocol/artifacts';
import { FunctionEnv } from '../src/protocol/function-env';
import { withFunctionUser } from '../src/testing/function-user';
import { startMysqlServer, type MysqlServer } from '../src/testing/mysql-server';
import { readBaseline, sessionsSince, waitForServerEnd } from '../src/testing/server-counters';
import { dist, ms, table, verdict, x, type BudgetRow } from './lib/report';
import { summarize, type Summary } from './lib/stats';
import { warmPool } from './lib/variants';

export interface NetworkBenchResults {
  environments: number;
  /** Sessions the server lists once every environment is gone, before anything is released. */
  held: { ours: number; noExtension: number; opened: { ours: number; noExtension: number } };
  thaw: { lostStateMs: Summary; intactMs: Summary };
  overhead: { warmRelayMs: Summary; warmDirectMs: Summary; drainRelayMs: Summary; drainDirectMs: Summary };
}

const ENV = { [FunctionEnv.debugActions]: 'true', [FunctionEnv.shutdownMode]: ShutdownMode.layer };
const THAW_ROUNDS = 20;
const WARM_INVOKES = 200;
const DRAIN_ENVS = 20;

function options(server: MysqlServer, label: string, extra: Omit<EnvironmentOptions, 'env' | 'label'> = {}): EnvironmentOptions {
  return { label, ...extra, env: { ...server.handlerEnv(), ...ENV } };
}

async function ok(env: Environment, event: unknown): Promise<number> {
  const result = await env.invoke(event);
  if (result.outcome !== 'success' || (result.payload as { ok?: unknown } | null)?.ok !== true) {
    throw new Error(`invoke ${JSON.stringify(event)} -> ${result.outcome} ${JSON.stringify(result.payload)}`);
  }
  return result.durationMs;
}

/** `count` environments, one after another, each with two pooled connections, spun down; the sessions the server then still lists. */
async function heldAfter(server: MysqlServer, count: number, extensionsDir: string | null | undefined): Promise<{ held: number; opened: number }> {
  const baseline = await readBaseline(server);
  const envs: Environment[] = [];
  let opened = 0;
  try {
    for (let i = 0; i < count; i += 1) {
      const env = await startEnvironment(options(server, `network-held-${i}`, extensionsDir === undefined ? {} : { extensionsDir }));
      envs.push(env);
      await warmPool(env);
      await env.shutdown();
      opened += env.report().network.connections.opened;
    }
    // Whatever the server closes, it closes on its own: wait for the state the model predicts (nothing left, or every session held).
    const expected = envs.reduce((sum, env) => sum + env.network.held(), 0);
    let listed = await sessionsSince(server, baseline);
    for (let poll = 0; poll < 500 && listed.length > expected; poll += 1) {
      await sleep(20);
      listed = await sessionsSince(server, baseline);
    }
    return { held: listed.length, opened };
  } finally {
    await Promise.all(envs.map((env) => env.shutdown().then(() => env.network.release())));
    await waitForServerEnd(server, baseline, { aborted: 0 });
  }
}

/**
 * The first response after each of THAW_ROUNDS thaws, two environments side
 * by side: one whose path forgets a flow idle for 100 ms (every thaw finds
 * the state lost), one whose path keeps it (350 s). Both idle past the
 * handler's validation threshold, so both checkouts ping.
 */
async function firstResponses(server: MysqlServer): Promise<{ lost: number[]; intact: number[] }> {
  const lost = await startEnvironment(options(server, 'network-thaw-lost', { network: { pathIdleTimeoutMs: 100 } }));
  const intact = await startEnvironment(options(server, 'network-thaw-intact'));
  const samples = { lost: [] as number[], intact: [] as number[] };
  try {
    await ok(lost, { action: 'put', id: 'network-thaw-lost', data: {} });
    await ok(intact, { action: 'put', id: 'network-thaw-intact', data: {} });
    for (let i = 0; i < THAW_ROUNDS; i += 1) {
      // Both frozen meanwhile.
      await sleep(VALIDATE_AFTER_IDLE_MS + 200);
      samples.lost.push(await ok(lost, { action: 'get', id: 'network-thaw-lost' }));
      samples.intact.push(await ok(intact, { action: 'get', id: 'network-thaw-intact' }));
    }
    if (lost.report().network.connections.stateLost < THAW_ROUNDS) throw new Error('the lost-state environment did not lose its state at every thaw');
    return samples;
  } finally {
    await Promise.all([lost.shutdown(), intact.shutdown()]);
  }
}

/** Warm invokes through the relay and without one, interleaved so the machine's drift weighs on both alike. */
async function warmInvokes(server: MysqlServer): Promise<{ relay: number[]; direct: number[] }> {
  const relay = await startEnvironment(options(server, 'network-warm-relay', { network: NetworkModel.destroyed }));
  const direct = await startEnvironment(options(server, 'network-warm-direct', { network: NetworkModel.direct }));
  try {
    await warmPool(relay);
    await warmPool(direct);
    const samples = { relay: [] as number[], direct: [] as number[] };
    for (let i = 0; i < WARM_INVOKES; i += 1) {
      samples.relay.push(await ok(relay, { action: 'health' }));
      samples.direct.push(await ok(direct, { action: 'health' }));
    }
    return samples;
  } finally {
    await Promise.all([relay.shutdown(), direct.shutdown()]);
  }
}

/** SIGTERM to runtime gone, idle pool of two, through the relay and without one, alternating. */
async function drains(server: MysqlServer): Promise<{ relay: number[]; direct: number[] }> {
  const samples = { relay: [] as number[], direct: [] as number[] };
  for (let i = 0; i < 2 * DRAIN_ENVS; i += 1) {
    const network = i % 2 === 0 ? NetworkModel.destroyed : NetworkModel.direct;
    const env = await startEnvironment(options(server, `network-drain-${network}-${i}`, { network }));
    await warmPool(env);
    const report = await env.shutdown();
    if (report.sigtermToRuntimeExitMs !== undefined) (network === NetworkModel.direct ? samples.direct : samples.relay).push(report.sigtermToRuntimeExitMs);
  }
  return samples;
}

export async function runNetworkBench(environments: number, log: (message: string) => void = () => undefined): Promise<NetworkBenchResults> {
  const server = await withFunctionUser(await startMysqlServer({ privateOnly: true }));
  try {
    log(`  network: sessions held after ${environments} environments, ours`);
    const ours = await heldAfter(server, environments, undefined);
    log(`  network: sessions held after ${environments} environments, no extension`);
    const noExtension = await heldAfter(server, environments, null);
    log('  network: first response after a thaw, lost state and intact');
    const thaws = await firstResponses(server);
    const lostStateMs = summarize(thaws.lost);
    const intactMs = summarize(thaws.intact);
    log('  network: the relay\'s overhead');
    const warm = await warmInvokes(server);
    const drained = await drains(server);
    return {
      environments,
      held: { ours: ours.held, noExtension: noExtension.held, opened: { ours: ours.opened, noExtension: noExtension.opened } },
      thaw: { lostStateMs, intactMs },
      overhead: {
        warmRelayMs: summarize(warm.relay), warmDirectMs: summarize(warm.direct),
        drainRelayMs: summarize(drained.relay), drainDirectMs: summarize(drained.direct),
      },
    };
  } finally {
    await server.stop();
  }
}

export function networkBudgetRows(r: NetworkBenchResults): BudgetRow[] {
  const thawRatio = r.thaw.lostStateMs.p50 / r.thaw.intactMs.p50;
  const warmRatio = r.overhead.warmRelayMs.p50 / r.overhead.warmDirectMs.p50;
  const drainRatio = r.overhead.drainRelayMs.p50 / r.overhead.drainDirectMs.p50;
  return [
    {
      figure: `sessions the server still holds once ${r.environments} environments are gone (network model destroyed, the default)`,
      measured: `${r.held.ours} of ${r.held.opened.ours} opened`,
      baseline: `no extension: ${r.held.noExtension} of ${r.held.opened.noExtension} opened, each held until the server's wait_timeout`,
      ratio: '—', budget: '0', verdict: verdict(r.held.ours === 0),
    },
    {
      figure: 'first response after a thaw onto a path that lost the connection\'s state (ping reset, fresh connection), p50',
      measured: dist(r.thaw.lostStateMs), baseline: `thaw onto an intact path (the ping answers): ${dist(r.thaw.intactMs)}`,
      ratio: x(thawRatio), budget: 'reported', verdict: 'reported',
    },
    {
      figure: 'the relay\'s overhead on a warm invoke (health: one statement), p50',
      measured: dist(r.overhead.warmRelayMs), baseline: `no relay (model direct): ${dist(r.overhead.warmDirectMs)}`,
      ratio: x(warmRatio), budget: 'reported', verdict: 'reported',
    },
    {
      figure: 'the relay\'s overhead on the drain: SIGTERM to runtime gone, idle pool of two, p50',
      measured: dist(r.overhead.drainRelayMs), baseline: `no relay (model direct): ${dist(r.overhead.drainDirectMs)}`,
      ratio: x(drainRatio), budget: 'reported', verdict: 'reported',
    },
  ];
}

export function networkTable(r: NetworkBenchResults): string {
  return table(
    ['figure', 'measured', 'baseline (same run)', 'ratio', 'verdict'],
    networkBudgetRows(r).map((row) => [row.figure, row.measured, row.baseline, row.ratio, row.verdict]),
  );
}

if (require.main === module) {
  const environments = Number(process.env.BENCH_ENVS ?? 50);
  runNetworkBench(environments, (message) => process.stderr.write(`${message}\n`)).then((results) => {
    console.log(`## Network\n\n${networkTable(results)}\n`);
    console.log(`(warm invoke p50 ${ms(results.overhead.warmRelayMs.p50, 2)} through the relay, ${ms(results.overhead.warmDirectMs.p50, 2)} direct)`);
    if (results.held.ours !== 0) process.exitCode = 1;
  }, (error: unknown) => {
    console.error('network bench failed:', error);
    process.exitCode = 1;
  });
}
