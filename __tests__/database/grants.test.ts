// Reading SHOW GRANTS (MariaDB's and MySQL 8's forms) and planning the
// changes that leave exactly SELECT, INSERT, UPDATE on the one table.
import { changeSql, parseGrantLine, planGrants, type GrantLine } from '../../src/database/grants';

const TARGET = '`app`.`items`';
const lines = (...text: string[]): GrantLine[] => text.map(parseGrantLine);

describe('parseGrantLine', () => {
  it('drops the password hash MariaDB prints on the global line', () => {
    const line = parseGrantLine("GRANT USAGE ON *.* TO `fn`@`%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'");
    expect(line).toEqual({ kind: 'privileges', privileges: ['USAGE'], on: '*.*', grantOption: false });
    expect(JSON.stringify(line)).not.toContain('D821809F');
  });

  it('splits column privileges at the commas outside their parentheses', () => {
    expect(parseGrantLine('GRANT SELECT, SELECT (`id`, `data`), INSERT ON `app`.`items` TO `fn`@`%`')).toEqual({
      kind: 'privileges', privileges: ['SELECT', 'SELECT (`id`, `data`)', 'INSERT'], on: TARGET, grantOption: false,
    });
  });

  it('reads WITH GRANT OPTION', () => {
    expect(parseGrantLine('GRANT ALL PRIVILEGES ON `app`.* TO `fn`@`%` WITH GRANT OPTION')).toMatchObject({ on: '`app`.*', grantOption: true });
  });

  it('reads a role grant in MariaDB\'s form and in MySQL 8\'s', () => {
    expect(parseGrantLine('GRANT `r1` TO `fn`@`%`')).toEqual({ kind: 'role', role: '`r1`' });
    expect(parseGrantLine('GRANT `r1`@`%` TO `fn`@`%`')).toEqual({ kind: 'role', role: '`r1`@`%`' });
  });

  it('keeps only the first two words of a line it cannot read', () => {
    expect(parseGrantLine("REVOKE SELECT ON `mysql`.* FROM `fn`@`%` IDENTIFIED BY PASSWORD '*ABC'")).toEqual({ kind: 'unknown', summary: 'REVOKE SELECT' });
  });
});

describe('planGrants', () => {
  it('plans nothing when the user has exactly SELECT, INSERT, UPDATE on the table', () => {
    expect(planGrants(lines('GRANT USAGE ON *.* TO `fn`@`%`', `GRANT SELECT, INSERT, UPDATE ON ${TARGET} TO \`fn\`@\`%\``), 'app', 'items'))
      .toEqual({ changes: [], unknown: [] });
  });

  it('plans one grant of the three for a new user', () => {
    expect(planGrants([], 'app', 'items').changes).toEqual([{ kind: 'grant', privileges: ['SELECT', 'INSERT', 'UPDATE'], on: TARGET }]);
  });

  it('revokes ALL PRIVILEGES on the table whole, then grants the three back', () => {
    expect(planGrants(lines(`GRANT ALL PRIVILEGES ON ${TARGET} TO \`fn\`@\`%\``), 'app', 'items').changes).toEqual([
      { kind: 'revoke', privileges: ['ALL PRIVILEGES'], on: TARGET },
      { kind: 'grant', privileges: ['SELECT', 'INSERT', 'UPDATE'], on: TARGET },
    ]);
  });

  it('revokes what is extra anywhere, the grant option and roles, and grants only what is missing', () => {
    const plan = planGrants(lines(
      "GRANT SELECT, CREATE USER ON *.* TO `fn`@`%` IDENTIFIED BY PASSWORD '*ABC'",
      'GRANT `r1` TO `fn`@`%`',
      `GRANT SELECT, DELETE ON ${TARGET} TO \`fn\`@\`%\` WITH GRANT OPTION`,
    ), 'app', 'items');
    expect(plan.changes).toEqual([
      { kind: 'revoke', privileges: ['SELECT', 'CREATE USER'], on: '*.*' },
      { kind: 'revoke-role', role: '`r1`' },
      { kind: 'revoke', privileges: ['DELETE'], on: TARGET },
      { kind: 'revoke-grant-option', on: TARGET },
      { kind: 'grant', privileges: ['INSERT', 'UPDATE'], on: TARGET },
    ]);
  });

  it('does not take the same table name in another schema for the target', () => {
    const plan = planGrants(lines('GRANT SELECT, INSERT, UPDATE ON `other`.`items` TO `fn`@`%`'), 'app', 'items');
    expect(plan.changes).toEqual([
      { kind: 'revoke', privileges: ['SELECT', 'INSERT', 'UPDATE'], on: '`other`.`items`' },
      { kind: 'grant', privileges: ['SELECT', 'INSERT', 'UPDATE'], on: TARGET },
    ]);
  });

  it('returns the lines it cannot revoke for the caller to report', () => {
    expect(planGrants(lines('REVOKE SELECT ON `mysql`.* FROM `fn`@`%`'), 'app', 'items').unknown).toEqual(['REVOKE SELECT']);
  });
});

describe('changeSql', () => {
  it('quotes the server\'s own object and privilege syntax back in the REVOKE', () => {
    expect(changeSql({ kind: 'revoke', privileges: ['SELECT (`id`)', 'DELETE'], on: TARGET }, "'fn'@'%'"))
      .toBe("REVOKE SELECT (`id`), DELETE ON `app`.`items` FROM 'fn'@'%'");
  });
});
