// What in a synthesized stack makes `terraform plan` ask AWS itself, beyond
// what the loopback STS answers. The offline plan sends no request off this
// machine, so such a stack is refused before Terraform runs, naming what needs
// the account. Read from the stack's own JSON (cdk.tf.json); the review HCL
// is rendered from the same stack.

/**
 * Data sources the offline plan can read: the caller identity (the loopback
 * STS answers it) and the partition (the provider computes it from the region,
 * with no request). Any other asks an AWS API at plan time.
 */
export const OFFLINE_DATA_SOURCES: readonly string[] = ['aws_caller_identity', 'aws_partition'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type StackJson = any;

/** Each thing that needs an account, as `<config field> (<what in the stack>)`; empty when the stack plans offline. */
export function accountNeeds(tf: StackJson): string[] {
  const needs: string[] = [];
  // An import block makes the plan read the existing resource from its service.
  const imports = ([] as StackJson[]).concat(tf.import ?? []).map((block) => String(block?.to));
  if (imports.length > 0) needs.push(`imports (${imports.join(', ')})`);
  const data = Object.entries<Record<string, unknown>>(tf.data ?? {})
    .filter(([type]) => !OFFLINE_DATA_SOURCES.includes(type))
    .flatMap(([type, blocks]) => Object.keys(blocks).map((name) => `data.${type}.${name}`));
  if (data.length > 0) needs.push(`data sources read from AWS (${data.join(', ')})`);
  // The provider asks STS AssumeRole for the role's credentials before anything else.
  const assumed = ([] as StackJson[]).concat(tf.provider?.aws ?? []).filter((p) => p?.assume_role !== undefined);
  if (assumed.length > 0) needs.push('provider.assumeRole (the provider\'s assume_role)');
  return needs;
}

/** The refusal's text: the stack, what needs the account, and the way forward. */
export function accountNeedsReason(stack: string, needs: readonly string[]): string {
  return `stack "${stack}": ${needs.join('; ')}: terraform plan would ask AWS for ${needs.length === 1 ? 'it' : 'them'}, `
    + 'so this stack needs an AWS account to plan; the offline plan sends no request off this machine, and did not plan it. '
    + 'Plan it with credentials (the pipeline\'s plan job), or plan a copy of the environment without those settings.';
}
