// Terraform proves the Terraform: every environment this repository deploys
// is synthesized, and its JSON and its review HCL each go through the real
// `terraform init`, `validate` and `plan` with the AWS provider and no AWS
// account (fake credentials and a loopback STS in a temporary copy). The
// assertions are on Terraform's own plan JSON.
//
// Two runs. The repository's environments exactly as written: each is planned,
// or, when the provider here is older than a feature it uses (nodejs24.x needs
// hashicorp/aws >= 6.19.0, Managed Instances >= 6.25.0), named with the
// release it needs. And every on-demand environment on nodejs22.x, which the
// runtime option allows and every provider from 5.100.0 knows, so the stacks'
// Terraform is proven on any machine with a supported provider; the detailed
// assertions read these plans.
//
// Needs a terraform binary (>= 1.10) and the hashicorp/aws provider, from a
// local filesystem mirror or the registry; without terraform every test here
// fails with the command that gets it. About 2 min of terraform per planned
// stack on a busy 2-core machine (init, validate, plan and show, per form).
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentsInput } from '../../src/infrastructure/config/types';
import { planDifferences } from '../../src/offline-plan/plan-compare';
import { findSecrets, planCounts } from '../../src/offline-plan/plan-json';
import { plannedPolicies } from '../../src/offline-plan/plan-policies';
import { planStacks, type PlannedForm, type PlanRun, type StackOutcome } from '../../src/offline-plan/plan-runner';
import { compareVersions, lowerBound, parseConstraint, parseVersion } from '../../src/infrastructure/provider-version';
import { PLAN_ACCOUNT_ID } from '../../src/offline-plan/sts-stub';
import { synth, type SynthResult } from '../../scripts/synth';
import { stackSources } from '../../scripts/plan';
import { buildFixtures, type Json } from './support';

/** One synth and one plan run per set for the whole file: the plans are the expensive part. */
const PLAN_TIMEOUT_MS = 30 * 60_000;

/** The on-demand environments of the repository, on the runtime every supported provider knows. */
const ON_DEMAND_NODEJS22: EnvironmentsInput = Object.fromEntries(Object.entries(environments)
  .filter(([, input]) => input.function?.compute !== 'managed-instances')
  .map(([name, input]) => [name, { ...input, function: { ...input.function, runtime: 'nodejs22.x' } }]));
const ON_DEMAND_STACKS = Object.keys(ON_DEMAND_NODEJS22);

let repository: SynthResult;
let repositoryRun: PlanRun;
let onDemand: SynthResult;
let run: PlanRun;
let stackDigests: Map<string, string>;

function digestTree(dir: string): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort()) {
    hash.update(path.relative(dir, entry)).update(readFileSync(entry));
  }
  return hash.digest('hex');
}

beforeAll(async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'terraform-plan-test-'));
  repository = await synth({ outdir: path.join(root, 'repository', 'cdktf.out'), hcl: true, ...buildFixtures() });
  onDemand = await synth({ outdir: path.join(root, 'nodejs22', 'cdktf.out'), hcl: true, environments: ON_DEMAND_NODEJS22, ...buildFixtures() });
  stackDigests = new Map(onDemand.stacks.map((s) => [s.name, digestTree(s.dir)]));
  repositoryRun = await planStacks(stackSources(repository.outdir), { workRoot: path.join(root, 'repository-work') });
  run = await planStacks(stackSources(onDemand.outdir), { workRoot: path.join(root, 'nodejs22-work') });
}, PLAN_TIMEOUT_MS);

