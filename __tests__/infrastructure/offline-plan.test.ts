// The offline plan sends no request off this machine. A stack that Terraform
// cannot plan without AWS (an `import` block reads the real resource, a data
// source other than the caller identity and the partition asks an AWS API,
// `assume_role` asks STS for credentials) is refused before `terraform plan`,
// naming the stack and what needs the account; and every command after init
// runs behind the egress guard, which refuses and records anything else.
// Needs terraform and the hashicorp/aws provider, as the other Terraform checks.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synth } from '../../scripts/synth';
import { stackSources } from '../../scripts/plan';
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { accountNeeds } from '../../src/offline-plan/account-needs';
import { writeCliConfig } from '../../src/offline-plan/cli-config';
import { findProviderMirror, findTerraform } from '../../src/offline-plan/discovery';
import { startEgressGuard } from '../../src/offline-plan/egress-guard';
import { planStacks } from '../../src/offline-plan/plan-runner';
import { startIamStub, startStsStub } from '../../src/offline-plan/sts-stub';
import { runTerraform } from '../../src/offline-plan/terraform-process';
import { AWS_PROVIDER_FLOOR } from '../../src/infrastructure/versions';
import { prepareWorkspace } from '../../src/offline-plan/workspace';
import { buildFixtures, synthEnvironment } from './support';

const PLAN_TIMEOUT_MS = 10 * 60_000;
const onNode22 = (input: EnvironmentInput): EnvironmentInput => ({ ...input, function: { ...input.function, runtime: 'nodejs22.x' } });

describe('what needs an AWS account to plan', () => {
  it('is nothing in the repository\'s stacks: their data sources are the caller identity and the partition', () => {
    for (const name of Object.keys(environments)) {
      const { tf } = synthEnvironment(name, environments[name]);
      expect({ name, needs: accountNeeds(tf) }).toEqual({ name, needs: [] });
      expect(Object.keys(tf.data).sort()).toEqual(['aws_caller_identity', 'aws_partition']);
    }
  });

  it('names the imports, the provider\'s assume_role and any other data source', () => {
    const { tf } = synthEnvironment('dev', {
      ...environments.dev,
      imports: { logGroup: '/aws/lambda/graceful-shutdown-dev' },
      provider: { assumeRole: { roleArn: 'arn:aws:iam::210987654321:role/terraform-deploy' } },
    });
    const needs = accountNeeds({ ...tf, data: { ...tf.data, aws_availability_zones: { all: {} } } });
    expect(needs).toEqual([
      expect.stringMatching(/^imports \(aws_cloudwatch_log_group\.log-group_[A-Z0-9]+\)$/),
      'data sources read from AWS (data.aws_availability_zones.all)',
      'provider.assumeRole (the provider\'s assume_role)',
    ]);
  });
});

describe('a stack that needs an AWS account to plan', () => {
  it('is refused before terraform plan, naming the stack and its imports, and nothing leaves the machine', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'offline-plan-imports-'));
    const synthesized = await synth({
      outdir: path.join(root, 'cdktf.out'), hcl: true, ...buildFixtures(),
      environments: { dev: { ...onNode22(environments.dev), imports: { logGroup: '/aws/lambda/graceful-shutdown-dev' } } },
    });
    const run = await planStacks(stackSources(synthesized.outdir), { workRoot: path.join(root, 'work') });
    expect(run.outcomes).toEqual([{
      stack: 'dev',
      planned: false,
      blocker: 'account',
      needs: 'an AWS account',
      reason: expect.stringMatching(/^stack "dev": imports \(aws_cloudwatch_log_group\.[^)]+\): .*needs an AWS account to plan/),
    }]);
    expect(run.stsActions).toEqual([]);
    expect(run.egressAttempts).toEqual([]);
  }, PLAN_TIMEOUT_MS);
});

describe('the egress guard under a real terraform plan', () => {
  it('refuses a data source\'s request to AWS on loopback, names its host, and the plan fails in one attempt', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'offline-plan-guard-'));
    const stackDir = path.join(root, 'stack');
    mkdirSync(stackDir);
    // What the stack checks would refuse, planned here directly to show the guard holds on its own.
    writeFileSync(path.join(stackDir, 'cdk.tf.json'), JSON.stringify({
      terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: `>= ${AWS_PROVIDER_FLOOR}` } } },
      provider: { aws: [{ region: 'eu-west-1' }] },
      data: { aws_availability_zones: { all: {} } },
      output: { zones: { value: '${data.aws_availability_zones.all.names}' } },
    }));
    const cliConfigFile = path.join(root, 'terraform.tfrc');
    mkdirSync(path.join(root, 'plugin-cache'));
    mkdirSync(path.join(root, 'tmp'));
    writeCliConfig(cliConfigFile, findProviderMirror(process.env), path.join(root, 'plugin-cache'));
    const [sts, iam, guard] = await Promise.all([startStsStub(), startIamStub(), startEgressGuard()]);
    try {
      const dir = prepareWorkspace({ form: 'json', stackDir, dir: path.join(root, 'work'), endpoints: { sts: sts.endpoint, iam: iam.endpoint } });
      const tf = { bin: findTerraform(process.env), cliConfigFile, tmpDir: path.join(root, 'tmp') };
      await runTerraform(tf, ['init', '-input=false', '-no-color'], { cwd: dir, step: 'terraform init' });
      const planned = runTerraform({ ...tf, egressProxy: guard.proxyUrl }, ['plan', '-input=false', '-no-color', '-lock=false'], { cwd: dir, step: 'terraform plan' });
      await expect(planned).rejects.toThrow(/DescribeAvailabilityZones, exceeded maximum number of attempts, 1,/);
      expect(guard.attempts).toEqual(['ec2.eu-west-1.amazonaws.com:443']);
      // The provider's own account lookup stayed on loopback: IAM first, then STS.
      expect(iam.actions).toEqual(['GetUser']);
      expect(sts.actions).toEqual(['GetCallerIdentity']);
    } finally {
      await Promise.all([sts.close(), iam.close(), guard.close()]);
    }
  }, PLAN_TIMEOUT_MS);

  it('sees no request of a repository stack\'s plan (the provider\'s account lookup included)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'offline-plan-dev-'));
    const synthesized = await synth({ outdir: path.join(root, 'cdktf.out'), ...buildFixtures(), environments: { dev: onNode22(environments.dev) } });
    const run = await planStacks(synthesized.stacks.map((s) => ({ name: s.name, stackDir: s.dir })), { workRoot: path.join(root, 'work') });
    expect(run.outcomes.map((o) => [o.stack, o.planned])).toEqual([['dev', true]]);
    expect(run.egressAttempts).toEqual([]);
    expect(run.stsActions.every((a) => a === 'GetCallerIdentity')).toBe(true);
  }, PLAN_TIMEOUT_MS);
});
