// `db:bootstrap` with the function user's Secrets Manager secret, against a
// private mariadbd and the real SDK client talking to a loopback fake of the
// service. What it must never do: leave the user with a password that the
// secret's AWSCURRENT value (what RDS Proxy reads) does not hold, when the
// proxy could log in before.
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { environments } from '../../src/infrastructure/config/environments';
import { FAKE_ACCOUNT, FakeSecretsManager } from './fake-secrets-manager';
import { adminUrl, connectAs, createAdmin, ENV_NAME, FUNCTION_PASSWORD, loopbackStore, passwordArgs, runCli, target } from './support';

const NAME = 'graceful-shutdown-dev-function-user';
const OTHER_ACCOUNT = '210987654321';

let server: MysqlServer;
let fake: FakeSecretsManager;

beforeAll(async () => {
  server = await startMysqlServer({ privateOnly: true, database: target.schema });
  await createAdmin(server);
  fake = await FakeSecretsManager.start();
});

afterAll(async () => {
  await fake?.stop();
  await server?.stop();
});

beforeEach(async () => {
  await server.query('DROP USER IF EXISTS ?@?', [target.user, '%']);
  fake.reset();
});

const args = (secret: string[], extra: string[] = []) => ['--env', ENV_NAME, '--admin-url', adminUrl(server), '--admin-tls', 'off', ...secret, ...extra];
const runWithSecret = (arn: string, extra: string[] = []) => runCli(args(['--secret-arn', arn], extra), {}, { secrets: loopbackStore(fake) });
const valueOf = (arn: string, stage = 'AWSCURRENT') => JSON.parse(fake.valueAt(arn, stage) ?? 'null') as Record<string, string> | null;
const secretHolding = (password: string, extra: Record<string, string> = {}) =>
  fake.addSecret(NAME, { value: JSON.stringify({ username: target.user, password, ...extra }) });

async function passwordWorks(password: string): Promise<boolean> {
  try {
    const connection = await connectAs(server, target.user, password);
    await connection.end();
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ER_ACCESS_DENIED_ERROR') return false;
    throw error;
  }
}

/** The user as an earlier --password run left it: FUNCTION_PASSWORD works. */
async function existingUser(): Promise<void> {
  expect((await runCli(passwordArgs(server))).code).toBe(0);
}

