// The example pipeline, read as YAML: remote state from pipeline variables
// with no placeholder in the repository, a saved plan on every pull request,
// a deploy that applies exactly the plan of its own commit, one provider lock
// file per run used read-only by plan and apply, OIDC credentials only.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { environments } from '../../src/infrastructure/config/environments';
import { PipelineVariable } from '../../src/infrastructure/config/state-backend';
import { AWS_PROVIDER_CEILING } from '../../src/infrastructure/versions';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';
import { synthEnvironment, type Json } from './support';

const text = readFileSync(path.join(PROJECT_ROOT, '.github/workflows/terraform.yml'), 'utf8');
const workflow: Json = parse(text);
const stepsOf = (job: string): Json[] => workflow.jobs[job].steps;
const uses = (job: string, action: string): Json[] => stepsOf(job).filter((s) => String(s.uses ?? '').startsWith(action));
const named = (job: string, name: string): Json => {
  const step = stepsOf(job).find((s) => s.name === name);
  if (!step) throw new Error(`job ${job} has no step named "${name}"`);
  return step;
};
/** Every shell line of every step, with its job. */
const shellLines = (): { job: string; line: string }[] => Object.keys(workflow.jobs).flatMap((job) => stepsOf(job)
  .flatMap((s) => String(s.run ?? '').split('\n').map((line) => ({ job, line: line.split('#')[0].trim() })))
  .filter(({ line }) => line.length > 0));
