// The checkov / Trivy rules the policy table marks "met", one test per rule,
// named with the rule id (`npx jest -t CKV_AWS_118`). Each rule is a check
// that returns what is wrong, run on the synthesized JSON and on Terraform's
// own plan JSON of the same stacks (the values Terraform will send), so a
// rule cannot pass on a value that the plan changes. Where the table says
// "met in prod" or "met when set", the test also shows the check failing on
// the other case, so it is seen to be able to fail.
//
// The plans need terraform and the hashicorp/aws provider (a local mirror or
// the registry); without terraform every test fails with the command that
// gets it. Planning three stacks took 2 to 3 minutes on a busy 2-core machine.
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synth } from '../../scripts/synth';
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput, EnvironmentsInput } from '../../src/infrastructure/config/types';
import { resourceChanges, type PlanJson } from '../../src/offline-plan/plan-json';
import { planStacks, type PlanRun } from '../../src/offline-plan/plan-runner';
import { buildFixtures, type Json } from './support';

const PLAN_TIMEOUT_MS = 30 * 60_000;
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
/** Stands in for a value Terraform knows only after apply. */
const UNKNOWN = '(known after apply)';

// The repository's environments, plus prod with the organisation's keys (the
// "met when set" rows). The function runtime is pinned to nodejs22.x: none of
// these rules is about the runtime, and hashicorp/aws 5.x (the provider the
// plan checks may run with) refuses nodejs24.x; the stacks as configured are
// planned by terraform-plan.test.ts.
const onNode22 = (input: EnvironmentInput): EnvironmentInput => ({ ...input, function: { ...input.function, runtime: 'nodejs22.x' } });
const STACKS: EnvironmentsInput = {
  dev: onNode22(environments.dev),
  prod: onNode22(environments.prod),
  keyed: onNode22({
    ...environments.prod, database: { ...environments.prod.database, kmsKeyArn: KEY }, logs: { retentionDays: 365, kmsKeyArn: KEY },
    cache: { ...environments.prod.cache, kmsKeyArn: KEY, snapshotRetentionDays: 1 },
  }),
};
type Stack = 'dev' | 'prod' | 'keyed';

/** One stack in one form: its managed resources of a type, with their (final) argument values. */
interface View {
  readonly label: string;
  readonly stack: Stack;
  resources(type: string): Json[];
  /** The resource addresses an argument of a resource refers to (`aws_vpc.x`). */
  references(resource: Json, attribute: string): string[];
}

function synthView(stack: Stack, tf: Json): View {
  return {
    label: `${stack} (synthesized JSON)`,
    stack,
    resources: (type) => Object.entries(tf.resource?.[type] ?? {}).map(([name, body]) => ({ ...(body as Json), '@address': `${type}.${name}` })),
    references: (resource, attribute) => [...String(resource[attribute] ?? '').matchAll(/\$\{([a-z0-9_]+\.[^.}]+)\./g)].map((m) => m[1]),
  };
}

function planView(stack: Stack, plan: PlanJson): View {
  const config = new Map<string, Json>((plan.configuration?.root_module?.resources ?? []).map((r: Json) => [r.address, r]));
  return {
    label: `${stack} (plan JSON)`,
    stack,
    resources: (type) => resourceChanges(plan).filter((rc) => rc.type === type && rc.mode === 'managed').map((rc) => ({
      ...rc.after,
      ...Object.fromEntries(Object.entries(rc.afterUnknown).filter(([, unknown]) => unknown === true).map(([key]) => [key, UNKNOWN])),
      '@address': rc.address,
    })),
    // Terraform lists `aws_vpc.x.id` and `aws_vpc.x` for a reference; the resource address is the shorter one.
    references: (resource, attribute) => ((config.get(resource['@address'])?.expressions?.[attribute]?.references ?? []) as string[])
      .filter((r) => r.split('.').length === 2),
  };
}

let views: View[] = [];

