import { IamTokenProvider, REFRESH_AFTER_MS, TOKEN_LIFETIME_MS, iamAuthPlugins, type TokenSigner } from '../../src/handler/auth';
import { AuthTokenError } from '../../src/handler/errors';
import { tlsOptions } from '../../src/handler/tls';
import { createPool, type PoolOptions } from 'mysql2';
import { loadConfig } from '../../src/handler/config';
import { createDataApi } from '../../src/handler/data-api';
import { DatabasePool } from '../../src/handler/pool';
import { ItemRepository } from '../../src/handler/repository';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { recordLogs } from './support';

class CountingSigner implements TokenSigner {
  calls = 0;
  async getAuthToken(): Promise<string> {
    this.calls++;
    return `token-${this.calls}`;
  }
}

/** What mysql2 does on a new connection's handshake when RDS Proxy asks for mysql_clear_password. */
async function handshakePassword(plugins: NonNullable<PoolOptions['authPlugins']>): Promise<string> {
  const plugin = plugins.mysql_clear_password as unknown as (args: object) => (data?: Buffer) => Promise<Buffer>;
  const response = await plugin({ connection: {}, command: {} })(Buffer.alloc(0));
  return response.toString('utf8');
}

describe('IAM authentication tokens', () => {
  it('refreshes before the token expires', () => {
    expect(REFRESH_AFTER_MS).toBeLessThan(TOKEN_LIFETIME_MS);
  });

  it('reuses one token for connections opened within the refresh threshold', async () => {
    let now = 0;
    const signer = new CountingSigner();
    const plugins = iamAuthPlugins(new IamTokenProvider(signer, () => now));
    expect(await handshakePassword(plugins)).toBe('token-1\0');
    now += 5 * 60_000;
    expect(await handshakePassword(plugins)).toBe('token-1\0');
    expect(signer.calls).toBe(1);
  });

  it('gives a connection opened 16 minutes later a new token', async () => {
    let now = 1_700_000_000_000;
    const signer = new CountingSigner();
    const plugins = iamAuthPlugins(new IamTokenProvider(signer, () => now));
    expect(await handshakePassword(plugins)).toBe('token-1\0');
    now += 16 * 60_000;
    expect(await handshakePassword(plugins)).toBe('token-2\0');
  });

  it('signs once for connections that open at the same moment', async () => {
    const signer = new CountingSigner();
    const provider = new IamTokenProvider(signer, () => 0);
    await Promise.all([provider.token(), provider.token(), provider.token()]);
    expect(signer.calls).toBe(1);
  });

  it('wraps a signing failure in an AuthTokenError with its cause, and tries again next time', async () => {
    let fail = true;
    const provider = new IamTokenProvider({
      getAuthToken: async () => {
        if (fail) throw new Error('no credentials');
        return 'token-ok';
      },
    }, () => 0);
    await expect(provider.token()).rejects.toBeInstanceOf(AuthTokenError);
    fail = false;
    await expect(provider.token()).resolves.toBe('token-ok');
  });
});

describe('TLS options', () => {
  it('are absent when DB_TLS=off', () => {
    expect(tlsOptions({ tls: 'off' })).toBeUndefined();
  });

  it('verify the certificate chain against the Amazon CA bundle and the host name', () => {
    const ssl = tlsOptions({ tls: 'required' });
    expect(ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' });
    const ca = ssl?.ca as string[];
    expect(ca.length).toBeGreaterThan(10);
    expect(ca.every((pem) => pem.startsWith('-----BEGIN CERTIFICATE-----'))).toBe(true);
    // RDS Proxy's certificates chain to the Amazon Root CAs; RDS instances to the RDS regional CAs.
    const subjects = ca.map((pem) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('latin1'));
    expect(subjects.some((der) => der.includes('Amazon Root CA 1'))).toBe(true);
    expect(subjects.some((der) => der.includes('Amazon RDS'))).toBe(true);
  });

  it('survive mysql2 config resolution with verification still on', () => {
    const pool = createPool({ host: 'proxy.example', ssl: tlsOptions({ tls: 'required' }) });
    const ssl = (pool as unknown as { config: { connectionConfig: { ssl: Record<string, unknown> } } }).config.connectionConfig.ssl;
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.verifyIdentity).toBe(true);
    pool.end();
  });
});

describe('DB_TLS=required on the wire', () => {
  let server: MysqlServer;
  beforeAll(async () => { server = await startMysqlServer({ privateOnly: true, tls: true }); });
  afterAll(async () => { await server?.stop(); });

  it('refuses a server whose certificate does not chain to the Amazon CA bundle, and says so in the log', async () => {
    const config = loadConfig({ ...server.handlerEnv(), DB_TLS: 'required' });
    const logs = recordLogs();
    const pool = new DatabasePool({ config, logger: logs.logger, ssl: tlsOptions(config) });
    const handler = createDataApi({ repository: new ItemRepository(pool), pool, logger: logs.logger, debugActions: false });
    expect(await handler({ action: 'health' })).toEqual({ ok: false, error: { code: 'DATABASE_ERROR', message: 'database operation "health" failed' } });
    expect(JSON.stringify(logs.lines.at(-1))).toMatch(/certificate/i);
    await pool.drain(200);
  });

  it('connects to the same server with DB_TLS=off (the control: only the certificate check failed)', async () => {
    const config = loadConfig({ ...server.handlerEnv(), DB_TLS: 'off' });
    const logs = recordLogs();
    const pool = new DatabasePool({ config, logger: logs.logger });
    const handler = createDataApi({ repository: new ItemRepository(pool), pool, logger: logs.logger, debugActions: false });
    expect(await handler({ action: 'health' })).toMatchObject({ ok: true });
    await pool.drain(200);
  });
});