const LOCK_FILE = path.join(PROJECT_ROOT, '.terraform.lock.hcl');
/** The hashicorp/aws version the committed lock file pins. */
function lockedAwsVersion(): string {
  const lock = readFileSync(LOCK_FILE, 'utf8');
  const pinned = /provider "registry\.terraform\.io\/hashicorp\/aws" \{\s*version\s*=\s*"([\d.]+)"/.exec(lock)?.[1];
  if (pinned === undefined) throw new Error(`${LOCK_FILE} pins no hashicorp/aws version`);
  return pinned;
}
/** The lowest hashicorp/aws an environment's stack admits (its `>= x.y.z` constraint). */
function providerFloorOf(name: string): string {
  const constraint = String(synthEnvironment(name, environments[name]).tf.terraform.required_providers.aws.version);
  const floor = />=\s*([\d.]+)/.exec(constraint)?.[1];
  if (floor === undefined) throw new Error(`stack ${name}: no lower bound in ${constraint}`);
  return floor;
}
const version = (v: string): number[] => v.split('.').map(Number);
const atLeast = (v: string, floor: string): boolean => {
  const [a, b] = [version(v), version(floor)];
  for (let i = 0; i < 3; i += 1) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

describe('the example pipeline', () => {
  it('runs on pull requests and on pushes to main', () => {
    expect(workflow.on.pull_request.branches).toEqual(['main']);
    expect(workflow.on.push.branches).toEqual(['main']);
  });

  it('grants nothing beyond reading the repository by default', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('tests first (the same .ci/run as CI), then synthesizes, and plans and deploys only after', () => {
    const runs = stepsOf('test').map((s) => s.run).filter(Boolean).map((r: string) => r.split('#')[0].trim());
    expect(runs.slice(0, 2)).toEqual(['.ci/run', 'npm run synth:hcl']);
    expect(workflow.jobs.plan.needs).toBe('test');
    expect(workflow.jobs.deploy.needs).toEqual(['test', 'plan']);
  });

  it('plans and deploys every environment this repository defines', () => {
    const stacks = Object.keys(environments).sort();
    expect([...workflow.jobs.plan.strategy.matrix.stack].sort()).toEqual(stacks);
    expect([...workflow.jobs.deploy.strategy.matrix.stack].sort()).toEqual(stacks);
  });
});

describe('remote state: no placeholder can reach terraform init', () => {
  const synthEnv = named('test', 'synth for deploy').env;

  it('synthesizes for deploy with the state settings from pipeline variables, and local state refused', () => {
    expect(synthEnv).toEqual({
      [PipelineVariable.bucket]: '${{ vars.TF_STATE_BUCKET }}',
      [PipelineVariable.region]: '${{ vars.TF_STATE_REGION }}',
      [PipelineVariable.keyPrefix]: '${{ vars.TF_STATE_KEY_PREFIX }}',
      [PipelineVariable.required]: 'true',
    });
  });

  it('sets them on the synth step only, so the test suite never sees them', () => {
    for (const scope of [workflow.env, workflow.jobs.test.env, ...stepsOf('test').filter((s) => s.name !== 'synth for deploy').map((s) => s.env)]) {
      for (const name of Object.values(PipelineVariable)) expect(scope?.[name]).toBeUndefined();
    }
  });

  it('names no state bucket anywhere in the workflow or in the committed environments', () => {
    expect(text).not.toContain('-backend-config');
    expect([...text.matchAll(/TF_STATE_BUCKET:\s*(.*)/g)].map((m) => m[1].trim())).toEqual(['${{ vars.TF_STATE_BUCKET }}']);
    for (const input of Object.values(environments)) expect(input.backend).toEqual({ type: 'pipeline' });
  });

  it('uses a Terraform that supports the S3 lock file (>= 1.10)', () => {
    expect(atLeast(String(workflow.env.TF_VERSION), '1.10.0')).toBe(true);
    for (const step of uses('plan', 'hashicorp/setup-terraform').concat(uses('deploy', 'hashicorp/setup-terraform'))) {
      expect(step.with.terraform_version).toBe('${{ env.TF_VERSION }}');
    }
  });
});

describe('the saved plan: reviewed on pull requests, applied as is on main', () => {
  const plan = named('plan', 'terraform plan').run;
  const upload = uses('plan', 'actions/upload-artifact')[0].with;

  it('plans on pull requests and on main, saving the plan to a file', () => {
    expect(workflow.jobs.plan.if).toBeUndefined();
    expect(plan).toContain('terraform plan -input=false -lock=false -out=tfplan');
  });

  it('uploads the saved plan with its text, JSON, the lock file and the review HCL', () => {
    expect(upload.name).toBe('plan-${{ matrix.stack }}');
    expect(upload.path.split('\n').filter(Boolean)).toEqual([
      'cdktf.out/stacks/${{ matrix.stack }}/tfplan',
      'cdktf.out/stacks/${{ matrix.stack }}/plan.txt',
      'cdktf.out/stacks/${{ matrix.stack }}/plan.json',
      'cdktf.out/stacks/${{ matrix.stack }}/.terraform.lock.hcl',
      'cdktf.out/review/${{ matrix.stack }}.tf',
    ]);
    expect(upload['include-hidden-files']).toBe(true);
  });

  it('comments the plan summary on pull requests only, and shows it to the deploy approver on every run', () => {
    expect(named('plan', 'plan summary on the pull request').if).toBe("github.event_name == 'pull_request'");
    expect(named('plan', 'plan summary for the reviewer and the approver').run).toContain('$GITHUB_STEP_SUMMARY');
  });

  it('deploys on main only, behind each stack\'s GitHub environment, one stack at a time', () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(deploy.environment).toBe('${{ matrix.stack }}');
    expect(deploy.strategy['max-parallel']).toBe(1);
  });

  it('applies the saved plan of this run (this commit), downloaded next to the stack it was made from', () => {
    const downloads = uses('deploy', 'actions/download-artifact').map((s) => s.with);
    expect(downloads).toEqual([{ name: 'cdktf-out', path: 'cdktf.out' }, { name: 'plan-${{ matrix.stack }}', path: 'cdktf.out' }]);
    for (const d of downloads) expect(d['run-id']).toBeUndefined();
    const apply = named('deploy', 'terraform apply');
    expect(apply['working-directory']).toBe('cdktf.out/stacks/${{ matrix.stack }}');
    expect(apply.run.trim().split('\n').pop()).toBe('terraform apply -input=false tfplan');
  });

  it('never plans afresh or auto-approves in the deploy job', () => {
    const deployLines = shellLines().filter(({ job }) => job === 'deploy').map(({ line }) => line);
    expect(deployLines.filter((l) => /terraform (plan|refresh)/.test(l) || l.includes('-auto-approve'))).toEqual([]);
  });
});

describe('the provider lock file', () => {
  const steps = stepsOf('test');
  const lockStep = named('test', 'provider lock file into every stack');

  it('is fixed for every stack in the test job, after synth and before the artifact every later job uses', () => {
    const at = (predicate: (s: Json) => boolean): number => steps.findIndex(predicate);
    const lock = at((s) => s === lockStep);
    expect(lock).toBeGreaterThan(at((s) => s.name === 'synth for deploy'));
    expect(lock).toBeGreaterThan(at((s) => String(s.uses ?? '').startsWith('hashicorp/setup-terraform')));
    expect(lock).toBeLessThan(at((s) => String(s.uses ?? '').startsWith('actions/upload-artifact')));
    expect(uses('test', 'actions/upload-artifact')[0].with['include-hidden-files']).toBe(true);
  });

  it('is the committed .terraform.lock.hcl when there is one, and otherwise generated for the runner\'s platform', () => {
    const lines = String(lockStep.run).split('\n').map((l) => l.trim());
    expect(lines).toEqual(expect.arrayContaining([
      'for stack in cdktf.out/stacks/*/; do',
      'if [ -f .terraform.lock.hcl ]; then',
      'cp .terraform.lock.hcl "$stack"',
      'terraform -chdir="$stack" providers lock -platform=linux_amd64',
    ]));
  });

  it('when committed, pins a provider every environment\'s constraint admits (or it would fail every init)', () => {
    if (!existsSync(LOCK_FILE)) {
      // Not committed: each run generates one per stack (the step above).
      expect(lockStep.run).toContain('providers lock');
      return;
    }
    const pinned = lockedAwsVersion();
    for (const name of Object.keys(environments)) expect({ name, admits: atLeast(pinned, providerFloorOf(name)) }).toEqual({ name, admits: true });
    expect(atLeast(pinned, AWS_PROVIDER_CEILING)).toBe(false);
    expect(readFileSync(LOCK_FILE, 'utf8')).toMatch(/hashes = \[\s*"h1:[A-Za-z0-9+/=]+"/);
  });

  it('travels with the saved plan, and is only read afterwards: every init is -lockfile=readonly, nothing upgrades', () => {
    expect(uses('plan', 'actions/upload-artifact')[0].with.path).toContain('cdktf.out/stacks/${{ matrix.stack }}/.terraform.lock.hcl');
    const inits = shellLines().filter(({ line }) => line.startsWith('terraform init'));
    expect(inits.map(({ job }) => job)).toEqual(['plan', 'deploy']);
    for (const { line } of inits) expect(line).toBe('terraform init -input=false -lockfile=readonly');
    expect(text).not.toContain('-upgrade');
  });
});

describe('credentials', () => {
  it('come from GitHub\'s OIDC provider through a role to assume, never stored keys', () => {
    expect(workflow.jobs.deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(uses('deploy', 'aws-actions/configure-aws-credentials')[0].with['role-to-assume']).toBe('${{ vars.DEPLOY_ROLE_ARN }}');
    expect(uses('plan', 'aws-actions/configure-aws-credentials')[0].with['role-to-assume']).toBe('${{ vars.PLAN_ROLE_ARN }}');
    expect(JSON.stringify(workflow)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\./);
  });
});
