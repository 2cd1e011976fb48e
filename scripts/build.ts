// `npm run build`: bundles the handler and the extension into dist/ (DESIGN section 7).
// Output is deterministic (no timestamps, no absolute paths) so that asset
// hashes, and therefore Terraform plans, only change when the code does.
import { build, type BuildOptions } from 'esbuild';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DIST_DIR, EXTENSION_CODE_DIR, EXTENSION_EXECUTABLE, EXTENSION_NAME, HANDLER_DIR, HANDLER_FILE, PROJECT_ROOT,
} from '../src/protocol/artifacts';

// mysql2 and the AWS SDK are CommonJS and call require() for Node built-ins;
// an ESM bundle has no require of its own, so give it one.
const ESM_REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: PROJECT_ROOT,
  banner: { js: ESM_REQUIRE_SHIM },
};

export async function buildHandler(): Promise<void> {
  await build({
    ...common,
    entryPoints: [path.join(PROJECT_ROOT, 'src/handler/index.ts')],
    outfile: path.join(HANDLER_DIR, HANDLER_FILE),
  });
}

export async function buildExtension(): Promise<void> {
  await build({
    ...common,
    entryPoints: [path.join(PROJECT_ROOT, 'extension/main.ts')],
    outfile: path.join(EXTENSION_CODE_DIR, 'index.mjs'),
  });
  mkdirSync(path.dirname(EXTENSION_EXECUTABLE), { recursive: true });
  // Lambda runs the layer from /opt, the emulator from dist/layer: resolve the
  // code from the launcher's own location, never from a fixed prefix.
  writeFileSync(
    EXTENSION_EXECUTABLE,
    [
      '#!/bin/sh',
      `exec node "$(dirname "$0")/../${EXTENSION_NAME}/index.mjs" "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(EXTENSION_EXECUTABLE, 0o755);
}

async function main(): Promise<void> {
  const started = Date.now();
  rmSync(DIST_DIR, { recursive: true, force: true });
  await Promise.all([buildHandler(), buildExtension()]);
  console.log(`build: dist/handler and dist/layer written in ${Date.now() - started} ms`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('build failed:', error);
    process.exitCode = 1;
  });
}
