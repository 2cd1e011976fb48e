// The function's log group, created before the function so retention (and an
// optional KMS key) apply from the first line, and the role needs no
// logs:CreateLogGroup.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Construct } from './cdk';

export interface LogGroupProps {
  functionName: string;
  retentionDays: number;
  kmsKeyArn?: string;
}

export class LogGroup extends Construct {
  public readonly logGroup: CloudwatchLogGroup;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: LogGroupProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.retentionDays,
      ...(props.kmsKeyArn !== undefined ? { kmsKeyId: props.kmsKeyArn } : {}),
    });
    this.name = this.logGroup.name;
    this.arn = this.logGroup.arn;
  }
}
