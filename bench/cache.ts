// Bench section `cache`: what a Redis connection beside the pool costs the
// drain, and what each server still holds once environments are gone.
// - The drain with MySQL and Redis against the drain with MySQL alone:
//   SIGTERM to runtime gone, environments interleaved one for one so the
//   machine's drift weighs on both. A ratio (<= 1.3x, reported as over budget
//   when not), and counts: 0 SIGKILLed, 0 aborted, Redis back where it was.
// - Sessions each server still holds once N environments are gone (the
//   emulator's default network model, `destroyed`): ours against no
//   extension. Counts: ours must be 0 on both servers.
//
// Run alone: `npm run build && tsx bench/cache.ts` (BENCH_ENVS, default 50).
import { setTimeout as sleep } from 'node:timers/promises';
import { startEnvironment, type Environment } from '../src/emulator';
import { ShutdownMode } from '../src/protocol/artifacts';
import { FunctionEnv } from '../src/protocol/function-env';
import { withFunctionUser } from '../src/testing/function-user';
import { startMysqlServer, type MysqlServer } from '../src/testing/mysql-server';
import { startRedisServer, type RedisServer } from '../src/testing/redis-server';
import { readBaseline, sessionsSince, waitForServerEnd } from '../src/testing/server-counters';
import { dist, ratioVerdict, table, verdict, x, type BudgetRow } from './lib/report';
import { summarize, type Summary } from './lib/stats';

export interface CacheBenchResults {
  environments: number;
  drain: {
    withCacheMs: Summary;
    mysqlAloneMs: Summary;
    /** Runtimes the emulator had to SIGKILL, over both series. */
    sigkilled: number;
    /** Aborted clients MySQL counted over both series. */
    aborted: number;
    /** connected_clients above the level before, once both series are over. */
    redisLeft: number;
  };
  held: {
    ours: { mysql: number; redis: number };
    noExtension: { mysql: number; redis: number };
  };
}

/** Budget: the drain with MySQL and Redis / with MySQL alone, p50, same run. */
export const CACHE_DRAIN_BUDGET = 1.3;

function cacheEnv(redis: RedisServer): Record<string, string> {
  return {
    [FunctionEnv.cacheHost]: redis.host, [FunctionEnv.cachePort]: String(redis.port), [FunctionEnv.cacheAuth]: 'none', [FunctionEnv.cacheTls]: 'off',
    // A loaded bench machine must not turn a slow connect into a degraded cache: the rows are about the drain.
    [FunctionEnv.cacheConnectTimeoutMs]: '2000', [FunctionEnv.cacheCommandTimeoutMs]: '2000',
  };
}

async function start(mysql: MysqlServer, label: string, env: Record<string, string>, extensionsDir?: null): Promise<Environment> {
  return startEnvironment({
    label, ...(extensionsDir === null ? { extensionsDir } : {}),
    env: { ...mysql.handlerEnv(), [FunctionEnv.debugActions]: 'true', [FunctionEnv.shutdownMode]: ShutdownMode.layer, ...env },
  });
}

/** What every environment does before its spindown: a put, two gets (a miss then a hit with the cache), both pooled connections open. */
async function use(env: Environment, id: string): Promise<void> {
  for (const event of [{ action: 'put', id, data: { id } }, { action: 'get', id }, { action: 'get', id }, { action: 'debug-sleep', seconds: 0, parallel: 2 }]) {
    const result = await env.invoke(event);
    if (result.outcome !== 'success' || (result.payload as { ok?: unknown } | null)?.ok !== true) {
      throw new Error(`${id}: ${JSON.stringify(event)} -> ${result.outcome} ${JSON.stringify(result.payload)}`);
    }
  }
}

/** Waits, bounded, until `read` gives `expected` (a state the model predicts); returns the last reading. */
async function until(read: () => Promise<number>, expected: number): Promise<number> {
  let now = await read();
  for (let poll = 0; poll < 500 && now !== expected; poll += 1) {
    await sleep(20);
    now = await read();
  }
  return now;
}

async function drains(mysql: MysqlServer, redis: RedisServer, count: number): Promise<CacheBenchResults['drain']> {
  const baseline = await readBaseline(mysql);
  const redisBefore = await redis.connectedClients();
  const withCache: number[] = [];
  const alone: number[] = [];
  let sigkilled = 0;
  for (let i = 0; i < count; i += 1) {
    // Interleaved, and the order alternates: neither series always runs on the warmer machine.
    const order = i % 2 === 0 ? ['cache', 'alone'] : ['alone', 'cache'];
    for (const variant of order) {
      const env = await start(mysql, `cache-drain-${variant}-${i}`, variant === 'cache' ? cacheEnv(redis) : {});
      await use(env, `cache-drain-${variant}-${i}`);
      const report = await env.shutdown();
      const runtime = report.processes.filter((p) => p.kind === 'runtime').at(-1);
      if (runtime?.killedByEmulator) sigkilled += 1;
      if (report.sigtermToRuntimeExitMs !== undefined) (variant === 'cache' ? withCache : alone).push(report.sigtermToRuntimeExitMs);
    }
  }
  const end = await waitForServerEnd(mysql, baseline, { aborted: 0 });
  const redisNow = await until(() => redis.connectedClients(), redisBefore);
  return {
    withCacheMs: summarize(withCache), mysqlAloneMs: summarize(alone), sigkilled,
    aborted: end.abortedClients - baseline.abortedClients, redisLeft: redisNow - redisBefore,
  };
}

