// `npm run build`: bundles the handler and the extension into dist/.
// Output is deterministic (no timestamps, no absolute paths) so that asset
// hashes, and therefore Terraform plans, only change when the code does.
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { COORDINATOR_FILE_NAME, DIST_DIR, EXEC_WRAPPER_NAME, EXTENSION_NAME, HANDLER_FILE, PROJECT_ROOT } from '../src/protocol/artifacts';
import { esbuildNodeTarget } from '../src/infrastructure/config/node-target';
import { builtinsWithoutNamespace, compactCaLists } from './esbuild-plugins';

// mysql2 and the AWS SDK are CommonJS and call require() for Node built-ins;
// an ESM bundle has no require of its own, so give it one. Fetched, not
// imported: an import of node:module builds its ESM namespace, 1.5-2.5% of the
// handler's import (paired medians of 60 rounds).
const ESM_REQUIRE_SHIM = "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);";

/**
 * esbuild's target: the Node of the functions' runtimes (`nodejs24.x` runs
 * Node 24), the lowest among the environments, since one dist/ serves them all.
 */
export const NODE_TARGET = esbuildNodeTarget();

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: NODE_TARGET,
  format: 'esm',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: PROJECT_ROOT,
  banner: { js: ESM_REQUIRE_SHIM },
};

/**
 * The handler's esbuild options, shared with the bench's floor (a bundle of
 * mysql2, node:crypto and node:tls alone, built exactly this way).
 */
export const HANDLER_BUILD_OPTIONS: BuildOptions = {
  ...common,
  // Whitespace and syntax only, identifiers kept: measured on the 1.5 MB
  // bundle, mangled names made `import()` ~9 ms slower (63.0 vs 53.6 ms
  // median, 25 interleaved runs) for 7% less gzip; cold start is what the
  // function pays for, and stack traces keep their names without keepNames.
  minify: false,
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: false,
  // A package's ES module build before its CommonJS one: esbuild can drop
  // what is not used from the first only. @smithy/signature-v4's CommonJS
  // build pulls in 245 KiB of @smithy/core, its ES build 23 KiB.
  mainFields: ['module', 'main'],
  plugins: [builtinsWithoutNamespace, compactCaLists],
};

/**
 * Modules the handler loads only on a path that may never run, or only when
 * it first needs them: each is built to a file of its own beside the bundle,
 * and its import() (or require()) stays a load of that file. Bundled in, even
 * unevaluated, its code would be compiled at every cold start, and its static
 * imports of built-ins hoisted and run. Keyed by the specifier as written (a
 * relative one resolved). A require()d one is CommonJS: the bundle's banner
 * gives it a require() that resolves beside the bundle.
 */
interface Apart {
  file: string;
  entry: BuildOptions['stdin'] & object;
  /** How the handler loads it. */
  kind: 'dynamic-import' | 'require-call';
  /** Built leaving @smithy/core's own import()s out (the signer: see smithyDynamicImportsLeftOut). */
  smithyLeftOut?: true;
}

const fromSource = (module: string, names: string): BuildOptions['stdin'] & object => (
  { contents: `export { ${names} } from './src/handler/${module}';`, resolveDir: PROJECT_ROOT, loader: 'ts' }
);

const BUILT_APART: Readonly<Record<string, Apart>> = {
  // The SDK's credential chain: only where the environment holds no credentials (src/handler/credential-chain.ts).
  [path.join(PROJECT_ROOT, 'src/handler/credential-chain')]: {
    file: 'credential-chain.mjs', kind: 'dynamic-import', entry: fromSource('credential-chain', 'defaultProvider'),
  },
  // The in-process extension: only with SHUTDOWN_MODE=in-process (src/handler/index.ts).
  [path.join(PROJECT_ROOT, 'extension/in-process')]: {
    file: 'in-process-extension.mjs', kind: 'dynamic-import',
    entry: { contents: "export { registerInProcessExtension } from './extension/in-process';", resolveDir: PROJECT_ROOT, loader: 'ts' },
  },
  // The SigV4 signer: loaded by the first token, or prefetched during Init (src/handler/sigv4.ts).
  '@smithy/signature-v4': {
    file: 'signature-v4.mjs', kind: 'dynamic-import', smithyLeftOut: true, entry: { contents: "export { SignatureV4 } from '@smithy/signature-v4';", resolveDir: PROJECT_ROOT, loader: 'ts' },
  },
  // The cache's wiring, client and drain resources: only with a cache configured (src/handler/index.ts).
  [path.join(PROJECT_ROOT, 'src/handler/cache/cache-setup')]: {
    file: 'cache.mjs', kind: 'dynamic-import', entry: fromSource('cache/cache-setup', 'setUpCache'),
  },
  // The Redis client: only with the cache configured (src/handler/cache/redis-client.ts); CommonJS, so its class is `default`.
  ioredis: {
    file: 'ioredis.mjs', kind: 'dynamic-import', entry: { contents: "export { default } from 'ioredis';", resolveDir: PROJECT_ROOT, loader: 'ts' },
  },
};

