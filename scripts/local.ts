// `npm run local`: one Lambda execution environment through its whole life,
// against a private MySQL-protocol server, and what the server saw.
//
//   npm run local                     the layer's extension registers: SIGTERM, drain, clean
//   npm run local -- --no-extension   the baseline: no extension, SIGKILL; the server holds the session until its timeout
//   npm run local -- --in-process     no layer: the handler registers an internal extension (500 ms budget)
//   npm run local -- --managed-instances [--workers=3]
//                                     Lambda Managed Instances: worker threads, concurrent puts, never
//                                     frozen; the layer's exec wrapper loads the main-thread coordinator
//   npm run local -- --managed-instances --no-coordinator
//                                     its baseline: no exec wrapper, SIGTERM kills every worker's pool
//   npm run local -- --idle-ms=5000   how long the environment stays idle (frozen on-demand) before the spindown
//   npm run local -- --cache          with any of the above: a private redis-server (REDIS_URL for an existing
//                                     one) as the function's cache, and Redis's own counters beside MySQL's
//   npm run local -- --network <name> the environment's network model: destroyed (default), local-kernel, direct
import { withFunctionUser } from '../src/testing/function-user';
import { readBaseline } from '../src/testing/server-counters';
import { heldByServer, heldLines, networkLine, parseNetworkModel, serverAfter } from './local-network';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ComputeMode, DEFAULT_EXTENSIONS_DIR, DEFAULT_WORKER_COUNT, InitFailedError, LambdaNodeError, NetworkModel, startEnvironment, type Environment, type InvokeResult,
} from '../src/emulator';
import { networkLines, phaseRows, processRows, runtimeEnding } from '../src/emulator/timeline';
import { runtimeLog, type LogEntry } from '../src/emulator/runtime-log';
import { workerTimeline } from '../src/emulator/worker-timeline';
import { EXEC_WRAPPER_FILE, EXEC_WRAPPER_LAMBDA_PATH, HANDLER_DIR, PROJECT_ROOT, ShutdownMode } from '../src/protocol/artifacts';
import { FunctionEnv } from '../src/protocol/function-env';
import { startMysqlServer, type ServerStatus } from '../src/testing/mysql-server';
import { redisAfter, startLocalCache, type LocalCache } from './local-cache';

type Mode = 'layer' | 'no-extension' | 'in-process' | 'managed-instances';

interface Args {
  mode: Mode;
  idleMs: number;
  workers: number;
  /** Managed Instances without AWS_LAMBDA_EXEC_WRAPPER: the baseline the coordinator is measured against. */
  noCoordinator: boolean;
  /** A Redis cache beside the database. */
  cache: boolean;
  network: NetworkModel;
}

const USAGE = 'usage: npm run local [-- --no-extension | --in-process | --managed-instances [--workers=<n>] [--no-coordinator]] [--idle-ms=<ms>] [--cache] [--network <destroyed|local-kernel|direct>]';
/** Managed Instances: invocations per worker at once, and how many puts run concurrently. */
const CONCURRENCY_PER_WORKER = 2;
const CONCURRENT_PUTS = 12;

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'layer', idleMs: 2_000, workers: DEFAULT_WORKER_COUNT, noCoordinator: false, cache: false, network: NetworkModel.destroyed };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--no-extension') args.mode = 'no-extension';
    else if (arg === '--in-process') args.mode = 'in-process';
    else if (arg === '--managed-instances') args.mode = 'managed-instances';
    else if (arg === '--no-coordinator') args.noCoordinator = true;
    else if (arg === '--cache') args.cache = true;
    else if (arg === '--network') args.network = parseNetworkModel(argv[++i]);
    else if (arg.startsWith('--network=')) args.network = parseNetworkModel(arg.slice('--network='.length));
    else if (arg.startsWith('--workers=')) {
      args.workers = Number(arg.slice('--workers='.length));
      if (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > 16) throw new Error(`--workers: expected 1..16, got ${arg}`);
    }
    else if (arg.startsWith('--idle-ms=')) {
      args.idleMs = Number(arg.slice('--idle-ms='.length));
      if (!Number.isInteger(args.idleMs) || args.idleMs < 0 || args.idleMs > 600_000) throw new Error(`--idle-ms: expected 0..600000, got ${arg}`);
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (args.noCoordinator && args.mode !== 'managed-instances') throw new Error(`--no-coordinator applies to --managed-instances only\n${USAGE}`);
  return args;
}

