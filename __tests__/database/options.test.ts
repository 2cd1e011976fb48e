// The command line is validated before anything connects: each mistake names
// its option, and no message ever quotes a password.
import { UsageError } from '../../src/database/errors';
import { parseOptions } from '../../src/database/options';
import { redactor, runBootstrapCli } from '../../src/database/cli';
import type { EnvironmentsInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';

const FIXTURE: EnvironmentsInput = {
  test: { region: 'eu-west-1', backend: { type: 'local' } },
  pinned: { region: 'eu-west-1', backend: { type: 'local' }, provider: { allowedAccountIds: ['123456789012'] } },
  chatty: { region: 'eu-west-1', backend: { type: 'local' }, proxy: { debugLogging: true } },
  adopted: {
    region: 'eu-west-1',
    backend: { type: 'local' },
    network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
    database: { createDatabase: false },
    existingProxy: {
      endpoint: 'shared.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
      securityGroupId: 'sg-0123456789abcdef0', dbUser: 'orders_rw', dbName: 'orders', connectionBudget: 20,
    },
  },
};
const fixtureUser = resolveEnvironments(FIXTURE).find((c) => c.name === 'test')!.database.dbUser;
const URL_PASSWORD = 's3cr3t-admin-pw';
const URL = `mysql://root:${URL_PASSWORD}@db.example.internal:3307/mysql`;
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fn-user-AbCdEf';

function usageError(argv: string[], env: Record<string, string> = {}): UsageError {
  try {
    parseOptions(argv, env, FIXTURE);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`parseOptions accepted ${argv.join(' ')}`);
}

describe('parseOptions', () => {
  it('takes the schema and the user from the environment\'s resolved config', () => {
    const options = parseOptions(['--env', 'test', '--admin-url', URL, '--secret-arn', ARN], {}, FIXTURE);
    expect(options.target).toMatchObject({ environment: 'test', schema: 'app', user: fixtureUser });
    expect(options.admin).toMatchObject({ host: 'db.example.internal', port: 3307, user: 'root', password: URL_PASSWORD, tls: 'required' });
    expect(options.credential).toEqual({ kind: 'secret', secretId: ARN, expected: { region: 'eu-west-1', accounts: ['123456789012'] }, rotate: false });
  });

  it('defaults to the secret the stack creates for the user, by name, in the environment\'s region', () => {
    const options = parseOptions(['--env', 'test', '--admin-url', URL], {}, FIXTURE);
    expect(options.credential).toEqual({ kind: 'secret', secretId: 'graceful-shutdown-test-function-user', expected: { region: 'eu-west-1', accounts: [] }, rotate: false });
  });

  it('takes an adopted proxy\'s user and schema from existingProxy', () => {
    const options = parseOptions(['--env', 'adopted', '--admin-url', URL, '--secret-arn', ARN], {}, FIXTURE);
    expect(options.target).toEqual({ environment: 'adopted', schema: 'orders', user: 'orders_rw' });
  });

  it('reads the admin URL from DB_ADMIN_URL and lets DB_ADMIN_PASSWORD replace its password (an IAM token, unencoded)', () => {
    const token = 'proxy.example:3306/?Action=connect&X-Amz-Signature=ab%2F';
    const options = parseOptions(['--env', 'test', '--secret-arn', ARN], { DB_ADMIN_URL: 'mysql://master_admin@127.0.0.1:13306/app', DB_ADMIN_PASSWORD: token }, FIXTURE);
    expect(options.admin).toMatchObject({ user: 'master_admin', password: token, port: 13306 });
  });

  it('dials a --tunnel address while keeping the URL\'s host for TLS', () => {
    const options = parseOptions(['--env', 'test', '--admin-url', URL, '--secret-arn', ARN, '--tunnel', '127.0.0.1:13306'], {}, FIXTURE);
    expect(options.admin).toMatchObject({ host: 'db.example.internal', tunnel: { host: '127.0.0.1', port: 13306 } });
  });

  it.each([
    ['--env', ['--admin-url', URL, '--secret-arn', ARN]],
    ['--env', ['--env', 'nope', '--admin-url', URL, '--secret-arn', ARN]],
    ['--admin-url', ['--env', 'test', '--secret-arn', ARN]],
    ['--admin-url', ['--env', 'test', '--admin-url', 'postgres://a:b@h/db', '--secret-arn', ARN]],
    ['--admin-url', ['--env', 'test', '--admin-url', 'mysql://root@h:3306/db', '--secret-arn', ARN]],
    ['--admin-url', ['--env', 'test', '--admin-url', `mysql://root:${URL_PASSWORD}@h:99999/db`, '--secret-arn', ARN]],
    ['--admin-tls', ['--env', 'test', '--admin-url', URL, '--secret-arn', ARN, '--admin-tls', 'maybe']],
    ['--tunnel', ['--env', 'test', '--admin-url', URL, '--secret-arn', ARN, '--tunnel', 'localhost']],
    ['--secret-arn', ['--env', 'adopted', '--admin-url', URL]],
    ['--secret-arn', ['--env', 'test', '--admin-url', URL, '--secret-arn', 'my-secret']],
    ['--password', ['--env', 'test', '--admin-url', URL, '--password', 'short']],
    ['--password', ['--env', 'test', '--admin-url', URL, '--password', 'long-enough-pw', '--secret-arn', ARN]],
    ['--rotate-password', ['--env', 'test', '--admin-url', URL, '--password', 'long-enough-pw', '--rotate-password']],
    ['--verbose', ['--env', 'test', '--admin-url', URL, '--secret-arn', ARN, '--verbose']],
    ['--env', ['--env', 'test', '--env', 'test', '--admin-url', URL, '--secret-arn', ARN]],
  ])('names %s in its error', (option, argv) => {
    const error = usageError(argv);
    expect(error.option).toBe(option);
    expect(error.message.startsWith(`${option}: `)).toBe(true);
    expect(error.message).not.toContain(URL_PASSWORD);
  });

  it('expects the default secret in the accounts provider.allowedAccountIds pins', () => {
    const options = parseOptions(['--env', 'pinned', '--admin-url', URL], {}, FIXTURE);
    expect(options.credential).toMatchObject({ secretId: 'graceful-shutdown-pinned-function-user', expected: { region: 'eu-west-1', accounts: ['123456789012'] } });
  });

  it.each([
    ['a region other than the proxy\'s', 'test', ARN.replace('eu-west-1', 'us-east-1'), /names region us-east-1, but environment "test"'s proxy is in eu-west-1/],
    ['an account the config does not allow', 'pinned', ARN.replace('123456789012', '210987654321'), /names account 210987654321, but environment "pinned" allows only 123456789012/],
  ])('refuses a --secret-arn in %s', (_case, envName, arn, message) => {
    const error = usageError(['--env', envName, '--admin-url', URL, '--secret-arn', arn]);
    expect(error.option).toBe('--secret-arn');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['the password', `mysql://root:50%-off@db.example.internal:3306/mysql`, /its password has a "%" not followed by two hex digits; write a literal "%" as %25/],
    ['the user', 'mysql://ro%zzot:pw-12345678@db.example.internal:3306/mysql', /its user has a "%" not followed/],
    ['the database', 'mysql://root:pw-12345678@db.example.internal:3306/my%g', /its database has a "%" not followed/],
  ])('names --admin-url (not a URIError) for a %% in %s not followed by two hex digits', (_part, url, message) => {
    const error = usageError(['--env', 'test', '--admin-url', url, '--secret-arn', ARN]);
    expect(error.option).toBe('--admin-url');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('50%-off');
  });

  it('names DB_ADMIN_URL when the malformed URL came from there', () => {
    const error = usageError(['--env', 'test', '--secret-arn', ARN], { DB_ADMIN_URL: 'mysql://root:50%-off@127.0.0.1:3306/mysql' });
    expect(error.option).toBe('DB_ADMIN_URL');
  });

  describe('--admin-tls off', () => {
    const local = (host: string, extra: string[] = []) =>
      parseOptions(['--env', 'test', '--admin-url', `mysql://root:${URL_PASSWORD}@${host}:3306/mysql`, '--admin-tls', 'off', '--password', 'long-enough-pw', ...extra], {}, FIXTURE);

    it.each(['127.0.0.1', '127.8.9.10', 'localhost', '[::1]', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]'])('is accepted for %s (this machine)', (host) => {
      expect(local(host).admin.tls).toBe('off');
    });

    it('is accepted for a remote name reached through a --tunnel on this machine (an SSM port forward)', () => {
      expect(local('db.example.internal', ['--tunnel', '127.0.0.1:13306']).admin).toMatchObject({ tls: 'off', tunnel: { host: '127.0.0.1' } });
    });

    it.each([
      ['db.example.internal', []],
      ['10.0.0.5', []],
      ['128.0.0.1', []],
      ['[2001:db8::1]', []],
      ['db.example.internal', ['--tunnel', '10.0.0.7:3306']],
    ])('is refused for %s %j: an IAM token would cross the network in clear text', (host, extra) => {
      let error: unknown;
      try {
        local(host, extra);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).option).toBe('--admin-tls');
      expect((error as UsageError).message).toMatch(/^--admin-tls: off is only for a server on this machine .* in clear text/);
    });
  });

  describe('an RDS Proxy endpoint as the admin host', () => {
    const PROXY = 'graceful-shutdown-test.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com';
    const viaProxy = (extra: string[] = [], envName = 'test') =>
      ['--env', envName, '--admin-url', `mysql://root@${PROXY}:3306/app`, '--secret-arn', ARN, ...extra];
    const token = { DB_ADMIN_PASSWORD: 'iam-token-0123456789' };

    it.each([
      ['the proxy', PROXY],
      ['a custom endpoint of the proxy', 'reader.endpoint.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com'],
    ])('is refused for %s by default, saying why and how to override', (_what, host) => {
      const error = usageError(['--env', 'test', '--admin-url', `mysql://root@${host}:3306/app`, '--secret-arn', ARN], token);
      expect(error.option).toBe('--admin-url');
      expect(error.message).toMatch(/is an RDS Proxy endpoint: the new password travels in CREATE\/ALTER USER statements, which a proxy with debug logging writes to CloudWatch Logs/);
      expect(error.message).toMatch(/pass --allow-proxy/);
    });

    it('is refused through a --tunnel too (the URL still names the proxy)', () => {
      expect(usageError(viaProxy(['--tunnel', '127.0.0.1:13306']), token).option).toBe('--admin-url');
    });

    it('is accepted with --allow-proxy', () => {
      expect(parseOptions(viaProxy(['--allow-proxy']), token, FIXTURE).admin.host).toBe(PROXY);
    });

    it('is refused even with --allow-proxy when the environment\'s own config turns the proxy\'s debug logging on', () => {
      const error = usageError(viaProxy(['--allow-proxy'], 'chatty'), token);
      expect(error.option).toBe('--allow-proxy');
      expect(error.message).toMatch(/environment "chatty" sets proxy.debugLogging: true/);
    });

    it('is not confused with the DB instance\'s endpoint', () => {
      const instance = ['--env', 'test', '--admin-url', 'mysql://root@graceful-shutdown-test.c0ffee123456.eu-west-1.rds.amazonaws.com:3306/app', '--secret-arn', ARN];
      expect(parseOptions(instance, token, FIXTURE).admin.tls).toBe('required');
    });
  });

  it('refuses an environment whose function user is the admin user itself (the run would revoke the admin\'s own privileges)', () => {
    const error = usageError(['--env', 'test', '--admin-url', `mysql://${fixtureUser}:pw-1234567@h/db`, '--secret-arn', ARN]);
    expect(error.option).toBe('--env');
    expect(error.message).toMatch(/names the admin user/);
  });
});

