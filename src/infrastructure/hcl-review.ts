// The HCL rendering of a stack, for people reviewing a change: CDKTF renders
// it (the same code path as `cdktf synth --hcl`) and @cdktf/hcl-tools (the
// CLI's own formatter, `terraform fmt` compiled to WebAssembly) lays it out.
// It is written to cdktf.out/review/, never beside the JSON Terraform loads.
import { format } from '@cdktf/hcl-tools';
import type { TerraformStack } from './cdk';

export async function renderReviewHcl(stack: TerraformStack): Promise<string> {
  return format(stack.toHclTerraform().hcl);
}
