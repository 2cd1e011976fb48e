// The function's own database user (create mode). The master user administers
// the database; the function connects as a user that `npm run db:bootstrap`
// creates with only its data API's privileges. Checked here: a name MySQL and
// RDS accept, and never the master user or one RDS keeps for itself.
import { show, type Fail } from './checks';
import { checkKmsKeyArn } from './validate-adoption';

export const DEFAULT_FUNCTION_USER = 'app_rw';

/**
 * MySQL 8 user names: at most 32 characters. Letters, digits and `_`, first a
 * letter, so the name needs no quoting in GRANT statements or IAM ARNs
 * (`dbuser:<proxy>/<user>`).
 */
const MYSQL_USER = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Accounts MySQL and RDS create and manage themselves; `rds_superuser_role` is
 * the role RDS for MySQL (8.0.36 on) grants the master user, and a role is an
 * account to GRANT and REVOKE. MySQL's own `mysql.sys`, `mysql.session` and
 * `mysql.infoschema` never pass MYSQL_USER (the dot).
 */
export const RESERVED_USERS = ['root', 'rdsadmin', 'rdsrepladmin', 'rdsproxyadmin', 'rds_superuser_role', 'mysql', 'admin'] as const;

/** The master user name of every database this project creates, unless the config names another. */
export const DEFAULT_MASTER_USERNAME = 'dbadmin';

export interface FunctionUser {
  readonly name: string;
  readonly secretKmsKeyArn?: string;
}

/**
 * A user name the bootstrap may converge to the function's three grants: a
 * MySQL name, not the master user, not an account RDS or MySQL runs on (the
 * bootstrap would revoke whatever else it holds).
 */
function checkUserName(field: string, name: unknown, fail: Fail, masterUsername?: string): string {
  if (typeof name !== 'string' || !MYSQL_USER.test(name)) {
    fail(field, `must be a MySQL user name: a letter, then letters, digits or _, at most 32 characters, got ${show(name)}`);
  } else if (masterUsername !== undefined && name.toLowerCase() === masterUsername.toLowerCase()) {
    fail(field, `must not be the master user (database.masterUsername ${show(masterUsername)}): the function gets only its data API's privileges`);
  } else if ((RESERVED_USERS as readonly string[]).includes(name.toLowerCase())) {
    fail(field, `is an account MySQL or RDS manages itself, got ${show(name)}`);
  }
  return String(name);
}

export function resolveFunctionUser(
  input: { functionUser?: unknown; functionUserSecretKmsKeyArn?: string }, masterUsername: string, fail: Fail,
): FunctionUser {
  const name = checkUserName('database.functionUser', input.functionUser ?? DEFAULT_FUNCTION_USER, fail, masterUsername);
  const secretKmsKeyArn = checkKmsKeyArn('database.functionUserSecretKmsKeyArn', input.functionUserSecretKmsKeyArn, fail);
  return { name, ...(secretKmsKeyArn !== undefined ? { secretKmsKeyArn } : {}) };
}

/**
 * An adopted proxy's user. Its database's master user is not in the config;
 * the name this project gives its own databases' master user is refused, and
 * `npm run db:bootstrap` refuses the admin user it connects as.
 */
export function checkAdoptedUser(dbUser: unknown, fail: Fail): string {
  const field = 'existingProxy.dbUser';
  if (typeof dbUser === 'string' && dbUser.toLowerCase() === DEFAULT_MASTER_USERNAME) {
    fail(field, `must not be a master user: ${show(dbUser)} is the master user of every database this project creates (database.masterUsername's default); the function gets only its data API's privileges`);
    return dbUser;
  }
  return checkUserName(field, dbUser, fail);
}
