// What the layer extension costs at start-up and at rest, against what a bare
// Node start costs on the same binary, and what the in-process alternative
// costs instead.
//
//   layer:      spawn -> register request received, and VmRSS of the
//               extension while it waits in `next`.
//   baseline:   `node -e 0`, spawn -> exit, same Node binary, spawned in the
//               same rounds (one of each per round) so load lands on both alike.
//   in-process: extra VmRSS of a runtime-like process with the internal
//               extension registered vs the same bundle without the call.
//
// Run alone: `npm run build && tsx bench/extension-startup.ts [runs]`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { pathWithNodeFirst, type LambdaNode } from '../src/emulator/lambda-node';
import { EXTENSION_EXECUTABLE, PROJECT_ROOT } from '../src/protocol/artifacts';
import { ExtensionPath, LambdaEnv, ShutdownBudget, ShutdownReason } from '../src/protocol/lambda-api';
import { LoopbackExtensionsApi } from '../src/testing/loopback-extensions-api';
import { summarize, type Summary } from './lib/stats';

/** Long enough after `next` for the extension's heap to reach its resting size. */
const SETTLE_MS = 150;
const STEP_TIMEOUT_MS = 10_000;

export interface ExtensionStartupResults {
  node: string;
  runs: number;
  spawnToRegisteredMs: Summary;
  bareNodeSpawnToExitMs: Summary;
  rssKb: Summary;
  rssAnonKb: Summary;
  inProcess: { registrationMs: Summary; rssWithoutKb: Summary; extraRssKb: number; extraRssAnonKb: number };
}

/**
 * VmRSS, and RssAnon: the process's private memory. The rest of VmRSS is
 * mostly the node binary's file pages, which the extension shares with the
 * runtime process (same binary), so RssAnon is what it adds.
 */
function memoryKb(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (match === null) throw new Error(`no ${name} for pid ${pid}`);
    return Number(match[1]);
  };
  return { rss: field('VmRSS'), anon: field('RssAnon') };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`pid ${child.pid} did not exit within ${STEP_TIMEOUT_MS} ms`)); }, STEP_TIMEOUT_MS);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
  });
}

async function measureLayerOnce(node: LambdaNode): Promise<{ registeredMs: number; rss: number; anon: number }> {
  const api = await LoopbackExtensionsApi.start();
  try {
    const env = { PATH: pathWithNodeFirst(node, process.env.PATH ?? ''), [LambdaEnv.runtimeApi]: api.address };
    const started = performance.now();
    const child = spawn(EXTENSION_EXECUTABLE, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const registered = await api.waitFor(ExtensionPath.register, STEP_TIMEOUT_MS);
    await api.waitFor(ExtensionPath.next, STEP_TIMEOUT_MS);
    await sleep(SETTLE_MS);
    const memory = memoryKb(child.pid ?? 0);
    api.sendEvent({ eventType: 'SHUTDOWN', shutdownReason: ShutdownReason.spindown, deadlineMs: Date.now() + ShutdownBudget.total });
    const exit = await exited(child);
    if (exit.code !== 0) throw new Error(`extension exited ${exit.code ?? exit.signal}: ${output}`);
    return { registeredMs: registered.at - started, ...memory };
  } finally {
    await api.close();
  }
}

async function measureBareNodeOnce(node: LambdaNode): Promise<number> {
  const started = performance.now();
  const child = spawn(node.binary, ['-e', '0'], { env: { PATH: process.env.PATH ?? '' }, stdio: 'ignore' });
  const exit = await exited(child);
  if (exit.code !== 0) throw new Error(`node -e 0 exited ${exit.code ?? exit.signal}`);
  return performance.now() - started;
}

/** A runtime stand-in: the in-process module bundled as the handler would bundle it. */
async function bundleRuntimeStandIn(dir: string, node: LambdaNode): Promise<string> {
  const entry = path.join(dir, 'runtime.ts');
  writeFileSync(entry, [
    `import { registerInProcessExtension } from ${JSON.stringify(path.join(PROJECT_ROOT, 'extension/in-process'))};`,
    'const started = performance.now();',
    "if (process.argv[2] === 'with') await registerInProcessExtension();",
    'const registrationMs = performance.now() - started;',
    "process.stdout.write(JSON.stringify({ registrationMs }) + '\\n');",
    '// Stay up like a runtime waiting for its next invocation.',
    'setInterval(() => {}, 60_000);',
  ].join('\n'));
  const outfile = path.join(dir, 'runtime.mjs');
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: `node${node.major}`, minify: true, logLevel: 'warning' });
  return outfile;
}

