// Readers for `terraform show -json <planfile>` output (Terraform's JSON
// output format, format_version 1.x): what changes, the IAM policies it holds,
// and any secret a plan must not carry.
import { PLAN_CREDENTIALS } from './workspace';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PlanJson = any;

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly mode: 'managed' | 'data';
  readonly actions: readonly string[];
  readonly after: Record<string, unknown>;
  readonly afterUnknown: Record<string, unknown>;
  readonly afterSensitive: unknown;
}

export function resourceChanges(plan: PlanJson): ResourceChange[] {
  return (plan.resource_changes ?? []).map((rc: PlanJson) => ({
    address: rc.address,
    type: rc.type,
    mode: rc.mode,
    actions: rc.change?.actions ?? [],
    after: rc.change?.after ?? {},
    afterUnknown: rc.change?.after_unknown ?? {},
    afterSensitive: rc.change?.after_sensitive ?? {},
  }));
}

export interface PlanCounts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
}

/** The figures of Terraform's own "Plan: N to add, M to change, K to destroy" line (a replace counts as add and destroy). */
export function planCounts(plan: PlanJson): PlanCounts {
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const rc of resourceChanges(plan).filter((r) => r.mode === 'managed')) {
    if (rc.actions.includes('create')) add += 1;
    if (rc.actions.includes('delete')) destroy += 1;
    if (rc.actions.includes('update')) change += 1;
  }
  return { add, change, destroy };
}

/**
 * Argument names that hold a secret's value (not a reference to one: a
 * `secret_arn` or `kms_key_id` is fine). Matched on the last path element.
 */
const SECRET_NAME = /(^|_)(password|passwd|secret_string|secret_binary|private_key|access_key|secret_key|token)$/i;

export interface SecretFinding {
  readonly address: string;
  readonly path: string;
  readonly why: string;
}

function walk(value: unknown, sensitive: unknown, at: string, visit: (path: string, value: unknown, sensitive: boolean) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, Array.isArray(sensitive) ? sensitive[i] : sensitive, `${at}[${i}]`, visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      walk(v, sensitive !== null && typeof sensitive === 'object' ? (sensitive as Record<string, unknown>)[k] : sensitive, at ? `${at}.${k}` : k, visit);
    }
  } else visit(at, value, sensitive === true);
}

/**
 * Every known value in the plan that is a secret: a planned value Terraform
 * marks sensitive, or any value under a secret-holding name, in resources,
 * outputs and variables. The plan file is handed to reviewers and CI
 * artifacts, so it must hold none.
 */
export function findSecrets(plan: PlanJson): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const check = (address: string) => (path: string, value: unknown, sensitive: boolean): void => {
    if (value === null || value === undefined || value === '' || value === false) return;
    if (sensitive) findings.push({ address, path, why: 'a known value Terraform marks sensitive' });
    // A secret is text; a boolean such as manage_master_user_password only says who holds one.
    else if (typeof value === 'string' && SECRET_NAME.test(path.split('.').at(-1)!.replace(/\[\d+\]$/, ''))) {
      findings.push({ address, path, why: 'a value under a secret-holding name' });
    }
  };
  for (const rc of resourceChanges(plan)) walk(rc.after, rc.afterSensitive, '', check(rc.address));
  for (const [name, output] of Object.entries<PlanJson>(plan.planned_values?.outputs ?? {})) {
    walk(output.value, output.sensitive, '', check(`output.${name}`));
  }
  for (const [name, variable] of Object.entries<PlanJson>(plan.variables ?? {})) {
    walk(variable.value, false, name, check('var'));
  }
  findings.push(...secretsInConfiguration(plan.configuration ?? {}, ''));
  return findings;
}

/** The checks' own fake provider credentials: known, harmless, and only ever in the temporary copy. */
const FAKE_CREDENTIALS = new Set<unknown>(Object.values(PLAN_CREDENTIALS));

/** Literal values written under a secret-holding name anywhere in the configuration (`constant_value` in the JSON). */
function secretsInConfiguration(node: unknown, at: string): SecretFinding[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => secretsInConfiguration(n, `${at}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  const found: SecretFinding[] = [];
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    const constant = (value as { constant_value?: unknown } | null)?.constant_value;
    if (SECRET_NAME.test(key) && typeof constant === 'string' && constant !== '' && !FAKE_CREDENTIALS.has(constant)) {
      found.push({ address: `configuration${at}`, path: key, why: 'a literal under a secret-holding name in the configuration' });
    } else found.push(...secretsInConfiguration(value, at === '' ? `.${key}` : `${at}.${key}`));
  }
  return found;
}