describe('redactor', () => {
  it('masks each secret, raw and URL-encoded, wherever it appears', () => {
    const redact = redactor(['p@ss/word', undefined, 'abc']);
    expect(redact('url mysql://u:p%40ss%2Fword@h and p@ss/word; abc stays (too short to mask safely)'))
      .toBe('url mysql://u:***@h and ***; abc stays (too short to mask safely)');
  });
});

describe('--help', () => {
  it('prints the usage and exits 0 without reading anything else', async () => {
    const out: string[] = [];
    const code = await runBootstrapCli(['--help'], {}, { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) });
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^usage: npm run db:bootstrap -- --env <name>/);
  });
});

describe('runBootstrapCli with a malformed % in the admin URL', () => {
  it('exits 2 naming --admin-url instead of crashing with a URIError, and prints no part of the password', async () => {
    const lines: string[] = [];
    const code = await runBootstrapCli(['--env', 'test', '--admin-url', 'mysql://root:50%-off-pw@127.0.0.1:3306/mysql', '--admin-tls', 'off', '--password', 'long-enough-pw'],
      {}, { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { environments: FIXTURE });
    expect(code).toBe(2);
    expect(lines[0]).toBe('db:bootstrap: --admin-url: its password has a "%" not followed by two hex digits; write a literal "%" as %25');
    expect(lines.join('\n')).not.toContain('50%-off-pw');
  });
});
