// The function's own database user (create mode). The master user administers
// the database; the function connects as a user that `npm run db:bootstrap`
// creates with only its data API's privileges. Checked here: a name MySQL and
// RDS accept, and never the master user or one RDS keeps for itself.
import { checkKmsKeyArn } from './validate-adoption';

type Fail = (field: string, message: string) => void;

export const DEFAULT_FUNCTION_USER = 'app_rw';

/**
 * MySQL 8 user names: at most 32 characters. Letters, digits and `_`, first a
 * letter, so the name needs no quoting in GRANT statements or IAM ARNs
 * (`dbuser:<proxy>/<user>`).
 */
const MYSQL_USER = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** Accounts MySQL and RDS create and manage themselves. */
export const RESERVED_USERS = ['root', 'rdsadmin', 'rdsrepladmin', 'rdsproxyadmin', 'mysql', 'admin'] as const;

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

export interface FunctionUser {
  readonly name: string;
  readonly secretKmsKeyArn?: string;
}

export function resolveFunctionUser(
  input: { functionUser?: unknown; functionUserSecretKmsKeyArn?: string }, masterUsername: string, fail: Fail,
): FunctionUser {
  const name = input.functionUser ?? DEFAULT_FUNCTION_USER;
  if (typeof name !== 'string' || !MYSQL_USER.test(name)) {
    fail('database.functionUser', `must be a MySQL user name: a letter, then letters, digits or _, at most 32 characters, got ${show(name)}`);
  } else if (name.toLowerCase() === masterUsername.toLowerCase()) {
    fail('database.functionUser', `must not be the master user (database.masterUsername ${show(masterUsername)}): the function gets only its data API's privileges`);
  } else if ((RESERVED_USERS as readonly string[]).includes(name.toLowerCase())) {
    fail('database.functionUser', `is an account MySQL or RDS manages itself, got ${show(name)}`);
  }
  const secretKmsKeyArn = checkKmsKeyArn('database.functionUserSecretKmsKeyArn', input.functionUserSecretKmsKeyArn, fail);
  return { name: String(name), ...(secretKmsKeyArn !== undefined ? { secretKmsKeyArn } : {}) };
}
