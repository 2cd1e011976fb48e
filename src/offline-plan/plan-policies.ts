// The IAM policy documents a plan will apply. A policy built only from values
// Terraform knows at plan time is in the plan as a string. One that mentions a
// value known only after apply (a proxy's ARN, a secret's ARN) is planned as
// "known after apply"; for those the document is taken from the plan's own
// copy of the configuration (the JSON form keeps each template as written) and
// every reference the plan knows (the account from STS, the partition, names)
// is filled in, so the rest stays visible as `${...}`, named.
import { parseTemplatedJson, splitTemplate } from '../infrastructure/hcl-expression';
import { POLICY_ATTRIBUTES } from '../infrastructure/policy';
import { resourceChanges, type PlanJson } from './plan-json';

export interface PlannedPolicy {
  readonly address: string;
  readonly attribute: string;
  /** The document as IAM will read it, with `${...}` left only where the value is known after apply. */
  readonly document: unknown;
  /** Whether the plan itself holds the final document (false: filled in from the configuration). */
  readonly knownAtPlan: boolean;
}

const TRAVERSAL = /^(data\.)?([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/** The value of a `type.name.attribute` or `data.type.name.attribute` reference, when the plan knows it. */
export function knownValue(plan: PlanJson, reference: string): string | undefined {
  const match = TRAVERSAL.exec(reference);
  if (!match) return undefined;
  const [, data, type, name, attribute] = match;
  const address = `${data ? 'data.' : ''}${type}.${name}`;
  if (data) {
    const read = (plan.prior_state?.values?.root_module?.resources ?? []).find((r: PlanJson) => r.address === address);
    const value = read?.values?.[attribute];
    return typeof value === 'string' ? value : undefined;
  }
  const change = resourceChanges(plan).find((rc) => rc.address === address);
  if (!change || change.afterUnknown[attribute] === true) return undefined;
  const value = change.after[attribute];
  return typeof value === 'string' ? value : undefined;
}

/** Fills every interpolation whose value the plan knows; leaves the others as written. */
export function fillKnown(plan: PlanJson, text: string): string {
  return splitTemplate(text).map((part) => {
    if ('literal' in part) return part.literal;
    return knownValue(plan, part.expression) ?? `\${${part.expression}}`;
  }).join('');
}

function fillDocument(plan: PlanJson, value: unknown): unknown {
  if (typeof value === 'string') return fillKnown(plan, value);
  if (Array.isArray(value)) return value.map((v) => fillDocument(plan, v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDocument(plan, v)]));
  }
  return value;
}

/** The attribute's expression in the plan's copy of the configuration; undefined when the configuration does not set it. */
function configured(plan: PlanJson, address: string, attribute: string): { constant_value?: unknown } | undefined {
  const resource = (plan.configuration?.root_module?.resources ?? []).find((r: PlanJson) => r.address === address);
  return resource?.expressions?.[attribute];
}

export function plannedPolicies(plan: PlanJson): PlannedPolicy[] {
  const found: PlannedPolicy[] = [];
  for (const rc of resourceChanges(plan).filter((r) => r.mode === 'managed')) {
    for (const attribute of POLICY_ATTRIBUTES) {
      const value = rc.after[attribute];
      if (rc.afterUnknown[attribute] !== true) {
        if (typeof value === 'string' && value !== '') found.push({ address: rc.address, attribute, document: JSON.parse(value), knownAtPlan: true });
        continue;
      }
      // A computed attribute the configuration never sets (a secret's resource policy) is not a policy this stack applies.
      const expression = configured(plan, rc.address, attribute);
      if (expression === undefined) continue;
      const template = expression.constant_value;
      const document = typeof template === 'string' ? parseTemplatedJson(template) : undefined;
      found.push({
        address: rc.address,
        attribute,
        // Without a template (an HCL expression such as jsonencode) the plan says no more than "known after apply".
        document: document === undefined ? '(known after apply)' : fillDocument(plan, document),
        knownAtPlan: false,
      });
    }
  }
  return found;
}
