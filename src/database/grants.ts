// The function user's privileges, and how to converge whatever it has now to
// exactly them. The current state is read from SHOW GRANTS, the one view that
// lists every kind of grant (global, schema, table, column, routine, proxy,
// role) on both MySQL 8 and MariaDB, in the server's own syntax; each extra
// grant is revoked by quoting that syntax back (REVOKE <privileges> ON
// <object>), so no privilege name or object form needs a table here.

/**
 * What the data API needs on its one table, and nothing else:
 * - SELECT: `get`, and the put's `ON DUPLICATE KEY UPDATE version = version + 1` reads the row;
 * - INSERT: `put` of a new id;
 * - UPDATE: `put` of an existing id (the ON DUPLICATE KEY UPDATE branch).
 * `health` (SELECT 1) and the debug actions (SELECT SLEEP) need no privilege.
 * No DELETE (the API never deletes), no DDL (the bootstrap creates the table),
 * nothing on the schema as a whole, nothing on *.*, no GRANT OPTION.
 */
export const FUNCTION_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE'] as const;
export type FunctionPrivilege = (typeof FUNCTION_PRIVILEGES)[number];

/** One line of SHOW GRANTS, split into the parts a REVOKE quotes back. Never holds the line's password hash. */
export type GrantLine =
  | { kind: 'privileges'; privileges: string[]; on: string; grantOption: boolean }
  | { kind: 'role'; role: string }
  | { kind: 'unknown'; summary: string };

export type GrantChange =
  | { kind: 'grant'; privileges: string[]; on: string }
  | { kind: 'revoke'; privileges: string[]; on: string }
  | { kind: 'revoke-grant-option'; on: string }
  | { kind: 'revoke-role'; role: string };

/** `app`.`items`, quoted the way both servers print it in SHOW GRANTS. */
export function tableObject(schema: string, table: string): string {
  return `\`${schema}\`.\`${table}\``;
}

/** Splits `SELECT, SELECT (\`a\`, \`b\`), INSERT` at the commas outside parentheses. */
function splitPrivileges(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

// The grantee is `user`@`host` (both servers quote with backticks); what
// follows may be `IDENTIFIED BY PASSWORD '<hash>'` (MariaDB) and/or
// `WITH GRANT OPTION`: the hash is dropped here and never kept.
const GRANTEE = String.raw`(?:\x60[^\x60]*\x60|'[^']*')@(?:\x60[^\x60]*\x60|'[^']*')`;
const PRIVILEGE_LINE = new RegExp(String.raw`^GRANT (.+?) ON (.+?) TO ${GRANTEE}(.*)$`, 's');
const ROLE_LINE = new RegExp(String.raw`^GRANT (.+?) TO ${GRANTEE}(.*)$`, 's');

export function parseGrantLine(line: string): GrantLine {
  const privileges = PRIVILEGE_LINE.exec(line);
  if (privileges) {
    return {
      kind: 'privileges',
      privileges: splitPrivileges(privileges[1]),
      on: privileges[2].trim(),
      grantOption: /\bWITH\b.*\bGRANT OPTION\b/.test(privileges[3]),
    };
  }
  const role = ROLE_LINE.exec(line);
  if (role) return { kind: 'role', role: role[1].trim() };
  // Only the statement's first words: the rest may carry a password hash.
  return { kind: 'unknown', summary: line.split(/\s+/).slice(0, 2).join(' ') };
}

function normalized(privilege: string): string {
  return privilege.replace(/\s+/g, ' ').trim().toUpperCase();
}

/** USAGE means "no privileges": every account has it on *.* and it cannot be revoked. */
function meaningful(privileges: string[]): string[] {
  return privileges.filter((p) => normalized(p) !== 'USAGE');
}

/**
 * The changes that turn `current` into exactly FUNCTION_PRIVILEGES on
 * `schema`.`table`: revokes first (what is extra anywhere), then one grant of
 * what is missing. Empty when the user already has exactly the intended set.
 * `unknown` lines are not revocable here: they are returned for the caller to report.
 */
export function planGrants(current: readonly GrantLine[], schema: string, table: string): { changes: GrantChange[]; unknown: string[] } {
  const target = tableObject(schema, table);
  const changes: GrantChange[] = [];
  const unknown: string[] = [];
  const held = new Set<string>();
  for (const line of current) {
    if (line.kind === 'unknown') {
      unknown.push(line.summary);
      continue;
    }
    if (line.kind === 'role') {
      changes.push({ kind: 'revoke-role', role: line.role });
      continue;
    }
    const isTarget = line.on === target;
    const extra = meaningful(line.privileges).filter((p) => {
      if (!isTarget) return true;
      // ALL PRIVILEGES on the table includes DDL and DELETE: revoke it whole, then grant the three back.
      return !(FUNCTION_PRIVILEGES as readonly string[]).includes(normalized(p));
    });
    if (isTarget) for (const p of line.privileges) if (!extra.includes(p)) held.add(normalized(p));
    if (extra.length > 0) changes.push({ kind: 'revoke', privileges: extra, on: line.on });
    if (line.grantOption) changes.push({ kind: 'revoke-grant-option', on: line.on });
  }
  const missing = FUNCTION_PRIVILEGES.filter((p) => !held.has(p));
  if (missing.length > 0) changes.push({ kind: 'grant', privileges: [...missing], on: target });
  return { changes, unknown };
}

/** The statement for one change, against the quoted grantee `'user'@'host'`. */
export function changeSql(change: GrantChange, grantee: string): string {
  switch (change.kind) {
    case 'grant': return `GRANT ${change.privileges.join(', ')} ON ${change.on} TO ${grantee}`;
    case 'revoke': return `REVOKE ${change.privileges.join(', ')} ON ${change.on} FROM ${grantee}`;
    case 'revoke-grant-option': return `REVOKE GRANT OPTION ON ${change.on} FROM ${grantee}`;
    case 'revoke-role': return `REVOKE ${change.role} FROM ${grantee}`;
  }
}

/** The change as the report prints it (the SQL minus the grantee, which the report names once). */
export function describeChange(change: GrantChange): string {
  switch (change.kind) {
    case 'grant': return `granted ${change.privileges.join(', ')} ON ${change.on}`;
    case 'revoke': return `revoked ${change.privileges.join(', ')} ON ${change.on}`;
    case 'revoke-grant-option': return `revoked GRANT OPTION ON ${change.on}`;
    case 'revoke-role': return `revoked role ${change.role}`;
  }
}
