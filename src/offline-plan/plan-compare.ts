// Does the review HCL plan exactly what the JSON plans? Compared on
// Terraform's own plan output: the same resource addresses, types and
// actions, the same planned values and the same unknowns.
import { POLICY_ATTRIBUTES } from '../infrastructure/policy';
import { resourceChanges, type PlanJson, type ResourceChange } from './plan-json';

/**
 * One resource's planned values, made comparable across the two forms. The
 * only normalisation: policy documents are compared as parsed JSON, because
 * the HCL writes them with `jsonencode`, which orders keys alphabetically,
 * while the JSON form keeps the order they were written in; IAM (and the
 * provider, which suppresses such diffs) reads both as the same document.
 */
export function comparableAfter(change: ResourceChange): Record<string, unknown> {
  const after: Record<string, unknown> = { ...change.after };
  for (const attribute of POLICY_ATTRIBUTES) {
    if (typeof after[attribute] === 'string' && after[attribute] !== '') after[attribute] = JSON.parse(after[attribute] as string);
  }
  return after;
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Every difference between two plans, one line each; empty when they plan the same. */
export function planDifferences(expected: PlanJson, actual: PlanJson): string[] {
  const byAddress = (plan: PlanJson): Map<string, ResourceChange> => new Map(resourceChanges(plan).map((rc) => [rc.address, rc]));
  const [a, b] = [byAddress(expected), byAddress(actual)];
  const differences: string[] = [];
  for (const address of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [x, y] = [a.get(address), b.get(address)];
    if (!x || !y) {
      differences.push(`${address}: planned only by the ${x ? 'JSON' : 'HCL'}`);
      continue;
    }
    if (x.type !== y.type) differences.push(`${address}: type ${x.type} vs ${y.type}`);
    if (stable(x.actions) !== stable(y.actions)) differences.push(`${address}: actions ${x.actions.join('+')} vs ${y.actions.join('+')}`);
    const [ax, ay] = [comparableAfter(x), comparableAfter(y)];
    for (const key of [...new Set([...Object.keys(ax), ...Object.keys(ay)])].sort()) {
      if (stable(ax[key]) !== stable(ay[key])) differences.push(`${address}.${key}: ${stable(ax[key])} vs ${stable(ay[key])}`);
    }
    if (stable(x.afterUnknown) !== stable(y.afterUnknown)) differences.push(`${address}: unknown after apply ${stable(x.afterUnknown)} vs ${stable(y.afterUnknown)}`);
  }
  return differences;
}
