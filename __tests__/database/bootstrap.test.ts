// `npm run db:bootstrap` against a private mariadbd: the function's own user,
// created idempotently, usable by the handler, and unable to do anything but
// read and write its one table.
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { wireHandler } from '../handler/support';
import {
  accountExists, adminUrl, ADMIN, connectAs, createAdmin, ENV_NAME, FUNCTION_PASSWORD, outcome, passwordArgs, runCli, showGrants, target,
} from './support';

let server: MysqlServer;

beforeAll(async () => {
  // privateOnly: the tests create and drop users, which is not for a shared MYSQL_URL server.
  server = await startMysqlServer({ privateOnly: true, database: target.schema });
  await createAdmin(server);
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(async () => {
  // Every test starts from a server that has never been bootstrapped.
  await server.query('DROP USER IF EXISTS ?@?', [target.user, '%']);
  await server.query(`DROP DATABASE IF EXISTS \`${target.schema}\``);
  await server.query('DROP DATABASE IF EXISTS other');
});

const intended = () => `GRANT SELECT, INSERT, UPDATE ON \`${target.schema}\`.\`items\` TO \`${target.user}\`@\`%\``;

describe('db:bootstrap with --password (a local server)', () => {
  it('creates the schema, the table and the user with exactly SELECT, INSERT, UPDATE on the table, and says so', async () => {
    const run = await runCli(passwordArgs(server));

    expect(run).toMatchObject({ code: 0, err: [] });
    expect(run.out.join('\n')).toMatch(/created schema .*\n.*created table .*\n.*created user .*\n.*granted SELECT, INSERT, UPDATE ON/);
    const grants = await showGrants(server);
    expect(grants).toHaveLength(2);
    expect(grants).toContain(intended());
    expect(grants.find((g) => g.includes(' ON *.* '))).toMatch(/^GRANT USAGE ON \*\.\* TO /);
  });

  it('says where it connects and as whom', async () => {
    const run = await runCli(passwordArgs(server));

    expect(run.out).toContain(`connecting as ${ADMIN.user}@${server.host}:${server.port}/mysql (TLS off)`);
    expect(run.out[0]).toBe(`db:bootstrap: environment ${ENV_NAME}: user '${target.user}'@'%' on schema \`${target.schema}\` (password from --password)`);
  });

  it('changes nothing on a second run, says so, and leaves SHOW GRANTS identical', async () => {
    await runCli(passwordArgs(server));
    const before = await showGrants(server);

    const second = await runCli(passwordArgs(server));

    expect(second.code).toBe(0);
    expect(second.out.at(-1)).toBe(`nothing to do: '${target.user}'@'%' already has exactly SELECT, INSERT, UPDATE ON \`${target.schema}\`.\`items\``);
    expect(await showGrants(server)).toEqual(before);
  });

  it('serves the handler connected as that user: put, get and health', async () => {
    await runCli(passwordArgs(server));
    const wired = wireHandler(server, { DB_USER: target.user, DB_PASSWORD: FUNCTION_PASSWORD, DB_NAME: target.schema });
    try {
      expect(await wired.handler({ action: 'put', id: 'a', data: { n: 1 } })).toEqual({ ok: true, action: 'put', id: 'a', version: 1 });
      expect(await wired.handler({ action: 'put', id: 'a', data: { n: 2 } })).toEqual({ ok: true, action: 'put', id: 'a', version: 2 });
      expect(await wired.handler({ action: 'get', id: 'a' })).toMatchObject({ ok: true, item: { id: 'a', data: { n: 2 }, version: 2 } });
      expect(await wired.handler({ action: 'health' })).toMatchObject({ ok: true, action: 'health', database: { reachable: true } });
    } finally {
      await wired.pool.drain(1000);
    }
  });

  it('leaves the handler, when its table is missing, a DATABASE_ERROR that names the refused CREATE (what an un-bootstrapped schema looks like)', async () => {
    await runCli(passwordArgs(server));
    await server.query(`DROP TABLE \`${target.schema}\`.items`);
    const wired = wireHandler(server, { DB_USER: target.user, DB_PASSWORD: FUNCTION_PASSWORD, DB_NAME: target.schema });
    try {
      expect(await wired.handler({ action: 'put', id: 'a', data: {} })).toEqual({
        ok: false, error: { code: 'DATABASE_ERROR', message: 'database operation "create-table" failed' },
      });
      expect(wired.logs.lines.at(-1)).toMatchObject({ level: 'ERROR', operation: 'create-table', cause: { code: 'ER_TABLEACCESS_DENIED_ERROR' } });
    } finally {
      await wired.pool.drain(1000);
    }
  });

  describe('the user it creates is denied', () => {
    const probes: [string, () => string, string][] = [
      ['DROP DATABASE on its own schema', () => `DROP DATABASE \`${target.schema}\``, 'ER_DBACCESS_DENIED_ERROR'],
      ['CREATE USER', () => "CREATE USER 'intruder'@'%' IDENTIFIED BY 'intruder-pw'", 'ER_SPECIFIC_ACCESS_DENIED_ERROR'],
      ['reading mysql.user', () => 'SELECT User, Host FROM mysql.user', 'ER_TABLEACCESS_DENIED_ERROR'],
      ['reading a table of another schema', () => 'SELECT * FROM other.secrets', 'ER_TABLEACCESS_DENIED_ERROR'],
      ['writing a table of another schema', () => "INSERT INTO other.secrets VALUES ('x')", 'ER_TABLEACCESS_DENIED_ERROR'],
      ['creating a table in its own schema', () => `CREATE TABLE \`${target.schema}\`.extra (id INT)`, 'ER_TABLEACCESS_DENIED_ERROR'],
      ['dropping its own table', () => `DROP TABLE \`${target.schema}\`.items`, 'ER_TABLEACCESS_DENIED_ERROR'],
      ['deleting rows of its own table', () => `DELETE FROM \`${target.schema}\`.items`, 'ER_TABLEACCESS_DENIED_ERROR'],
      ['granting its privileges on', () => `GRANT SELECT ON \`${target.schema}\`.items TO '${ADMIN.user}'@'%'`, 'ER_TABLEACCESS_DENIED_ERROR'],
    ];

    it.each(probes)('%s', async (_name, sql, code) => {
      await server.query('CREATE DATABASE other');
      await server.query('CREATE TABLE other.secrets (value VARCHAR(64))');
      await runCli(passwordArgs(server));
      const connection = await connectAs(server, target.user, FUNCTION_PASSWORD);
      try {
        expect(await outcome(connection, sql())).toBe(code);
      } finally {
        await connection.end();
      }
    });
  });

  it('revokes privileges given by hand, so the grants converge back to the intended set (the probes allowed before, denied after)', async () => {
    await runCli(passwordArgs(server));
    const fresh = await showGrants(server);
    await server.query('CREATE DATABASE other');
    await server.query('CREATE TABLE other.secrets (value VARCHAR(64))');
    await server.query("GRANT ALL PRIVILEGES ON other.* TO ?@'%' WITH GRANT OPTION", [target.user]);
    await server.query("GRANT CREATE USER, PROCESS ON *.* TO ?@'%'", [target.user]);
    await server.query("GRANT SELECT ON mysql.user TO ?@'%'", [target.user]);
    await server.query(`GRANT DELETE, DROP, SELECT (id) ON \`${target.schema}\`.items TO ?@'%'`, [target.user]);
    const probes = ['SELECT * FROM other.secrets', 'SELECT User FROM mysql.user', `DELETE FROM \`${target.schema}\`.items`];
    const before = await connectAs(server, target.user, FUNCTION_PASSWORD);
    const allowedBefore = [];
    for (const sql of probes) allowedBefore.push(await outcome(before, sql));
    await before.end();

    const run = await runCli(passwordArgs(server));

    expect(allowedBefore).toEqual(['OK', 'OK', 'OK']);
    expect(run.code).toBe(0);
    expect(run.out).toEqual(expect.arrayContaining([
      '  revoked PROCESS, CREATE USER ON *.*',
      '  revoked ALL PRIVILEGES ON `other`.*',
      '  revoked GRANT OPTION ON `other`.*',
      '  revoked SELECT ON `mysql`.`user`',
    ]));
    expect(run.out).toContain(`  revoked SELECT (\`id\`), DELETE, DROP ON \`${target.schema}\`.\`items\``);
    expect(await showGrants(server)).toEqual(fresh);
    const after = await connectAs(server, target.user, FUNCTION_PASSWORD);
    const deniedAfter = [];
    for (const sql of probes) deniedAfter.push(await outcome(after, sql));
    await after.end();
    expect(deniedAfter).toEqual(['ER_TABLEACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR']);
  });

  it('sets the password back to --password when it was changed by hand', async () => {
    await runCli(passwordArgs(server));
    await server.query("ALTER USER ?@'%' IDENTIFIED BY 'changed-by-hand'", [target.user]);

    const run = await runCli(passwordArgs(server));

    expect(run.out).toContain(`  set a new password for '${target.user}'@'%' (it did not match --password)`);
    const connection = await connectAs(server, target.user, FUNCTION_PASSWORD);
    await connection.end();
  });

  it('dials the --tunnel address while the URL names the real host (an SSM port forward to the proxy)', async () => {
    // `.invalid` never resolves (RFC 2606): the run can only reach the server through the tunnel.
    const url = adminUrl(server).replace(`@${server.host}:${server.port}/`, '@proxy.example.invalid:3306/');
    const argv = passwordArgs(server).map((a) => (a.startsWith('mysql://') ? url : a));

    const run = await runCli([...argv, '--tunnel', `${server.host}:${server.port}`]);

    expect(run.code).toBe(0);
    expect(run.out).toContain(`connecting as ${ADMIN.user}@proxy.example.invalid:3306/mysql (TLS off, via ${server.host}:${server.port})`);
    expect(await showGrants(server)).toContain(intended());
  });
});

describe('db:bootstrap refusing to run', () => {
  async function nothingWritten(): Promise<void> {
    expect(await accountExists(server, target.user)).toBe(false);
    expect(await server.query('SHOW DATABASES LIKE ?', [target.schema])).toEqual([]);
  }

  it('fails naming --env for an environment the config does not define, and writes nothing', async () => {
    const argv = passwordArgs(server);
    argv[argv.indexOf(ENV_NAME)] = 'staging';

    const run = await runCli(argv);

    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(/^db:bootstrap: --env: unknown environment "staging"; configured: /);
    await nothingWritten();
  });

  it('fails naming --admin-url when neither it nor DB_ADMIN_URL is given, and writes nothing', async () => {
    const run = await runCli(['--env', ENV_NAME, '--admin-tls', 'off', '--password', FUNCTION_PASSWORD]);

    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(/^db:bootstrap: --admin-url: is required \(or set DB_ADMIN_URL\)/);
    await nothingWritten();
  });

  it('fails without writing when TLS is required (the default) and the server offers none', async () => {
    const run = await runCli(passwordArgs(server).filter((a, i, all) => a !== '--admin-tls' && all[i - 1] !== '--admin-tls'));

    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/^db:bootstrap failed: connecting as .*\(TLS required\) failed: /);
    await nothingWritten();
  });

  it('reports a refused admin login with the server\'s reason and never the password', async () => {
    const wrong = 'wrong-admin-password-1';
    const run = await runCli(passwordArgs(server).map((a) => a.replace(encodeURIComponent(ADMIN.password), wrong)));

    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/ER_ACCESS_DENIED_ERROR: Access denied for user 'bootstrap_admin'/);
    const printed = [...run.out, ...run.err].join('\n');
    for (const secret of [wrong, ADMIN.password, FUNCTION_PASSWORD]) expect(printed).not.toContain(secret);
    await nothingWritten();
  });
});
