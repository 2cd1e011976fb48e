// The log groups RDS and RDS Proxy write to. Left to the services, they are
// created on first write with no retention, no key, no tags and outside state
// (a destroy leaves them behind). Created here first, under the exact names
// the services use, they get the stack's retention and key; the instance and
// the proxy depend on them so neither service can create them first.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Construct } from './cdk';
import { logGroupArgs, type LogSettings } from './log-group';

export interface ServiceLogGroupsProps extends LogSettings {
  /** The DB instance identifier (a literal: the instance depends on these groups, so it cannot be a reference). */
  databaseIdentifier: string;
  /** The instance's enabled_cloudwatch_logs_exports. */
  exports: readonly string[];
  proxyName: string;
}

export class ServiceLogGroups extends Construct {
  /** One per export, in the order of `exports`. */
  public readonly databaseLogGroups: readonly CloudwatchLogGroup[];
  public readonly proxyLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: ServiceLogGroupsProps) {
    super(scope, id);
    const group = (key: string, name: string): CloudwatchLogGroup => new CloudwatchLogGroup(this, key, logGroupArgs(name, props));
    this.databaseLogGroups = props.exports.map((name) => group(`rds-${name}`, `/aws/rds/instance/${props.databaseIdentifier}/${name}`));
    this.proxyLogGroup = group('proxy', `/aws/rds/proxy/${props.proxyName}`);
  }
}
