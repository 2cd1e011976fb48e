// Validates and plans synthesized stacks with the real terraform binary and
// AWS provider, no AWS account: for each stack and each form (the JSON
// Terraform loads, the HCL reviewers read), a temporary copy gets
// `terraform init`, `validate`, `plan -out` and `show` (text and JSON). A
// stack whose provider constraint no mirrored provider meets, or that needs an
// AWS account to plan (imports, data sources read from AWS, assume_role), is
// reported by name with what it needs, and the others still run. No command
// after init can reach past this machine (the egress guard).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { accountNeeds, accountNeedsReason } from './account-needs';
import { writeCliConfig } from './cli-config';
import { findProviderMirror, findTerraform, type ProviderMirror } from './discovery';
import { startEgressGuard, type EgressGuard } from './egress-guard';
import { TerraformCheckError } from './errors';
import { planCounts, type PlanCounts, type PlanJson } from './plan-json';
import { formatVersion, lowerBound, parseConstraint, parseVersion, satisfies, compareVersions } from '../infrastructure/provider-version';
import { TERRAFORM_REQUIRED_VERSION } from '../infrastructure/versions';
import { startIamStub, startStsStub, type StsStub } from './sts-stub';
import { runTerraform, type TerraformEnvironment } from './terraform-process';
import { prepareWorkspace, StackForm, type LoopbackEndpoints } from './workspace';

export interface StackSource {
  readonly name: string;
  /** cdktf.out/stacks/<name>: cdk.tf.json and assets/. */
  readonly stackDir: string;
  /** cdktf.out/review/<name>.tf; without it only the JSON form is checked. */
  readonly hclFile?: string;
}

export interface PlannedForm {
  readonly form: StackForm;
  /** `terraform show` of the plan (JSON form only). */
  readonly planText?: string;
  readonly planJson: PlanJson;
  readonly counts: PlanCounts;
}

/** Why a stack was not planned: a newer provider than this machine has, or an AWS account. */
export const PlanBlocker = { provider: 'provider', account: 'account' } as const;
export type PlanBlocker = (typeof PlanBlocker)[keyof typeof PlanBlocker];

export type StackOutcome =
  | { readonly stack: string; readonly planned: true; readonly forms: readonly PlannedForm[] }
  | { readonly stack: string; readonly planned: false; readonly blocker: PlanBlocker; readonly needs: string; readonly reason: string };

export interface PlanRun {
  readonly terraformVersion: string;
  /** The aws provider version `terraform init` installed (the newest one used, if several). */
  readonly providerVersion?: string;
  readonly mirror?: ProviderMirror;
  readonly outcomes: readonly StackOutcome[];
  /** STS actions the stub answered: GetCallerIdentity only, or the plan asked AWS for more. */
  readonly stsActions: readonly string[];
  /** Destinations beyond this machine a command tried to reach (refused by the egress guard); empty on a sound run. */
  readonly egressAttempts: readonly string[];
}

export interface PlanOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the temporary copies go (default: a new directory under os.tmpdir(), removed afterwards). */
  readonly workRoot?: string;
  readonly onProgress?: (line: string) => void;
  /** Aborting it (Ctrl-C) interrupts the running terraform commands; the run then rejects, its temporary copies removed. */
  readonly signal?: AbortSignal;
}

async function terraformVersion(tf: TerraformEnvironment, cwd: string, signal: AbortSignal): Promise<string> {
  const { stdout } = await runTerraform(tf, ['version', '-json'], { cwd, step: 'terraform version', signal });
  const version = String(JSON.parse(stdout).terraform_version);
  if (!satisfies(parseVersion(version), parseConstraint(TERRAFORM_REQUIRED_VERSION))) {
    throw new TerraformCheckError(
      `${tf.bin} is Terraform ${version}; the stacks require ${TERRAFORM_REQUIRED_VERSION} (S3 use_lockfile). Install a newer Terraform or set TERRAFORM_BIN.`,
      { step: 'terraform version' },
    );
  }
  return version;
}

function stackJson(stack: StackSource): PlanJson {
  return JSON.parse(readFileSync(path.join(stack.stackDir, 'cdk.tf.json'), 'utf8'));
}

/** The stack's own hashicorp/aws constraint, as synthesized. */
function awsConstraint(stack: StackSource): string | undefined {
  return stackJson(stack).terraform?.required_providers?.aws?.version;
}

