// The idempotent plan: read the current state, refuse what it cannot fix
// before touching anything, then make only the changes that state lacks:
// schema, table, user, password (or the user's secret), grants. A second run
// finds nothing to change and says so; a user that gained privileges by hand
// has them revoked, so its grants converge to exactly FUNCTION_PRIVILEGES.
import { randomBytes } from 'node:crypto';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { CREATE_TABLE, TABLE } from '../handler/repository';
import { canLogIn } from './admin-connection';
import { BootstrapError, DatabaseStepError, GrantDriftError } from './errors';
import { changeSql, describeChange, parseGrantLine, planGrants, tableObject, type GrantLine } from './grants';
import type { BootstrapOptions } from './options';
import { SecretRollout } from './secret-rollout';
import type { SecretStore } from './secret-store';

/**
 * '%': RDS Proxy reaches the database from its own network interfaces, whose
 * addresses are the VPC's to choose and change; the database's security group
 * (ingress only from the proxy's) is what limits where the user can come from.
 */
export const FUNCTION_USER_HOST = '%';

export const ChangeKind = {
  createdSchema: 'created-schema',
  createdTable: 'created-table',
  createdUser: 'created-user',
  setPassword: 'set-password',
  wroteSecret: 'wrote-secret',
  granted: 'granted',
  revoked: 'revoked',
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface Change {
  readonly kind: ChangeKind;
  readonly description: string;
}

export interface BootstrapReport {
  /** `'app_fn'@'%'` */
  readonly account: string;
  readonly changes: readonly Change[];
  /** The grants after the run, as `<privileges> ON <object>` (no password hash). */
  readonly grants: readonly string[];
}

export interface BootstrapDeps {
  /** Required with `--secret-arn`. */
  readonly secrets?: SecretStore;
  /** 32 random bytes, base64url: 43 characters, no quoting trouble anywhere. */
  readonly randomPassword?: () => string;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof DatabaseStepError || cause instanceof GrantDriftError) throw cause;
    throw new DatabaseStepError(name, cause);
  }
}

async function count(connection: Connection, sql: string, params: unknown[]): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/** The account's SHOW GRANTS, parsed; undefined when the account does not exist (1141). */
async function readGrants(connection: Connection, user: string): Promise<GrantLine[] | undefined> {
  try {
    const [rows] = await connection.query<RowDataPacket[]>('SHOW GRANTS FOR ?@?', [user, FUNCTION_USER_HOST]);
    return rows.map((row) => parseGrantLine(String(Object.values(row)[0])));
  } catch (cause) {
    if ((cause as { errno?: unknown }).errno === 1141) return undefined;
    throw cause;
  }
}

function summarize(lines: readonly GrantLine[]): string[] {
  return lines.map((line) => {
    if (line.kind === 'privileges') return `${line.privileges.join(', ')} ON ${line.on}${line.grantOption ? ' WITH GRANT OPTION' : ''}`;
    if (line.kind === 'role') return `role ${line.role}`;
    return `${line.summary} ...`;
  });
}

export const generatePassword = (): string => randomBytes(32).toString('base64url');

export async function bootstrap(connection: Connection, options: BootstrapOptions, deps: BootstrapDeps = {}): Promise<BootstrapReport> {
  const { schema, user } = options.target;
  const { credential } = options;
  const account = `'${user}'@'${FUNCTION_USER_HOST}'`;
  const table = tableObject(schema, TABLE);
  const randomPassword = deps.randomPassword ?? generatePassword;
  const changes: Change[] = [];

  // ---- read: nothing below this block changes anything until every check passed ----
  const schemaExists = await step('reading the schema list', () =>
    count(connection, 'SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = ?', [schema]));
  const tableExists = schemaExists > 0 && await step('reading the table list', () =>
    count(connection, 'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [schema, TABLE]));
  const grantsBefore = await step(`reading the grants of ${account}`, () => readGrants(connection, user));
  const unknownBefore = grantsBefore ? planGrants(grantsBefore, schema, TABLE).unknown : [];
  if (unknownBefore.length > 0) throw new GrantDriftError(account, unknownBefore);

  let newPassword: string | undefined;
  let passwordReason = '';
  let rollout: SecretRollout | undefined;
  if (credential.kind === 'password') {
    if (grantsBefore && !(await canLogIn(options.admin, user, credential.password))) {
      newPassword = credential.password;
      passwordReason = 'it did not match --password';
    } else if (!grantsBefore) {
      newPassword = credential.password;
    }
  } else {
    if (!deps.secrets) throw new BootstrapError('a secret store is required with a secret credential (the CLI passes one)');
    // Checks the secret and stages any new password before the database changes at all (secret-rollout.ts says why in this order).
    rollout = await SecretRollout.prepare(deps.secrets, credential, user, account, grantsBefore !== undefined, randomPassword);
    newPassword = rollout.next?.password;
    passwordReason = rollout.next?.reason ?? '';
  }

  // ---- write ----
  if (!schemaExists) {
    await step(`creating schema ${quoteIdentifier(schema)}`, () => connection.query(`CREATE DATABASE ${quoteIdentifier(schema)}`));
    changes.push({ kind: ChangeKind.createdSchema, description: `created schema ${quoteIdentifier(schema)}` });
  }
  if (!tableExists) {
    // The handler's own DDL, so the bootstrap and a privileged local run create the same table.
    await step(`creating table ${table}`, async () => {
      await connection.query(`USE ${quoteIdentifier(schema)}`);
      await connection.query(CREATE_TABLE);
    });
    changes.push({ kind: ChangeKind.createdTable, description: `created table ${table}` });
  }
  const setPassword = async (password: string): Promise<void> => {
    await step(`setting the password of ${account}`, () => connection.query('ALTER USER ?@? IDENTIFIED BY ?', [user, FUNCTION_USER_HOST, password]));
  };
  if (!grantsBefore) {
    await step(`creating user ${account}`, () =>
      connection.query('CREATE USER ?@? IDENTIFIED BY ?', [user, FUNCTION_USER_HOST, newPassword]));
    changes.push({ kind: ChangeKind.createdUser, description: `created user ${account}` });
  } else if (newPassword !== undefined) {
    await setPassword(newPassword);
    changes.push({ kind: ChangeKind.setPassword, description: `set a new password for ${account} (${passwordReason})` });
  }
  if (rollout?.next) {
    await rollout.promote(setPassword);
    changes.push({ kind: ChangeKind.wroteSecret, description: `wrote the password of ${account} to ${rollout.arn} (staged as AWSPENDING, then made AWSCURRENT)` });
  }

  const plan = planGrants(grantsBefore ?? [], schema, TABLE);
  const grantee = connection.format('?@?', [user, FUNCTION_USER_HOST]);
  for (const change of plan.changes) {
    await step(describeChange(change), () => connection.query(changeSql(change, grantee)));
    changes.push({ kind: change.kind === 'grant' ? ChangeKind.granted : ChangeKind.revoked, description: describeChange(change) });
  }

  // ---- verify: the grants the server reports now, not the ones we meant to leave ----
  const grantsAfter = await step(`reading the grants of ${account}`, () => readGrants(connection, user)) ?? [];
  const residual = planGrants(grantsAfter, schema, TABLE);
  if (residual.changes.length > 0 || residual.unknown.length > 0) {
    throw new GrantDriftError(account, [...residual.changes.map(describeChange), ...residual.unknown]);
  }
  return { account, changes, grants: summarize(grantsAfter).filter((g) => !/^USAGE ON \*\.\*$/.test(g)) };
}
