// Handler bundle: size on disk and what it costs a cold start to load it,
// against the floor (what any handler that talks to MySQL over TLS pays: a
// bundle of mysql2/promise, node:crypto and node:tls alone, built with the
// handler's own esbuild options), a naive esbuild bundle of the same entry,
// and a bare Node start. Every round loads each one once, in turn, so load on
// the machine falls on all of them alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { HANDLER_BUILD_OPTIONS } from '../../scripts/build';
import type { LambdaNode } from '../../src/emulator/lambda-node';
import { HANDLER_DIR, HANDLER_FILE, PROJECT_ROOT } from '../../src/protocol/artifacts';
import { DEPLOYED_LIKE_ENV, buildNaiveBundle } from './init';
import { summarize, type Summary } from './stats';

export interface BundleFigures {
  file: string;
  bytes: number;
  gzipBytes: number;
  /** ms for `import()` of the bundle, timed inside a fresh node process. */
  importMs: Summary;
  /** ms for the whole `node -e "import(...)"` process, spawn to exit. */
  processMs: Summary;
}

export interface BundleReport {
  ours: BundleFigures & { besideBytes: Record<string, number> };
  floor: BundleFigures & { contents: string };
  /** The cache configured (CACHE_* set): the handler, and the floor with the Redis client (ioredis) in it too. */
  withCache: { ours: BundleFigures; floor: BundleFigures };
  naive: BundleFigures & { options: string };
  /** `node -e 0`, spawn to exit: the start every cold start pays. */
  nodeStartupMs: Summary;
  /**
   * Each round's import of ours over the floor's in the same round: the
   * machine's speed drifts within minutes, and a pair measured seconds apart
   * shares the drift that a ratio of two medians does not cancel.
   */
  pairedRatio: { ours: Summary; withCache: Summary };
}

/**
 * The floor's entry: each module bound the cheapest way a bundle can. The
 * built-ins are fetched as the handler's build would have them (no ESM
 * namespace); mysql2 loads both anyway, so they cost it nothing more: esbuild
 * drops a bare `import 'node:crypto'` altogether. mysql2 is required, not
 * imported: an import of CommonJS makes esbuild copy its exports onto a
 * namespace object (`__toESM`, 0.6-1.6% of the floor's import over 150 and
 * 50 rounds), which the handler does not pay either.
 */
export const FLOOR_ENTRY = [
  "require('mysql2/promise');",
  "process.getBuiltinModule('node:crypto');",
  "process.getBuiltinModule('node:tls');",
  '',
].join('\n');

/** The floor of a handler with a Redis cache: its client too. */
export const FLOOR_WITH_CACHE_ENTRY = `${FLOOR_ENTRY}require('ioredis');\n`;

const IMPORT_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', ...DEPLOYED_LIKE_ENV };
/** An ElastiCache cache as deployed: IAM, TLS, its user and name. */
const CACHE_ENV: NodeJS.ProcessEnv = {
  ...IMPORT_ENV, CACHE_HOST: 'app-cache.serverless.euw1.cache.amazonaws.com', CACHE_PORT: '6379', CACHE_AUTH: 'iam', CACHE_TLS: 'required',
  CACHE_USER: 'app-user', CACHE_NAME: 'app-cache',
};

function timeImport(node: LambdaNode, file: string, env: NodeJS.ProcessEnv = IMPORT_ENV): { importMs: number; processMs: number } {
  const script = `const t=performance.now();import(${JSON.stringify(file)}).then(()=>{console.log('IMPORT_MS='+(performance.now()-t));process.exit(0)},e=>{console.error(String(e&&e.message||e));process.exit(3)})`;
  const started = process.hrtime.bigint();
  const r = spawnSync(node.binary, ['-e', script], { env, encoding: 'utf8', timeout: 30_000 });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  const match = /IMPORT_MS=([\d.]+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !match) throw new Error(`importing ${file} failed: ${(r.stderr || r.stdout || '').split('\n')[0]}`);
  return { importMs: Number(match[1]), processMs };
}

function bareStart(node: LambdaNode): number {
  const started = process.hrtime.bigint();
  spawnSync(node.binary, ['-e', '0'], { env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function sizes(file: string): { bytes: number; gzipBytes: number } {
  return { bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file)).length };
}

export async function measureBundles(node: LambdaNode, runs: number): Promise<BundleReport> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-bundles-'));
  try {
    const files = {
      ours: path.join(HANDLER_DIR, HANDLER_FILE), floor: path.join(tmp, 'floor.mjs'), naive: path.join(tmp, 'naive.mjs'),
      oursWithCache: path.join(HANDLER_DIR, HANDLER_FILE), floorWithCache: path.join(tmp, 'floor-cache.mjs'),
    };
    await build({ ...HANDLER_BUILD_OPTIONS, stdin: { contents: FLOOR_ENTRY, resolveDir: PROJECT_ROOT, loader: 'ts' }, outfile: files.floor });
    await build({ ...HANDLER_BUILD_OPTIONS, stdin: { contents: FLOOR_WITH_CACHE_ENTRY, resolveDir: PROJECT_ROOT, loader: 'ts' }, outfile: files.floorWithCache });
    await buildNaiveBundle(files.naive);
    const keys = ['ours', 'floor', 'naive', 'oursWithCache', 'floorWithCache'] as const;
    const samples = Object.fromEntries(keys.map((key) => [key, [] as { importMs: number; processMs: number }[]])) as Record<(typeof keys)[number], { importMs: number; processMs: number }[]>;
    const starts: number[] = [];
    // One round first, uncounted: the page cache, not the bundles, would dominate it.
    // Each round starts at the next bundle in turn: no bundle always runs first, or right after the bare start.
    for (let round = 0; round <= runs; round += 1) {
      const bare = bareStart(node);
      const order = keys.map((_, i) => keys[(i + round) % keys.length]);
      const loads = new Map(order.map((key) => [key, timeImport(node, files[key], key === 'oursWithCache' ? CACHE_ENV : IMPORT_ENV)]));
      if (round === 0) continue;
      starts.push(bare);
      for (const key of keys) samples[key].push(loads.get(key) as { importMs: number; processMs: number });
    }
    const figures = (key: keyof typeof files, label: string): BundleFigures => ({
      file: label, ...sizes(files[key]),
      importMs: summarize(samples[key].map((s) => s.importMs)), processMs: summarize(samples[key].map((s) => s.processMs)),
    });
    const besideBytes = Object.fromEntries(readdirSync(HANDLER_DIR).filter((f) => f !== HANDLER_FILE).sort().map((f) => [f, statSync(path.join(HANDLER_DIR, f)).size]));
    return {
      ours: { ...figures('ours', path.relative(PROJECT_ROOT, files.ours)), besideBytes },
      floor: { ...figures('floor', 'mysql2/promise + node:crypto + node:tls, the handler\'s esbuild options'), contents: FLOOR_ENTRY },
      withCache: {
        ours: figures('oursWithCache', `${path.relative(PROJECT_ROOT, files.ours)}, CACHE_* set`),
        floor: figures('floorWithCache', 'the floor + ioredis, the handler\'s esbuild options'),
      },
      naive: { ...figures('naive', 'esbuild --bundle --platform=node --format=esm (+ require shim)'), options: 'bundle, platform=node, format=esm, no minify, no target' },
      nodeStartupMs: summarize(starts),
      pairedRatio: {
        ours: summarize(samples.ours.map((s, i) => s.importMs / samples.floor[i].importMs)),
        withCache: summarize(samples.oursWithCache.map((s, i) => s.importMs / samples.floorWithCache[i].importMs)),
      },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
