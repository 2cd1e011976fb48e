// The role RDS Enhanced Monitoring assumes to publish OS metrics (created only
// when database.monitoringIntervalSeconds > 0). RDS writes them to the
// region's shared `RDSOSMetrics` log group, which it creates itself (one per
// account and region, shared by every instance, so no stack can own it). The
// permissions are those of AWS's AmazonRDSEnhancedMonitoringRole, narrowed to
// that one log group in this account and region, and inline like every other
// policy here, so AWS editing its managed policy cannot widen the role.
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from './cdk';
import { NameSuffix } from './config/validate-names';
import { guardrailArgs, type RoleGuardrails } from './iam-guardrails';
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from './policy';

export const ENHANCED_MONITORING_LOG_GROUP = 'RDSOSMetrics';

export interface MonitoringRoleProps {
  namePrefix: string;
  partition: string;
  region: string;
  accountId: string;
  guardrails: RoleGuardrails;
}

export class MonitoringRole extends Construct {
  public readonly role: IamRole;
  /** The instance depends on it: RDS checks the role when monitoring starts. */
  public readonly policy: IamRolePolicy;
  public readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: MonitoringRoleProps) {
    super(scope, id);
    const logGroup = `arn:${props.partition}:logs:${props.region}:${props.accountId}:log-group:${ENHANCED_MONITORING_LOG_GROUP}`;
    this.role = new IamRole(this, 'role', {
      name: `${props.namePrefix}${NameSuffix.monitoringRole}`,
      description: 'RDS Enhanced Monitoring: publish OS metrics to RDSOSMetrics',
      assumeRolePolicy: serviceTrustPolicy('monitoring.rds.amazonaws.com'),
      ...guardrailArgs(props.guardrails),
    });
    this.statements = [
      { Sid: 'EnsureMetricsLogGroup', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], Resource: logGroup },
      {
        Sid: 'WriteMetrics',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
        Resource: `${logGroup}:log-stream:*`,
      },
    ];
    this.policy = new IamRolePolicy(this, 'policy', { name: 'enhanced-monitoring', role: this.role.id, policy: policyDocument(this.statements) });
  }
}
