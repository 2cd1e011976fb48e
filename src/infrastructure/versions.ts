// The Terraform and AWS provider versions a stack admits, written into its
// `terraform` block. The floor is the provider the plan checks ran with on the
// CI machine (5.100.0); a stack that uses something newer raises its own floor,
// so `npm run plan` can name it and the version it needs instead of failing
// every stack on an older provider.
import type { TerraformStack } from './cdk';
import { compareVersions, parseVersion } from './provider-version';

/** S3 `use_lockfile` (native state locking) needs Terraform 1.10. */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.10.0';

/** The oldest provider every stack without newer features was validated and planned with. */
export const AWS_PROVIDER_FLOOR = '5.100.0';
/** The CDKTF bindings are generated for 6.x; a new major may rename or drop arguments. */
export const AWS_PROVIDER_CEILING = '7.0.0';

/**
 * A resource type, one argument of it, or one value of an argument, that
 * appeared in a provider release later than the floor.
 */
export interface ProviderFeature {
  readonly resourceType: string;
  readonly argument?: string;
  /** The argument counts only when it is (or, for a list, holds) this value. */
  readonly value?: string;
  /** The hashicorp/aws release that introduced it. */
  readonly since: string;
}

export const PROVIDER_FEATURES: readonly ProviderFeature[] = [
  // Lambda Managed Instances: both arrived in hashicorp/aws 6.25.0 (its changelog).
  { resourceType: 'aws_lambda_capacity_provider', since: '6.25.0' },
  { resourceType: 'aws_lambda_function', argument: 'capacity_provider_config', since: '6.25.0' },
  // 5.x validates runtimes against a fixed list that ends at nodejs22.x (terraform
  // validate with 5.100.0 refuses nodejs24.x); 6.19.0 is the first release
  // reported to create a nodejs24.x function.
  { resourceType: 'aws_lambda_function', argument: 'runtime', value: 'nodejs24.x', since: '6.19.0' },
  { resourceType: 'aws_lambda_layer_version', argument: 'compatible_runtimes', value: 'nodejs24.x', since: '6.19.0' },
];

export function awsProviderConstraint(floor: string): string {
  return `>= ${floor}, < ${AWS_PROVIDER_CEILING}`;
}

interface ResourceLike {
  readonly terraformResourceType: string;
  toTerraform(): Record<string, Record<string, Record<string, Record<string, unknown>>>>;
}

function isResource(node: unknown): node is ResourceLike {
  return typeof node === 'object' && node !== null && 'terraformResourceType' in node && 'toTerraform' in node;
}

function newer(a: string, b: string): boolean {
  return compareVersions(parseVersion(a), parseVersion(b)) > 0;
}

/** The lowest provider release that has every resource and argument the stack uses. */
export function requiredAwsProviderFloor(stack: TerraformStack): string {
  let floor = AWS_PROVIDER_FLOOR;
  for (const node of stack.node.findAll()) {
    if (!isResource(node)) continue;
    let body: Record<string, unknown> | undefined;
    for (const feature of PROVIDER_FEATURES) {
      if (feature.resourceType !== node.terraformResourceType || !newer(feature.since, floor)) continue;
      if (feature.argument !== undefined) {
        // Rendered once per resource, however many features look at it.
        body ??= Object.values(node.toTerraform().resource?.[feature.resourceType] ?? {})[0] ?? {};
        const value = body[feature.argument];
        if (value === undefined) continue;
        if (feature.value !== undefined && !(Array.isArray(value) ? value.includes(feature.value) : value === feature.value)) continue;
      }
      floor = feature.since;
    }
  }
  return floor;
}

/**
 * Writes `required_version` and the AWS provider constraint into the stack's
 * `terraform` block. Call it last, once every resource exists.
 */
export function declareVersions(stack: TerraformStack): void {
  stack.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
  stack.addOverride('terraform.required_providers.aws', {
    source: 'hashicorp/aws',
    version: awsProviderConstraint(requiredAwsProviderFloor(stack)),
  });
}
