// The organisation's guardrails every role this stack creates carries: a path
// (so SCPs and boundaries can target the project's roles by path) and an
// optional permissions boundary (roles created in a pipeline often must name
// one, or iam:CreateRole is denied).
import type { IamRoleConfig } from '@cdktf/provider-aws/lib/iam-role';

export interface RoleGuardrails {
  path: string;
  permissionsBoundaryArn?: string;
}

/** The IamRole arguments for the guardrails. */
export function guardrailArgs(guardrails: RoleGuardrails): Pick<IamRoleConfig, 'path' | 'permissionsBoundary'> {
  return {
    path: guardrails.path,
    ...(guardrails.permissionsBoundaryArn !== undefined ? { permissionsBoundary: guardrails.permissionsBoundaryArn } : {}),
  };
}
