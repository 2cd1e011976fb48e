// The function's log group, created before the function so retention (and an
// optional KMS key) apply from the first line, and the role needs no
// logs:CreateLogGroup.
import { CloudwatchLogGroup, type CloudwatchLogGroupConfig } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Construct } from './cdk';

/** What every log group the stack creates shares (the environment's `logs`). */
export interface LogSettings {
  retentionDays: number;
  /** Customer-managed key; without it CloudWatch Logs encrypts with its own. */
  kmsKeyArn?: string;
}

/** One log group's arguments: its name, the stack's retention and, when configured, its key. */
export function logGroupArgs(name: string, logs: LogSettings): CloudwatchLogGroupConfig {
  return { name, retentionInDays: logs.retentionDays, ...(logs.kmsKeyArn !== undefined ? { kmsKeyId: logs.kmsKeyArn } : {}) };
}

export interface LogGroupProps extends LogSettings {
  functionName: string;
}

export class LogGroup extends Construct {
  public readonly logGroup: CloudwatchLogGroup;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: LogGroupProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', logGroupArgs(`/aws/lambda/${props.functionName}`, props));
    this.name = this.logGroup.name;
    this.arn = this.logGroup.arn;
  }
}
