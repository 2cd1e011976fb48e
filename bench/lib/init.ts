// Init through the emulator, as Lambda bills it: from the runtime's start to
// its first `next` (aws-lambda-ric on the function's Node, loading the
// handler), for the built handler and for a naive esbuild bundle of the same
// entry, environments started alternately so load falls on both alike. No
// layer (the extension's start is its own figure) and no database: Init opens
// no connection, so a configuration that names one is all it needs.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { startEnvironment } from '../../src/emulator';
import { HANDLER_DIR, HANDLER_FILE, PROJECT_ROOT } from '../../src/protocol/artifacts';
import { summarize, type Summary } from './stats';

export interface InitReport {
  runs: number;
  /** Runtime spawned to Init complete (every process waiting in `next`), ms. */
  oursMs: Summary;
  naiveMs: Summary;
}

// mysql2 and the SDK are CommonJS and require() Node built-ins: an ESM bundle
// needs a require of its own or it throws "Dynamic require ... is not supported".
export const REQUIRE_SHIM = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/** The literal defaults (`esbuild --bundle --platform=node --format=esm`) plus the one line without which it cannot load. */
export async function buildNaiveBundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(PROJECT_ROOT, 'src/handler/index.ts')], outfile, bundle: true, platform: 'node', format: 'esm',
    logLevel: 'silent', absWorkingDir: PROJECT_ROOT, banner: { js: REQUIRE_SHIM },
  });
}

/** A deployed function's configuration (IAM, TLS, the proxy's name, the role's credentials): Init reads it, connects nowhere. */
export const DEPLOYED_LIKE_ENV: Readonly<Record<string, string>> = {
  DB_HOST: 'app.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com', DB_PORT: '3306', DB_USER: 'app_rw', DB_NAME: 'app',
  DB_AUTH: 'iam', DB_TLS: 'required', AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE', AWS_SECRET_ACCESS_KEY: 'bench-secret', AWS_SESSION_TOKEN: 'bench-session',
};

async function runtimeStartToFirstNext(handlerDir: string, label: string): Promise<number> {
  // `direct`: nothing to relay, the function connects nowhere during Init.
  const env = await startEnvironment({ handlerDir, extensionsDir: null, env: { ...DEPLOYED_LIKE_ENV }, label, network: 'direct' });
  try {
    const report = env.report();
    const runtime = report.processes.find((p) => p.kind === 'runtime');
    const init = report.phases.find((p) => p.phase === 'init');
    if (!runtime || !init) throw new Error(`${label}: no runtime or no init phase in the report`);
    return init.startedAt + init.durationMs - runtime.startedAt;
  } finally {
    await env.shutdown();
  }
}

export async function measureInit(runs: number): Promise<InitReport> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-init-'));
  try {
    await buildNaiveBundle(path.join(tmp, HANDLER_FILE));
    const ours: number[] = [];
    const naive: number[] = [];
    // One of each first, uncounted: the page cache, not the bundle, would dominate them.
    await runtimeStartToFirstNext(HANDLER_DIR, 'init: ours (warm-up)');
    await runtimeStartToFirstNext(tmp, 'init: naive (warm-up)');
    for (let i = 0; i < runs; i += 1) {
      ours.push(await runtimeStartToFirstNext(HANDLER_DIR, `init: ours #${i}`));
      naive.push(await runtimeStartToFirstNext(tmp, `init: naive #${i}`));
    }
    return { runs, oursMs: summarize(ours), naiveMs: summarize(naive) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