/** Why a mirror cannot serve this stack, or undefined when it can (or when the registry serves). */
export function providerGap(stack: StackSource, mirror: ProviderMirror | undefined): Extract<StackOutcome, { planned: false }> | undefined {
  const constraint = awsConstraint(stack);
  if (!mirror || !constraint) return undefined;
  const parsed = parseConstraint(constraint);
  if (mirror.versions.some((v) => satisfies(parseVersion(v), parsed))) return undefined;
  const floor = lowerBound(parsed);
  const needs = floor ? `hashicorp/aws >= ${formatVersion(floor)}` : `hashicorp/aws ${constraint}`;
  return {
    stack: stack.name,
    planned: false,
    blocker: PlanBlocker.provider,
    needs,
    reason: `stack "${stack.name}" needs ${needs} (constraint "${constraint}"); the provider here is ${mirror.versions.join(', ')} `
      + `(mirror ${mirror.root}): not planned. Add that release to the mirror, or set TF_PROVIDER_MIRROR=none on a machine with registry access.`,
  };
}

/** Why the stack cannot be planned without an AWS account, or undefined when it can. */
export function accountGap(stack: StackSource): Extract<StackOutcome, { planned: false }> | undefined {
  const needs = accountNeeds(stackJson(stack));
  if (needs.length === 0) return undefined;
  return { stack: stack.name, planned: false, blocker: PlanBlocker.account, needs: 'an AWS account', reason: accountNeedsReason(stack.name, needs) };
}

function installedAwsVersion(lockFile: string): string | undefined {
  const text = readFileSync(lockFile, 'utf8');
  return /provider "registry\.terraform\.io\/hashicorp\/aws" \{\s*version\s*=\s*"([^"]+)"/.exec(text)?.[1];
}

/**
 * `terraform init`, one at a time per process. Two inits filling the run's
 * plugin cache at once were seen to fail here with "after installing
 * registry.terraform.io/hashicorp/aws it is still not detected in
 * .terraform/providers"; Terraform does not make the cache safe for
 * concurrent writers. Init is seconds; the plans still run side by side.
 */
let initQueue: Promise<unknown> = Promise.resolve();
function oneInitAtATime<T>(init: () => Promise<T>): Promise<T> {
  const turn = initQueue.then(init, init);
  initQueue = turn.catch(() => undefined);
  return turn;
}

/** A run's terraform settings: `init` may use the registry; every later command goes through the egress guard. */
interface RunTools {
  readonly init: TerraformEnvironment;
  readonly guarded: TerraformEnvironment;
  readonly endpoints: LoopbackEndpoints;
  readonly signal: AbortSignal;
}

async function planForm(tools: RunTools, stack: StackSource, form: StackForm, dir: string): Promise<PlannedForm & { provider?: string }> {
  const context = { cwd: dir, stack: stack.name, form, signal: tools.signal };
  const tf = tools.guarded;
  prepareWorkspace({ form, stackDir: stack.stackDir, dir, endpoints: tools.endpoints, ...(stack.hclFile ? { hclFile: stack.hclFile } : {}) });
  await oneInitAtATime(() => runTerraform(tools.init, ['init', '-input=false', '-no-color', '-backend=true'], { ...context, step: 'terraform init' }));
  await runTerraform(tf, ['validate', '-no-color'], { ...context, step: 'terraform validate' });
  await runTerraform(tf, ['plan', '-input=false', '-no-color', '-lock=false', '-out=plan.tfplan'], { ...context, step: 'terraform plan' });
  // Every command loads the provider's schema (most of a command's CPU time), so the
  // text rendering is made only where a reviewer reads it: the JSON form, which deploys.
  const text = form === StackForm.json
    ? runTerraform(tf, ['show', '-no-color', 'plan.tfplan'], { ...context, step: 'terraform show' })
    : Promise.resolve(undefined);
  // allSettled: a failed show still waits for its sibling, so no terraform outlives the run's directory.
  const [shown, asJson] = await Promise.allSettled([
    text,
    runTerraform(tf, ['show', '-json', 'plan.tfplan'], { ...context, step: 'terraform show -json' }),
  ]);
  if (shown.status === 'rejected') throw shown.reason;
  if (asJson.status === 'rejected') throw asJson.reason;
  const planText = shown.value?.stdout;
  const planJson = JSON.parse(asJson.value.stdout);
  const provider = installedAwsVersion(path.join(dir, '.terraform.lock.hcl'));
  return { form, ...(planText !== undefined ? { planText } : {}), planJson, counts: planCounts(planJson), ...(provider ? { provider } : {}) };
}

