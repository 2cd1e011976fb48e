// Where Terraform keeps this stack's state: an encrypted S3 object with
// Terraform's native S3 lock file (use_lockfile, Terraform >= 1.10; no
// DynamoDB table), or a local file in the project root.
import { LocalBackend, S3Backend, type TerraformStack } from './cdk';
import type { BackendConfig } from './config/types';

/** From cdktf.out/stacks/<stack>/ (Terraform's working directory) back to the project root. */
const PROJECT_ROOT_FROM_STACK_DIR = '../../..';

export function configureBackend(stack: TerraformStack, config: BackendConfig): void {
  if (config.type === 'local') {
    // Relative, so the synthesized JSON holds no path of this machine, and
    // outside cdktf.out, so a re-synth can never delete state.
    const statePath = `${PROJECT_ROOT_FROM_STACK_DIR}/${config.path}`;
    new LocalBackend(stack, { path: statePath });
    return;
  }
  new S3Backend(stack, {
    bucket: config.bucket,
    key: config.key,
    region: config.region,
    encrypt: true,
    ...(config.kmsKeyId !== undefined ? { kmsKeyId: config.kmsKeyId } : {}),
  });
  // CDKTF 0.21's S3BackendConfig predates use_lockfile; the override writes it
  // into the synthesized backend block (tested).
  if (config.useLockfile) stack.addOverride('terraform.backend.s3.use_lockfile', true);
}
