// The Terraform checks' errors. Each names the stack and the step (init,
// validate, plan, show, ...) and carries Terraform's own stderr, so a failed
// check reads like the terraform run it was.
import { InfrastructureError } from '../infrastructure/errors';

export interface TerraformCheckContext {
  /** `dev`, `prod`, ... (absent when the failure is about the machine, not a stack). */
  readonly stack?: string;
  /** `json` (cdk.tf.json) or `hcl` (the review .tf). */
  readonly form?: string;
  readonly step: string;
  readonly stderr?: string;
}

export class TerraformCheckError extends InfrastructureError {
  override readonly name: string = 'TerraformCheckError';
  /** Not `stack`: that is Error's own stack trace. */
  readonly stackName?: string;
  readonly form?: string;
  readonly step: string;
  readonly stderr?: string;

  constructor(message: string, context: TerraformCheckContext, options?: { cause?: unknown }) {
    const where = context.stack === undefined ? context.step : `stack "${context.stack}"${context.form ? ` (${context.form})` : ''}, ${context.step}`;
    const stderr = context.stderr?.trim() ? `\n--- terraform stderr ---\n${context.stderr.trim()}` : '';
    super(`${where}: ${message}${stderr}`, options);
    this.stackName = context.stack;
    this.form = context.form;
    this.step = context.step;
    this.stderr = context.stderr;
  }
}

/** No terraform binary: the message says how to get one. */
export class TerraformNotFoundError extends TerraformCheckError {
  override readonly name = 'TerraformNotFoundError';

  constructor(searched: readonly string[]) {
    super(
      'no terraform binary found (looked at $TERRAFORM_BIN and on PATH: '
      + `${searched.join(', ') || 'PATH is empty'}). Install Terraform >= 1.10 `
      + '(https://developer.hashicorp.com/terraform/install, e.g. `apt-get install terraform` from the HashiCorp apt repository), '
      + 'or point TERRAFORM_BIN at a binary.',
      { step: 'find terraform' },
    );
  }
}
