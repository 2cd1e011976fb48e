// Bench fragment: what the emulator itself adds to one warm invoke. An empty
// handler is invoked N times through a whole environment (thaw, Runtime API
// round trip through aws-lambda-ric, back in `next`, freeze) and, as the
// baseline, called N times directly in this process. Also split: the invoke
// phase (thaw to everyone back in `next`) and the rest (freeze: SIGSTOP and
// waiting for the kernel to report every process stopped).
//
// Run alone: `tsx bench/emulator-overhead.ts [invokes]` (default 200).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startEnvironment, type EnvironmentOptions } from '../src/emulator';
import { ExtensionHeader, ExtensionPath, LambdaEnv } from '../src/protocol/lambda-api';
import { round, summarize, type Summary } from './lib/stats';

const WARMUP = 20;
const EMPTY_HANDLER = 'export const handler = async () => ({});\n';
const NOOP_EXTENSION = `#!/usr/bin/env node
const http = require('node:http');
const [host, port] = process.env.${LambdaEnv.runtimeApi}.split(':');
const agent = new http.Agent({ keepAlive: true });
const call = (method, path, headers, body) => new Promise((resolve, reject) => {
  const req = http.request({ host, port, method, path, headers, agent }, (res) => {
    let data = ''; res.setEncoding('utf8'); res.on('data', (c) => { data += c; }); res.on('end', () => resolve({ headers: res.headers, body: data }));
  });
  req.on('error', reject); req.end(body);
});
(async () => {
  const reg = await call('POST', '${ExtensionPath.register}', { '${ExtensionHeader.name}': 'noop' }, '{"events":["INVOKE","SHUTDOWN"]}');
  const id = reg.headers['${ExtensionHeader.identifier}'];
  for (;;) {
    const event = JSON.parse((await call('GET', '${ExtensionPath.next}', { '${ExtensionHeader.identifier}': id })).body);
    if (event.eventType === 'SHUTDOWN') process.exit(0);
  }
})();
`;

export interface OverheadVariant {
  label: string;
  /** Wall time of `env.invoke()`, as a caller sees it. */
  invokeMs: Summary;
  /** Thaw to "runtime answered and everyone back in next". */
  invokePhaseMs: Summary;
  /** The rest: serialising, SIGSTOP and waiting until every process is reported stopped. */
  freezeMs: Summary;
}

export interface EmulatorOverheadResults {
  invokes: number;
  directCallMs: Summary;
  variants: OverheadVariant[];
}

async function throughEmulator(label: string, options: EnvironmentOptions, invokes: number): Promise<OverheadVariant> {
  const env = await startEnvironment({ label, timeoutMs: 10_000, ...options });
  const walls: number[] = [];
  try {
    for (let i = 0; i < WARMUP; i += 1) await env.invoke({});
    for (let i = 0; i < invokes; i += 1) {
      const started = performance.now();
      await env.invoke({});
      walls.push(performance.now() - started);
    }
  } finally {
    await env.shutdown();
  }
  const phases = env.report().phases.filter((phase) => phase.phase === 'invoke').slice(WARMUP).map((phase) => phase.durationMs);
  return {
    label,
    invokeMs: summarize(walls),
    invokePhaseMs: summarize(phases),
    freezeMs: summarize(walls.map((wall, i) => wall - (phases[i] ?? Number.NaN))),
  };
}

async function directCalls(handlerFile: string, invokes: number): Promise<Summary> {
  const module = (await import(pathToFileURL(handlerFile).href)) as { handler: (event: unknown) => Promise<unknown> };
  for (let i = 0; i < WARMUP; i += 1) await module.handler({});
  const samples: number[] = [];
  for (let i = 0; i < invokes; i += 1) {
    const started = performance.now();
    await module.handler({});
    samples.push(performance.now() - started);
  }
  return summarize(samples);
}

export async function runEmulatorOverheadBench(options: { invokes?: number } = {}): Promise<EmulatorOverheadResults> {
  const invokes = options.invokes ?? 200;
  const root = mkdtempSync(path.join(tmpdir(), 'emulator-overhead-'));
  try {
    const handlerDir = path.join(root, 'function');
    const extensionsDir = path.join(root, 'extensions');
    mkdirSync(handlerDir);
    mkdirSync(extensionsDir);
    writeFileSync(path.join(handlerDir, 'index.mjs'), EMPTY_HANDLER);
    writeFileSync(path.join(extensionsDir, 'noop'), NOOP_EXTENSION, { mode: 0o755 });
    const directCallMs = await directCalls(path.join(handlerDir, 'index.mjs'), invokes);
    const variants = [
      await throughEmulator('runtime only', { handlerDir, extensionsDir: null }, invokes),
      await throughEmulator('runtime + 1 extension subscribed to INVOKE', { handlerDir, extensionsDir }, invokes),
    ];
    return { invokes, directCallMs, variants };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const cell = (s: Summary, digits = 2) => `${round(s.p50, digits)} / ${round(s.p99, digits)}`;

/** A markdown table: p50 / p99 in ms. */
export function emulatorOverheadTable(results: EmulatorOverheadResults): string {
  const rows = [
    `| direct call of the handler (baseline) | ${cell(results.directCallMs, 4)} | — | — |`,
    ...results.variants.map((v) => `| through the emulator: ${v.label} | ${cell(v.invokeMs)} | ${cell(v.invokePhaseMs)} | ${cell(v.freezeMs)} |`),
  ];
  return [
    `Emulator overhead per warm invoke, empty handler, ${results.invokes} invokes (ms, p50 / p99)`,
    '',
    '| path | invoke wall | thaw → all back in next | freeze (SIGSTOP, wait stopped) |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  const invokes = Number(process.argv[2] ?? 200);
  runEmulatorOverheadBench({ invokes }).then(
    (results) => console.log(emulatorOverheadTable(results)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
