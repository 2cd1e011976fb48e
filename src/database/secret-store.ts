// The function user's Secrets Manager secret. Terraform creates the secret
// with no value (a value in Terraform would sit in its state) and registers it
// in the proxy's auth list; the bootstrap is the only writer of its value.
// RDS Proxy reads `username` and `password` from the secret's JSON to open its
// own connections to the database as that user, while the function itself
// authenticates to the proxy with IAM.
import { SecretStoreError } from './errors';

export interface UserSecret {
  readonly username: string;
  readonly password: string;
}

/** The two calls the bootstrap makes; injectable, so tests (which cannot reach AWS) use an in-memory store. */
export interface SecretStore {
  /** The secret's current value, or undefined when it has none yet (or none that names a user and a password). */
  read(secretId: string): Promise<UserSecret | undefined>;
  /** Stores `value` as the new current version, keeping any other keys the secret already holds. */
  write(secretId: string, value: UserSecret): Promise<void>;
}

export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
/** Secrets Manager accepts a secret's name wherever it takes its ARN. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** The package is loaded only when a secret is really written, so a local `--password` run needs no AWS SDK. */
const SDK_MODULE = '@aws-sdk/client-secrets-manager';

/** The slice of the SDK's surface used here, typed locally so the import stays optional. */
interface SecretsManagerSdk {
  SecretsManagerClient: new (config: { region: string }) => { send(command: unknown): Promise<{ SecretString?: string }> };
  GetSecretValueCommand: new (input: { SecretId: string }) => unknown;
  PutSecretValueCommand: new (input: { SecretId: string; SecretString: string }) => unknown;
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

/** Secrets Manager through the AWS SDK, with the default credential chain (the caller's profile, SSO or role). */
export class AwsSecretStore implements SecretStore {
  private sdk: Promise<SecretsManagerSdk> | undefined;

  /** `region`: the secret's (an ARN names it; a bare name lives in the environment's region). */
  constructor(private readonly region: string) {}

  private async client(secretId: string) {
    this.sdk ??= (import(SDK_MODULE) as Promise<SecretsManagerSdk>).catch((cause: unknown) => {
      throw new SecretStoreError(secretId, `${SDK_MODULE} is not installed (add it with \`npm install ${SDK_MODULE}\`)`, cause);
    });
    const sdk = await this.sdk;
    // The secret's region, never the shell's AWS_REGION: a default pointing elsewhere would find no secret.
    return { sdk, client: new sdk.SecretsManagerClient({ region: this.region }) };
  }

  async read(secretId: string): Promise<UserSecret | undefined> {
    const current = await this.currentValue(secretId);
    const { username, password } = current;
    return typeof username === 'string' && typeof password === 'string' && password.length > 0 ? { username, password } : undefined;
  }

  async write(secretId: string, value: UserSecret): Promise<void> {
    const current = await this.currentValue(secretId);
    const { sdk, client } = await this.client(secretId);
    try {
      await client.send(new sdk.PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ ...current, ...value }) }));
    } catch (cause) {
      throw new SecretStoreError(secretId, 'PutSecretValue failed', cause);
    }
  }

  private async currentValue(secretId: string): Promise<Record<string, unknown>> {
    const { sdk, client } = await this.client(secretId);
    try {
      const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
      return parseValue(result.SecretString);
    } catch (cause) {
      // A secret Terraform created holds no version yet: that is "no value", not an error.
      if (cause instanceof Error && cause.name === 'ResourceNotFoundException') return {};
      throw new SecretStoreError(secretId, 'GetSecretValue failed', cause);
    }
  }
}