const rel = (file: string) => path.relative(PROJECT_ROOT, file) || '.';
const indent = (lines: string[]) => lines.map((line) => `  ${line}`).join('\n');
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function counters(status: ServerStatus): string {
  return `Aborted_clients ${status.abortedClients}   Threads_connected ${status.threadsConnected}`;
}

/** The drain's resources, one short entry each: `phase:name outcome ms` (on Managed Instances, the outcomes over the workers). */
function resourceOutcomes(value: unknown): string {
  if (!Array.isArray(value)) return JSON.stringify(value);
  return `[${value.map((item: Record<string, unknown>) => {
    const outcome = typeof item.outcome === 'string'
      ? `${item.outcome}${typeof item.cutBy === 'string' ? ` by ${item.cutBy}` : ''} ${String(item.ms)} ms`
      : Object.entries((item.outcomes ?? {}) as Record<string, number>).filter(([, n]) => n > 0).map(([name, n]) => `${name} x${n}`).join(' ');
    return `${String(item.phase)}:${String(item.name)} ${outcome}`;
  }).join(', ')}]`;
}

/** The runtime's own structured log lines about SIGTERM (the handler logs one when it drains), compacted. */
function sigtermLines(log: readonly LogEntry[]): string[] {
  const lines: string[] = [];
  for (const entry of log) {
    if (typeof entry.message !== 'string' || !/SIGTERM/.test(entry.message)) continue;
    const { message, timestamp: _t, level: _l, function: _f, ...fields } = entry;
    const detail = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : key === 'resources' ? resourceOutcomes(value) : JSON.stringify(value)}`).join(' ');
    lines.push(`${message}: ${detail}`);
  }
  return lines;
}

const TITLES: Record<Mode, string> = {
  'layer': 'with the graceful-shutdown extension layer',
  'in-process': 'in-process (internal) extension, no layer',
  'no-extension': 'NO extension (the baseline)',
  'managed-instances': 'Lambda Managed Instances, with the layer (extension + exec wrapper)',
};

type Invoke = { label: string; result: InvokeResult };

/** On-demand: a few invokes one after another. Managed Instances: concurrent puts, then a get and a health check. */
async function exercise(env: Environment, mode: Mode, cache: boolean): Promise<Invoke[]> {
  const id = `local-${Date.now()}`;
  if (mode === 'managed-instances') {
    const puts = await Promise.all(Array.from({ length: CONCURRENT_PUTS }, (_, n) => env.invoke({ action: 'put', id: `${id}-${n}`, data: { n } })));
    const invokes: Invoke[] = puts.map((result, n) => ({ label: `put #${n + 1}`, result }));
    invokes.push({ label: 'get', result: await env.invoke({ action: 'get', id: `${id}-0` }) });
    invokes.push({ label: 'health', result: await env.invoke({ action: 'health' }) });
    return invokes;
  }
  const invokes: Invoke[] = [];
  for (const [label, event] of [
    ['put', { action: 'put', id, data: { hello: 'lambda' } }],
    ['put', { action: 'put', id, data: { hello: 'again' } }],
    ['get', { action: 'get', id }],
    // With the cache the first get fills the entry (a miss) and this one is served by Redis (a hit).
    ...(cache ? [['get', { action: 'get', id }] as const] : []),
    ['health', { action: 'health' }],
  ] as const) {
    invokes.push({ label, result: await env.invoke(event) });
  }
  return invokes;
}

