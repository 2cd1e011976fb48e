// `npm run plan` (after `npm run synth:hcl`'s build and synth): for every
// stack in cdktf.out, its JSON and its review HCL each get terraform init,
// validate and plan in a temporary copy, with no AWS account. Writes, for
// reviewers, cdktf.out/review/<stack>.plan.txt (terraform show, no colour) and
// <stack>.plan.json (terraform show -json), both from the JSON form, which is
// what deploys; fails if the HCL plans anything else or a plan holds a
// secret. A stack whose provider constraint no provider here meets is listed
// as NOT PLANNED with the release it needs; the others still count. An
// on-demand stack held back only by its runtime is then also planned as a
// nodejs22.x copy, labelled as such everywhere (<stack>.nodejs22.x.plan.txt),
// so every resource and policy of it is still proven by Terraform.
//   --outdir <dir>  plan that synth output instead of cdktf.out
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/protocol/artifacts';
import { ComputeMode, DEFAULT_LAMBDA_RUNTIME, LambdaRuntime } from '../src/protocol/lambda-runtime';
import { environments } from '../src/infrastructure/config/environments';
import type { EnvironmentsInput } from '../src/infrastructure/config/types';
import { synth } from './synth';
import { InfrastructureError } from '../src/infrastructure/errors';
import { REVIEW_DIR } from '../src/infrastructure/synthesize';
import { TerraformCheckError } from '../src/offline-plan/errors';
import { planDifferences } from '../src/offline-plan/plan-compare';
import { findSecrets } from '../src/offline-plan/plan-json';
import { PlanBlocker, planStacks, type PlanRun, type StackSource } from '../src/offline-plan/plan-runner';

export function stackSources(outdir: string): StackSource[] {
  const stacksDir = path.join(outdir, 'stacks');
  if (!existsSync(stacksDir)) throw new TerraformCheckError(`${stacksDir} does not exist: run \`npm run synth:hcl\` first`, { step: 'read cdktf.out' });
  return readdirSync(stacksDir).sort().map((name) => {
    const hclFile = path.join(outdir, REVIEW_DIR, `${name}.tf`);
    if (!existsSync(hclFile)) throw new TerraformCheckError(`${hclFile} does not exist: run \`npm run synth:hcl\` (synth with --hcl)`, { stack: name, step: 'read cdktf.out' });
    return { name, stackDir: path.join(stacksDir, name), hclFile };
  });
}

/** Checks the run's plans agree and hold no secret; writes the review files. Returns the failures. */
export function reviewPlans(run: PlanRun, reviewDir: string, label = ''): string[] {
  const failures: string[] = [];
  for (const outcome of run.outcomes) {
    if (!outcome.planned) continue;
    const [json, hcl] = [outcome.forms.find((f) => f.form === 'json')!, outcome.forms.find((f) => f.form === 'hcl')];
    writeFileSync(path.join(reviewDir, `${outcome.stack}${label}.plan.txt`), json.planText ?? '');
    writeFileSync(path.join(reviewDir, `${outcome.stack}${label}.plan.json`), `${JSON.stringify(json.planJson, null, 2)}\n`);
    if (hcl) failures.push(...planDifferences(json.planJson, hcl.planJson).map((d) => `stack "${outcome.stack}": the HCL plans differently: ${d}`));
    for (const form of outcome.forms) {
      failures.push(...findSecrets(form.planJson).map((s) => `stack "${outcome.stack}" (${form.form}): ${s.address} ${s.path}: ${s.why}`));
    }
  }
  const unexpected = run.stsActions.filter((a) => a !== 'GetCallerIdentity');
  if (unexpected.length > 0) failures.push(`the plans asked STS for ${[...new Set(unexpected)].join(', ')}`);
  if (run.egressAttempts.length > 0) failures.push(`terraform tried to reach beyond this machine (refused): ${[...new Set(run.egressAttempts)].join(', ')}`);
  return failures;
}

const NODEJS22_LABEL = `.${LambdaRuntime.nodejs22}`;

/** On-demand stacks on nodejs24.x: an older provider refuses only their runtime value. */
function isOnDemandOnNode24(stack: string): boolean {
  const fn = environments[stack]?.function;
  return fn !== undefined && fn.compute !== ComputeMode.managedInstances && (fn.runtime ?? DEFAULT_LAMBDA_RUNTIME) === LambdaRuntime.nodejs24;
}

