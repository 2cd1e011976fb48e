// The command exactly as a platform engineer runs it (`npm run db:bootstrap`),
// in a child process, against a fresh private mariadbd: credentials from the
// environment, exit codes, and what it prints.
import { execFile } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { FakeSecretsManager } from './fake-secrets-manager';
import { ADMIN, adminUrl, connectAs, createAdmin, ENV_NAME, FUNCTION_PASSWORD, showGrants, target } from './support';

let server: MysqlServer;

beforeAll(async () => {
  server = await startMysqlServer({ privateOnly: true, database: 'scratch' });
  await createAdmin(server);
});

afterAll(async () => {
  await server?.stop();
});

interface Result { code: number; stdout: string; stderr: string }

function npmRun(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'db:bootstrap', '--', ...args], {
      cwd: PROJECT_ROOT, env: { ...process.env, ...env }, timeout: 120_000,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run db:bootstrap', () => {
  it('creates the function user on a fresh server, then finds nothing to do, printing no password either time', async () => {
    const env = { DB_ADMIN_URL: adminUrl(server), DB_FUNCTION_PASSWORD: FUNCTION_PASSWORD };
    const args = ['--env', ENV_NAME, '--admin-tls', 'off'];

    const first = await npmRun(args, env);
    const grants = await showGrants(server);
    const second = await npmRun(args, env);

    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`created user '${target.user}'@'%'`);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toContain('nothing to do: ');
    expect(await showGrants(server)).toEqual(grants);
    for (const output of [first.stdout, second.stdout]) {
      expect(output).not.toContain(ADMIN.password);
      expect(output).not.toContain(FUNCTION_PASSWORD);
    }
  });

  it('exits 2 naming the option when the environment is unknown', async () => {
    const result = await npmRun(['--env', 'nowhere', '--admin-tls', 'off'], { DB_ADMIN_URL: adminUrl(server), DB_FUNCTION_PASSWORD: FUNCTION_PASSWORD });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^db:bootstrap: --env: unknown environment "nowhere"/);
    expect(result.stdout).toBe('');
  });
});

describe('npm run db:bootstrap with a secret that does not exist (a mistyped --secret-arn, the wrong account or profile)', () => {
  let secretsManager: FakeSecretsManager;

  beforeAll(async () => {
    secretsManager = await FakeSecretsManager.start();
  });

  afterAll(async () => {
    await secretsManager?.stop();
  });

  it('exits 1 naming the secret, writes nothing, and the function user\'s previous password still works', async () => {
    await server.query('DROP USER IF EXISTS ?@?', [target.user, '%']);
    const created = await npmRun(['--env', ENV_NAME, '--admin-tls', 'off'], { DB_ADMIN_URL: adminUrl(server), DB_FUNCTION_PASSWORD: FUNCTION_PASSWORD });
    expect(created.code).toBe(0);
    const missing = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:graceful-shutdown-dev-function-user-Typo00';

    // The real SDK, sent to the loopback endpoint by its own per-service variable; fake keys, no profile, no instance metadata.
    const result = await npmRun(['--env', ENV_NAME, '--admin-tls', 'off', '--secret-arn', missing], {
      DB_ADMIN_URL: adminUrl(server), AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false',
      AWS_ACCESS_KEY_ID: 'AKIDLOOPBACKTEST0000', AWS_SECRET_ACCESS_KEY: 'loopback-test-secret-key', AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    });

    const connection = await connectAs(server, target.user, FUNCTION_PASSWORD);
    await connection.end();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`db:bootstrap failed: secret ${missing}: not found in region eu-west-1`));
    expect(secretsManager.operations()).toEqual(['DescribeSecret']);
  });
});