async function measureRuntimeOnce(node: LambdaNode, bundle: string, withExtension: boolean): Promise<{ registrationMs: number; rss: number; anon: number }> {
  const api = await LoopbackExtensionsApi.start();
  const child = spawn(node.binary, [bundle, withExtension ? 'with' : 'without'], {
    env: { PATH: process.env.PATH ?? '', [LambdaEnv.runtimeApi]: api.address }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('runtime stand-in did not report')), STEP_TIMEOUT_MS);
      child.stdout?.once('data', (chunk: Buffer) => { clearTimeout(timer); resolve(chunk.toString()); });
    });
    if (withExtension) await api.waitFor(ExtensionPath.next, STEP_TIMEOUT_MS);
    await sleep(SETTLE_MS);
    const { registrationMs } = JSON.parse(line) as { registrationMs: number };
    return { registrationMs, ...memoryKb(child.pid ?? 0) };
  } finally {
    child.kill('SIGKILL');
    await exited(child);
    await api.close();
  }
}

export async function runExtensionStartupBench(node: LambdaNode, runs = 20): Promise<ExtensionStartupResults> {
  const dir = mkdtempSync(path.join(tmpdir(), 'extension-bench-'));
  try {
    // One of each first, uncounted: the page cache, not the extension, would dominate them.
    await measureLayerOnce(node);
    await measureBareNodeOnce(node);
    const layer = { registered: [] as number[], rss: [] as number[], anon: [] as number[] };
    const bare: number[] = [];
    for (let round = 0; round < runs; round += 1) {
      const sample = await measureLayerOnce(node);
      layer.registered.push(sample.registeredMs);
      layer.rss.push(sample.rss);
      layer.anon.push(sample.anon);
      bare.push(await measureBareNodeOnce(node));
    }

    const bundle = await bundleRuntimeStandIn(dir, node);
    const withExt = { registration: [] as number[], rss: [] as number[], anon: [] as number[] };
    const without = { rss: [] as number[], anon: [] as number[] };
    await measureRuntimeOnce(node, bundle, true);
    for (let i = 0; i < runs; i += 1) {
      const w = await measureRuntimeOnce(node, bundle, true);
      const wo = await measureRuntimeOnce(node, bundle, false);
      withExt.registration.push(w.registrationMs);
      withExt.rss.push(w.rss);
      withExt.anon.push(w.anon);
      without.rss.push(wo.rss);
      without.anon.push(wo.anon);
    }
    const rssWithoutKb = summarize(without.rss);
    return {
      node: node.version,
      runs,
      spawnToRegisteredMs: summarize(layer.registered),
      bareNodeSpawnToExitMs: summarize(bare),
      rssKb: summarize(layer.rss),
      rssAnonKb: summarize(layer.anon),
      inProcess: {
        registrationMs: summarize(withExt.registration),
        rssWithoutKb,
        extraRssKb: summarize(withExt.rss).p50 - rssWithoutKb.p50,
        extraRssAnonKb: summarize(withExt.anon).p50 - summarize(without.anon).p50,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (n: number) => n.toFixed(1);
const mb = (kb: number) => (kb / 1024).toFixed(1);

export function extensionStartupTable(r: ExtensionStartupResults): string {
  const reg = r.spawnToRegisteredMs;
  const bare = r.bareNodeSpawnToExitMs;
  const ip = r.inProcess.registrationMs;
  return [
    `Extension start-up, ${r.runs} runs each, Node ${r.node}`,
    '',
    '| variant | min / median / p99 / max (ms) | VmRSS waiting in next, median (MB) | of which private (RssAnon, MB) |',
    '|---|---|---|---|',
    `| layer extension: spawn to registered | ${ms(reg.min)} / ${ms(reg.p50)} / ${ms(reg.p99)} / ${ms(reg.max)} | ${mb(r.rssKb.p50)} | ${mb(r.rssAnonKb.p50)} |`,
    `| baseline: \`node -e 0\`, spawn to exit | ${ms(bare.min)} / ${ms(bare.p50)} / ${ms(bare.p99)} / ${ms(bare.max)} | — | — |`,
    `| in-process (internal extension in the runtime): registration | ${ms(ip.min)} / ${ms(ip.p50)} / ${ms(ip.p99)} / ${ms(ip.max)} | +${mb(r.inProcess.extraRssKb)} over the runtime's ${mb(r.inProcess.rssWithoutKb.p50)} | +${mb(r.inProcess.extraRssAnonKb)} |`,
    '',
  ].join('\n');
}
