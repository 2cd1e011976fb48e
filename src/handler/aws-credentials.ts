// The credentials an IAM token is signed with. Lambda puts the function
// role's temporary credentials in the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so they are read from there,
// every time (a read of three variables): nothing to cache, nothing to load.
// Only where the environment holds none (a laptop with a profile, a container
// with a metadata endpoint) is the SDK's credential chain imported, once.
import { ErrorCode, HandlerError } from './errors';
import type { AwsCredentials } from './sigv4';

export const CredentialEnv = {
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  sessionToken: 'AWS_SESSION_TOKEN',
} as const;

/** A token outlives neither its 15 minutes nor its credentials: credentials closer than this to expiring are refreshed first. */
export const MIN_CREDENTIAL_LIFETIME_MS = 15 * 60_000;

export type CredentialSource = () => Promise<AwsCredentials>;

/** The SDK chain's provider: memoized, refreshes on `forceRefresh`. */
export type ChainProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

type Env = Readonly<Record<string, string | undefined>>;

/** Neither the environment nor the SDK's chain had credentials. */
export class CredentialsError extends HandlerError {
  override readonly name = 'CredentialsError';
  constructor(source: string, cause: unknown) {
    super(ErrorCode.auth, `no AWS credentials: ${source}`, { cause, context: { source } });
  }
}

/** The credentials in `env`, or undefined when the key id or the secret is missing. */
export function credentialsFromEnv(env: Env = process.env): AwsCredentials | undefined {
  const accessKeyId = env[CredentialEnv.accessKeyId]?.trim();
  const secretAccessKey = env[CredentialEnv.secretAccessKey]?.trim();
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env[CredentialEnv.sessionToken]?.trim();
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Where the SDK chain comes from; tests count the loads. */
export type ChainLoader = () => Promise<ChainProvider>;

const loadSdkChain: ChainLoader = async () => (await import('./credential-chain')).defaultProvider();

export interface CredentialSourceOptions {
  env?: Env;
  loadChain?: ChainLoader;
  clock?: () => number;
}

/** Environment first; the SDK chain, imported on first need, only without them. */
export function lambdaCredentials(options: CredentialSourceOptions = {}): CredentialSource {
  const env = options.env ?? process.env;
  const loadChain = options.loadChain ?? loadSdkChain;
  const clock = options.clock ?? Date.now;
  let chain: Promise<ChainProvider> | undefined;

  const fromChain = async (): Promise<AwsCredentials> => {
    // A failed import is not remembered: the next connection tries again.
    chain ??= loadChain().catch((error: unknown) => { chain = undefined; throw error; });
    const provider = await chain;
    const credentials = await provider();
    if (credentials.expiration === undefined || credentials.expiration.getTime() - clock() >= MIN_CREDENTIAL_LIFETIME_MS) return credentials;
    // About to expire: ask again past the chain's cache, and keep whichever lasts.
    try {
      const refreshed = await provider({ forceRefresh: true });
      if (refreshed.expiration === undefined || refreshed.expiration.getTime() > credentials.expiration.getTime()) return refreshed;
    } catch {
      // The old credentials still sign a token that works until they expire.
    }
    return credentials;
  };

  return async () => {
    const fromEnv = credentialsFromEnv(env);
    if (fromEnv) return fromEnv;
    try {
      return await fromChain();
    } catch (cause) {
      throw new CredentialsError(`none in the environment (${CredentialEnv.accessKeyId}, ${CredentialEnv.secretAccessKey}) and the SDK's credential chain failed`, cause);
    }
  };
}
