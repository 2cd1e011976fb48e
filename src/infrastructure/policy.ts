// IAM policy documents as typed data, rendered with JSON.stringify so the
// synthesized JSON holds a plain policy string that tests can parse and compare
// exactly (a widened action or resource fails a test, not a review).

/** Attributes the AWS provider reads as IAM policy documents (the review HCL writes them as jsonencode, the plan checks compare them parsed). */
export const POLICY_ATTRIBUTES = ['policy', 'assume_role_policy'] as const;

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface TrustStatement {
  Effect: 'Allow';
  Principal: { Service: string };
  Action: 'sts:AssumeRole';
  Condition?: Record<string, Record<string, string>>;
}

export function policyDocument(statements: readonly (PolicyStatement | TrustStatement)[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * A role trust policy for one AWS service. No aws:SourceAccount condition:
 * neither Lambda nor RDS Proxy documents sending it when assuming an execution
 * role, and a condition the service does not send breaks the role.
 */
export function serviceTrustPolicy(service: string, condition?: TrustStatement['Condition']): string {
  return policyDocument([{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }]);
}
