// Lambda Managed Instances: the capacity provider whose EC2 instances run the
// function in the VPC, and the operator role Lambda assumes to launch and
// manage those instances. The function attaches to it through its
// capacity_provider_config (function.ts).
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LambdaCapacityProvider } from '@cdktf/provider-aws/lib/lambda-capacity-provider';
import { Construct } from './cdk';
import type { Architecture } from './config/types';
import { NameSuffix } from './config/validate-names';
import { guardrailArgs, type RoleGuardrails } from './iam-guardrails';
import { serviceTrustPolicy } from './policy';

/**
 * The AWS-managed policy the Lambda guide names as the operator role's minimum.
 * Its EC2 actions are conditioned on `ec2:ManagedResourceOperator =
 * scaler.lambda.amazonaws.com` (only instances Lambda's scaler manages) and on
 * Amazon-owned images. It is attached rather than copied because AWS extends
 * it as the service grows (CloudWatch Logs and VPC encryption-control reads
 * were added after launch): a copy would silently stop being enough.
 */
export const OPERATOR_MANAGED_POLICY = 'AWSLambdaManagedEC2ResourceOperator';

/** Lambda's capacity provider API scales on its own signals; the ceiling in vCPUs is what bounds the fleet. */
export const SCALING_MODE = 'Auto';

export interface CapacityProviderProps {
  namePrefix: string;
  partition: string;
  /** Where the instances run: private subnets in at least two AZs. */
  subnetIds: string[];
  securityGroupIds: string[];
  /** The function's architecture: its instances must run the same. */
  architecture: Architecture;
  allowedInstanceTypes: readonly string[];
  excludedInstanceTypes: readonly string[];
  maxVcpuCount: number;
  /** Customer-managed key for the instances' volumes; default the AWS-managed key. */
  kmsKeyArn?: string;
  guardrails: RoleGuardrails;
}

export class CapacityProvider extends Construct {
  public readonly operatorRole: IamRole;
  public readonly capacityProvider: LambdaCapacityProvider;
  public readonly arn: string;
  public readonly name: string;
  /** The managed policy attached to the operator role (its whole permission set). */
  public readonly operatorPolicyArn: string;

  constructor(scope: Construct, id: string, props: CapacityProviderProps) {
    super(scope, id);
    this.operatorRole = new IamRole(this, 'operator-role', {
      name: `${props.namePrefix}${NameSuffix.capacityOperatorRole}`,
      description: 'Lambda Managed Instances: launch and manage the capacity provider\'s EC2 instances',
      assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com'),
      ...guardrailArgs(props.guardrails),
    });
    this.operatorPolicyArn = `arn:${props.partition}:iam::aws:policy/${OPERATOR_MANAGED_POLICY}`;
    const attachment = new IamRolePolicyAttachment(this, 'operator-policy', {
      role: this.operatorRole.name,
      policyArn: this.operatorPolicyArn,
    });
    const requirements = {
      architectures: [props.architecture],
      ...(props.allowedInstanceTypes.length > 0 ? { allowedInstanceTypes: [...props.allowedInstanceTypes] } : {}),
      ...(props.excludedInstanceTypes.length > 0 ? { excludedInstanceTypes: [...props.excludedInstanceTypes] } : {}),
    };
    this.capacityProvider = new LambdaCapacityProvider(this, 'capacity-provider', {
      name: props.namePrefix,
      vpcConfig: [{ subnetIds: props.subnetIds, securityGroupIds: props.securityGroupIds }],
      permissionsConfig: [{ capacityProviderOperatorRoleArn: this.operatorRole.arn }],
      instanceRequirements: [requirements],
      capacityProviderScalingConfig: [{ scalingMode: SCALING_MODE, maxVcpuCount: props.maxVcpuCount }],
      ...(props.kmsKeyArn !== undefined ? { kmsKeyArn: props.kmsKeyArn } : {}),
      // Lambda checks the role's permissions when it creates the provider.
      dependsOn: [attachment],
    });
    this.arn = this.capacityProvider.arn;
    this.name = this.capacityProvider.name;
  }
}
