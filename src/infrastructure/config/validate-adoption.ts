// Validation of the inputs an organisation's guardrails need: role path and
// permissions boundary, provider assume_role and allowed_account_ids, and the
// customer-managed KMS keys. Each check names the field it is about.
import { KMS_KEY_ARN, show, type Fail } from './checks';
import type { IamInput, ProviderInput } from './types';

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;
// IAM: a path is `/` alone or starts and ends with `/`, printable ASCII, at most 512 characters.
const IAM_PATH = /^\/([\x21-\x7e]+\/)?$/;
// STS: role session names and external ids, as the AssumeRole API defines them.
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

export function resolveIam(input: IamInput | undefined, fail: Fail): { path: string; permissionsBoundaryArn?: string } {
  const path = input?.path ?? '/';
  if (typeof path !== 'string' || !IAM_PATH.test(path) || path.length > 512) {
    fail('iam.path', `must be "/" or start and end with "/" (printable ASCII, at most 512 characters), got ${show(path)}`);
  }
  const boundary = input?.permissionsBoundaryArn;
  if (boundary !== undefined && !POLICY_ARN.test(boundary)) {
    fail('iam.permissionsBoundaryArn', `must be a managed policy ARN (arn:aws:iam::<account>:policy/<name>), got ${show(boundary)}`);
  }
  return { path, ...(boundary !== undefined ? { permissionsBoundaryArn: boundary } : {}) };
}

export function resolveProvider(input: ProviderInput | undefined, fail: Fail): ProviderInput {
  if (input === undefined) return {};
  const resolved: ProviderInput = {};
  const role = input.assumeRole;
  if (role !== undefined) {
    if (!ROLE_ARN.test(role.roleArn ?? '')) fail('provider.assumeRole.roleArn', `must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${show(role.roleArn)}`);
    if (role.sessionName !== undefined && !SESSION_NAME.test(role.sessionName)) {
      fail('provider.assumeRole.sessionName', `must be 2-64 characters of letters, digits and +=,.@_-, got ${show(role.sessionName)}`);
    }
    if (role.externalId !== undefined && !EXTERNAL_ID.test(role.externalId)) {
      fail('provider.assumeRole.externalId', `must be 2-1224 characters of letters, digits and +=,.@:/_-, got ${show(role.externalId)}`);
    }
    resolved.assumeRole = {
      roleArn: role.roleArn,
      ...(role.sessionName !== undefined ? { sessionName: role.sessionName } : {}),
      ...(role.externalId !== undefined ? { externalId: role.externalId } : {}),
    };
  }
  if (input.allowedAccountIds !== undefined) {
    if (input.allowedAccountIds.length === 0) fail('provider.allowedAccountIds', 'must list at least one account id when set (leave it out to allow any)');
    input.allowedAccountIds.forEach((id, i) => {
      if (!ACCOUNT_ID.test(id)) fail(`provider.allowedAccountIds[${i}]`, `must be a 12-digit AWS account id, got ${show(id)}`);
    });
    resolved.allowedAccountIds = [...input.allowedAccountIds];
  }
  return resolved;
}

/** A customer-managed key's ARN (aliases are refused: IAM policies and key grants need the key itself). */
export function checkKmsKeyArn(field: string, value: string | undefined, fail: Fail): string | undefined {
  if (value !== undefined && !KMS_KEY_ARN.test(value)) fail(field, `must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${show(value)}`);
  return value;
}
