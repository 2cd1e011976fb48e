// The function user's Secrets Manager secret. Terraform creates the secret
// with no value (a value in Terraform would sit in its state) and registers it
// in the proxy's auth list; the bootstrap is the only writer of its value.
// RDS Proxy reads `username` and `password` from the secret's AWSCURRENT
// version to open its own connections to the database as that user, while the
// function itself authenticates to the proxy with IAM.
//
// A new password reaches the secret in three steps, so that the value the
// proxy reads is never one the database does not know:
//   inspect()  read only: the secret exists, lives where the command expects,
//              and its current value (or "no value yet") is known;
//   stage()    proves the promotion will be allowed, then writes the new value
//              as a version labelled AWSPENDING: AWSCURRENT, what the proxy
//              reads, is unchanged (see stage() for the one exception);
//   promote()  after the database took the password: AWSCURRENT moves to it.
import { SecretStoreError } from './errors';

export interface UserSecret {
  readonly username: string;
  readonly password: string;
}

export const SecretStage = { current: 'AWSCURRENT', pending: 'AWSPENDING' } as const;

/** Where the command expects the secret: the proxy's region, and (when the command knows them) its accounts. */
export interface SecretExpectation {
  readonly region: string;
  /** Empty: no expectation (a bare name, and no `provider.allowedAccountIds` in the config). */
  readonly accounts: readonly string[];
}

export interface SecretSnapshot {
  /** The full ARN DescribeSecret answered with; every later call names the secret by it. */
  readonly arn: string;
  readonly region: string;
  readonly account: string;
  /** The AWSCURRENT version; undefined when the secret has no value yet. */
  readonly current: {
    readonly versionId: string;
    /** The whole JSON object: a write keeps the keys the bootstrap does not own. */
    readonly value: Readonly<Record<string, unknown>>;
    /** Also labelled AWSPENDING: an earlier run staged it and never finished, so its password may be unknown to the database. */
    readonly unfinished: boolean;
  } | undefined;
}

/** The three steps the bootstrap takes; injectable so tests can point the real client at a loopback endpoint. */
export interface SecretStore {
  /** Read only. Fails naming what is wrong: missing, scheduled for deletion, other region or account, unreadable. */
  inspect(secretId: string, expected: SecretExpectation): Promise<SecretSnapshot>;
  /** Writes `value` (merged into the current JSON) as an AWSPENDING version and returns its version id. */
  stage(snapshot: SecretSnapshot, value: UserSecret): Promise<string>;
  /** Moves AWSCURRENT to the staged version, on condition it is still where inspect() found it. */
  promote(snapshot: SecretSnapshot, versionId: string): Promise<void>;
  /** Takes AWSPENDING off the promoted version: the run is finished. */
  settle(snapshot: SecretSnapshot, versionId: string): Promise<void>;
}

/** The user and password AWSCURRENT holds, if it holds both. */
export function storedUser(snapshot: SecretSnapshot): UserSecret | undefined {
  const { username, password } = snapshot.current?.value ?? {};
  return typeof username === 'string' && typeof password === 'string' && password.length > 0 ? { username, password } : undefined;
}

export const SECRET_ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]+)$/;
/** Secrets Manager accepts a secret's name wherever it takes its ARN. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export function parseSecretArn(arn: string): { region: string; account: string } | undefined {
  const m = SECRET_ARN.exec(arn);
  return m ? { region: m[2], account: m[3] } : undefined;
}

/** The package is loaded only when a secret is used, so a local `--password` run needs no AWS SDK. */
const SDK_MODULE = '@aws-sdk/client-secrets-manager';

type Input = Record<string, unknown>;
interface Output {
  ARN?: string;
  VersionId?: string;
  SecretString?: string;
  VersionStages?: string[];
  DeletedDate?: Date;
}

/** The slice of the SDK's surface used here, typed locally so the import stays optional. */
interface SecretsManagerSdk {
  SecretsManagerClient: new (config: AwsClientConfig) => { send(command: unknown): Promise<Output> };
  DescribeSecretCommand: new (input: Input) => unknown;
  GetSecretValueCommand: new (input: Input) => unknown;
  PutSecretValueCommand: new (input: Input) => unknown;
  UpdateSecretVersionStageCommand: new (input: Input) => unknown;
}

