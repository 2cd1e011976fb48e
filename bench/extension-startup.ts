// Bench fragment: what the layer extension costs at start-up and at rest, and
// what the in-process alternative costs instead (DESIGN section 9).
//
//   layer:      spawn -> register request received (median, max over N spawns)
//               and VmRSS of the extension process while it waits in `next`,
//               for the shipped launcher and for each candidate Node flag set.
//   in-process: extra VmRSS of a runtime-like process with the internal
//               extension registered vs the same bundle without the call, and
//               its registration time.
//
// Run alone: `npm run build && tsx bench/extension-startup.ts [runs]`.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { LoopbackExtensionsApi } from '../__tests__/extension/support/loopback-extensions-api';
import { EXTENSION_CODE_DIR, EXTENSION_EXECUTABLE, EXTENSION_NAME, PROJECT_ROOT } from '../src/protocol/artifacts';
import { ExtensionPath, LambdaEnv, ShutdownReason, ShutdownBudget } from '../src/protocol/lambda-api';
import { EXTENSION_ENTRY_FILE, EXTENSION_NODE_FLAGS, extensionLauncher } from '../scripts/build';

const SETTLE_MS = 150;
const STEP_TIMEOUT_MS = 10_000;

export interface Stats { median: number; p90: number; max: number; min: number }
export interface LayerVariant { label: string; flags: readonly string[]; spawnToRegisteredMs: Stats; rssKb: Stats; rssAnonKb: Stats; runs: number }
export interface InProcessCost { registrationMs: Stats; rssWithKb: Stats; rssWithoutKb: Stats; extraRssKb: number; extraRssAnonKb: number; runs: number }
export interface ExtensionStartupResults { node: string; shipped: LayerVariant; variants: LayerVariant[]; inProcess: InProcessCost }

/** Candidate flag sets, each measured against the bare launcher. */
const CANDIDATES: { label: string; flags: string[] }[] = [
  { label: 'no flags (a second copy: the noise floor)', flags: [] },
  { label: '--max-semi-space-size=1', flags: ['--max-semi-space-size=1'] },
  { label: '--max-old-space-size=16', flags: ['--max-old-space-size=16'] },
  { label: '--v8-pool-size=1', flags: ['--v8-pool-size=1'] },
  { label: '--single-threaded', flags: ['--single-threaded'] },
  { label: '--jitless', flags: ['--jitless'] },
  { label: '--no-opt', flags: ['--no-opt'] },
  { label: '--disable-wasm-trap-handler', flags: ['--disable-wasm-trap-handler'] },
];

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1], min: sorted[0] };
}

/**
 * VmRSS, and RssAnon: the process's private memory. The rest of VmRSS is
 * mostly the node binary's file pages, which the extension shares with the
 * runtime process (same /var/lang/bin/node), so RssAnon is what it adds.
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`pid ${child.pid} did not exit within ${STEP_TIMEOUT_MS} ms`)); }, STEP_TIMEOUT_MS);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
  });
}

/** A copy of the built layer with its own launcher flags, in a temp dir. */
function layerWithFlags(root: string, flags: readonly string[]): string {
  const executable = path.join(root, 'extensions', EXTENSION_NAME);
  mkdirSync(path.dirname(executable), { recursive: true });
  mkdirSync(path.join(root, EXTENSION_NAME), { recursive: true });
  copyFileSync(path.join(EXTENSION_CODE_DIR, EXTENSION_ENTRY_FILE), path.join(root, EXTENSION_NAME, EXTENSION_ENTRY_FILE));
  writeFileSync(executable, extensionLauncher(flags));
  chmodSync(executable, 0o755);
  return executable;
}

/**
 * The same extension bundled as ESM (.mjs), to keep the CommonJS choice of
 * scripts/build.ts checkable. `__dirname` (used by artifacts.ts for paths the
 * extension never reads) does not exist in ESM, so it is defined away here.
 */
