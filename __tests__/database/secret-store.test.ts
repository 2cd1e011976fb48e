// AwsSecretStore with the real SDK client against a loopback fake of Secrets
// Manager: which answers mean "no value yet" (only one), and which stop the
// bootstrap before it writes anything.
import { SecretStoreError } from '../../src/database/errors';
import { storedUser, type SecretExpectation } from '../../src/database/secret-store';
import { FAKE_ACCOUNT, FAKE_REGION, FakeSecretsManager } from './fake-secrets-manager';
import { loopbackStore } from './support';

const NAME = 'graceful-shutdown-dev-function-user';
const EXPECTED: SecretExpectation = { region: FAKE_REGION, accounts: [FAKE_ACCOUNT] };
const USER = { username: 'app_rw', password: 'new-password-0123456789' };

let fake: FakeSecretsManager;

beforeAll(async () => {
  fake = await FakeSecretsManager.start();
});

afterAll(async () => {
  await fake?.stop();
});

beforeEach(() => fake.reset());

async function refusal(promise: Promise<unknown>): Promise<SecretStoreError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof SecretStoreError)) throw new Error(`expected a SecretStoreError, got ${String(error)}`);
  return error;
}

describe('AwsSecretStore.inspect', () => {
  it('refuses a secret that does not exist, naming it: ResourceNotFoundException from DescribeSecret is not "no value"', async () => {
    const arn = `arn:aws:secretsmanager:${FAKE_REGION}:${FAKE_ACCOUNT}:secret:${NAME}-Typo00`;

    const error = await refusal(loopbackStore(fake).inspect(arn, EXPECTED));

    expect(error.secretArn).toBe(arn);
    expect(error.message).toMatch(new RegExp(`^secret ${arn}: not found in region eu-west-1 by the caller's AWS identity .*ResourceNotFoundException`));
    expect(fake.operations()).toEqual(['DescribeSecret']);
  });

  it('reads "no value yet" only from an existing secret whose GetSecretValue says ResourceNotFoundException', async () => {
    const arn = fake.addSecret(NAME);

    const snapshot = await loopbackStore(fake).inspect(NAME, EXPECTED);

    expect(snapshot).toEqual({ arn, region: FAKE_REGION, account: FAKE_ACCOUNT, current: undefined });
    expect(fake.operations()).toEqual(['DescribeSecret', 'GetSecretValue']);
  });

  it('refuses a secret in another account than expected (found by name with the wrong profile), before reading its value', async () => {
    const arn = fake.addSecret(NAME, { account: '210987654321' });

    const error = await refusal(loopbackStore(fake).inspect(NAME, EXPECTED));

    expect(error.secretArn).toBe(arn);
    expect(error.message).toMatch(/belongs to account 210987654321, expected 123456789012/);
    expect(fake.operations()).toEqual(['DescribeSecret']);
  });

  it('refuses a secret in another region than the proxy\'s', async () => {
    fake.addSecret(NAME, { region: 'us-east-1' });

    const error = await refusal(loopbackStore(fake).inspect(NAME, EXPECTED));

    expect(error.message).toMatch(/is in region us-east-1, expected eu-west-1 \(the proxy's region\)/);
  });

  it('refuses a secret scheduled for deletion', async () => {
    fake.addSecret(NAME);
    fake.markDeleted(NAME);

    const error = await refusal(loopbackStore(fake).inspect(NAME, EXPECTED));

    expect(error.message).toMatch(/is scheduled for deletion/);
  });

  it('refuses when the value cannot be read (AccessDeniedException on GetSecretValue is not "no value" either)', async () => {
    fake.addSecret(NAME, { value: JSON.stringify(USER) });
    fake.refusals.push({ operation: 'GetSecretValue' });

    const error = await refusal(loopbackStore(fake).inspect(NAME, EXPECTED));

    expect(error.message).toMatch(/GetSecretValue failed: AccessDeniedException/);
  });

  it('returns AWSCURRENT\'s version and value, and whether an unfinished run left AWSPENDING on it', async () => {
    fake.addSecret(NAME, { value: JSON.stringify({ ...USER, engine: 'mysql' }), stages: ['AWSCURRENT', 'AWSPENDING'] });

    const snapshot = await loopbackStore(fake).inspect(NAME, EXPECTED);

    expect(snapshot.current).toEqual({ versionId: expect.stringMatching(/^[0-9a-f-]{36}$/), value: { ...USER, engine: 'mysql' }, unfinished: true });
    expect(storedUser(snapshot)).toEqual(USER);
  });
});

describe('AwsSecretStore.stage and promote', () => {
  it('stages the new value as AWSPENDING with AWSCURRENT unchanged, then promotes it and clears AWSPENDING', async () => {
    const arn = fake.addSecret(NAME, { value: JSON.stringify({ username: 'app_rw', password: 'old-password-0123', engine: 'mysql' }) });
    const store = loopbackStore(fake);
    const snapshot = await store.inspect(NAME, EXPECTED);

    const versionId = await store.stage(snapshot, USER);
    const staged = { current: fake.valueAt(arn), pending: fake.valueAt(arn, 'AWSPENDING') };
    await store.promote(snapshot, versionId);
    await store.settle(snapshot, versionId);

    expect(JSON.parse(staged.current!)).toMatchObject({ password: 'old-password-0123' });
    expect(JSON.parse(staged.pending!)).toEqual({ ...USER, engine: 'mysql' });
    expect(JSON.parse(fake.valueAt(arn)!)).toEqual({ ...USER, engine: 'mysql' });
    expect(fake.labels(arn)).toEqual([['AWSPREVIOUS'], ['AWSCURRENT']]);
  });

  it('refuses to stage without write permission (AccessDeniedException on PutSecretValue), naming the secret; AWSCURRENT unchanged', async () => {
    const arn = fake.addSecret(NAME, { value: JSON.stringify(USER) });
    fake.refusals.push({ operation: 'PutSecretValue' });
    const store = loopbackStore(fake);

    const error = await refusal(store.inspect(NAME, EXPECTED).then((snapshot) => store.stage(snapshot, { ...USER, password: 'x'.repeat(43) })));

    expect(error.secretArn).toBe(arn);
    expect(error.message).toMatch(/cannot be written \(PutSecretValue of an AWSPENDING version was refused\): AccessDeniedException/);
    expect(fake.labels(arn)).toEqual([['AWSCURRENT']]);
    expect(JSON.parse(fake.valueAt(arn)!)).toEqual(USER);
  });

  it('refuses to stage, before writing, when moving AWSCURRENT is not permitted (the promotion would fail after the ALTER)', async () => {
    const arn = fake.addSecret(NAME, { value: JSON.stringify(USER) });
    fake.refusals.push({ operation: 'UpdateSecretVersionStage' });
    const store = loopbackStore(fake);

    const error = await refusal(store.inspect(NAME, EXPECTED).then((snapshot) => store.stage(snapshot, USER)));

    expect(error.message).toMatch(/cannot be promoted/);
    expect(fake.operations()).not.toContain('PutSecretValue');
    expect(fake.labels(arn)).toEqual([['AWSCURRENT']]);
  });

  it('on a secret with no value yet: the first version is AWSCURRENT at once (the service\'s rule), marked unfinished by AWSPENDING until settled', async () => {
    const arn = fake.addSecret(NAME);
    const store = loopbackStore(fake);
    const snapshot = await store.inspect(NAME, EXPECTED);

    const versionId = await store.stage(snapshot, USER);
    const staged = fake.labels(arn);
    await store.promote(snapshot, versionId);
    await store.settle(snapshot, versionId);

    expect(staged).toEqual([['AWSCURRENT', 'AWSPENDING']]);
    expect(fake.labels(arn)).toEqual([['AWSCURRENT']]);
    expect((await store.inspect(NAME, EXPECTED)).current).toMatchObject({ versionId, value: USER, unfinished: false });
  });

  it('on a secret with no value yet: a refused promotion is found before the database changes, and the next inspect() sees it unfinished', async () => {
    fake.addSecret(NAME);
    fake.refusals.push({ operation: 'UpdateSecretVersionStage' });
    const store = loopbackStore(fake);

    const error = await refusal(store.inspect(NAME, EXPECTED).then((snapshot) => store.stage(snapshot, USER)));

    expect(error.message).toMatch(/cannot be promoted/);
    expect((await store.inspect(NAME, EXPECTED)).current).toMatchObject({ unfinished: true });
  });

  it('promotes only if AWSCURRENT is still where inspect() found it', async () => {
    const arn = fake.addSecret(NAME, { value: JSON.stringify(USER) });
    const store = loopbackStore(fake);
    const snapshot = await store.inspect(NAME, EXPECTED);
    const versionId = await store.stage(snapshot, { ...USER, password: 'ours-0123456789' });
    // Someone else writes a new current value in between.
    await loopbackStore(fake).inspect(NAME, EXPECTED).then(async (other) => {
      const theirs = await store.stage(other, { ...USER, password: 'theirs-0123456789' });
      await store.promote(other, theirs);
    });

    const error = await refusal(store.promote(snapshot, versionId));

    expect(error.message).toMatch(/moving AWSCURRENT to version .* failed: InvalidParameterException/);
    expect(JSON.parse(fake.valueAt(arn)!)).toMatchObject({ password: 'theirs-0123456789' });
  });
});