function constraintOf(synthesized: SynthResult, stack: string): string {
  return JSON.parse(readFileSync(path.join(synthesized.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')).terraform.required_providers.aws.version;
}

function outcome(stack: string): StackOutcome {
  const found = run.outcomes.find((o) => o.stack === stack);
  if (!found) throw new Error(`no outcome for stack "${stack}"; outcomes: ${run.outcomes.map((o) => o.stack).join(', ')}`);
  return found;
}

function planned(stack: string, form: 'json' | 'hcl'): PlannedForm {
  const o = outcome(stack);
  if (!o.planned) throw new Error(`stack "${stack}" was not planned: ${o.reason}`);
  const f = o.forms.find((x) => x.form === form);
  if (!f) throw new Error(`stack "${stack}" has no ${form} plan`);
  return f;
}


// The policies as IAM will read them. `${...}` marks a value Terraform knows
// only after apply (a log group's ARN, the proxy's resource id, a secret's
// ARN and key); everything else, the account from the loopback STS included,
// is filled in from the plan. A policy change is a change to this list.
const ACCOUNT = PLAN_ACCOUNT_ID;
const trust = (service: string, condition?: Json): Json => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
});
const flowLogsTrust = trust('vpc-flow-logs.amazonaws.com', {
  StringEquals: { 'aws:SourceAccount': ACCOUNT },
  ArnLike: { 'aws:SourceArn': `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc-flow-log/*` },
});
const flowLogsPolicy: Json = {
  Version: '2012-10-17',
  Statement: [{
    Sid: 'DeliverFlowLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
    Resource: '${aws_cloudwatch_log_group.flow-logs_log-group_BD9661F8.arn}:*',
  }],
};
const functionPolicy = (options: { dbUser: string; tracing: boolean; cache?: { name: string; user: string } }): Json => ({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '${aws_cloudwatch_log_group.log-group_ACDCF97A.arn}:*' },
    { Sid: 'DescribeNetworkInterfaces', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
    {
      Sid: 'ManageNetworkInterfaces',
      Effect: 'Allow',
      Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      Resource: `arn:aws:ec2:eu-west-1:${ACCOUNT}:*/*`,
    },
    {
      Sid: 'ConnectThroughProxy',
      Effect: 'Allow',
      Action: ['rds-db:connect'],
      Resource: `arn:aws:rds-db:eu-west-1:${ACCOUNT}:dbuser:\${element(split(":", aws_db_proxy.rds-proxy_F3E77E63.arn), 6)}/${options.dbUser}`,
    },
    // The cache and its user, together: IAM authentication to ElastiCache needs both in one statement.
    ...(options.cache ? [{
      Sid: 'ConnectToCache',
      Effect: 'Allow',
      Action: ['elasticache:Connect'],
      Resource: [`arn:aws:elasticache:eu-west-1:${ACCOUNT}:serverlesscache:${options.cache.name}`, `arn:aws:elasticache:eu-west-1:${ACCOUNT}:user:${options.cache.user}`],
    }] : []),
    ...(options.tracing ? [{ Sid: 'WriteTraces', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }] : []),
  ],
});
const proxyPolicy: Json = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ReadDatabaseSecret',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: ['${aws_db_instance.database_instance_D7FC2283.master_user_secret[0].secret_arn}', '${aws_secretsmanager_secret.function-user-secret_B51A224B.arn}'],
    },
    {
      Sid: 'DecryptDatabaseSecret',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: '${aws_db_instance.database_instance_D7FC2283.master_user_secret[0].kms_key_id}',
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    },
  ],
};
const monitoringPolicy: Json = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'EnsureMetricsLogGroup', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], Resource: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:RDSOSMetrics` },
    {
      Sid: 'WriteMetrics',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
      Resource: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:RDSOSMetrics:log-stream:*`,
    },
  ],
};
const EXPECTED_POLICIES: Record<string, Json> = {
  dev: {
    'aws_iam_role.flow-logs_role_B4B87A12.assume_role_policy': flowLogsTrust,
    'aws_iam_role.function-role_E684A9C6.assume_role_policy': trust('lambda.amazonaws.com'),
    'aws_iam_role.proxy-role_6FF21FCE.assume_role_policy': trust('rds.amazonaws.com'),
    'aws_iam_role_policy.flow-logs_policy_C17FD0C0.policy': flowLogsPolicy,
    'aws_iam_role_policy.function-role_policy_442A5FAE.policy': functionPolicy({ dbUser: 'app_rw', tracing: false }),
    'aws_iam_role_policy.proxy-role_policy_F738F5E5.policy': proxyPolicy,
  },
  prod: {
    'aws_iam_role.flow-logs_role_B4B87A12.assume_role_policy': flowLogsTrust,
    'aws_iam_role.function-role_E684A9C6.assume_role_policy': trust('lambda.amazonaws.com'),
    'aws_iam_role.monitoring-role_76CCB831.assume_role_policy': trust('monitoring.rds.amazonaws.com'),
    'aws_iam_role.proxy-role_6FF21FCE.assume_role_policy': trust('rds.amazonaws.com'),
    'aws_iam_role_policy.flow-logs_policy_C17FD0C0.policy': flowLogsPolicy,
    'aws_iam_role_policy.function-role_policy_442A5FAE.policy': functionPolicy({
      dbUser: 'app_rw', tracing: true, cache: { name: 'graceful-shutdown-prod', user: 'graceful-shutdown-prod-app' },
    }),
    'aws_iam_role_policy.monitoring-role_policy_AF2D4835.policy': monitoringPolicy,
    'aws_iam_role_policy.proxy-role_policy_F738F5E5.policy': proxyPolicy,
  },
};

