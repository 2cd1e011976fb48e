// `npm run synth` (after the build): validate every environment, synthesize
// every stack into a scratch directory beside cdktf.out, then move the result
// into cdktf.out. Same output as `npx cdktf synth` (same main.ts wiring, same
// CDKTF writer) without the CLI's start-up; a failure leaves cdktf.out as it was.
//   --hcl  also write cdktf.out/review/<stack>.tf (HCL for plan review)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/protocol/artifacts';
import { buildApp } from '../src/infrastructure/app';
import type { EnvironmentsInput } from '../src/infrastructure/config/types';
import { InfrastructureError } from '../src/infrastructure/errors';
import { REVIEW_DIR, synthesize } from '../src/infrastructure/synthesize';

/** What a stack directory holds that synthesis produced (anything else, e.g. .terraform/, is kept). */
const GENERATED_IN_STACK_DIR = ['cdk.tf.json', 'cdk.tf', 'metadata.json', 'assets'];

export interface SynthOptions {
  outdir?: string;
  hcl?: boolean;
  environments?: EnvironmentsInput;
  /** Build directories (tests use fixtures). */
  handlerDir?: string;
  layerDir?: string;
}

export interface SynthResult {
  outdir: string;
  stacks: { name: string; dir: string; file: string }[];
  review?: string;
}

export async function synth(options: SynthOptions = {}): Promise<SynthResult> {
  const outdir = path.resolve(options.outdir ?? path.join(PROJECT_ROOT, 'cdktf.out'));
  // The stack synthesizer switches to HCL when this is set; HCL here is opt-in with --hcl.
  delete process.env.SYNTH_HCL_OUTPUT;
  mkdirSync(path.dirname(outdir), { recursive: true });
  const scratch = mkdtempSync(path.join(path.dirname(outdir), `.${path.basename(outdir)}-`));
  try {
    const { app } = buildApp({
      outdir: scratch, hclOutput: false,
      ...(options.environments ? { environments: options.environments } : {}),
      ...(options.handlerDir ? { handlerDir: options.handlerDir } : {}),
      ...(options.layerDir ? { layerDir: options.layerDir } : {}),
    });
    const stacks = await synthesize(app, { hcl: options.hcl ?? false });
    install(scratch, outdir, stacks.map((s) => s.node.id));
    return {
      outdir,
      stacks: stacks.map((s) => ({ name: s.node.id, dir: path.join(outdir, 'stacks', s.node.id), file: path.join(outdir, 'stacks', s.node.id, 'cdk.tf.json') })),
      ...(options.hcl ? { review: path.join(outdir, REVIEW_DIR) } : {}),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Moves the synthesized files into outdir, keeping Terraform's own files (.terraform/, lock file, plans). */
function install(scratch: string, outdir: string, stackNames: string[]): void {
  const stacksDir = path.join(outdir, 'stacks');
  mkdirSync(stacksDir, { recursive: true });
  for (const existing of readdirSync(stacksDir)) {
    if (!stackNames.includes(existing)) rmSync(path.join(stacksDir, existing), { recursive: true, force: true });
  }
  for (const name of stackNames) {
    const from = path.join(scratch, 'stacks', name);
    const to = path.join(stacksDir, name);
    mkdirSync(to, { recursive: true });
    for (const generated of GENERATED_IN_STACK_DIR) rmSync(path.join(to, generated), { recursive: true, force: true });
    for (const entry of readdirSync(from)) renameSync(path.join(from, entry), path.join(to, entry));
  }
  rmSync(path.join(outdir, REVIEW_DIR), { recursive: true, force: true });
  if (existsSync(path.join(scratch, REVIEW_DIR))) renameSync(path.join(scratch, REVIEW_DIR), path.join(outdir, REVIEW_DIR));
  renameSync(path.join(scratch, 'manifest.json'), path.join(outdir, 'manifest.json'));
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const hcl = process.argv.includes('--hcl');
  try {
    const result = await synth({ hcl });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const rel = (p: string): string => path.relative(process.cwd(), p) || '.';
    console.log(`synth: ${result.stacks.length} stacks in ${ms.toFixed(0)} ms; Terraform JSON in ${rel(path.join(result.outdir, 'stacks'))}/`);
    for (const stack of result.stacks) console.log(`  ${stack.name.padEnd(8)} ${rel(stack.file)}   (terraform -chdir=${rel(stack.dir)} init && plan)`);
    if (result.review) console.log(`  HCL for review: ${rel(result.review)}/<stack>.tf`);
  } catch (error) {
    if (!(error instanceof InfrastructureError)) throw error;
    console.error(`synth failed, nothing written:\n${error.message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
