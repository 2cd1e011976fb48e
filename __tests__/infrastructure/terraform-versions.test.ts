// The versions the stacks admit, and how the plan checks treat a stack that
// needs a newer AWS provider than the machine has: named, with the release it
// needs, instead of failing every stack. No terraform needed here.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LambdaCapacityProvider } from '@cdktf/provider-aws/lib/lambda-capacity-provider';
import type { ProviderMirror } from '../../src/offline-plan/discovery';
import { providerGap } from '../../src/offline-plan/plan-runner';
import { lowerBound, parseConstraint, parseVersion, satisfies } from '../../src/infrastructure/provider-version';
import { AWS_PROVIDER_FLOOR, awsProviderConstraint, requiredAwsProviderFloor } from '../../src/infrastructure/versions';
import { DEV_INPUT, synthEnvironment } from './support';

/** nodejs22.x: a runtime every provider from the floor knows. */
const DEV_NODEJS22 = { ...DEV_INPUT, function: { runtime: 'nodejs22.x' as const } };

const MIRROR_5_100: ProviderMirror = { root: '/mirror', versions: ['5.100.0'], foundBy: 'a test' };

function stackDirWithConstraint(name: string, constraint: string): { name: string; stackDir: string } {
  const stackDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'terraform-versions-')), name);
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(path.join(stackDir, 'cdk.tf.json'), JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: constraint } } } }));
  return { name, stackDir };
}

describe('the versions a synthesized stack admits', () => {
  it('requires Terraform 1.10 or later, which S3 native locking (use_lockfile) needs', () => {
    expect(synthEnvironment('dev', DEV_INPUT).tf.terraform.required_version).toBe('>= 1.10.0');
  });

  it('admits every hashicorp/aws release from the one the plan checks ran with up to the next major', () => {
    const { tf } = synthEnvironment('dev', DEV_NODEJS22);
    expect(tf.terraform.required_providers.aws).toEqual({ source: 'hashicorp/aws', version: '>= 5.100.0, < 7.0.0' });
    const constraint = parseConstraint(tf.terraform.required_providers.aws.version);
    expect(['5.100.0', '6.25.0', '6.99.1', '5.99.0', '7.0.0'].map((v) => satisfies(parseVersion(v), constraint))).toEqual([true, true, true, false, false]);
  });

  it('raises the provider floor to 6.19.0 for a nodejs24.x function, which 5.x providers refuse', () => {
    const { tf } = synthEnvironment('dev', { ...DEV_INPUT, function: { runtime: 'nodejs24.x' } });
    expect(tf.terraform.required_providers.aws.version).toBe('>= 6.19.0, < 7.0.0');
  });

  it('raises the provider floor to 6.25.0 when the stack holds a Lambda capacity provider', () => {
    const { stack } = synthEnvironment('dev', DEV_NODEJS22);
    expect(requiredAwsProviderFloor(stack)).toBe(AWS_PROVIDER_FLOOR);
    new LambdaCapacityProvider(stack, 'capacity-provider', {
      name: 'graceful-shutdown-dev',
      permissionsConfig: [{ capacityProviderOperatorRoleArn: 'arn:aws:iam::123456789012:role/operator' }],
      vpcConfig: [{ subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] }],
    });
    expect(requiredAwsProviderFloor(stack)).toBe('6.25.0');
    expect(awsProviderConstraint(requiredAwsProviderFloor(stack))).toBe('>= 6.25.0, < 7.0.0');
  });
});

describe('a stack the provider on this machine cannot serve', () => {
  it('is named with the provider release it needs and the one that is here', () => {
    const gap = providerGap(stackDirWithConstraint('mi', '>= 6.25.0, < 7.0.0'), MIRROR_5_100);
    expect(gap).toMatchObject({ stack: 'mi', planned: false, needs: 'hashicorp/aws >= 6.25.0' });
    expect(gap && !gap.planned && gap.reason).toContain('stack "mi" needs hashicorp/aws >= 6.25.0 (constraint ">= 6.25.0, < 7.0.0"); the provider here is 5.100.0');
  });

  it('is planned when the mirror holds a release the constraint admits', () => {
    expect(providerGap(stackDirWithConstraint('mi', '>= 6.25.0, < 7.0.0'), { ...MIRROR_5_100, versions: ['5.100.0', '6.25.0'] })).toBeUndefined();
  });

  it('is left to the registry when there is no mirror', () => {
    expect(providerGap(stackDirWithConstraint('mi', '>= 6.25.0, < 7.0.0'), undefined)).toBeUndefined();
  });

  it('does not hold back an on-demand stack', () => {
    expect(providerGap(stackDirWithConstraint('dev', awsProviderConstraint(AWS_PROVIDER_FLOOR)), MIRROR_5_100)).toBeUndefined();
  });
});

describe('Terraform version constraints', () => {
  it('reads the pessimistic operator as Terraform does', () => {
    expect(['6.2.0', '6.9.0', '7.0.0'].map((v) => satisfies(parseVersion(v), parseConstraint('~> 6.2')))).toEqual([true, true, false]);
    expect(['6.2.0', '6.2.9', '6.3.0'].map((v) => satisfies(parseVersion(v), parseConstraint('~> 6.2.0')))).toEqual([true, true, false]);
  });

  it('takes the highest lower bound of a constraint as the release it needs', () => {
    expect(lowerBound(parseConstraint('>= 5.100.0, >= 6.25.0, < 7.0.0'))).toEqual([6, 25, 0]);
  });

  it('names a constraint it cannot read', () => {
    expect(() => parseConstraint('>= six')).toThrow('"six" is not a version');
  });
});