/** Synthesizes `stacks` again with nodejs22.x into a scratch directory and plans that copy. */
async function planAsNodejs22(stacks: string[], reviewDir: string, failures: string[], signal: AbortSignal): Promise<PlanRun> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'plan-nodejs22-'));
  try {
    const copies: EnvironmentsInput = Object.fromEntries(stacks.map((name) => {
      const input = environments[name]!;
      return [name, { ...input, function: { ...input.function, runtime: LambdaRuntime.nodejs22 } }];
    }));
    const copy = await synth({ outdir: path.join(scratch, 'cdktf.out'), hcl: true, environments: copies });
    const run = await planStacks(stackSources(copy.outdir), { signal, onProgress: (line) => console.log(`plan (${LambdaRuntime.nodejs22} copy): ${line}`) });
    failures.push(...reviewPlans(run, reviewDir, NODEJS22_LABEL));
    return run;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Ctrl-C or SIGTERM interrupts terraform and lets every `finally` remove its
 * temporary copies before the process exits with the signal's code; a second
 * signal exits at once. Without this, Node would exit on the first one and
 * leave the copies (and the provider links in them) behind.
 */
function interruptOnSignals(): AbortController {
  const controller = new AbortController();
  for (const name of Object.keys(SIGNAL_EXIT_CODES) as (keyof typeof SIGNAL_EXIT_CODES)[]) {
    process.on(name, () => {
      if (controller.signal.aborted) process.exit(SIGNAL_EXIT_CODES[name]);
      console.error(`plan: ${name}: stopping terraform and removing the temporary copies (${name} again quits at once)`);
      controller.abort(new Error(`interrupted by ${name}`));
      process.exitCode = SIGNAL_EXIT_CODES[name];
    });
  }
  return controller;
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const { signal } = interruptOnSignals();
  // --outdir <dir>: plan another synth output than cdktf.out (e.g. a copy with a config change).
  const at = process.argv.indexOf('--outdir');
  const outdir = path.resolve(at > 0 && process.argv[at + 1] ? process.argv[at + 1] : path.join(PROJECT_ROOT, 'cdktf.out'));
  const rel = (p: string): string => path.relative(process.cwd(), p) || '.';
  try {
    const run = await planStacks(stackSources(outdir), { signal, onProgress: (line) => console.log(`plan: ${line}`) });
    const reviewDir = path.join(outdir, REVIEW_DIR);
    const failures = reviewPlans(run, reviewDir);
    const heldBack = run.outcomes.filter((o) => !o.planned && o.blocker === PlanBlocker.provider).map((o) => o.stack).filter(isOnDemandOnNode24);
    const fallback = heldBack.length > 0 ? await planAsNodejs22(heldBack, reviewDir, failures, signal) : undefined;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`plan: Terraform ${run.terraformVersion}, hashicorp/aws ${run.providerVersion ?? fallback?.providerVersion ?? '(none installed)'}, ${seconds.toFixed(0)} s`);
    const report = (outcomes: PlanRun['outcomes'], label: string) => {
      for (const outcome of outcomes) {
        const name = `${outcome.stack}${label}`;
        if (!outcome.planned) {
          console.log(`  ${name.padEnd(8)} NOT PLANNED: ${outcome.reason}`);
          continue;
        }
        const counts = outcome.forms.map((f) => `${f.form} ${f.counts.add} to add, ${f.counts.change} to change, ${f.counts.destroy} to destroy`).join('; ');
        console.log(`  ${name.padEnd(8)} ${counts}`);
        console.log(`  ${''.padEnd(8)} ${rel(path.join(reviewDir, `${name}.plan.txt`))}  ${rel(path.join(reviewDir, `${name}.plan.json`))}`);
      }
    };
    report(run.outcomes, '');
    if (fallback) {
      console.log(`plan: the same on-demand stacks with function.runtime=${LambdaRuntime.nodejs22} (every provider from 5.100.0 knows it; the rest of each stack unchanged):`);
      report(fallback.outcomes, NODEJS22_LABEL);
    }
    const plannedCount = run.outcomes.filter((o) => o.planned).length;
    const fallbackCount = fallback?.outcomes.filter((o) => o.planned).length ?? 0;
    console.log(`plan: ${plannedCount} of ${run.outcomes.length} stacks planned as synthesized${fallback ? `, ${fallbackCount} more as ${LambdaRuntime.nodejs22} copies` : ''}, each from its JSON and its review HCL`);
    // A run that planned nothing proved nothing: that is a failure, not a pass.
    if (plannedCount + fallbackCount === 0) failures.push('no stack could be planned with the provider on this machine (see NOT PLANNED above)');
    if (failures.length > 0) {
      console.error(`plan failed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
      process.exitCode = 1;
    }
  } catch (error) {
    if (!(error instanceof InfrastructureError)) throw error;
    console.error(`plan failed: ${error.message}`);
    // An interrupt keeps the signal's exit code.
    if (!signal.aborted) process.exitCode = 1;
  }
}

if (require.main === module) void main();
