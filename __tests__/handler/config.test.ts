import { describeConfig, loadConfig } from '../../src/handler/config';
import { ConfigError } from '../../src/handler/errors';

const local = {
  DB_HOST: '127.0.0.1', DB_PORT: '3307', DB_USER: 'app', DB_NAME: 'app',
  DB_AUTH: 'password', DB_PASSWORD: 's3cret-value', DB_TLS: 'off',
};
const lambda = {
  DB_HOST: 'proxy.proxy-abc.eu-west-1.rds.amazonaws.com', DB_USER: 'app', DB_NAME: 'app',
  DB_AUTH: 'iam', DB_TLS: 'required', AWS_REGION: 'eu-west-1',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('reads a local password configuration with the documented defaults', () => {
    expect(loadConfig(local)).toMatchObject({
      host: '127.0.0.1', port: 3307, auth: 'password', tls: 'off', poolSize: 2, shutdownBudgetMs: 200, drainStrategy: 'graceful', shutdownMode: 'layer',
    });
  });

  it('reads a Lambda configuration: IAM auth, TLS required, port 3306 by default', () => {
    expect(loadConfig(lambda)).toMatchObject({ auth: 'iam', tls: 'required', port: 3306, region: 'eu-west-1' });
  });

  it('keeps the default shutdown budget below the runtime share of 300 ms', () => {
    expect(loadConfig(local).shutdownBudgetMs).toBeLessThan(300);
  });

  it.each([
    ['DB_HOST', { ...local, DB_HOST: undefined }],
    ['DB_USER', { ...local, DB_USER: '' }],
    ['DB_NAME', { ...local, DB_NAME: 'bad-name;drop' }],
    ['DB_PORT', { ...local, DB_PORT: '70000' }],
    ['DB_AUTH', { ...local, DB_AUTH: 'kerberos' }],
    ['DB_TLS', { ...local, DB_TLS: 'maybe' }],
    ['DB_PASSWORD', { ...local, DB_PASSWORD: undefined }],
    ['DB_PASSWORD', { ...lambda, DB_PASSWORD: 'not-with-iam' }],
    ['DB_TLS', { ...lambda, DB_TLS: 'off' }],
    ['AWS_REGION', { ...lambda, AWS_REGION: undefined }],
    ['SHUTDOWN_BUDGET_MS', { ...local, SHUTDOWN_BUDGET_MS: '2000' }],
    ['SHUTDOWN_BUDGET_MS', { ...local, SHUTDOWN_BUDGET_MS: '300' }],
    ['SHUTDOWN_BUDGET_MS', { ...local, SHUTDOWN_MODE: 'in-process', SHUTDOWN_BUDGET_MS: '500' }],
    ['SHUTDOWN_BUDGET_MS', { ...local, SHUTDOWN_BUDGET_MS: '1e2' }],
    ['DB_POOL_SIZE', { ...local, DB_POOL_SIZE: '0' }],
    ['DRAIN_STRATEGY', { ...local, DRAIN_STRATEGY: 'hopeful' }],
    ['SHUTDOWN_MODE', { ...local, SHUTDOWN_MODE: 'inprocess' }],
  ])('fails naming %s when it is missing or invalid', (variable, env) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
    expect(error.code).toBe('INVALID_CONFIG');
  });

  it('never puts the password in an error message', () => {
    const error = configError({ ...local, DB_PORT: 'x', DB_PASSWORD: 'leak-me-not' });
    expect(error.message).not.toContain('leak-me-not');
    expect(JSON.stringify(error.context)).not.toContain('leak-me-not');
  });

  it('describes the configuration for logs without the password', () => {
    const described = JSON.stringify(describeConfig(loadConfig(local)));
    expect(described).not.toContain('s3cret-value');
    expect(described).toContain('"passwordSet":true');
  });

  it('allows a longer drain budget in in-process mode, where the runtime share is 500 ms', () => {
    expect(loadConfig({ ...local, SHUTDOWN_MODE: 'in-process', SHUTDOWN_BUDGET_MS: '400' })).toMatchObject({
      shutdownMode: 'in-process', shutdownBudgetMs: 400,
    });
  });

});
