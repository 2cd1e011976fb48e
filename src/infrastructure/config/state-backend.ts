// Where each environment keeps its Terraform state, resolved at synth.
//
// `backend: { type: 'pipeline' }`: where state lives comes from the pipeline,
// not from this repository, so no bucket name is committed and no placeholder
// can reach `terraform init`.
//
// Two callers, two needs. A developer runs `npm run synth` to review or plan
// locally: no variables are set, and the stack still synthesizes, with a local
// state file (nothing is deployed from a laptop by accident into shared state).
// The pipeline's deploy path sets TF_STATE_REQUIRED=true: there a missing
// bucket is refused at synth, naming the variable, because local state on a
// fresh runner would create everything again on the second push.
import { REGION, show, type Fail } from './checks';
import type { BackendConfig, BackendInput, EnvironmentInput } from './types';

export const PipelineVariable = {
  bucket: 'TF_STATE_BUCKET',
  region: 'TF_STATE_REGION',
  keyPrefix: 'TF_STATE_KEY_PREFIX',
  required: 'TF_STATE_REQUIRED',
} as const;
export type PipelineVariable = (typeof PipelineVariable)[keyof typeof PipelineVariable];

/** The process environment, or a fixed map in tests (synthesis stays a function of its inputs). */
export type PipelineVariables = Readonly<Record<string, string | undefined>>;

export const DEFAULT_STATE_KEY_PREFIX = 'graceful-shutdown';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

/** GitHub renders an unset `vars.X` as an empty string: both mean "not set". */
function read(variables: PipelineVariables, name: PipelineVariable): string | undefined {
  const value = variables[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Resolves the pipeline backend of environment `name`. `fail(message)` records
 * an issue on the environment's `backend` field; every message starts with the
 * variable it is about.
 */
export function resolvePipelineBackend(
  name: string, region: string, variables: PipelineVariables, fail: (message: string) => void,
): BackendConfig {
  const requiredText = read(variables, PipelineVariable.required);
  if (requiredText !== undefined && requiredText !== 'true' && requiredText !== 'false') {
    fail(`${PipelineVariable.required} must be "true" or "false", got ${JSON.stringify(requiredText)}`);
  }
  const bucket = read(variables, PipelineVariable.bucket);
  if (bucket === undefined) {
    if (requiredText === 'true') {
      fail(`${PipelineVariable.bucket} is not set, and ${PipelineVariable.required}=true refuses local state: `
        + `set ${PipelineVariable.bucket} to the S3 bucket that holds Terraform state (a repository or environment variable of the pipeline)`);
    }
    return { type: 'local', path: `terraform.${name}.tfstate` };
  }
  if (!BUCKET.test(bucket)) fail(`${PipelineVariable.bucket} must be an S3 bucket name, got ${JSON.stringify(bucket)}`);
  const stateRegion = read(variables, PipelineVariable.region) ?? region;
  if (!REGION.test(stateRegion)) fail(`${PipelineVariable.region} must be an AWS region (e.g. eu-west-1), got ${JSON.stringify(stateRegion)}`);
  const keyPrefix = read(variables, PipelineVariable.keyPrefix) ?? DEFAULT_STATE_KEY_PREFIX;
  if (!KEY_PREFIX.test(keyPrefix)) {
    fail(`${PipelineVariable.keyPrefix} must be an S3 key prefix without leading or trailing "/", got ${JSON.stringify(keyPrefix)}`);
  }
  return { type: 's3', bucket, key: `${keyPrefix}/${name}.tfstate`, region: stateRegion, useLockfile: true };
}

/** Resolves `backend` (default: local file); `fail(field, message)` records an issue under the environment. */
export function resolveBackend(
  input: EnvironmentInput, name: string, variables: PipelineVariables, fail: Fail,
): BackendConfig {
  const b: BackendInput = input.backend ?? { type: 'local' };
  if (b.type === 'pipeline') return resolvePipelineBackend(name, input.region, variables, (m) => fail('backend', m));
  if (b.type === 'local') {
    // The deploy path never runs on local state, whichever way it was asked for.
    if (read(variables, PipelineVariable.required) === 'true') {
      fail('backend', `is local, and ${PipelineVariable.required}=true refuses local state: use { type: 'pipeline' } or { type: 's3', ... }`);
    }
    const statePath = b.path ?? `terraform.${name}.tfstate`;
    // Relative to the project root and inside it: an absolute path would put
    // this machine's layout into the synthesized JSON.
    if (statePath.length === 0 || statePath.startsWith('/') || statePath.split(/[\\/]/).includes('..')) {
      fail('backend.path', `must be a relative path inside the project, got ${show(statePath)}`);
    }
    return { type: 'local', path: statePath };
  }
  if (b.type !== 's3') {
    fail('backend.type', `must be "local", "s3" or "pipeline", got ${show((b as { type: unknown }).type)}`);
    return { type: 'local', path: '' };
  }
  if (typeof b.bucket !== 'string' || !BUCKET.test(b.bucket)) fail('backend.bucket', `must be an S3 bucket name, got ${show(b.bucket)}`);
  const key = b.key ?? `${DEFAULT_STATE_KEY_PREFIX}/${name}.tfstate`;
  if (key.startsWith('/') || key.length === 0) fail('backend.key', `must be a relative object key, got ${show(key)}`);
  const region = b.region ?? input.region;
  if (!REGION.test(region)) fail('backend.region', `must be an AWS region (e.g. eu-west-1), got ${show(region)}`);
  const useLockfile = b.useLockfile ?? true;
  if (typeof useLockfile !== 'boolean') fail('backend.useLockfile', `must be true or false, got ${show(useLockfile)}`);
  return { type: 's3', bucket: b.bucket, key, region, useLockfile, ...(b.kmsKeyId !== undefined ? { kmsKeyId: b.kmsKeyId } : {}) };
}