/** Tests set `endpoint` (a loopback server) and fake `credentials`; the command sets neither and uses the default chain. */
export interface AwsClientConfig {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

function parseValue(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

const errorName = (cause: unknown): string | undefined => (cause instanceof Error ? cause.name : undefined);

/** Secrets Manager through the AWS SDK, with the default credential chain (the caller's profile, SSO or role). */
export class AwsSecretStore implements SecretStore {
  private sdk: Promise<SecretsManagerSdk> | undefined;
  private client: InstanceType<SecretsManagerSdk['SecretsManagerClient']> | undefined;
  private readonly config: AwsClientConfig;

  /** `region`: the secret's (an ARN names it; a bare name lives in the environment's region), never the shell's AWS_REGION. */
  constructor(region: string, client: Omit<AwsClientConfig, 'region'> = {}) {
    this.config = { ...client, region };
  }

  private async call(secretId: string, command: keyof Omit<SecretsManagerSdk, 'SecretsManagerClient'>, input: Input): Promise<Output> {
    this.sdk ??= (import(SDK_MODULE) as Promise<SecretsManagerSdk>).catch((cause: unknown) => {
      throw new SecretStoreError(secretId, `${SDK_MODULE} is not installed (add it with \`npm install ${SDK_MODULE}\`); nothing was changed`, cause);
    });
    const sdk = await this.sdk;
    // One client for the store's calls: credentials (a profile, SSO) are resolved once.
    this.client ??= new sdk.SecretsManagerClient(this.config);
    return this.client.send(new sdk[command](input));
  }

  async inspect(secretId: string, expected: SecretExpectation): Promise<SecretSnapshot> {
    let described: Output;
    try {
      described = await this.call(secretId, 'DescribeSecretCommand', { SecretId: secretId });
    } catch (cause) {
      if (cause instanceof SecretStoreError) throw cause;
      if (errorName(cause) === 'ResourceNotFoundException') {
        throw new SecretStoreError(secretId, `not found in region ${this.config.region} by the caller's AWS identity (check --secret-arn, the AWS profile and its account)`, cause);
      }
      throw new SecretStoreError(secretId, 'DescribeSecret failed', cause);
    }
    const arn = described.ARN ?? '';
    const where = parseSecretArn(arn);
    if (!where) throw new SecretStoreError(secretId, `DescribeSecret answered with an ARN that is not a secret's: "${arn.slice(0, 200)}"`);
    if (described.DeletedDate) throw new SecretStoreError(arn, 'is scheduled for deletion; restore it (aws secretsmanager restore-secret) before running the bootstrap');
    if (where.region !== expected.region) throw new SecretStoreError(arn, `is in region ${where.region}, expected ${expected.region} (the proxy's region)`);
    if (expected.accounts.length > 0 && !expected.accounts.includes(where.account)) {
      throw new SecretStoreError(arn, `belongs to account ${where.account}, expected ${expected.accounts.join(' or ')} (is the AWS profile the right one?)`);
    }

    let current: SecretSnapshot['current'];
    try {
      const value = await this.call(arn, 'GetSecretValueCommand', { SecretId: arn, VersionStage: SecretStage.current });
      current = {
        versionId: value.VersionId ?? '',
        value: parseValue(value.SecretString),
        unfinished: (value.VersionStages ?? []).includes(SecretStage.pending),
      };
    } catch (cause) {
      // The secret was just described, so "not found" here is its value: Terraform created it with none. Nothing else means "no value".
      if (errorName(cause) !== 'ResourceNotFoundException') throw new SecretStoreError(arn, 'GetSecretValue failed', cause);
      current = undefined;
    }
    return { arn, region: where.region, account: where.account, current };
  }

  async stage(snapshot: SecretSnapshot, value: UserSecret): Promise<string> {
    const { arn, current } = snapshot;
    // Moving AWSCURRENT onto the version that already holds it changes nothing and needs exactly the
    // permission promote() needs (a policy may allow the action only for some labels): a refusal
    // surfaces here, while the database is still untouched.
    const provePromotion = async (versionId: string) => {
      try {
        await this.call(arn, 'UpdateSecretVersionStageCommand', { SecretId: arn, VersionStage: SecretStage.current, MoveToVersionId: versionId });
      } catch (cause) {
        throw new SecretStoreError(arn, 'cannot be promoted (UpdateSecretVersionStage of AWSCURRENT was refused)', cause);
      }
    };
    if (current) await provePromotion(current.versionId);
    // A secret with no value yet gets its first version as AWSCURRENT whatever label is asked for (the
    // service's rule). The proxy could not log in as the user before, so it loses nothing; AWSPENDING
    // stays on that version until the run finishes, which is how the next run knows to start over.
    let versionId: string | undefined;
    try {
      const put = await this.call(arn, 'PutSecretValueCommand', {
        SecretId: arn, SecretString: JSON.stringify({ ...current?.value, ...value }), VersionStages: [SecretStage.pending],
      });
      versionId = put.VersionId;
    } catch (cause) {
      throw new SecretStoreError(arn, 'cannot be written (PutSecretValue of an AWSPENDING version was refused)', cause);
    }
    if (!versionId) throw new SecretStoreError(arn, 'PutSecretValue answered without a VersionId');
    // Here the no-op is on the new first version: it also fails if someone else wrote a value meanwhile.
    if (!current) await provePromotion(versionId);
    return versionId;
  }

  async promote(snapshot: SecretSnapshot, versionId: string): Promise<void> {
    const { arn, current } = snapshot;
    const from = current && current.versionId !== versionId ? { RemoveFromVersionId: current.versionId } : {};
    try {
      // RemoveFromVersionId makes the move conditional: it fails if AWSCURRENT moved since inspect().
      await this.call(arn, 'UpdateSecretVersionStageCommand', { SecretId: arn, VersionStage: SecretStage.current, MoveToVersionId: versionId, ...from });
    } catch (cause) {
      throw new SecretStoreError(arn, `moving AWSCURRENT to version ${versionId} failed`, cause);
    }
  }

  async settle(snapshot: SecretSnapshot, versionId: string): Promise<void> {
    try {
      await this.call(snapshot.arn, 'UpdateSecretVersionStageCommand', { SecretId: snapshot.arn, VersionStage: SecretStage.pending, RemoveFromVersionId: versionId });
    } catch (cause) {
      throw new SecretStoreError(snapshot.arn, `removing the AWSPENDING label from version ${versionId} failed`, cause);
    }
  }
}