async function run(args: Args): Promise<number> {
  const managed = args.mode === 'managed-instances';
  console.log(`\nLambda lifecycle, locally: ${TITLES[args.mode]}${args.noCoordinator ? ' but NO exec wrapper, so NO coordinator (the baseline)' : ''}\n`);
  if (managed && !fs.existsSync(EXEC_WRAPPER_FILE)) throw new Error(`${rel(EXEC_WRAPPER_FILE)} is missing: run \`npm run build\` (npm run local does it first)`);
  // The handler connects as the user `npm run db:bootstrap` makes: the privileges it has on AWS.
  const server = await withFunctionUser(await startMysqlServer({ privateOnly: true }));
  const cache: LocalCache | undefined = args.cache ? await startLocalCache() : undefined;
  let env: Environment | undefined;
  const stopAll = async () => {
    await env?.shutdown().catch(() => undefined);
    // A REDIS_URL server is not ours to stop, and with `timeout 0` it would hold a held client forever.
    if (cache && cache.server.pid === undefined) await env?.network.release().catch(() => undefined);
    await server.stop().catch(() => undefined);
    await cache?.server.stop().catch(() => undefined);
  };
  process.once('SIGINT', () => { void stopAll().then(() => process.exit(130)); });
  try {
    const extensionsDir = args.mode === 'layer' || managed ? DEFAULT_EXTENSIONS_DIR : null;
    const maxConcurrency = args.workers * CONCURRENCY_PER_WORKER;
    console.log(indent([
      `handler     ${rel(HANDLER_DIR)} (index.handler, run by aws-lambda-ric)`,
      `extensions  ${extensionsDir ? rel(extensionsDir) : 'none'}`,
      ...(managed ? [
        args.noCoordinator
          ? `wrapper     none (${FunctionEnv.execWrapper} unset: the baseline)`
          : `wrapper     ${FunctionEnv.execWrapper}=${EXEC_WRAPPER_LAMBDA_PATH} (as synthesized; /opt is ${rel(path.dirname(DEFAULT_EXTENSIONS_DIR))} here)`,
        `compute     ${args.workers} worker threads, ${FunctionEnv.maxConcurrency}=${maxConcurrency}, never frozen`,
      ] : []),
      `database    private ${server.pid ? `mariadbd pid ${server.pid}` : 'server'} on ${server.host}:${server.port}, as ${server.user} (DB_AUTH=password, DB_TLS=off)`,
      ...(cache ? [cache.describe()] : []),
      networkLine(args.network),
    ]));
    const before = await readBaseline(server);
    const redisBefore = await cache?.readBefore();
    console.log(`\nServer before   ${counters(before)}`);
    if (redisBefore) console.log(`Redis before    connected_clients ${redisBefore.connectedClients}`);
    console.log('');

    env = await startEnvironment({
      label: `local-${args.mode}`,
      extensionsDir,
      network: args.network,
      ...(managed ? { computeMode: ComputeMode.managedInstances, workerCount: args.workers, maxConcurrency } : {}),
      env: {
        ...server.handlerEnv(),
        [FunctionEnv.shutdownMode]: args.mode === 'in-process' ? ShutdownMode.inProcess : ShutdownMode.layer,
        ...(managed && !args.noCoordinator ? { [FunctionEnv.execWrapper]: EXEC_WRAPPER_LAMBDA_PATH } : {}),
        ...cache?.env,
      },
    });
    console.log(`Runtime         ${env.report().runtime} on Node ${env.report().nodeVersion} (${rel(env.report().nodeBinary)})\n`);
    const invokes = await exercise(env, args.mode, args.cache);
    const open = (await server.status()).threadsConnected - before.threadsConnected;
    const redisOpen = cache && redisBefore ? (await cache.server.connectedClients()) - redisBefore.connectedClients : 0;
    await env.idle(args.idleMs);
    const report = await env.shutdown();
    // Read once the server has closed every session the environment opened, or lists exactly the ones the network says it holds.
    const held = heldByServer(report);
    const after = await serverAfter(server, before, held);

    console.log('Timeline (ms on the environment\'s monotonic clock)\n');
    console.log(indent(phaseRows(report, invokes)));
    // The runtime's log, parsed once for every reader below.
    const log = runtimeLog(report);
    if (managed) {
      const workers = workerTimeline(report, invokes, log);
      console.log('\nInvocations and the worker threads that served them\n');
      console.log(indent(workers.rows));
      console.log(`\n  ${workers.summary}`);
    }
    console.log('\nProcesses\n');
    console.log(indent(processRows(report)));
    const drain = sigtermLines(log);
    if (drain.length > 0) console.log(`\nThe runtime said\n\n${indent(drain)}`);
    console.log(`\nNetwork\n\n${indent(networkLines(report))}`);

    const aborted = after.abortedClients - before.abortedClients;
    const leftOpen = after.threadsConnected - before.threadsConnected;
    console.log(`\nServer after    Aborted_clients ${after.abortedClients} (${signed(aborted)})   Threads_connected ${after.threadsConnected} (${signed(leftOpen)})`);
    console.log(`                the ${managed ? 'idle (never frozen)' : 'frozen'} environment held ${open} connection${open === 1 ? '' : 's'} open before the spindown`);
    if (managed) console.log('                AWS publishes no shutdown budget for Managed Instances: the on-demand shares (300 ms for the runtime) are assumed');
    const kept = held > 0 ? await heldLines(server, env, before, held) : undefined;
    if (kept) console.log(kept.lines.join('\n'));
    // Without the extension nothing closes the client and the network goes with the environment: Redis holds it.
    const redis = cache && redisBefore ? await redisAfter(cache, redisBefore, redisOpen, args.mode === 'no-extension') : undefined;
    if (redis) console.log(redis.lines.join('\n'));

    const failed = invokes.filter((invoke) => invoke.result.outcome !== 'success');
    const clean = aborted === 0 && leftOpen === 0 && (redis?.delta ?? 0) === 0;
    const ending = runtimeEnding(report);
    let verdict: string;
    if (failed.length > 0) verdict = `FAILED: ${failed.length} invoke(s) did not succeed: ${failed.map((f) => `${f.label} ${JSON.stringify(f.result.payload)}`).join('; ')}`;
    else if (clean) verdict = `CLEAN: ${ending}; the server saw no aborted connection${redis ? ' and Redis holds no client' : ''}.`;
    else if (kept) verdict = `HELD: ${ending}; the gone environment's ${held === 1 ? 'session stays' : `${held} sessions stay`} on the server until its wait_timeout (${kept.waitTimeout}), then ${held === 1 ? 'counts as an aborted client' : 'count as aborted clients'}${redis && redis.delta > 0 ? `; Redis still holds ${redis.delta} client(s)` : ''}.`;
    else verdict = `ABORTED: ${ending}; the server counted ${aborted} aborted client${aborted === 1 ? '' : 's'}${leftOpen > 0 ? ` and ${leftOpen} connection(s) still open` : ''}${redis && redis.delta > 0 ? `; Redis still holds ${redis.delta} client(s)` : ''}.`;
    console.log(`\nVerdict: ${verdict}\n`);
    // The baseline is expected to abort; anything else that is not clean is a failure.
    const baseline = args.mode === 'no-extension' || args.noCoordinator;
    const expected = baseline ? failed.length === 0 : failed.length === 0 && clean;
    return expected ? 0 : 1;
  } finally {
    await stopAll();
  }
}

run(parseArgs(process.argv.slice(2))).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof InitFailedError ? error.describe() : error instanceof LambdaNodeError ? error.message : error);
    process.exit(1);
  },
);
