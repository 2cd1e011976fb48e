// Handler bundle: size on disk and what it costs a cold start to load it,
// against a naive esbuild bundle of the same entry point built here.
import { DbAuth, DbTls, FunctionEnv, MYSQL_PORT } from '../../src/protocol/function-env';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { LambdaNode } from '../../src/emulator/lambda-node';
import { HANDLER_DIR, HANDLER_FILE, PROJECT_ROOT } from '../../src/protocol/artifacts';
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
  ours: BundleFigures;
  naive: BundleFigures & { options: string; loadsWithoutRequireShim: boolean; loadErrorWithoutShim?: string };
  /** `node -e 0`, the floor every cold start pays. */
  nodeStartupMs: Summary;
}

// mysql2 and the SDK are CommonJS and require() Node built-ins: an ESM bundle
// needs a require of its own or it throws "Dynamic require ... is not supported".
const REQUIRE_SHIM = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

// The handler may validate its configuration at import time; give it a
// plausible local one so that loading measures loading, not a config error.
const IMPORT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  [FunctionEnv.host]: '127.0.0.1', [FunctionEnv.port]: String(MYSQL_PORT), [FunctionEnv.user]: 'bench', [FunctionEnv.database]: 'bench',
  [FunctionEnv.auth]: DbAuth.password, [FunctionEnv.password]: 'bench', [FunctionEnv.tls]: DbTls.off, [FunctionEnv.region]: 'us-east-1',
};

function timeImport(node: LambdaNode, file: string): { importMs: number; processMs: number; ok: boolean; error?: string } {
  const script = `const t=performance.now();import(${JSON.stringify(file)}).then(()=>{console.log('IMPORT_MS='+(performance.now()-t));process.exit(0)},e=>{console.error(String(e&&e.message||e));process.exit(3)})`;
  const started = process.hrtime.bigint();
  const r = spawnSync(node.binary, ['-e', script], { env: IMPORT_ENV, encoding: 'utf8', timeout: 30_000 });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  const match = /IMPORT_MS=([\d.]+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !match) return { importMs: Number.NaN, processMs, ok: false, error: (r.stderr || r.stdout || '').split('\n')[0] };
  return { importMs: Number(match[1]), processMs, ok: true };
}

function measureLoad(node: LambdaNode, file: string, runs: number): BundleFigures {
  const bytes = statSync(file).size;
  const gzipBytes = gzipSync(readFileSync(file)).length;
  const imports: number[] = [];
  const processes: number[] = [];
  timeImport(node, file); // warm the page cache once; not counted
  for (let i = 0; i < runs; i += 1) {
    const r = timeImport(node, file);
    if (!r.ok) throw new Error(`importing ${file} failed: ${r.error}`);
    imports.push(r.importMs);
    processes.push(r.processMs);
  }
  return { file: path.relative(PROJECT_ROOT, file), bytes, gzipBytes, importMs: summarize(imports), processMs: summarize(processes) };
}

export async function measureBundles(node: LambdaNode, runs: number): Promise<BundleReport> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-naive-bundle-'));
  try {
    const entry = path.join(PROJECT_ROOT, 'src/handler/index.ts');
    const plain = path.join(tmp, 'plain.mjs');
    const naive = path.join(tmp, 'naive.mjs');
    // The literal defaults: what `esbuild --bundle --platform=node --format=esm` gives.
    await build({ entryPoints: [entry], outfile: plain, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', absWorkingDir: PROJECT_ROOT });
    // The same, plus the one line without which it cannot load at all.
    await build({ entryPoints: [entry], outfile: naive, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', absWorkingDir: PROJECT_ROOT, banner: { js: REQUIRE_SHIM } });
    const plainLoad = timeImport(node, plain);
    const starts: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const t = process.hrtime.bigint();
      spawnSync(node.binary, ['-e', '0'], { timeout: 30_000 });
      starts.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return {
      ours: measureLoad(node, path.join(HANDLER_DIR, HANDLER_FILE), runs),
      naive: {
        ...measureLoad(node, naive, runs),
        file: 'esbuild --bundle --platform=node --format=esm (+ require shim), built into a temp dir',
        options: 'bundle, platform=node, format=esm, no minify, no target, no tree-shaking hints',
        loadsWithoutRequireShim: plainLoad.ok,
        loadErrorWithoutShim: plainLoad.ok ? undefined : plainLoad.error,
      },
      nodeStartupMs: summarize(starts),
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