describe('db:bootstrap with --secret-arn', () => {
  it('gives a new user a random password, stages it as AWSPENDING, then makes it AWSCURRENT, keeping the secret\'s other keys', async () => {
    const arn = fake.addSecret(NAME, { value: JSON.stringify({ engine: 'mysql' }) });

    const run = await runWithSecret(arn);

    expect(run).toMatchObject({ code: 0, err: [] });
    const secret = valueOf(arn)!;
    expect(secret).toEqual({ engine: 'mysql', username: target.user, password: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(fake.labels(arn)).toEqual([['AWSPREVIOUS'], ['AWSCURRENT']]);
    expect(run.out).toContain(`  wrote the password of '${target.user}'@'%' to ${arn} (staged as AWSPENDING, then made AWSCURRENT)`);
    expect([...run.out, ...run.err].join('\n')).not.toContain(secret.password);
    expect(await passwordWorks(secret.password)).toBe(true);
  });

  it('fills a secret that has no value yet (as Terraform creates it), and writes nothing on a second run', async () => {
    const arn = fake.addSecret(NAME);
    const first = await runWithSecret(arn);
    const writes = fake.operations().filter((op) => op === 'PutSecretValue').length;

    const second = await runWithSecret(arn);

    expect(first.code).toBe(0);
    expect(fake.labels(arn)).toEqual([['AWSCURRENT']]);
    expect(await passwordWorks(valueOf(arn)!.password)).toBe(true);
    expect(second.code).toBe(0);
    expect(fake.operations().filter((op) => op === 'PutSecretValue')).toHaveLength(writes);
    expect(second.out.at(-1)).toMatch(/^nothing to do: /);
  });

  it('replaces the password in the database and the secret with --rotate-password', async () => {
    await existingUser();
    const arn = secretHolding(FUNCTION_PASSWORD);

    const run = await runWithSecret(arn, ['--rotate-password']);

    expect(run.code).toBe(0);
    const rotated = valueOf(arn)!.password;
    expect(rotated).not.toBe(FUNCTION_PASSWORD);
    expect(valueOf(arn, 'AWSPREVIOUS')!.password).toBe(FUNCTION_PASSWORD);
    expect(await passwordWorks(FUNCTION_PASSWORD)).toBe(false);
    expect(await passwordWorks(rotated)).toBe(true);
  });

  it('starts over when AWSCURRENT still carries AWSPENDING (an earlier run staged a first value and stopped before the database took it)', async () => {
    await existingUser();
    const arn = fake.addSecret(NAME, { value: JSON.stringify({ username: target.user, password: 'never-set-in-the-db' }), stages: ['AWSPENDING'] });

    const run = await runWithSecret(arn);

    expect(run.code).toBe(0);
    expect(run.out).toContain(`  set a new password for '${target.user}'@'%' (an earlier run stopped before its new password became the secret's current value)`);
    expect(await passwordWorks(valueOf(arn)!.password)).toBe(true);
    expect(fake.labels(arn)).toEqual([['AWSPREVIOUS'], ['AWSCURRENT']]);
  });
});

describe('db:bootstrap with a secret it cannot finish with: exits 1 naming the secret, and the user\'s password still works', () => {
  beforeEach(existingUser);

  it('a secret that does not exist (ResourceNotFoundException from DescribeSecret is not "no value")', async () => {
    const arn = `arn:aws:secretsmanager:eu-west-1:${FAKE_ACCOUNT}:secret:${NAME}-Typo00`;
    const run = await runWithSecret(arn);

    expect(await passwordWorks(FUNCTION_PASSWORD)).toBe(true);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(new RegExp(`^db:bootstrap failed: secret ${arn}: not found in region eu-west-1 by the caller's AWS identity`));
    expect(run.err[0]).toContain(`nothing was changed: '${target.user}'@'%' and the secret's AWSCURRENT value are as they were`);
    expect(fake.operations()).toEqual(['DescribeSecret']);
  });

  it('a secret the caller may not write (AccessDeniedException on PutSecretValue)', async () => {
    const arn = fake.addSecret(NAME);
    fake.refusals.push({ operation: 'PutSecretValue' });

    const run = await runWithSecret(arn);

    expect(await passwordWorks(FUNCTION_PASSWORD)).toBe(true);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(new RegExp(`^db:bootstrap failed: secret ${arn}: cannot be written .*AccessDeniedException`));
    expect(fake.labels(arn)).toEqual([]);
  });

  it('a secret whose AWSCURRENT label the caller may not move: refused before anything is written', async () => {
    const arn = secretHolding(FUNCTION_PASSWORD);
    fake.refusals.push({ operation: 'UpdateSecretVersionStage', when: (input) => input.VersionStage === 'AWSCURRENT' });

    const run = await runWithSecret(arn, ['--rotate-password']);

    expect(await passwordWorks(FUNCTION_PASSWORD)).toBe(true);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/cannot be promoted \(UpdateSecretVersionStage of AWSCURRENT was refused\).*AccessDeniedException/);
    expect(fake.labels(arn)).toEqual([['AWSCURRENT']]);
  });

  it('a secret found by name in another account than the config allows (the wrong AWS profile)', async () => {
    fake.addSecret(NAME, { account: OTHER_ACCOUNT });
    const pinned = { ...environments, [ENV_NAME]: { ...environments[ENV_NAME], provider: { allowedAccountIds: [FAKE_ACCOUNT] } } };

    const run = await runCli(args([]), {}, { secrets: loopbackStore(fake), environments: pinned });

    expect(await passwordWorks(FUNCTION_PASSWORD)).toBe(true);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(new RegExp(`belongs to account ${OTHER_ACCOUNT}, expected ${FAKE_ACCOUNT}`));
  });

  it('a promotion that fails after the ALTER: the previous password, which AWSCURRENT still holds, is set back', async () => {
    const arn = secretHolding(FUNCTION_PASSWORD);
    // The no-op permission check passes; the real move (conditional on the old version) is refused.
    fake.refusals.push({ operation: 'UpdateSecretVersionStage', when: (input) => input.VersionStage === 'AWSCURRENT' && input.RemoveFromVersionId !== undefined });

    const run = await runWithSecret(arn, ['--rotate-password']);

    expect(await passwordWorks(FUNCTION_PASSWORD)).toBe(true);
    expect(valueOf(arn)!.password).toBe(FUNCTION_PASSWORD);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/the new password could not be made current .*was set back, so the proxy keeps logging in/);
  });

  it('a promotion that fails when no previous password served the proxy: says which version holds the new one and how to finish', async () => {
    const arn = fake.addSecret(NAME, { value: JSON.stringify({ username: 'someone_else', password: 'theirs-not-ours' }) });
    fake.refusals.push({ operation: 'UpdateSecretVersionStage', when: (input) => input.VersionStage === 'AWSCURRENT' && input.RemoveFromVersionId !== undefined });

    const run = await runWithSecret(arn);

    expect(run.code).toBe(1);
    const pending = valueOf(arn, 'AWSPENDING')!;
    expect(await passwordWorks(pending.password)).toBe(true);
    expect(run.err[0]).toMatch(new RegExp(`The new password is in version [0-9a-f-]{36} \\(AWSPENDING\\); AWSCURRENT is still version [0-9a-f-]{36}, whose password the user no longer has`));
    expect(run.err[0]).toMatch(new RegExp(`Finish with: aws secretsmanager update-secret-version-stage --secret-id ${arn} --version-stage AWSCURRENT --move-to-version-id [0-9a-f-]{36} --remove-from-version-id [0-9a-f-]{36}`));
    expect([...run.out, ...run.err].join('\n')).not.toContain(pending.password);
    fake.refusals.length = 0;
    expect((await runWithSecret(arn, ['--rotate-password'])).code).toBe(0);
    expect(await passwordWorks(valueOf(arn)!.password)).toBe(true);
  });
});
