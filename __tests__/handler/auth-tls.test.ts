import { IamTokenProvider, REFRESH_AFTER_MS, TOKEN_LIFETIME_MS, iamAuthPlugins, type TokenSigner } from '../../src/handler/auth';
import { AuthTokenError } from '../../src/handler/errors';
import { X509Certificate } from 'node:crypto';
import { CaSet, caSetFor, loadCas, tlsOptions } from '../../src/handler/tls';
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

const PROXY_HOST = 'app.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com';
const DIRECT_HOST = 'app.c0ffee123456.eu-west-1.rds.amazonaws.com';

/** The subject of a PEM certificate, read by node:crypto's X.509 parser (not the way tls.ts reads it). */
const subjectOf = (pem: string) => new X509Certificate(pem).subject;
const REGION = /\b([a-z]{2}(?:-[a-z]+)+-\d+)\b/;

describe('TLS options', () => {
  it('are absent when DB_TLS=off', () => {
    expect(tlsOptions({ tls: 'off', host: PROXY_HOST })).toBeUndefined();
  });

  it('verify the certificate chain and the host name, with TLS 1.2 or later', () => {
    expect(tlsOptions({ tls: 'required', host: PROXY_HOST })).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true, minVersion: 'TLSv1.2' });
  });

  it('hand mysql2 one CA array for their whole life (its secure-context cache is keyed on it)', () => {
    const ssl = tlsOptions({ tls: 'required', host: DIRECT_HOST });
    expect(ssl?.ca).toBe(ssl?.ca);
  });

  it('survive mysql2 config resolution with verification still on and the CAs readable', () => {
    const pool = createPool({ host: PROXY_HOST, ssl: tlsOptions({ tls: 'required', host: PROXY_HOST }) });
    const ssl = (pool as unknown as { config: { connectionConfig: { ssl: Record<string, unknown> } } }).config.connectionConfig.ssl;
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.verifyIdentity).toBe(true);
    expect((ssl.ca as string[]).map(subjectOf).some((subject) => subject.includes('Amazon Root CA 1'))).toBe(true);
    pool.end();
  });
});

describe('the CA set an endpoint needs', () => {
  it.each([
    [PROXY_HOST, { set: CaSet.proxy }],
    ['reader.endpoint.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com', { set: CaSet.proxy }],
    ['App.Proxy-C0FFEE123456.cn-north-1.rds.amazonaws.com.cn.', { set: CaSet.proxy }],
    [DIRECT_HOST, { set: CaSet.regional, region: 'eu-west-1' }],
    ['db.cluster-ro-c0ffee123456.us-gov-west-1.rds.amazonaws.com', { set: CaSet.regional, region: 'us-gov-west-1' }],
    ['db.c0ffee123456.cn-northwest-1.rds.amazonaws.com.cn', { set: CaSet.regional, region: 'cn-northwest-1' }],
    ['db.internal.example.com', { set: CaSet.full }],
    ['proxy-c0ffee123456.example.com', { set: CaSet.full }],
    ['127.0.0.1', { set: CaSet.full }],
  ])('%s: %j', (host, expected) => {
    expect(caSetFor(host)).toEqual(expected);
  });

  it("RDS Proxy: the Amazon Root CAs its ACM certificates chain to, and no RDS CA", () => {
    const subjects = loadCas({ set: CaSet.proxy }).map(subjectOf);
    expect(subjects.length).toBeLessThanOrEqual(5);
    expect(subjects.some((s) => s.includes('CN=Amazon Root CA 1'))).toBe(true);
    expect(subjects.some((s) => s.includes('Amazon RDS'))).toBe(false);
  });

  it.each(['eu-west-1', 'us-east-1', 'ap-southeast-2', 'me-central-1'])(
    'a direct connection in %s: every RDS CA that names the region, and none that names another',
    (region) => {
      const full = loadCas({ set: CaSet.full });
      const regional = loadCas({ set: CaSet.regional, region });
      const regionOf = (pem: string) => REGION.exec(subjectOf(pem))?.[1];
      expect(regional.every((pem) => regionOf(pem) === undefined || regionOf(pem) === region)).toBe(true);
      expect(regional.filter((pem) => regionOf(pem) === region).length).toBeGreaterThan(0);
      expect(regional.filter((pem) => regionOf(pem) === region)).toEqual(full.filter((pem) => regionOf(pem) === region));
      expect(regional.length).toBeLessThan(full.length / 4);
    },
  );

  it('a region the bundle has no CA for (GovCloud, China, a new one), or a name we cannot read: every CA (RDS and Amazon Root)', () => {
    const full = loadCas({ set: CaSet.full });
    for (const region of ['us-gov-west-1', 'cn-north-1', 'xx-nowhere-9']) expect(loadCas({ set: CaSet.regional, region })).toEqual(full);
    const subjects = full.map(subjectOf);
    expect(subjects.some((s) => s.includes('CN=Amazon Root CA 1'))).toBe(true);
    expect(subjects.filter((s) => s.includes('Amazon RDS')).length).toBeGreaterThan(50);
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
