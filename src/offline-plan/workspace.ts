// The temporary copy a stack is checked in. Everything that lets Terraform
// plan with no AWS account lives in one override file written only here:
// a local backend in place of the stack's (an S3 backend would need AWS at
// init), fake static credentials, the provider's skip_* flags, the STS and
// IAM endpoints on loopback, and no retries (a request the stubs or the
// egress guard refuse fails at once instead of backing off for minutes).
// cdktf.out/stacks is only ever read.
import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const StackForm = { json: 'json', hcl: 'hcl' } as const;
export type StackForm = (typeof StackForm)[keyof typeof StackForm];

/** Terraform reads files named *_override.tf.json after the others and merges them over them. */
export const OVERRIDE_FILE = 'zz_plan_override.tf.json';

export interface WorkspaceProps {
  readonly form: StackForm;
  /** cdktf.out/stacks/<env>: cdk.tf.json and the assets it references. */
  readonly stackDir: string;
  /** cdktf.out/review/<env>.tf (form hcl). */
  readonly hclFile?: string;
  readonly dir: string;
  readonly endpoints: LoopbackEndpoints;
}

/** The loopback stand-ins the provider is pointed at. */
export interface LoopbackEndpoints {
  readonly sts: string;
  readonly iam: string;
}

/** Static credentials that satisfy the provider's configuration check and open nothing. */
export const PLAN_CREDENTIALS = { access_key: 'AKIAPLANONLY00000000', secret_key: 'plan-only-not-a-secret' } as const;

/** Provider settings for a plan with no AWS account; merged over the stack's own provider block. */
export function planOverride(endpoints: LoopbackEndpoints): Record<string, unknown> {
  return {
    terraform: { backend: { local: { path: 'terraform.tfstate' } } },
    provider: {
      aws: [{
        ...PLAN_CREDENTIALS,
        skip_credentials_validation: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
        max_retries: 1,
        endpoints: [{ sts: endpoints.sts, iam: endpoints.iam }],
      }],
    },
  };
}

export function prepareWorkspace(props: WorkspaceProps): string {
  mkdirSync(props.dir, { recursive: true });
  if (props.form === StackForm.json) {
    copyFileSync(path.join(props.stackDir, 'cdk.tf.json'), path.join(props.dir, 'cdk.tf.json'));
  } else {
    if (!props.hclFile) throw new Error('the hcl form needs the review .tf file');
    copyFileSync(props.hclFile, path.join(props.dir, 'main.tf'));
  }
  // Both forms reference their zips as assets/<name>.zip, relative to the module.
  const assets = path.join(props.stackDir, 'assets');
  if (existsSync(assets)) cpSync(assets, path.join(props.dir, 'assets'), { recursive: true });
  writeFileSync(path.join(props.dir, OVERRIDE_FILE), `${JSON.stringify(planOverride(props.endpoints), null, 2)}\n`);
  return props.dir;
}
