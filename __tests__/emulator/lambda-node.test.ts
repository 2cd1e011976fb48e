// The function's Node: the runtime and the extensions run on the major of the
// function's Lambda runtime, found by running each candidate, and the run
// stops with a message saying how to get it when there is none.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extensionShebang, EXTENSION_NODE_FLAGS } from '../../scripts/build';
import { InvalidOptionError, LambdaNodeError, startEnvironment } from '../../src/emulator';
import { LAMBDA_NODE_BINARY_ENV, resolveLambdaNode } from '../../src/emulator/lambda-node';
import { EXTENSION_NAME } from '../../src/protocol/artifacts';
import { LambdaRuntime } from '../../src/protocol/lambda-runtime';
import { useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();
const fakes = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-node-test-'));
afterAll(() => fs.rmSync(fakes, { recursive: true, force: true }));

/** A `node` that only answers `--version`: enough to be a candidate of a given major. */
function fakeNode(version: string): string {
  const dir = fs.mkdtempSync(path.join(fakes, 'node-'));
  const binary = path.join(dir, 'node');
  fs.writeFileSync(binary, `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  return binary;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('Node resolution', () => {
  it('finds a Node 24 on this machine for nodejs24.x, checked by running it', () => {
    const node = resolveLambdaNode(LambdaRuntime.nodejs24);
    expect(node.version).toMatch(/^v24\./);
    expect(node.major).toBe(24);
    expect(fs.existsSync(node.binary)).toBe(true);
  });

  it('fails naming the runtime, every candidate tried and how to get one when no Node of the major exists', () => {
    const node20 = fakeNode('v20.20.2');
    const node24 = fakeNode('v24.22.3');
    const error = thrown(() => resolveLambdaNode(LambdaRuntime.nodejs22, { env: {}, packageBinaries: [node24], toolsNode: node20, pathDirs: [] }));
    expect(error).toBeInstanceOf(LambdaNodeError);
    const message = (error as Error).message;
    expect(message).toContain('runtime nodejs22.x runs Node 22, and no Node 22 was found');
    expect(message).toContain(`${node24} (package): v24.22.3`);
    expect(message).toContain(`${node20} (tools): v20.20.2`);
    expect(message).toContain('npm ci');
    expect(message).toContain(`${LAMBDA_NODE_BINARY_ENV}=/path/to/node`);
  });

  it('never falls back to another major: the tools\' Node is taken only when its major matches', () => {
    const node22 = fakeNode('v22.11.0');
    const node = resolveLambdaNode(LambdaRuntime.nodejs22, { env: {}, packageBinaries: [fakeNode('v24.22.3')], toolsNode: node22, pathDirs: [] });
    expect(node).toMatchObject({ binary: node22, version: 'v22.11.0', source: 'tools' });
  });

  it('takes the override variable first, and refuses it when it is another major', () => {
    const node22 = fakeNode('v22.11.0');
    expect(resolveLambdaNode(LambdaRuntime.nodejs22, { env: { [LAMBDA_NODE_BINARY_ENV]: node22 } })).toMatchObject({ binary: node22, source: 'override' });
    const error = thrown(() => resolveLambdaNode(LambdaRuntime.nodejs24, { env: { [LAMBDA_NODE_BINARY_ENV]: node22 } }));
    expect((error as Error).message).toContain(`${LAMBDA_NODE_BINARY_ENV}=${node22} is Node v22.11.0, but runtime nodejs24.x runs Node 24`);
  });

  it('refuses an override that is not a Node binary, naming the variable', () => {
    const error = thrown(() => resolveLambdaNode(LambdaRuntime.nodejs24, { env: { [LAMBDA_NODE_BINARY_ENV]: path.join(fakes, 'missing-node') } }));
    expect(error).toBeInstanceOf(LambdaNodeError);
    expect((error as Error).message).toContain(`${LAMBDA_NODE_BINARY_ENV}=`);
  });
});

describe('The function\'s Node in an environment', () => {
  it('runs the runtime on Node 24 for nodejs24.x and names that version in the report', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox, { runtime: LambdaRuntime.nodejs24 });
    const result = await env.invoke({ action: 'whoami' });
    const version = (result.payload as { version: string }).version;
    expect(version).toMatch(/^v24\./);
    expect(env.report()).toMatchObject({ runtime: 'nodejs24.x', nodeVersion: version });
    const echoed = await env.invoke({ action: 'echo' });
    expect((echoed.payload as { env: Record<string, string> }).env.AWS_EXECUTION_ENV).toBe('AWS_Lambda_nodejs24.x');
  });

  it('runs the extensions on the same Node: the layer\'s own launcher finds it first on PATH', async () => {
    const sandbox = lifecycle.sandbox().writeHandler();
    // The first line exactly as the build writes it, in front of a fixture extension's code.
    sandbox.writeExtension('fixture-code', { registerAs: EXTENSION_NAME });
    const code = fs.readFileSync(path.join(sandbox.extensionsDir, 'fixture-code'), 'utf8').replace(/^#!.*\n/, '');
    fs.rmSync(path.join(sandbox.extensionsDir, 'fixture-code'));
    sandbox.writeMounted('layer', `extensions/${EXTENSION_NAME}`, `${extensionShebang(EXTENSION_NODE_FLAGS)}\n${code}`, 0o755);
    const env = await lifecycle.start(sandbox);
    const report = env.report();
    expect(report.processes.map((p) => [p.name, p.kind])).toEqual([[EXTENSION_NAME, 'extension'], ['runtime', 'runtime']]);
    const versionLine = sandbox.log().find((line) => line.startsWith('fixture-code version '));
    expect(versionLine).toBe(`fixture-code version ${report.nodeVersion}`);
    expect(report.nodeVersion).toMatch(/^v24\./);
  });

  it('refuses to start when the runtime\'s Node major cannot be found, before starting any process', async () => {
    const node20 = fakeNode('v20.20.2');
    const saved = process.env[LAMBDA_NODE_BINARY_ENV];
    process.env[LAMBDA_NODE_BINARY_ENV] = node20;
    try {
      const sandbox = lifecycle.sandbox().writeHandler();
      const error = await lifecycle.start(sandbox, { runtime: LambdaRuntime.nodejs22 }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(LambdaNodeError);
      expect((error as Error).message).toMatch(/^EnvironmentOptions\.runtime: LAMBDA_NODE_BINARY=.* is Node v20\.20\.2, but runtime nodejs22\.x runs Node 22/);
      expect(sandbox.log()).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env[LAMBDA_NODE_BINARY_ENV];
      else process.env[LAMBDA_NODE_BINARY_ENV] = saved;
    }
  });

  it('refuses a runtime it does not know, naming the option', async () => {
    await expect(startEnvironment({ runtime: 'nodejs20.x' as LambdaRuntime })).rejects.toThrow(InvalidOptionError);
    await expect(startEnvironment({ runtime: 'nodejs20.x' as LambdaRuntime })).rejects.toThrow(/EnvironmentOptions\.runtime: "nodejs20\.x" is not one of nodejs24\.x, nodejs22\.x/);
  });
});