/** The files `buildHandler` can write beside the bundle (only those the handler reaches). */
export const BUILT_APART_FILES: readonly string[] = Object.values(BUILT_APART).map((apart) => apart.file);

function builtApart(reached: Set<string>): Plugin {
  return {
    name: 'built-apart',
    setup(context) {
      context.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'dynamic-import' && args.kind !== 'require-call') return undefined;
        const key = args.path.startsWith('.') ? path.resolve(args.resolveDir, args.path) : args.path;
        const apart = BUILT_APART[key];
        if (apart === undefined || apart.kind !== args.kind) return undefined;
        reached.add(key);
        return { path: `./${apart.file}`, external: true };
      });
    },
  };
}

/**
 * @smithy/core's protocols import their event-stream code with import(),
 * which makes esbuild wrap everything that code reaches (all of
 * @smithy/core/serde) in initialisers that run whole at import. The signer
 * uses none of it: those imports are left out, so the signer's share is
 * tree-shaken and hoisted like any ES module. The build fails if one of them
 * survives in the bundle, that is, if the handler could reach it.
 */
function smithyDynamicImportsLeftOut(left: Set<string>): Plugin {
  return {
    name: 'smithy-dynamic-imports-left-out',
    setup(context) {
      context.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'dynamic-import' || !/[\\/]@smithy[\\/]core[\\/]/.test(args.importer)) return undefined;
        const marker = `left-out:${args.path}`;
        left.add(marker);
        return { path: marker, external: true };
      });
    },
  };
}

/** Builds one bundle with the handler's options; fails if it reaches @smithy/core code left out of it. */
async function bundleLeavingOutSmithyDynamicImports(options: BuildOptions): Promise<void> {
  const left = new Set<string>();
  const result = await build({
    ...HANDLER_BUILD_OPTIONS,
    ...options,
    plugins: [...(HANDLER_BUILD_OPTIONS.plugins ?? []), smithyDynamicImportsLeftOut(left), ...(options.plugins ?? [])],
    metafile: true,
  });
  const survivors = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((imported) => imported.path)).filter((p) => left.has(p));
  if (survivors.length > 0) throw new Error(`${options.outfile} reaches @smithy/core code that was left out of it: ${survivors.join(', ')}`);
}

export async function buildHandler(distDir: string = DIST_DIR): Promise<void> {
  const handlerDir = path.join(distDir, 'handler');
  const reached = new Set<string>();
  await bundleLeavingOutSmithyDynamicImports({
    plugins: [builtApart(reached)],
    entryPoints: [path.join(PROJECT_ROOT, 'src/handler/index.ts')],
    outfile: path.join(handlerDir, HANDLER_FILE),
  });
  // A file built apart can reach others (the cache's reaches the Redis client
  // and the signer): built in waves until a wave reaches nothing new.
  const built = new Set<string>();
  while (reached.size > built.size) {
    // Sorted: the same files in the same order every build.
    const wave = [...reached].filter((key) => !built.has(key)).sort();
    for (const key of wave) built.add(key);
    await Promise.all(wave.map((key) => {
      const apart = BUILT_APART[key];
      const options: BuildOptions = {
        ...(apart.kind === 'require-call' ? { format: 'cjs', banner: {} } : {}),
        stdin: apart.entry,
        outfile: path.join(handlerDir, apart.file),
      };
      return apart.smithyLeftOut
        ? bundleLeavingOutSmithyDynamicImports({ ...options, plugins: [builtApart(reached)] })
        : build({ ...HANDLER_BUILD_OPTIONS, ...options, plugins: [...(HANDLER_BUILD_OPTIONS.plugins ?? []), builtApart(reached)] });
    }));
  }
}