/** `count` environments with the cache, one after another, spun down; what each server then still holds. */
async function heldAfter(mysql: MysqlServer, redis: RedisServer, count: number, extensionsDir?: null): Promise<{ mysql: number; redis: number }> {
  const baseline = await readBaseline(mysql);
  const redisBefore = await redis.connectedClients();
  const envs: Environment[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const env = await start(mysql, `cache-held-${extensionsDir === null ? 'none' : 'ours'}-${i}`, cacheEnv(redis), extensionsDir);
      envs.push(env);
      await use(env, `cache-held-${i}`);
      await env.shutdown();
    }
    // Whatever a server closes, it closes on its own: wait for the state the model predicts (nothing
    // left with the drain; without it, both pooled sessions and the Redis client of every environment).
    const predicted = extensionsDir === null ? 1 : 0;
    return {
      mysql: await until(async () => (await sessionsSince(mysql, baseline)).length, predicted * 2 * count),
      redis: await until(async () => (await redis.connectedClients()) - redisBefore, predicted * count),
    };
  } finally {
    await Promise.all(envs.map((env) => env.network.release()));
    await waitForServerEnd(mysql, baseline, { aborted: 0 });
    await until(() => redis.connectedClients(), redisBefore);
  }
}

export async function runCacheBench(environments: number, log: (message: string) => void = () => undefined): Promise<CacheBenchResults> {
  const [mysql, redis] = await Promise.all([withFunctionUser(await startMysqlServer({ privateOnly: true })), startRedisServer({ privateOnly: true })]);
  try {
    log(`  cache: the drain with MySQL and Redis vs MySQL alone, ${environments} environments each, interleaved`);
    const drain = await drains(mysql, redis, environments);
    log(`  cache: sessions held on each server after ${environments} environments, ours`);
    const ours = await heldAfter(mysql, redis, environments);
    log(`  cache: sessions held on each server after ${environments} environments, no extension`);
    const noExtension = await heldAfter(mysql, redis, environments, null);
    return { environments, drain, held: { ours, noExtension } };
  } finally {
    await Promise.all([mysql.stop(), redis.stop()]);
  }
}

export function cacheBudgetRows(r: CacheBenchResults): BudgetRow[] {
  const ratio = r.drain.withCacheMs.p50 / r.drain.mysqlAloneMs.p50;
  const countsClean = r.drain.sigkilled === 0 && r.drain.aborted === 0 && r.drain.redisLeft === 0;
  const counts = `${r.drain.sigkilled} SIGKILLed, ${r.drain.aborted} aborted, Redis ${r.drain.redisLeft >= 0 ? '+' : ''}${r.drain.redisLeft} clients after`;
  return [
    {
      figure: `the drain with MySQL and Redis: SIGTERM to runtime gone, p50 over ${r.environments} environments (pool of two, one Redis connection)`,
      measured: `${dist(r.drain.withCacheMs)}; ${counts}`,
      baseline: `MySQL alone, interleaved in the same run: ${dist(r.drain.mysqlAloneMs)}`,
      budget: `ratio <= ${CACHE_DRAIN_BUDGET}x; 0 SIGKILLed, 0 aborted, 0 Redis clients left`,
      ratio: x(ratio),
      verdict: countsClean ? ratioVerdict(ratio, CACHE_DRAIN_BUDGET, 'at most') : 'FAIL',
    },
    {
      figure: `sessions each server still holds once ${r.environments} environments with the cache are gone (network model destroyed, the default)`,
      measured: `MySQL ${r.held.ours.mysql}, Redis ${r.held.ours.redis}`,
      baseline: `no extension: MySQL ${r.held.noExtension.mysql}, Redis ${r.held.noExtension.redis} (Redis's timeout 0: held forever)`,
      ratio: '—', budget: '0 on each', verdict: verdict(r.held.ours.mysql === 0 && r.held.ours.redis === 0),
    },
  ];
}

export function cacheTable(r: CacheBenchResults): string {
  return table(
    ['figure', 'measured', 'baseline (same run)', 'ratio', 'verdict'],
    cacheBudgetRows(r).map((row) => [row.figure, row.measured, row.baseline, row.ratio, row.verdict]),
  );
}

if (require.main === module) {
  const environments = Number(process.env.BENCH_ENVS ?? 50);
  runCacheBench(environments, (message) => process.stderr.write(`${message}\n`)).then((results) => {
    console.log(`## Cache\n\n${cacheTable(results)}\n`);
    if (cacheBudgetRows(results).some((row) => row.verdict === 'FAIL')) process.exitCode = 1;
  }, (error: unknown) => {
    console.error('cache bench failed:', error);
    process.exitCode = 1;
  });
}