beforeAll(async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'policy-rules-'));
  const synthesized = await synth({ outdir: path.join(root, 'cdktf.out'), environments: STACKS, ...buildFixtures() });
  const run: PlanRun = await planStacks(synthesized.stacks.map((s) => ({ name: s.name, stackDir: s.dir })), { workRoot: path.join(root, 'work') });
  for (const s of synthesized.stacks) views.push(synthView(s.name as Stack, JSON.parse(readFileSync(s.file, 'utf8'))));
  for (const outcome of run.outcomes) {
    if (!outcome.planned) throw new Error(`stack ${outcome.stack} was not planned (needs ${outcome.needs}): ${outcome.reason}`);
    views.push(planView(outcome.stack as Stack, outcome.forms[0].planJson));
  }
  views = views.sort((a, b) => a.label.localeCompare(b.label));
}, PLAN_TIMEOUT_MS);

/** Runs a rule's check on every form of the given stacks; returns `label: problem` lines. */
function problems(stacks: readonly Stack[], check: (view: View) => string[]): string[] {
  const chosen = views.filter((v) => stacks.includes(v.stack));
  if (chosen.length !== stacks.length * 2) throw new Error(`expected a synthesized and a planned form of ${stacks.join(', ')}, have ${views.map((v) => v.label).join(', ')}`);
  return chosen.flatMap((view) => check(view).map((p) => `${view.label}: ${p}`));
}

const only = (view: View, type: string): Json => {
  const all = view.resources(type);
  if (all.length !== 1) throw new Error(`${view.label}: expected one ${type}, found ${all.length}`);
  return all[0];
};
const db = (view: View): Json => only(view, 'aws_db_instance');
const unless = (ok: boolean, problem: string): string[] => (ok ? [] : [problem]);

