// Where the IAM token's credentials come from: the environment Lambda fills,
// and only without it the SDK's credential chain, imported on first need.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CredentialsError, MIN_CREDENTIAL_LIFETIME_MS, credentialsFromEnv, lambdaCredentials, type ChainProvider,
} from '../../src/handler/aws-credentials';
import { createIamTokenProvider } from '../../src/handler/auth';
import { loadConfig } from '../../src/handler/config';
import { presignIamToken, rdsTokenRequest } from '../../src/handler/sigv4';

const ENV_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'ASIAENVKEY', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-session' };

/** A chain stand-in that counts its imports and calls. */
function countingChain(provide: ChainProvider) {
  const counts = { loads: 0, calls: 0, forced: 0 };
  const loadChain = async () => {
    counts.loads += 1;
    return async (options?: { forceRefresh?: boolean }) => {
      counts.calls += 1;
      if (options?.forceRefresh) counts.forced += 1;
      return provide(options);
    };
  };
  return { counts, loadChain };
}

describe('credentials from the environment', () => {
  it('reads the key id, the secret and the session token', () => {
    expect(credentialsFromEnv(ENV_CREDENTIALS)).toEqual({ accessKeyId: 'ASIAENVKEY', secretAccessKey: 'env-secret', sessionToken: 'env-session' });
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({ accessKeyId: 'AKIA', secretAccessKey: 's' });
  });

  it('are none when the key id or the secret is missing', () => {
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA' })).toBeUndefined();
    expect(credentialsFromEnv({ AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })).toBeUndefined();
  });

  it('are used without ever importing the SDK chain', async () => {
    const chain = countingChain(async () => ({ accessKeyId: 'CHAIN', secretAccessKey: 'chain' }));
    const source = lambdaCredentials({ env: ENV_CREDENTIALS, loadChain: chain.loadChain });
    expect((await source()).accessKeyId).toBe('ASIAENVKEY');
    expect((await source()).accessKeyId).toBe('ASIAENVKEY');
    expect(chain.counts.loads).toBe(0);
  });
});

describe('the SDK chain, where the environment has no credentials', () => {
  it('is imported once and asked every time (it caches and refreshes by itself)', async () => {
    const chain = countingChain(async () => ({ accessKeyId: 'CHAIN', secretAccessKey: 'chain' }));
    const source = lambdaCredentials({ env: {}, loadChain: chain.loadChain });
    await Promise.all([source(), source()]);
    expect((await source()).accessKeyId).toBe('CHAIN');
    expect(chain.counts).toMatchObject({ loads: 1, calls: 3 });
  });

  it('is asked past its cache when the credentials would expire within a token lifetime, and the longer-lived ones win', async () => {
    const now = 1_800_000_000_000;
    expect(5 * 60_000).toBeLessThan(MIN_CREDENTIAL_LIFETIME_MS);
    const chain = countingChain(async (options) => ({
      accessKeyId: options?.forceRefresh ? 'FRESH' : 'STALE', secretAccessKey: 's',
      expiration: new Date(now + (options?.forceRefresh ? 60 : 5) * 60_000),
    }));
    const source = lambdaCredentials({ env: {}, loadChain: chain.loadChain, clock: () => now });
    expect((await source()).accessKeyId).toBe('FRESH');
    expect(chain.counts.forced).toBe(1);
  });

  it('keeps credentials that last long enough without a refresh', async () => {
    const now = 1_800_000_000_000;
    const chain = countingChain(async () => ({ accessKeyId: 'LASTING', secretAccessKey: 's', expiration: new Date(now + 60 * 60_000) }));
    const source = lambdaCredentials({ env: {}, loadChain: chain.loadChain, clock: () => now });
    expect((await source()).accessKeyId).toBe('LASTING');
    expect(chain.counts.forced).toBe(0);
  });

  it('fails with a CredentialsError carrying the cause, and imports again on the next call after a failed import', async () => {
    let loads = 0;
    const source = lambdaCredentials({
      env: {},
      loadChain: async () => {
        loads += 1;
        if (loads === 1) throw new Error('module not found');
        return async () => ({ accessKeyId: 'SECOND', secretAccessKey: 's' });
      },
    });
    const error = await source().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ code: 'AUTH_ERROR', cause: { message: 'module not found' } });
    expect((await source()).accessKeyId).toBe('SECOND');
  });
});

describe('the real SDK chain (src/handler/credential-chain.ts)', () => {
  const saved = { ...process.env };
  let server: http.Server;
  let requests = 0;

  beforeAll(async () => {
    // A container credentials endpoint on loopback, the source the chain reaches last.
    server = http.createServer((_req, res) => {
      requests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ AccessKeyId: 'ASIACONTAINER', SecretAccessKey: 'container-secret', Token: 'container-session', Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    process.env = saved;
    await new Promise((resolve) => server.close(resolve));
  });

  it('finds credentials where the environment holds none', async () => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[name];
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${(server.address() as AddressInfo).port}/credentials`;
    const credentials = await lambdaCredentials()();
    expect(credentials).toMatchObject({ accessKeyId: 'ASIACONTAINER', secretAccessKey: 'container-secret', sessionToken: 'container-session' });
    expect(requests).toBe(1);
  });
});

describe('the handler token provider', () => {
  it('signs for DB_HOST:DB_PORT, DB_USER and AWS_REGION at the clock, with the source credentials', async () => {
    const config = loadConfig({
      DB_HOST: 'app.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com', DB_PORT: '3307', DB_USER: 'app_rw', DB_NAME: 'app',
      DB_AUTH: 'iam', DB_TLS: 'required', AWS_REGION: 'eu-west-1',
    });
    const at = Date.parse('2026-12-07T06:30:00Z');
    const credentials = { accessKeyId: 'ASIAENVKEY', secretAccessKey: 'env-secret', sessionToken: 'env-session' };
    const token = await createIamTokenProvider(config, () => at, async () => credentials).token();
    const expected = await presignIamToken(
      rdsTokenRequest({ hostname: 'app.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com', port: 3307, user: 'app_rw', region: 'eu-west-1' }),
      credentials, new Date(at),
    );
    expect(token).toBe(expected);
    expect(token).toContain('X-Amz-Date=20261207T063000Z');
  });
});
