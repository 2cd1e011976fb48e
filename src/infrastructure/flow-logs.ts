// Flow logs of the VPC this stack creates, into a log group the stack owns
// (retention and the optional key like every other log group here). The VPC
// carries only function -> proxy -> database traffic, so the log is small, and
// a rejected flow in it is exactly what a security reviewer wants to see.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from './cdk';
import { NameSuffix } from './config/validate-names';
import { guardrailArgs, type RoleGuardrails } from './iam-guardrails';
import { logGroupArgs, type LogSettings } from './log-group';
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from './policy';

export interface FlowLogsProps extends LogSettings {
  vpcId: string;
  namePrefix: string;
  partition: string;
  region: string;
  accountId: string;
  guardrails: RoleGuardrails;
}

export class FlowLogs extends Construct {
  public readonly logGroup: CloudwatchLogGroup;
  public readonly role: IamRole;
  public readonly statements: readonly PolicyStatement[];
  public readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: FlowLogsProps) {
    super(scope, id);
    const { partition, region, accountId } = props;
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', logGroupArgs(`/aws/vpc/flow-logs/${props.namePrefix}`, props));
    this.role = new IamRole(this, 'role', {
      name: `${props.namePrefix}${NameSuffix.flowLogsRole}`,
      description: 'VPC flow logs: deliver to the stack\'s flow log group',
      // The delivery service assumes the role only for flow logs of this
      // account and region (the confused-deputy conditions VPC documents).
      assumeRolePolicy: serviceTrustPolicy('vpc-flow-logs.amazonaws.com', {
        StringEquals: { 'aws:SourceAccount': accountId },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*` },
      }),
      ...guardrailArgs(props.guardrails),
    });
    this.statements = [{
      Sid: 'DeliverFlowLogs',
      Effect: 'Allow',
      // The group exists (created above), so no logs:CreateLogGroup.
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
      Resource: `${this.logGroup.arn}:*`,
    }];
    const policy = new IamRolePolicy(this, 'policy', { name: 'deliver-flow-logs', role: this.role.id, policy: policyDocument(this.statements) });
    this.flowLog = new FlowLog(this, 'flow-log', {
      vpcId: props.vpcId,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.logGroup.arn,
      iamRoleArn: this.role.arn,
      dependsOn: [policy],
    });
  }
}
