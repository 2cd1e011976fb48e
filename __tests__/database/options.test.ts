// The command line is validated before anything connects: each mistake names
// its option, and no message ever quotes a password.
import { UsageError } from '../../src/database/errors';
import { parseOptions } from '../../src/database/options';
import { redactor, runBootstrapCli } from '../../src/database/cli';
import type { EnvironmentsInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';

const FIXTURE: EnvironmentsInput = {
  test: { region: 'eu-west-1', backend: { type: 'local' } },
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
    expect(options.credential).toEqual({ kind: 'secret', secretId: ARN, region: 'eu-west-1', rotate: false });
  });

  it('defaults to the secret the stack creates for the user, by name, in the environment\'s region', () => {
    const options = parseOptions(['--env', 'test', '--admin-url', URL], {}, FIXTURE);
    expect(options.credential).toEqual({ kind: 'secret', secretId: 'graceful-shutdown-test-function-user', region: 'eu-west-1', rotate: false });
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