async function esmLayer(root: string): Promise<string> {
  const executable = path.join(root, 'extensions', EXTENSION_NAME);
  mkdirSync(path.dirname(executable), { recursive: true });
  await build({
    entryPoints: [path.join(PROJECT_ROOT, 'extension/main.ts')], outfile: path.join(root, EXTENSION_NAME, 'index.mjs'),
    bundle: true, platform: 'node', format: 'esm', target: 'node22', minify: true, keepNames: true, logLevel: 'warning',
    define: { __dirname: '"."' },
  });
  writeFileSync(executable, extensionLauncher([]).replace(EXTENSION_ENTRY_FILE, 'index.mjs'));
  chmodSync(executable, 0o755);
  return executable;
}

async function measureLayerOnce(executable: string): Promise<{ registeredMs: number; memory: { rss: number; anon: number } }> {
  const api = await LoopbackExtensionsApi.start();
  try {
    const started = performance.now();
    const child = spawn(executable, [], { env: { PATH: process.env.PATH ?? '', [LambdaEnv.runtimeApi]: api.address }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const registered = await api.waitFor(ExtensionPath.register, STEP_TIMEOUT_MS);
    await api.waitFor(ExtensionPath.next, STEP_TIMEOUT_MS);
    await delay(SETTLE_MS);
    const memory = memoryKb(child.pid ?? 0);
    api.sendEvent({ eventType: 'SHUTDOWN', shutdownReason: ShutdownReason.spindown, deadlineMs: Date.now() + ShutdownBudget.total });
    const exit = await exited(child);
    if (exit.code !== 0) throw new Error(`extension exited ${exit.code ?? exit.signal}: ${output}`);
    return { registeredMs: registered.at - started, memory };
  } finally {
    await api.close();
  }
}

/**
 * Measures every variant round-robin (one spawn of each per round), so that
 * load from anything else on the machine lands on all of them alike.
 */
export async function measureLayers(variants: { label: string; executable: string; flags: readonly string[] }[], runs: number): Promise<LayerVariant[]> {
  const samples = variants.map(() => ({ registered: [] as number[], rss: [] as number[], anon: [] as number[] }));
  for (const variant of variants) await measureLayerOnce(variant.executable); // warm the page cache; not counted
  for (let round = 0; round < runs; round += 1) {
    for (const [index, variant] of variants.entries()) {
      const sample = await measureLayerOnce(variant.executable);
      samples[index].registered.push(sample.registeredMs);
      samples[index].rss.push(sample.memory.rss);
      samples[index].anon.push(sample.memory.anon);
    }
  }
  return variants.map((variant, index) => ({
    label: variant.label,
    flags: variant.flags,
    spawnToRegisteredMs: stats(samples[index].registered),
    rssKb: stats(samples[index].rss),
    rssAnonKb: stats(samples[index].anon),
    runs,
  }));
}

/** A runtime stand-in: the in-process module bundled as the handler would bundle it. */
async function bundleRuntimeStandIn(dir: string): Promise<string> {
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
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node22', minify: true, logLevel: 'warning' });
  return outfile;
}

async function measureRuntimeOnce(bundle: string, withExtension: boolean): Promise<{ registrationMs: number; memory: { rss: number; anon: number } }> {
  const api = await LoopbackExtensionsApi.start();
  const child = spawn(process.execPath, [bundle, withExtension ? 'with' : 'without'], {
    env: { PATH: process.env.PATH ?? '', [LambdaEnv.runtimeApi]: api.address }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('runtime stand-in did not report')), STEP_TIMEOUT_MS);
      child.stdout?.once('data', (chunk: Buffer) => { clearTimeout(timer); resolve(chunk.toString()); });
    });
    if (withExtension) await api.waitFor(ExtensionPath.next, STEP_TIMEOUT_MS);
    await delay(SETTLE_MS);
    const { registrationMs } = JSON.parse(line) as { registrationMs: number };
    return { registrationMs, memory: memoryKb(child.pid ?? 0) };
  } finally {
    child.kill('SIGKILL');
    await exited(child);
    await api.close();
  }
}

