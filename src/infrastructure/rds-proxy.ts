// RDS Proxy in front of the instance: TLS and IAM authentication required, the
// pool limits from config, and the instance as its only target.
import { DbProxy } from '@cdktf/provider-aws/lib/db-proxy';
import { DbProxyDefaultTargetGroup } from '@cdktf/provider-aws/lib/db-proxy-default-target-group';
import { DbProxyTarget } from '@cdktf/provider-aws/lib/db-proxy-target';
import { Construct, Fn, type TerraformResource } from './cdk';
import type { ProxyInput } from './config/types';

export interface RdsProxyProps {
  namePrefix: string;
  settings: Required<ProxyInput>;
  roleArn: string;
  secretArn: string;
  /** The function user's secret: the proxy maps the function's IAM-authenticated connections to it. */
  functionUserSecretArn: string;
  subnetIds: string[];
  securityGroupId: string;
  dbInstanceIdentifier: string;
  /** Created first: the log group the proxy writes to, so the service cannot create it without retention. */
  dependsOn?: TerraformResource[];
}

export class RdsProxy extends Construct {
  public readonly proxy: DbProxy;
  public readonly endpoint: string;
  public readonly arn: string;
  /** `prx-...`: the last part of the ARN, the name rds-db:connect uses. */
  public readonly resourceId: string;

  constructor(scope: Construct, id: string, props: RdsProxyProps) {
    super(scope, id);
    const { settings } = props;
    this.proxy = new DbProxy(this, 'proxy', {
      name: props.namePrefix,
      engineFamily: 'MYSQL',
      requireTls: true,
      roleArn: props.roleArn,
      vpcSubnetIds: props.subnetIds,
      vpcSecurityGroupIds: [props.securityGroupId],
      idleClientTimeout: settings.idleClientTimeoutSeconds,
      debugLogging: settings.debugLogging,
      auth: [{
        authScheme: 'SECRETS',
        iamAuth: 'REQUIRED',
        secretArn: props.secretArn,
        description: 'RDS-managed master secret; clients authenticate with IAM',
      }, {
        authScheme: 'SECRETS',
        iamAuth: 'REQUIRED',
        secretArn: props.functionUserSecretArn,
        description: 'The function user, written by db:bootstrap; clients authenticate with IAM',
      }],
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    const targetGroup = new DbProxyDefaultTargetGroup(this, 'target-group', {
      dbProxyName: this.proxy.name,
      connectionPoolConfig: {
        maxConnectionsPercent: settings.maxConnectionsPercent,
        maxIdleConnectionsPercent: settings.maxIdleConnectionsPercent,
        connectionBorrowTimeout: settings.connectionBorrowTimeoutSeconds,
      },
    });
    new DbProxyTarget(this, 'target', {
      dbProxyName: this.proxy.name,
      targetGroupName: targetGroup.name,
      dbInstanceIdentifier: props.dbInstanceIdentifier,
    });
    this.endpoint = this.proxy.endpoint;
    this.arn = this.proxy.arn;
    // arn:aws:rds:<region>:<account>:db-proxy:prx-... -> element 6
    this.resourceId = Fn.element(Fn.split(':', this.proxy.arn), 6);
  }
}
