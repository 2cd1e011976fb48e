// The IAM policies, compared EXACTLY: a widened action or resource fails here.
import { environments } from '../../src/infrastructure/config/environments';
import { logGroupNamed, parsePolicy, ref, resourcesOf, statementsOf, synthEnvironment, type Json } from './support';

const dev = synthEnvironment('dev', environments.dev);
const prod = synthEnvironment('prod', environments.prod);

const PARTITION = '${data.aws_partition.partition.partition}';
const ACCOUNT = '${data.aws_caller_identity.account.account_id}';
const ec2 = (resource: string): string => `arn:${PARTITION}:ec2:eu-west-1:${ACCOUNT}:${resource}`;


function allStatements(tf: Json): Json[] {
  return Object.values(resourcesOf(tf, 'aws_iam_role_policy')).flatMap((p: Json) => parsePolicy(p.policy).Statement);
}

describe('the function role', () => {
  const proxyResourceId = `\${element(split(":", ${ref(dev.tf, 'aws_db_proxy', 'arn').slice(2, -1)}), 6)}`;

  it('allows exactly: own log group, ENI describe, ENI manage in its account and region, rds-db:connect as one user', () => {
    expect(statementsOf(dev.tf, '-function')).toEqual([
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroupNamed(dev.tf, '/aws/lambda/graceful-shutdown-dev').ref('arn')}:*` },
      { Sid: 'DescribeNetworkInterfaces', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
      {
        Sid: 'ManageNetworkInterfaces',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        Resource: ec2('*/*'),
      },
      { Sid: 'ConnectThroughProxy', Effect: 'Allow', Action: ['rds-db:connect'], Resource: `arn:${PARTITION}:rds-db:eu-west-1:${ACCOUNT}:dbuser:${proxyResourceId}/app_rw` },
    ]);
  });

  it('builds the proxy resource id from the 7th field of the proxy ARN (arn:aws:rds:<region>:<account>:db-proxy:prx-...)', () => {
    expect(proxyResourceId).toMatch(/^\$\{element\(split\(":", aws_db_proxy\.[^)]+\.arn\), 6\)\}$/);
  });

  it('adds X-Ray writes only when tracing is on (prod)', () => {
    const statements = statementsOf(prod.tf, '-function');
    // ConnectToCache: prod's cache (cache.test.ts).
    expect(statements.map((s) => s.Sid)).toEqual(['WriteOwnLogs', 'DescribeNetworkInterfaces', 'ManageNetworkInterfaces', 'ConnectThroughProxy', 'ConnectToCache', 'WriteTraces']);
    expect(statements[5]).toEqual({ Sid: 'WriteTraces', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' });
  });

  it('is assumable by Lambda only', () => {
    const roles = Object.values(resourcesOf(dev.tf, 'aws_iam_role')) as Json[];
    const role = roles.find((r) => r.name === 'graceful-shutdown-dev-function');
    expect(JSON.parse(role.assume_role_policy)).toEqual({
      Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
  });
});

describe('the proxy role', () => {
  it('reads only the two database secrets (master and function user), and decrypts only through Secrets Manager', () => {
    expect(statementsOf(dev.tf, '-proxy')).toEqual([
      {
        Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'],
        Resource: [ref(dev.tf, 'aws_db_instance', 'master_user_secret[0].secret_arn'), ref(dev.tf, 'aws_secretsmanager_secret', 'arn')],
      },
      {
        Sid: 'DecryptDatabaseSecret', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: ref(dev.tf, 'aws_db_instance', 'master_user_secret[0].kms_key_id'),
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      },
    ]);
  });

  it('is assumable by RDS only', () => {
    const roles = Object.values(resourcesOf(dev.tf, 'aws_iam_role')) as Json[];
    const role = roles.find((r) => r.name === 'graceful-shutdown-dev-proxy');
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'rds.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  });
});

describe('policy-table rules', () => {
  it('CKV_AWS_63: no statement allows "*" or a service-wide "<service>:*" action', () => {
    for (const s of [dev, prod]) {
      for (const statement of allStatements(s.tf)) {
        for (const action of statement.Action) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      }
    }
  });

  it('CKV_AWS_355: "*" is the resource only of actions that support no resource-level permissions', () => {
    const unrestrictable = new Set(['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    for (const s of [dev, prod]) {
      for (const statement of allStatements(s.tf).filter((st) => st.Resource === '*')) {
        for (const action of statement.Action) expect(unrestrictable.has(action)).toBe(true);
      }
    }
  });

  it('only inline policies: no managed policy attachment can widen a role', () => {
    expect(resourcesOf(prod.tf, 'aws_iam_role_policy_attachment')).toEqual({});
    for (const role of Object.values(resourcesOf(prod.tf, 'aws_iam_role')) as Json[]) expect(role.managed_policy_arns).toBeUndefined();
  });
});