/** How many stack forms are checked at once: $TF_PLAN_CONCURRENCY, default 2 (two cores; each plan mostly waits on its provider). */
function concurrency(env: NodeJS.ProcessEnv): number {
  const n = Number(env.TF_PLAN_CONCURRENCY ?? 2);
  if (!Number.isInteger(n) || n < 1) throw new TerraformCheckError(`TF_PLAN_CONCURRENCY=${env.TF_PLAN_CONCURRENCY} is not a positive integer`, { step: 'options' });
  return n;
}

/**
 * Runs `work` on every item, at most `limit` at a time, results in item order.
 * After a failure or an interrupt nothing new starts, and what runs is awaited
 * before the first failure is thrown, so no terraform outlives the run's directory.
 */
async function inParallel<T, R>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed && !signal.aborted) {
      const i = next;
      next += 1;
      try {
        results[i] = await work(items[i]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  if (signal.aborted) throw new TerraformCheckError('the run was interrupted', { step: 'plan' }, { cause: signal.reason });
  return results;
}

export async function planStacks(stacks: readonly StackSource[], options: PlanOptions = {}): Promise<PlanRun> {
  const env = options.env ?? process.env;
  const progress = options.onProgress ?? (() => undefined);
  const bin = findTerraform(env);
  const mirror = findProviderMirror(env);
  const limit = concurrency(env);
  const signal = options.signal ?? new AbortController().signal;
  const root = options.workRoot ?? mkdtempSync(path.join(os.tmpdir(), 'terraform-plan-'));
  let sts: StsStub | undefined;
  let iam: StsStub | undefined;
  let guard: EgressGuard | undefined;
  try {
    mkdirSync(root, { recursive: true });
    const cliConfigFile = path.join(root, 'terraform.tfrc');
    writeCliConfig(cliConfigFile, mirror, path.join(root, 'plugin-cache'));
    mkdirSync(path.join(root, 'plugin-cache'), { recursive: true });
    mkdirSync(path.join(root, 'tmp'), { recursive: true });
    const init: TerraformEnvironment = { bin, cliConfigFile, tmpDir: path.join(root, 'tmp') };
    sts = await startStsStub();
    iam = await startIamStub();
    guard = await startEgressGuard();
    const tools: RunTools = { init, guarded: { ...init, egressProxy: guard.proxyUrl }, endpoints: { sts: sts.endpoint, iam: iam.endpoint }, signal };
    const version = await terraformVersion(tools.guarded, root, signal);
    progress(`terraform ${version} (${bin}); aws provider from ${mirror ? `the mirror ${mirror.root} (${mirror.foundBy}): ${mirror.versions.join(', ')}` : 'the registry'}`);
    const jobs: { stack: StackSource; form: StackForm }[] = [];
    const refusals = new Map<string, StackOutcome>();
    for (const stack of stacks) {
      const refused = accountGap(stack) ?? providerGap(stack, mirror);
      if (refused) {
        progress(`${stack.name}: not planned (needs ${refused.needs})`);
        refusals.set(stack.name, refused);
      } else for (const form of stack.hclFile ? [StackForm.json, StackForm.hcl] : [StackForm.json]) jobs.push({ stack, form });
    }
    const results = await inParallel(jobs, limit, signal, async ({ stack, form }) => {
      const started = process.hrtime.bigint();
      const planned = await planForm(tools, stack, form, path.join(root, `${stack.name}-${form}`));
      progress(`${stack.name} (${form}): init, validate, plan: ${planned.counts.add} to add, ${planned.counts.change} to change, `
        + `${planned.counts.destroy} to destroy (${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s)`);
      return planned;
    });
    const providers = results.map((r) => r.provider).filter((v): v is string => v !== undefined);
    const providerVersion = providers.sort((a, b) => compareVersions(parseVersion(a), parseVersion(b))).at(-1);
    const outcomes: StackOutcome[] = stacks.map((stack) => refusals.get(stack.name) ?? {
      stack: stack.name,
      planned: true,
      forms: results.filter((_r, i) => jobs[i].stack === stack).map(({ provider: _provider, ...planned }) => planned),
    });
    return {
      terraformVersion: version,
      ...(providerVersion ? { providerVersion } : {}),
      ...(mirror ? { mirror } : {}),
      outcomes,
      stsActions: [...sts.actions],
      egressAttempts: [...guard.attempts],
    };
  } finally {
    await sts?.close();
    await iam?.close();
    await guard?.close();
    if (!options.workRoot) rmSync(root, { recursive: true, force: true });
  }
}