describe('terraform plan of every synthesized stack, with no AWS account', () => {
  it('plans every environment of the repository as written, or names the provider release it needs', () => {
    expect(repositoryRun.outcomes.map((o) => o.stack).sort()).toEqual(Object.keys(environments).sort());
    for (const o of repositoryRun.outcomes) {
      const floor = lowerBound(parseConstraint(constraintOf(repository, o.stack)))!;
      const servable = repositoryRun.mirror === undefined || repositoryRun.mirror.versions.some((v) => compareVersions(parseVersion(v), floor) >= 0);
      // Left out only when no provider on this machine meets the stack's own floor, and then by name.
      expect({ stack: o.stack, planned: o.planned }).toEqual({ stack: o.stack, planned: servable });
      if (!o.planned) expect(o.reason).toContain(`stack "${o.stack}" needs hashicorp/aws >= ${floor.join('.')}`);
      else expect(o.forms.map((f) => f.form)).toEqual(['json', 'hcl']);
    }
  });

  it('asks the Managed Instances environment for hashicorp/aws 6.25.0 or later', () => {
    const managed = Object.entries(environments).filter(([, input]) => input.function?.compute === 'managed-instances').map(([name]) => name);
    expect(managed.map((name) => constraintOf(repository, name))).toEqual(managed.map(() => '>= 6.25.0, < 7.0.0'));
  });

  it.each(ON_DEMAND_STACKS)('plans the on-demand stack %s on nodejs22.x from its JSON and from its review HCL', (stack) => {
    for (const form of ['json', 'hcl'] as const) {
      const counts = planCounts(planned(stack, form).planJson);
      expect({ form, ...counts, add: counts.add > 0 }).toEqual({ form, add: true, change: 0, destroy: 0 });
    }
  });

  it.each(ON_DEMAND_STACKS)('the review HCL of %s plans exactly the resources and values its JSON plans', (stack) => {
    expect(planDifferences(planned(stack, 'json').planJson, planned(stack, 'hcl').planJson)).toEqual([]);
  });

  it('reports a difference between two plans when one value differs', () => {
    const json = planned('dev', 'json').planJson;
    const widened: Json = structuredClone(json);
    const lambda = widened.resource_changes.find((rc: Json) => rc.type === 'aws_lambda_function');
    lambda.change.after.timeout += 1;
    expect(planDifferences(json, widened)).toEqual([`${lambda.address}.timeout: ${lambda.change.after.timeout - 1} vs ${lambda.change.after.timeout}`]);
  });

  it.each(ON_DEMAND_STACKS)('every IAM policy %s plans is exactly the expected document, the account from STS filled in', (stack) => {
    const policies = plannedPolicies(planned(stack, 'json').planJson);
    const actual = Object.fromEntries(policies.map((p) => [`${p.address}.${p.attribute}`, p.document]));
    expect(actual).toEqual(EXPECTED_POLICIES[stack]);
    expect(JSON.stringify(actual)).toContain(`:${PLAN_ACCOUNT_ID}:`);
  });

  it.each(ON_DEMAND_STACKS)('%s attaches no managed policy to any role: every permission is in the documents above', (stack) => {
    const attachments = planned(stack, 'json').planJson.resource_changes
      .filter((rc: Json) => /^aws_iam_(role_policy_attachment|policy_attachment|role_policies_exclusive|role_policy_attachments_exclusive)$/.test(rc.type))
      .map((rc: Json) => rc.address);
    expect(attachments).toEqual([]);
  });

  it.each(ON_DEMAND_STACKS)('the plan of %s holds no secret, in either form', (stack) => {
    for (const form of ['json', 'hcl'] as const) expect({ form, secrets: findSecrets(planned(stack, form).planJson) }).toEqual({ form, secrets: [] });
  });

  it('finds a password planted in a plan, as a planned value and as a literal in the configuration', () => {
    const plan: Json = structuredClone(planned('dev', 'json').planJson);
    const db = plan.resource_changes.find((rc: Json) => rc.type === 'aws_db_instance');
    db.change.after.password = 'hunter2-hunter2';
    db.change.after_sensitive = { ...db.change.after_sensitive, password: true };
    const configured = plan.configuration.root_module.resources.find((r: Json) => r.address === db.address);
    configured.expressions.password = { constant_value: 'hunter2-hunter2' };
    expect(findSecrets(plan).map((s) => `${s.address} ${s.path}`)).toEqual([
      `${db.address} password`,
      `configuration.root_module.resources[${plan.configuration.root_module.resources.indexOf(configured)}].expressions password`,
    ]);
  });

  it('asks AWS (the loopback STS) for the caller identity and nothing else', () => {
    expect(run.stsActions.length).toBeGreaterThan(0);
    expect([...new Set(run.stsActions)]).toEqual(['GetCallerIdentity']);
  });

  it('sends no request off this machine (the egress guard saw none, in either run)', () => {
    expect(run.egressAttempts).toEqual([]);
    expect(repositoryRun.egressAttempts).toEqual([]);
  });

  it('leaves the synthesized stacks untouched: the overrides live only in the temporary copies', () => {
    for (const stack of onDemand.stacks) {
      expect({ stack: stack.name, files: readdirSync(stack.dir).sort() }).toEqual({ stack: stack.name, files: ['assets', 'cdk.tf.json'] });
      expect(digestTree(stack.dir)).toBe(stackDigests.get(stack.name));
    }
  });

  it('plans with the provider version each stack admits', () => {
    expect(run.providerVersion).toBeDefined();
    for (const o of run.outcomes.filter((x) => x.planned)) {
      const parsed = parseConstraint(constraintOf(onDemand, o.stack));
      expect({ stack: o.stack, floorMet: compareVersions(parseVersion(run.providerVersion!), lowerBound(parsed)!) >= 0 }).toEqual({ stack: o.stack, floorMet: true });
    }
  });
});
