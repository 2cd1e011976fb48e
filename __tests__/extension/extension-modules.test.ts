// What the built extension loads on its way to registering, on the function's
// own Node: its job is one HTTP exchange with a local address, so node:net and
// no more (node:http would add its whole client and server, and an ESM import
// of it undici). Counted in Node's own list of loaded built-ins, never timed
// (the bench times the start). Needs `npm run build`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathWithNodeFirst, resolveLambdaNode } from '../../src/emulator/lambda-node';
import { EXTENSION_EXECUTABLE } from '../../src/protocol/artifacts';
import { ExtensionEventType, ExtensionPath, LambdaEnv, ShutdownBudget, ShutdownReason } from '../../src/protocol/lambda-api';
import { DEFAULT_LAMBDA_RUNTIME } from '../../src/protocol/lambda-runtime';
import { LoopbackExtensionsApi } from '../../src/testing/loopback-extensions-api';
import { requireBuilt, spawnWithOutput } from './support/processes';

const node = resolveLambdaNode(DEFAULT_LAMBDA_RUNTIME);

describe('the built extension', () => {
  let dir: string;
  let api: LoopbackExtensionsApi | undefined;

  beforeAll(() => {
    requireBuilt(EXTENSION_EXECUTABLE);
    dir = mkdtempSync(path.join(tmpdir(), 'extension-modules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => api?.close());

  it('registers, waits and leaves having loaded node:net and not node:http', async () => {
    // A preload that writes the list as the process exits (NODE_OPTIONS reaches the node the launcher execs).
    const dump = path.join(dir, 'dump.cjs');
    writeFileSync(dump, "process.on('exit',()=>process.stderr.write('LOADED '+JSON.stringify(process.moduleLoadList.filter(m=>m.startsWith('NativeModule ')).map(m=>m.slice(13)))+'\\n'));\n");
    api = await LoopbackExtensionsApi.start();
    const extension = spawnWithOutput(EXTENSION_EXECUTABLE, [], {
      PATH: pathWithNodeFirst(node, process.env.PATH ?? ''), NODE_OPTIONS: `--require ${dump}`, [LambdaEnv.runtimeApi]: api.address,
    });
    await extension.unlessExited(api.waitFor(ExtensionPath.next), 'next');
    api.sendEvent({ eventType: ExtensionEventType.shutdown, shutdownReason: ShutdownReason.spindown, deadlineMs: Date.now() + ShutdownBudget.total });
    const exit = await extension.exited();
    expect(exit.code).toBe(0);
    const line = exit.output.split('\n').find((l) => l.startsWith('LOADED '));
    const loaded = JSON.parse(line?.slice('LOADED '.length) ?? '[]') as string[];
    expect(loaded).toContain('net');
    expect(['http', '_http_client', '_http_agent', 'https', 'internal/deps/undici/undici'].filter((name) => loaded.includes(name))).toEqual([]);
  });
});
