// VPC flow logs of the created VPC: all traffic into a log group the stack
// owns, delivered by a role the flow-logs service can assume only for this
// account and region, writing only to that group.
import { environments } from '../../src/infrastructure/config/environments';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { ConfigError } from '../../src/infrastructure/errors';
import { DEV_INPUT, logGroupNamed, onlyResource, ref, resourcesOf, statementsOf, synthEnvironment, type Json } from './support';

const PARTITION = '${data.aws_partition.partition.partition}';
const ACCOUNT = '${data.aws_caller_identity.account.account_id}';
const dev = synthEnvironment('dev', environments.dev);

describe('VPC flow logs (network.flowLogs, default on for a created VPC)', () => {
  const group = logGroupNamed(dev.tf, '/aws/vpc/flow-logs/graceful-shutdown-dev');

  it('logs all traffic of the created VPC into its own log group, with the stack\'s retention', () => {
    expect(onlyResource(dev.tf, 'aws_flow_log')).toMatchObject({
      vpc_id: ref(dev.tf, 'aws_vpc', 'id'), traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs', log_destination: group.ref('arn'),
    });
    expect(group.group.retention_in_days).toBe(14);
  });

  it('delivers through a role the service may assume only for flow logs of this account and region', () => {
    const role = Object.values(resourcesOf(dev.tf, 'aws_iam_role')).find((r: Json) => r.name === 'graceful-shutdown-dev-flow-logs') as Json;
    expect(onlyResource(dev.tf, 'aws_flow_log').iam_role_arn).toMatch(/^\$\{aws_iam_role\.flow-logs_role_[^.]+\.arn\}$/);
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{
      Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:${PARTITION}:ec2:eu-west-1:${ACCOUNT}:vpc-flow-log/*` } },
    }]);
  });

  it('lets that role write only to the flow-log group, which already exists (no logs:CreateLogGroup)', () => {
    expect(statementsOf(dev.tf, '-flow-logs')).toEqual([{
      Sid: 'DeliverFlowLogs', Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'], Resource: `${group.ref('arn')}:*`,
    }]);
  });

  it('is created after the role\'s policy, so the first delivery is allowed', () => {
    expect(onlyResource(dev.tf, 'aws_flow_log').depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.flow-logs_policy_/)]);
  });

  it('can be turned off (network.flowLogs: false): no flow log, group or role', () => {
    const off = synthEnvironment('quiet', { ...DEV_INPUT, network: { ...DEV_INPUT.network, flowLogs: false } });
    expect(resourcesOf(off.tf, 'aws_flow_log')).toEqual({});
    expect(Object.values(resourcesOf(off.tf, 'aws_cloudwatch_log_group')).map((g: Json) => g.name)).not.toContain('/aws/vpc/flow-logs/graceful-shutdown-quiet');
    expect(Object.values(resourcesOf(off.tf, 'aws_iam_role')).map((r: Json) => r.name)).not.toContain('graceful-shutdown-quiet-flow-logs');
  });

  it('is refused for an existing VPC, whose flow logs are its owner\'s', () => {
    const input = { ...DEV_INPUT, network: { createVpc: false, existingVpcId: 'vpc-0a1b2c3d4e5f67890', existingSubnetIds: ['subnet-0aaa1111bbbb2222c', 'subnet-0ddd3333eeee4444f'], flowLogs: true } };
    try {
      resolveEnvironments({ dev: input }, {});
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['environments.dev.network.flowLogs: is only used when createVpc is true']);
    }
  });
});
