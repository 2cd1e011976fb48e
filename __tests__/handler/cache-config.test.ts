// The cache's variables: none means no cache; every mistake names its variable
// and never repeats a password; IAM needs TLS, a user, the cache's name and a region.
import { connectionOptions } from '../../src/handler/cache/cache-setup';
import { describeCacheConfig, loadCacheConfig } from '../../src/handler/cache/cache-config';
import { ConfigError } from '../../src/handler/errors';

const IAM = {
  CACHE_HOST: 'app-cache-x1y2z3.serverless.euw1.cache.amazonaws.com', CACHE_AUTH: 'iam', CACHE_TLS: 'required',
  CACHE_USER: 'app-fn', CACHE_NAME: 'app-cache', AWS_REGION: 'eu-west-1',
};
const LOCAL = { CACHE_HOST: '127.0.0.1', CACHE_PORT: '6380', CACHE_AUTH: 'none', CACHE_TLS: 'off' };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadCacheConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('the cache configuration', () => {
  it('is absent without CACHE_HOST: no cache', () => {
    expect(loadCacheConfig({ DB_HOST: 'db' })).toBeUndefined();
    expect(describeCacheConfig(undefined)).toEqual({ configured: false });
  });

  it('reads IAM on AWS: TLS, the user, the cache\'s name and region for the token, serverless by default, the default bounds', () => {
    expect(loadCacheConfig(IAM)).toEqual({
      host: IAM.CACHE_HOST, port: 6379, auth: 'iam', tls: 'required', user: 'app-fn',
      iam: { cacheName: 'app-cache', serverless: true, region: 'eu-west-1' },
      connectTimeoutMs: 500, commandTimeoutMs: 250,
    });
    expect(loadCacheConfig({ ...IAM, CACHE_SERVERLESS: 'false' })?.iam?.serverless).toBe(false);
  });

  it('reads a local server: no auth, no TLS, its port and bounds', () => {
    expect(loadCacheConfig({ ...LOCAL, CACHE_CONNECT_TIMEOUT_MS: '2000', CACHE_COMMAND_TIMEOUT_MS: '1000' })).toEqual({
      host: '127.0.0.1', port: 6380, auth: 'none', tls: 'off', connectTimeoutMs: 2000, commandTimeoutMs: 1000,
    });
  });

  it.each<[string, Record<string, string>, string]>([
    ['a cache variable without the host', { CACHE_AUTH: 'none' }, 'CACHE_AUTH'],
    ['no CACHE_AUTH', { CACHE_HOST: 'h', CACHE_TLS: 'off' }, 'CACHE_AUTH'],
    ['an unknown CACHE_AUTH', { ...LOCAL, CACHE_AUTH: 'token' }, 'CACHE_AUTH'],
    ['no CACHE_TLS', { CACHE_HOST: 'h', CACHE_AUTH: 'none' }, 'CACHE_TLS'],
    ['a bad port', { ...LOCAL, CACHE_PORT: '70000' }, 'CACHE_PORT'],
    ['a command bound of 0', { ...LOCAL, CACHE_COMMAND_TIMEOUT_MS: '0' }, 'CACHE_COMMAND_TIMEOUT_MS'],
    ['a connect bound that is not a number', { ...LOCAL, CACHE_CONNECT_TIMEOUT_MS: '1s' }, 'CACHE_CONNECT_TIMEOUT_MS'],
    ['IAM without TLS', { ...IAM, CACHE_TLS: 'off' }, 'CACHE_TLS'],
    ['IAM without a user', { ...IAM, CACHE_USER: '' }, 'CACHE_USER'],
    ['IAM without the cache\'s name', { ...IAM, CACHE_NAME: '' }, 'CACHE_NAME'],
    ['IAM with a name that is an endpoint', { ...IAM, CACHE_NAME: IAM.CACHE_HOST }, 'CACHE_NAME'],
    ['IAM without a region', { ...IAM, AWS_REGION: '' }, 'AWS_REGION'],
    ['IAM with a password', { ...IAM, CACHE_PASSWORD: 's3cret-value' }, 'CACHE_PASSWORD'],
    ['a serverless flag that is not a boolean', { ...IAM, CACHE_SERVERLESS: 'yes' }, 'CACHE_SERVERLESS'],
    ['password auth without a password', { ...LOCAL, CACHE_AUTH: 'password' }, 'CACHE_PASSWORD'],
    ['no auth with a user', { ...LOCAL, CACHE_USER: 'someone' }, 'CACHE_USER'],
  ])('names the variable: %s', (_label, env, variable) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain('s3cret-value');
  });

  it('logs whether a password is set, never the password', () => {
    const config = loadCacheConfig({ ...LOCAL, CACHE_AUTH: 'password', CACHE_PASSWORD: 's3cret-value' });
    expect(JSON.stringify(describeCacheConfig(config))).not.toContain('s3cret-value');
    expect(describeCacheConfig(config)).toMatchObject({ configured: true, passwordSet: true });
  });

  it('connects with TLS verifying the host, and a fresh IAM token as the password', async () => {
    const config = loadCacheConfig(IAM);
    if (!config) throw new Error('no config');
    // The signer reads the function role's credentials from the environment, as Lambda provides them.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
    delete process.env.AWS_SESSION_TOKEN;
    try {
      const options = connectionOptions(config);
      expect(options).toMatchObject({ host: IAM.CACHE_HOST, port: 6379, username: 'app-fn', tls: { servername: IAM.CACHE_HOST, rejectUnauthorized: true } });
      const token = await options.password?.();
      // Signed for the cache's name (not its endpoint), the user, and a serverless cache.
      expect(token).toMatch(/^app-cache\/\?Action=connect&ResourceType=ServerlessCache&User=app-fn&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F\d{8}%2Feu-west-1%2Felasticache%2Faws4_request&/);
      expect(token).toContain('X-Amz-Expires=900');
    } finally {
      for (const [key, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret], ['AWS_SESSION_TOKEN', saved.token]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
