// The function's execution role: write to its own log group, manage the VPC
// network interfaces Lambda creates for it, connect to the database through
// the proxy as one user and, with a cache, to that cache as its one user.
// Nothing else.
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from './cdk';
import { NameSuffix } from './config/validate-names';
import { guardrailArgs, type RoleGuardrails } from './iam-guardrails';
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from './policy';

/**
 * The EC2 actions of AWSLambdaVPCAccessExecutionRole (v3). The two Describe
 * actions support no resource-level permissions; the other four are scoped to
 * every EC2 resource of this account and region, not to single subnets or
 * security groups: see ManageNetworkInterfaces below.
 */
export const ENI_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'] as const;
export const ENI_MANAGE_ACTIONS = [
  'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses',
] as const;
export const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

export interface FunctionRoleProps {
  namePrefix: string;
  partition: string;
  region: string;
  accountId: string;
  logGroupArn: string;
  /** The proxy's resource id (`prx-...`) and the database user the function connects as. */
  proxyResourceId: string;
  /**
   * Where the proxy lives, when not in this account and region: an existing
   * proxy's ARN names them, and rds-db:connect must name the proxy's account,
   * not the caller's. Defaults to partition/region/accountId.
   */
  proxyLocation?: { partition: string; region: string; accountId: string };
  guardrails: RoleGuardrails;
  dbUser: string;
  tracing: boolean;
  /**
   * Default true. False on Managed Instances: the function has no VPC config
   * of its own (its capacity provider's operator role places the instances),
   * so Lambda creates no interfaces for it and the role needs no EC2 action.
   */
  vpcNetworkInterfaces?: boolean;
  /**
   * The cache, when the environment has one: elasticache:Connect names the
   * cache and the user together in one statement, as IAM authentication
   * requires (either alone is refused).
   */
  cacheConnect?: { cacheArn: string; userArn: string };
}

export class FunctionRole extends Construct {
  public readonly role: IamRole;
  public readonly policy: IamRolePolicy;
  public readonly statements: readonly PolicyStatement[];
  /** arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy resource id>/<user> */
  public readonly dbConnectArn: string;

  constructor(scope: Construct, id: string, props: FunctionRoleProps) {
    super(scope, id);
    const { partition, region, accountId } = props;
    const ec2 = (resource: string): string => `arn:${partition}:ec2:${region}:${accountId}:${resource}`;
    const proxy = props.proxyLocation ?? { partition, region, accountId };
    const cache = props.cacheConnect;
    this.dbConnectArn = `arn:${proxy.partition}:rds-db:${proxy.region}:${proxy.accountId}:dbuser:${props.proxyResourceId}/${props.dbUser}`;
    this.role = new IamRole(this, 'role', {
      name: `${props.namePrefix}${NameSuffix.functionRole}`,
      description: `Lambda function: own logs, ${props.vpcNetworkInterfaces === false ? '' : 'VPC interfaces, '}rds-db:connect through the proxy${cache ? ', elasticache:Connect' : ''}`,
      assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com'),
      ...guardrailArgs(props.guardrails),
    });
    const networkInterfaces: PolicyStatement[] = props.vpcNetworkInterfaces === false ? [] : [
      { Sid: 'DescribeNetworkInterfaces', Effect: 'Allow', Action: [...ENI_DESCRIBE_ACTIONS], Resource: '*' },
      {
        Sid: 'ManageNetworkInterfaces',
        Effect: 'Allow',
        Action: [...ENI_MANAGE_ACTIONS],
        // This account and region, every resource type: the form the Lambda
        // developer guide gives. Lambda validates these permissions when it
        // creates the function, and narrower resource lists (single subnets
        // and security groups) have been reported to fail that check.
        Resource: ec2('*/*'),
      },
    ];
    const statements: PolicyStatement[] = [
      // The log group exists before the function (Terraform creates it), so no logs:CreateLogGroup.
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${props.logGroupArn}:*` },
      ...networkInterfaces,
      { Sid: 'ConnectThroughProxy', Effect: 'Allow', Action: ['rds-db:connect'], Resource: this.dbConnectArn },
      ...(cache ? [{ Sid: 'ConnectToCache', Effect: 'Allow' as const, Action: ['elasticache:Connect'], Resource: [cache.cacheArn, cache.userArn] }] : []),
    ];
    // X-Ray's write actions have no resource-level permissions.
    if (props.tracing) statements.push({ Sid: 'WriteTraces', Effect: 'Allow', Action: [...XRAY_ACTIONS], Resource: '*' });
    this.statements = statements;
    this.policy = new IamRolePolicy(this, 'policy', { name: 'function', role: this.role.id, policy: policyDocument(statements) });
  }
}