describe('policy-table rules, on the synthesized JSON and on the plan JSON', () => {
  it('CKV_AWS_118: prod runs Enhanced Monitoring with a role (dev deliberately off)', () => {
    const check = (view: View): string[] => {
      const d = db(view);
      return [
        ...unless([1, 5, 10, 15, 30, 60].includes(d.monitoring_interval), `monitoring_interval is ${d.monitoring_interval}`),
        ...unless(typeof d.monitoring_role_arn === 'string' && d.monitoring_role_arn.length > 0, 'no monitoring_role_arn'),
      ];
    };
    expect(problems(['prod', 'keyed'], check)).toEqual([]);
    expect(problems(['dev'], check)).toEqual(expect.arrayContaining(['dev (plan JSON): monitoring_interval is 0']));
  });

  it('CKV_AWS_353 / AVD-AWS-0133: prod has Performance Insights on (dev: not offered on its micro class)', () => {
    const check = (view: View): string[] => unless(db(view).performance_insights_enabled === true, 'performance_insights_enabled is not true');
    expect(problems(['prod', 'keyed'], check)).toEqual([]);
    expect(problems(['dev'], check)).toHaveLength(2);
  });

  it('CKV_AWS_354 / AVD-AWS-0078: Performance Insights is encrypted with the customer key when database.kmsKeyArn is set', () => {
    const check = (view: View): string[] => unless(db(view).performance_insights_kms_key_id === KEY, `performance_insights_kms_key_id is ${db(view).performance_insights_kms_key_id}`);
    expect(problems(['keyed'], check)).toEqual([]);
    // Without a key, RDS uses its AWS-managed key: Terraform shows it as known after apply.
    expect(problems(['prod'], check)).toEqual([
      'prod (plan JSON): performance_insights_kms_key_id is (known after apply)',
      'prod (synthesized JSON): performance_insights_kms_key_id is undefined',
    ]);
  });

  it('CKV2_AWS_11 / AVD-AWS-0178: every VPC the stack creates has flow logs of all traffic into a log group', () => {
    const check = (view: View): string[] => view.resources('aws_vpc').flatMap((vpc) => {
      const logs = view.resources('aws_flow_log').filter((f) => view.references(f, 'vpc_id').includes(vpc['@address']));
      return unless(logs.length === 1 && logs[0].traffic_type === 'ALL' && logs[0].log_destination_type === 'cloud-watch-logs', `${vpc['@address']} has no flow log of ALL traffic`);
    });
    expect(problems(['dev', 'prod'], check)).toEqual([]);
    for (const view of views) expect({ view: view.label, vpcs: view.resources('aws_vpc').length }).toEqual({ view: view.label, vpcs: 1 });
  });

  it('AVD-AWS-0077: every environment keeps backups for 2 days or more (more than the 1-day default)', () => {
    const check = (view: View): string[] => unless(db(view).backup_retention_period >= 2, `backup_retention_period is ${db(view).backup_retention_period}`);
    expect(problems(['dev', 'prod', 'keyed'], check)).toEqual([]);
  });

  it('AVD-AWS-0177: prod has deletion protection (dev must stay destroyable)', () => {
    const check = (view: View): string[] => unless(db(view).deletion_protection === true, 'deletion_protection is not true');
    expect(problems(['prod', 'keyed'], check)).toEqual([]);
    expect(problems(['dev'], check)).toHaveLength(2);
  });

  it('AVD-AWS-0017 / CKV_AWS_158: every log group (function, RDS, proxy, flow logs) is encrypted with logs.kmsKeyArn when set', () => {
    const check = (view: View): string[] => view.resources('aws_cloudwatch_log_group')
      .flatMap((g) => unless(g.kms_key_id === KEY, `${g.name} has kms_key_id ${g.kms_key_id}`));
    expect(problems(['keyed'], check)).toEqual([]);
    expect(views.find((v) => v.label === 'keyed (plan JSON)')!.resources('aws_cloudwatch_log_group')).toHaveLength(5);
    expect(problems(['prod'], check)).toHaveLength(10);
  });

  it('CKV_AWS_66: every log group the stack creates has a retention period', () => {
    const check = (view: View): string[] => view.resources('aws_cloudwatch_log_group')
      .flatMap((g) => unless(Number.isInteger(g.retention_in_days) && g.retention_in_days > 0, `${g.name} has retention ${g.retention_in_days}`));
    expect(problems(['dev', 'prod', 'keyed'], check)).toEqual([]);
  });

  it('CKV_AWS_129: the exported logs are produced: slow query log on, to files, in the instance\'s own parameter group', () => {
    const check = (view: View): string[] => {
      const d = db(view);
      const group = only(view, 'aws_db_parameter_group');
      const parameters = Object.fromEntries((group.parameter as Json[]).map((p) => [p.name, p.value]));
      const usesGroup = view.references(d, 'parameter_group_name').includes(group['@address']);
      return [
        ...unless(JSON.stringify(d.enabled_cloudwatch_logs_exports) === JSON.stringify(['error', 'slowquery']), `exports ${d.enabled_cloudwatch_logs_exports}`),
        ...unless(parameters.slow_query_log === '1' && parameters.log_output === 'FILE', `slow_query_log ${parameters.slow_query_log}, log_output ${parameters.log_output}`),
        ...unless(usesGroup, `parameter_group_name does not refer to ${group['@address']}`),
      ];
    };
    expect(problems(['dev', 'prod', 'keyed'], check)).toEqual([]);
  });

  it('CKV_AWS_161: the database takes IAM authentication', () => {
    const check = (view: View): string[] => unless(db(view).iam_database_authentication_enabled === true, 'iam_database_authentication_enabled is not true');
    expect(problems(['dev', 'prod', 'keyed'], check)).toEqual([]);
  });

  it('CKV_AWS_149: the function user\'s secret is encrypted with the customer key when database.kmsKeyArn is set', () => {
    const check = (view: View): string[] => {
      const secret = only(view, 'aws_secretsmanager_secret');
      return unless(secret.kms_key_id === KEY, `kms_key_id is ${secret.kms_key_id}`);
    };
    expect(problems(['keyed'], check)).toEqual([]);
    // Without a key, Secrets Manager uses the AWS-managed aws/secretsmanager key.
    expect(problems(['prod'], check)).toHaveLength(2);
  });

  it('CKV2_AWS_57 (waived): no rotation resource; the secret is deleted at once (recovery window 0)', () => {
    const check = (view: View): string[] => [
      ...unless(view.resources('aws_secretsmanager_secret_rotation').length === 0, 'a rotation resource exists'),
      ...unless(only(view, 'aws_secretsmanager_secret').recovery_window_in_days === 0, `recovery_window_in_days is ${only(view, 'aws_secretsmanager_secret').recovery_window_in_days}`),
    ];
    expect(problems(['dev', 'prod', 'keyed'], check)).toEqual([]);
  });

  // checkov's ElastiCache rules are written for replication groups and clusters; the
  // same properties of the stack's serverless cache, each shown able to fail.
  it('CKV_AWS_191 (ElastiCache encrypted with a customer key): the cache uses cache.kmsKeyArn when set', () => {
    const check = (view: View): string[] => unless(only(view, 'aws_elasticache_serverless_cache').kms_key_id === KEY, `kms_key_id is ${only(view, 'aws_elasticache_serverless_cache').kms_key_id}`);
    expect(problems(['keyed'], check)).toEqual([]);
    // Without a key, ElastiCache encrypts with a key it owns.
    expect(problems(['prod'], check)).toEqual(['prod (plan JSON): kms_key_id is null', 'prod (synthesized JSON): kms_key_id is undefined']);
  });

  it('CKV_AWS_134 (ElastiCache automatic backups): daily snapshots kept when cache.snapshotRetentionDays is set (prod: none, deliberately)', () => {
    const check = (view: View): string[] => unless(only(view, 'aws_elasticache_serverless_cache').snapshot_retention_limit > 0, `snapshot_retention_limit is ${only(view, 'aws_elasticache_serverless_cache').snapshot_retention_limit}`);
    expect(problems(['keyed'], check)).toEqual([]);
    expect(problems(['prod'], check)).toEqual(['prod (plan JSON): snapshot_retention_limit is 0', 'prod (synthesized JSON): snapshot_retention_limit is 0']);
  });

  it('CKV_AWS_29 / CKV_AWS_30 / CKV_AWS_31 (ElastiCache at rest, in transit, authenticated): the only cache is serverless (always TLS and encrypted), every user authenticates with IAM', () => {
    const check = (view: View): string[] => [
      ...['aws_elasticache_replication_group', 'aws_elasticache_cluster'].flatMap((type) => unless(view.resources(type).length === 0, `a node-based ${type}`)),
      ...unless(view.resources('aws_elasticache_serverless_cache').length === 1, 'no serverless cache'),
      ...view.resources('aws_elasticache_user').flatMap((u) => unless(JSON.stringify(u.authentication_mode).includes('"type":"iam"'), `${u.user_id} does not authenticate with IAM`)),
    ];
    expect(problems(['prod', 'keyed'], check)).toEqual([]);
    expect(problems(['dev'], check)).toEqual(['dev (plan JSON): no serverless cache', 'dev (synthesized JSON): no serverless cache']);
  });

  it('RDS storage, master secret and Performance Insights use database.kmsKeyArn when set (the CMK rows above, for RDS)', () => {
    const check = (view: View): string[] => {
      const d = db(view);
      return unless(d.kms_key_id === KEY && d.master_user_secret_kms_key_id === KEY && d.storage_encrypted === true, `kms_key_id ${d.kms_key_id}, secret key ${d.master_user_secret_kms_key_id}`);
    };
    expect(problems(['keyed'], check)).toEqual([]);
  });
});
