// IAM database authentication for RDS Proxy. A token is a SigV4-presigned
// `connect` URL, valid 15 minutes, checked only when a connection
// authenticates: an open connection outlives its token. So one token serves
// every new connection until it reaches REFRESH_AFTER_MS, then the next new
// connection signs a fresh one. Signing is local (no network call), but with
// the Lambda role's temporary credentials; re-signing lazily means a frozen
// environment never holds a stale token when it thaws.
import { lambdaCredentials, type CredentialSource } from './aws-credentials';
import type { HandlerConfig } from './config';
import { AuthTokenError, ConfigError } from './errors';
import { prefetchSigner, presignIamToken, rdsTokenRequest, type IamTokenRequest } from './sigv4';
import { FunctionEnv } from '../protocol/function-env';

/** Tokens live 15 min; refreshing at 10 leaves 5 min of skew and handshake margin. */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
export const REFRESH_AFTER_MS = 10 * 60_000;

/** What signs a token (the shape of `@aws-sdk/rds-signer`'s Signer, whose only method we used): injectable for tests. */
export interface TokenSigner {
  getAuthToken(): Promise<string>;
}

export type Clock = () => number;

export interface TokenProvider {
  /** A token no older than the refresh threshold. */
  token(): Promise<string>;
}

export class IamTokenProvider implements TokenProvider {
  private current: { value: string; signedAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly signer: TokenSigner,
    private readonly clock: Clock = Date.now,
    private readonly refreshAfterMs: number = REFRESH_AFTER_MS,
    private readonly context: Record<string, unknown> = {},
  ) {}

  async token(): Promise<string> {
    const current = this.current;
    if (current && this.clock() - current.signedAt < this.refreshAfterMs) return current.value;
    // Two connections opening at once share one signing.
    this.pending ??= this.sign().finally(() => { this.pending = undefined; });
    return this.pending;
  }

  private async sign(): Promise<string> {
    const signedAt = this.clock();
    try {
      const value = await this.signer.getAuthToken();
      this.current = { value, signedAt };
      return value;
    } catch (cause) {
      throw new AuthTokenError(cause, this.context);
    }
  }
}

/** Signs `request` with the credentials `credentials` gives, at the clock's time: any service's IAM token. */
export function iamTokenSigner(request: IamTokenRequest, credentials: CredentialSource = lambdaCredentials(), clock: Clock = Date.now): TokenSigner {
  return { getAuthToken: async () => presignIamToken(request, await credentials(), new Date(clock())) };
}

export function createIamTokenProvider(config: HandlerConfig, clock: Clock = Date.now, credentials?: CredentialSource): IamTokenProvider {
  // loadConfig requires the region with IAM; checked again so a hand-made config cannot sign for no region.
  if (!config.region) throw new ConfigError(FunctionEnv.region, 'is required when DB_AUTH=iam (the token is signed for a region)');
  const context = { host: config.host, port: config.port, user: config.user, region: config.region };
  const request = rdsTokenRequest({ hostname: config.host, port: config.port, user: config.user, region: config.region });
  prefetchSigner();
  return new IamTokenProvider(iamTokenSigner(request, credentials, clock), clock, REFRESH_AFTER_MS, context);
}

/**
 * mysql2's `password` is a fixed string, so the token goes in through an auth
 * plugin instead. RDS Proxy asks for `mysql_clear_password` (the token as the
 * password, in clear text, which is why TLS is mandatory with IAM); mysql2
 * calls the plugin for every NEW connection's handshake, exactly when a fresh
 * token may be needed, and awaits the promise it returns.
 */
export function iamAuthPlugins(provider: TokenProvider) {
  return {
    mysql_clear_password: () => async (): Promise<Buffer> => Buffer.from(`${await provider.token()}\0`, 'utf8'),
  };
}
