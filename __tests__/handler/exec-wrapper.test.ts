// The layer's exec wrapper and the coordinator it preloads, as built into
// dist/layer: Lambda runs `$AWS_LAMBDA_EXEC_WRAPPER <runtime command...>`, so
// the wrapper must pass the command through untouched, add the coordinator
// found beside itself, and the coordinator must stay out of the way
// everywhere but the main thread of a Managed Instances runtime.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COORDINATOR_FILE, EXEC_WRAPPER_FILE, LAYER_DIR } from '../../src/protocol/artifacts';
import { FunctionEnv } from '../../src/protocol/function-env';

beforeAll(() => {
  if (!existsSync(EXEC_WRAPPER_FILE) || !existsSync(COORDINATOR_FILE)) {
    throw new Error(`${EXEC_WRAPPER_FILE} or ${COORDINATOR_FILE} is missing: run \`npm run build\` first`);
  }
});

/** Runs `node -e script` through `wrapper`, with `env` on top of a minimal one; returns its stdout parsed. */
function throughWrapper(wrapper: string, script: string, env: Record<string, string> = {}, args: string[] = []): Record<string, unknown> {
  const stdout = execFileSync(wrapper, [process.execPath, '-e', script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const REPORT_PRELOAD = `console.log(JSON.stringify({
  nodeOptions: process.env.NODE_OPTIONS,
  args: process.argv.slice(1),
  preloaded: Object.keys(require.cache),
  sigtermListeners: process.listenerCount('SIGTERM'),
}))`;

describe('the exec wrapper', () => {
  it('puts --require of the coordinator beside it in front of the function\'s NODE_OPTIONS, and runs the command with its arguments untouched', () => {
    const seen = throughWrapper(EXEC_WRAPPER_FILE, REPORT_PRELOAD, { NODE_OPTIONS: '--no-warnings' }, ['a', 'b c']);
    expect(seen).toMatchObject({
      nodeOptions: `--require "${COORDINATOR_FILE}" --no-warnings`,
      args: ['a', 'b c'],
      preloaded: [COORDINATOR_FILE],
    });
  });

  it('finds the coordinator relative to its own path, wherever the layer is mounted (even under a path with a space)', () => {
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'layer copy '));
    try {
      cpSync(LAYER_DIR, elsewhere, { recursive: true });
      const copiedWrapper = path.join(elsewhere, path.relative(LAYER_DIR, EXEC_WRAPPER_FILE));
      const seen = throughWrapper(copiedWrapper, REPORT_PRELOAD);
      expect(seen.preloaded).toEqual([path.join(elsewhere, path.relative(LAYER_DIR, COORDINATOR_FILE))]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('the coordinator it preloads', () => {
  it('does nothing on-demand: no SIGTERM listener, so the handler\'s own drain stays the only one', () => {
    expect(throughWrapper(EXEC_WRAPPER_FILE, REPORT_PRELOAD)).toMatchObject({ sigtermListeners: 0 });
  });

  it('listens for SIGTERM in the main thread when AWS_LAMBDA_MAX_CONCURRENCY is set (the runtime then runs the handler in workers)', () => {
    expect(throughWrapper(EXEC_WRAPPER_FILE, REPORT_PRELOAD, { [FunctionEnv.maxConcurrency]: '4' })).toMatchObject({ sigtermListeners: 1 });
  });

  it('does nothing in a worker thread, where it is preloaded too', () => {
    const inWorker = `const { Worker } = require('node:worker_threads');
      const worker = new Worker("require('node:worker_threads').parentPort.postMessage({ preloaded: Object.keys(require.cache), sigtermListeners: process.listenerCount('SIGTERM') })", { eval: true });
      worker.once('message', (seen) => { console.log(JSON.stringify(seen)); process.exit(0); });`;
    expect(throughWrapper(EXEC_WRAPPER_FILE, inWorker, { [FunctionEnv.maxConcurrency]: '4' })).toEqual({ preloaded: [COORDINATOR_FILE], sigtermListeners: 0 });
  });
});