// Node flags for the extension: none. Every candidate was measured
// on Node 20 (figures in docs/extension.md): V8 flags
// (--max-semi-space-size, --max-old-space-size, --jitless, --no-opt,
// --single-threaded) make Node reject the code cache embedded for its own
// built-ins and add 5-9 ms to start-up, while saving at most 1 MB of shared
// file pages and nothing of the process's private memory; the Node-level ones
// (--v8-pool-size=1, --disable-wasm-trap-handler) changed nothing measurable.
export const EXTENSION_NODE_FLAGS: readonly string[] = [];

export async function buildExtension(
  nodeFlags: readonly string[] = EXTENSION_NODE_FLAGS,
  distDir: string = DIST_DIR,
): Promise<void> {
  const executable = path.join(distDir, 'layer', 'extensions', EXTENSION_NAME);
  mkdirSync(path.dirname(executable), { recursive: true });
  await build({
    ...common,
    // CommonJS, not ESM: Node then neither loads its ESM loader nor reads the
    // file through the libuv thread pool: measured 1.1 MB less resident memory
    // (0.4 MB of it private), 4 fewer threads, ~2 ms faster (docs/extension.md).
    // The file has no extension and no package.json is near it in /opt, so
    // Node reads it as CommonJS.
    format: 'cjs',
    banner: { js: extensionShebang(nodeFlags) },
    entryPoints: [path.join(PROJECT_ROOT, 'extension/main.ts')],
    outfile: executable,
  });
  chmodSync(executable, 0o755);
}

/**
 * The executable is the bundle itself, started through its first line: env
 * finds `node` on PATH, the function's own runtime (/var/lang/bin in Lambda),
 * so the layer is architecture-independent. A shell launcher in front of it
 * cost 2.5 ms of every cold start (spawn to exit of an empty script, median of
 * 41, Node 24) against 0.9 ms through env.
 */
export function extensionShebang(nodeFlags: readonly string[]): string {
  return nodeFlags.length === 0 ? '#!/usr/bin/env node' : `#!/usr/bin/env -S node ${nodeFlags.join(' ')}`;
}

/**
 * The Managed Instances pieces of the layer: the main-thread coordinator
 * (CommonJS, because `--require` preloads it before any ESM loader runs) and
 * the exec wrapper that makes the runtime preload it.
 */
export async function buildCoordinator(distDir: string = DIST_DIR): Promise<void> {
  const codeDir = path.join(distDir, 'layer', EXTENSION_NAME);
  await build({
    ...common,
    format: 'cjs',
    banner: {},
    entryPoints: [path.join(PROJECT_ROOT, 'src/handler/coordinator/main.ts')],
    outfile: path.join(codeDir, COORDINATOR_FILE_NAME),
  });
  const wrapper = path.join(codeDir, EXEC_WRAPPER_NAME);
  writeFileSync(wrapper, execWrapperScript());
  chmodSync(wrapper, 0o755);
}

/**
 * Lambda starts the runtime as `$AWS_LAMBDA_EXEC_WRAPPER <runtime command...>`
 * and wraps nothing else, so the coordinator never loads into an extension.
 * The coordinator is found beside the wrapper's own path (the layer is at
 * /opt in Lambda, in dist/layer locally) and goes in front of any
 * NODE_OPTIONS the function sets; the quotes keep a path with spaces whole.
 * Its directory comes from parameter expansions (no subshell, no dirname: the
 * wrapper is on the runtime's cold-start path), made absolute because the
 * runtime resolves `--require` from its own working directory.
 */
export function execWrapperScript(): string {
  return [
    '#!/bin/sh',
    'dir=${0%/*}; [ "$dir" = "$0" ] && dir=.',
    'case $dir in /*) ;; *) dir=$PWD/$dir ;; esac',
    `coordinator="$dir/${COORDINATOR_FILE_NAME}"`,
    'NODE_OPTIONS="--require \\"$coordinator\\"${NODE_OPTIONS:+ $NODE_OPTIONS}"',
    'export NODE_OPTIONS',
    'exec "$@"',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  // Build beside dist/ and swap it in, so that no stale file survives and a
  // process reading dist/ meanwhile (a test, the emulator) never sees it half-written.
  const next = `${DIST_DIR}.next-${process.pid}`;
  const old = `${DIST_DIR}.old-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  await Promise.all([buildHandler(next), buildExtension(EXTENSION_NODE_FLAGS, next), buildCoordinator(next)]);
  if (existsSync(DIST_DIR)) renameSync(DIST_DIR, old);
  renameSync(next, DIST_DIR);
  rmSync(old, { recursive: true, force: true });
  console.log(`build: dist/handler and dist/layer written in ${Date.now() - started} ms`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('build failed:', error);
    process.exitCode = 1;
  });
}