async function measureInProcess(dir: string, runs: number): Promise<InProcessCost> {
  const bundle = await bundleRuntimeStandIn(dir);
  const registration: number[] = [];
  const withRss: number[] = [];
  const withoutRss: number[] = [];
  const withAnon: number[] = [];
  const withoutAnon: number[] = [];
  await measureRuntimeOnce(bundle, true);
  for (let i = 0; i < runs; i += 1) {
    const withSample = await measureRuntimeOnce(bundle, true);
    const withoutSample = await measureRuntimeOnce(bundle, false);
    registration.push(withSample.registrationMs);
    withRss.push(withSample.memory.rss);
    withAnon.push(withSample.memory.anon);
    withoutRss.push(withoutSample.memory.rss);
    withoutAnon.push(withoutSample.memory.anon);
  }
  const rssWithKb = stats(withRss);
  const rssWithoutKb = stats(withoutRss);
  return {
    registrationMs: stats(registration), rssWithKb, rssWithoutKb,
    extraRssKb: rssWithKb.median - rssWithoutKb.median,
    extraRssAnonKb: stats(withAnon).median - stats(withoutAnon).median,
    runs,
  };
}

export async function runExtensionStartupBench(options: { runs?: number; variants?: boolean } = {}): Promise<ExtensionStartupResults> {
  const runs = Math.max(20, options.runs ?? 20);
  const dir = mkdtempSync(path.join(tmpdir(), 'extension-bench-'));
  try {
    const shippedVariant = { label: `shipped launcher (${EXTENSION_NODE_FLAGS.join(' ') || 'no flags'})`, executable: EXTENSION_EXECUTABLE, flags: EXTENSION_NODE_FLAGS };
    const candidates = options.variants === false ? [] : CANDIDATES.map((candidate, index) => ({
      ...candidate,
      executable: layerWithFlags(path.join(dir, `layer-${index}`), candidate.flags),
    }));
    if (options.variants !== false) {
      candidates.push({ label: 'ESM bundle (index.mjs), no flags', flags: [], executable: await esmLayer(path.join(dir, 'layer-esm')) });
    }
    const [shipped, ...variants] = await measureLayers([shippedVariant, ...candidates], runs);
    const inProcess = await measureInProcess(dir, runs);
    return { node: process.version, shipped, variants, inProcess };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (n: number) => n.toFixed(1);
const mb = (kb: number) => (kb / 1024).toFixed(1);

export function extensionStartupTable(results: ExtensionStartupResults): string {
  const rows = [
    '| variant | spawn to registered, min / median / p90 / max (ms) | VmRSS waiting in next, median (MB) | of which private (RssAnon, MB) |',
    '|---|---|---|---|',
    ...[results.shipped, ...results.variants].map((v) =>
      `| ${v.label} | ${ms(v.spawnToRegisteredMs.min)} / ${ms(v.spawnToRegisteredMs.median)} / ${ms(v.spawnToRegisteredMs.p90)} / ${ms(v.spawnToRegisteredMs.max)} | ${mb(v.rssKb.median)} | ${mb(v.rssAnonKb.median)} |`),
    `| in-process (internal extension in the runtime) | registration ${ms(results.inProcess.registrationMs.min)} / ${ms(results.inProcess.registrationMs.median)} / ${ms(results.inProcess.registrationMs.p90)} / ${ms(results.inProcess.registrationMs.max)} | +${mb(results.inProcess.extraRssKb)} over the runtime's ${mb(results.inProcess.rssWithoutKb.median)} | +${mb(results.inProcess.extraRssAnonKb)} |`,
  ];
  return `Extension start-up, ${results.shipped.runs} runs each, Node ${results.node}\n\n${rows.join('\n')}\n`;
}

if (require.main === module) {
  const runs = Number(process.argv[2] ?? 20);
  runExtensionStartupBench({ runs }).then(
    (results) => {
      console.log(extensionStartupTable(results));
      console.log(JSON.stringify(results));
    },
    (error: unknown) => {
      console.error('extension-startup bench failed:', error);
      process.exitCode = 1;
    },
  );
}
