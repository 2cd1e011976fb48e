// `backend: { type: 'pipeline' }`: the state bucket comes from the pipeline's
// variables, read at synth. A developer without them still synthesizes (local
// state, for review); the deploy path (TF_STATE_REQUIRED=true) refuses to run
// without a bucket, naming the variable; no placeholder reaches terraform init.
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { DEV_INPUT, synthEnvironment, configIssues } from './support';

const PIPELINE: EnvironmentInput = { ...DEV_INPUT, backend: { type: 'pipeline' } };

describe('state from pipeline variables', () => {
  it('is what every environment this repository deploys uses, so no bucket name is committed', () => {
    for (const [name, input] of Object.entries(environments)) expect({ name, backend: input.backend }).toEqual({ name, backend: { type: 'pipeline' } });
  });

  it('is S3 with the native lock file, key <prefix>/<env>.tfstate, in the environment\'s region by default', () => {
    const s = synthEnvironment('dev', PIPELINE, { variables: { TF_STATE_BUCKET: 'org-terraform-state' } });
    expect(s.tf.terraform.backend).toEqual({
      s3: { bucket: 'org-terraform-state', key: 'graceful-shutdown/dev.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true },
    });
  });

  it('takes the state region and key prefix from TF_STATE_REGION and TF_STATE_KEY_PREFIX', () => {
    const s = synthEnvironment('dev', PIPELINE, {
      variables: { TF_STATE_BUCKET: 'org-terraform-state', TF_STATE_REGION: 'us-east-1', TF_STATE_KEY_PREFIX: 'teams/payments' },
    });
    expect(s.tf.terraform.backend.s3).toMatchObject({ key: 'teams/payments/dev.tfstate', region: 'us-east-1' });
  });

  it('falls back to a local state file on a developer machine (no variable set), so synth still works for review', () => {
    expect(synthEnvironment('dev', PIPELINE, { variables: {} }).tf.terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
  });

  it('treats an empty variable (an unset GitHub `vars.X`) as unset', () => {
    expect(synthEnvironment('dev', PIPELINE, { variables: { TF_STATE_BUCKET: ' ' } }).tf.terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
  });

  it('refuses local state on the deploy path (TF_STATE_REQUIRED=true), naming the missing variable', () => {
    expect(configIssues({ dev: PIPELINE }, { TF_STATE_REQUIRED: 'true' })).toEqual([
      'environments.dev.backend: TF_STATE_BUCKET is not set, and TF_STATE_REQUIRED=true refuses local state: '
      + 'set TF_STATE_BUCKET to the S3 bucket that holds Terraform state (a repository or environment variable of the pipeline)',
    ]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a bucket name S3 refuses', { TF_STATE_BUCKET: 'Org_State' }, 'environments.dev.backend: TF_STATE_BUCKET must be an S3 bucket name, got "Org_State"'],
    ['a region that is not one', { TF_STATE_BUCKET: 'org-state', TF_STATE_REGION: 'europe' },
      'environments.dev.backend: TF_STATE_REGION must be an AWS region (e.g. eu-west-1), got "europe"'],
    ['a key prefix with a leading slash', { TF_STATE_BUCKET: 'org-state', TF_STATE_KEY_PREFIX: '/state' },
      'environments.dev.backend: TF_STATE_KEY_PREFIX must be an S3 key prefix without leading or trailing "/", got "/state"'],
    ['a required flag that is not a boolean', { TF_STATE_BUCKET: 'org-state', TF_STATE_REQUIRED: 'yes' },
      'environments.dev.backend: TF_STATE_REQUIRED must be "true" or "false", got "yes"'],
  ])('names the variable: %s', (_what, variables, message) => {
    expect(configIssues({ dev: PIPELINE }, variables)).toEqual([message]);
  });

  it('ignores the bucket variables for an environment with an explicit backend', () => {
    const s = synthEnvironment('dev', DEV_INPUT, { variables: { TF_STATE_BUCKET: 'org-terraform-state' } });
    expect(s.tf.terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
  });

  it('refuses an explicitly local backend on the deploy path too', () => {
    expect(() => resolveEnvironments({ dev: { ...DEV_INPUT, backend: { type: 'local' } } }, { TF_STATE_REQUIRED: 'true' })).toThrow(
      "environments.dev.backend: is local, and TF_STATE_REQUIRED=true refuses local state: use { type: 'pipeline' } or { type: 's3', ... }",
    );
  });
});
