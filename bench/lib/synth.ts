// `npm run synth` wall time and peak memory, against the plain ts-node app
// with barrel imports of the provider (bench/baseline/barrel-main.ts).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';
import { measureCommand, type CommandMeasurement } from './measure-command';
import { summarize, type Summary } from './stats';

export interface SynthFigures {
  command: string;
  runs: number;
  failures: number;
  wallMs: Summary;
  largestProcessRssMb: Summary;
  treeRssMb: Summary;
  lastError?: string;
}

export interface SynthReport {
  /** `npm run synth`: the build, then every stack. */
  ours: SynthFigures;
  /** `tsx scripts/synth.ts` alone (dist already built): the synthesis share of the figure above. */
  synthStepOnly: SynthFigures;
  baseline: SynthFigures | { missing: string };
}

export const BARREL_BASELINE = path.join(PROJECT_ROOT, 'bench/baseline/barrel-main.ts');

function tail(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

async function measureRuns(argv: string[], runs: number, env?: NodeJS.ProcessEnv): Promise<SynthFigures> {
  const results: CommandMeasurement[] = [];
  for (let i = 0; i < runs; i += 1) {
    results.push(await measureCommand(argv, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, timeoutMs: 240_000 }));
  }
  const ok = results.filter((r) => r.exitCode === 0);
  const failed = results.find((r) => r.exitCode !== 0);
  return {
    command: argv.join(' '),
    runs,
    failures: results.length - ok.length,
    wallMs: summarize(ok.map((r) => r.wallMs)),
    largestProcessRssMb: summarize(ok.map((r) => r.largestProcessRssMb ?? Number.NaN)),
    treeRssMb: summarize(ok.map((r) => r.treeRssMb ?? Number.NaN)),
    lastError: failed ? `exit ${failed.exitCode ?? failed.signal}: ${tail(failed.stderr || failed.stdout)}` : undefined,
  };
}

export async function measureSynth(runs: number): Promise<SynthReport> {
  // CHECKPOINT_DISABLE keeps cdktf from phoning home: no network in the figure.
  const env = { CHECKPOINT_DISABLE: '1', CI: '1' };
  const ours = await measureRuns(['npm', 'run', '--silent', 'synth'], runs, env);
  const synthStepOnly = await measureRuns([path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'), 'scripts/synth.ts'], runs, env);
  if (!existsSync(BARREL_BASELINE)) {
    return { ours, synthStepOnly, baseline: { missing: `${path.relative(PROJECT_ROOT, BARREL_BASELINE)} does not exist` } };
  }
  // The baseline's own header says how it is run: ts-node in script mode, which reads bench/baseline/tsconfig.json.
  const baseline = await measureRuns([path.join(PROJECT_ROOT, 'node_modules/.bin/ts-node'), BARREL_BASELINE], runs, env);
  return { ours, synthStepOnly, baseline };
}
