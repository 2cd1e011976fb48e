// The IAM tokens the handler signs itself (@smithy/signature-v4 over a
// node:crypto SHA-256, credentials from the environment), checked three ways:
// - RDS: byte for byte against @aws-sdk/rds-signer, the SDK's own token
//   signer (a devDependency only for this), at one fixed clock;
// - ElastiCache, for which the SDK has no signer: against a presign built the
//   way AWS documents the token (GET http://<cache name>/?Action=connect&
//   User=<user>, service `elasticache`, 900 s, printed without the scheme)
//   with the SDK's SignatureV4 class, the SDK's SHA-256 and the SDK's URL
//   formatter. That shares the signing algorithm with the code under test,
//   so it checks the request we build (service, host, parameters, expiry,
//   formatting, our hash), not SigV4 itself; hence the third check:
// - both against a reference written from the algorithm's description with
//   nothing of the SDK, itself checked against AWS's published worked example.
import { createHash, createHmac } from 'node:crypto';
import { Signer } from '@aws-sdk/rds-signer';
import { formatUrl } from '@aws-sdk/core/util';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  MAX_TOKEN_EXPIRES_IN_S, NodeSha256, TokenRequestError, elastiCacheTokenRequest, presignIamToken, rdsTokenRequest, type AwsCredentials,
} from '../../src/handler/sigv4';
import { EMPTY_PAYLOAD_HASH, referencePresign } from './sigv4-reference';

const SIGNING_DATE = new Date('2026-12-07T06:30:15.123Z');
const SESSION: AwsCredentials = {
  accessKeyId: 'ASIAEXAMPLEKEYID0001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  // A session token has characters a query must escape (+, /, =).
  sessionToken: 'IQoJb3JpZ2luX2VjE+/FwoGZXIvYXdzEJr//////////wEaDEXAMPLE==',
};
const LONG_TERM: AwsCredentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

const PROXY = { hostname: 'app.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com', port: 3306, user: 'app_rw', region: 'eu-west-1' };

/** `@aws-sdk/rds-signer`'s token at SIGNING_DATE: it reads the clock itself, so the clock is faked for the call. */
async function rdsSignerToken(target: typeof PROXY, credentials: AwsCredentials): Promise<string> {
  jest.useFakeTimers({ now: SIGNING_DATE, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  try {
    return await new Signer({ ...target, username: target.user, credentials }).getAuthToken();
  } finally {
    jest.useRealTimers();
  }
}

/** ElastiCache's token as AWS documents it, presigned with the SDK's own signer, hash and URL formatter. */
async function sdkElastiCacheToken(cacheName: string, user: string, region: string, credentials: AwsCredentials, extra: Record<string, string> = {}): Promise<string> {
  const signer = new SignatureV4({ service: 'elasticache', region, credentials, sha256: Sha256 });
  const presigned = await signer.presign(
    { method: 'GET', protocol: 'http:', hostname: cacheName, path: '/', query: { Action: 'connect', User: user, ...extra }, headers: { host: cacheName } },
    { signingDate: SIGNING_DATE, expiresIn: 900 },
  );
  return formatUrl(presigned).replace('http://', '');
}

describe('the reference signer', () => {
  it("reproduces AWS's worked example of a presigned URL (S3 GET /test.txt, 2013-05-24, 86400 s)", () => {
    const { signature } = referencePresign({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      region: 'us-east-1', service: 's3', host: 'examplebucket.s3.amazonaws.com', path: '/test.txt', query: {},
      date: new Date('2013-05-24T00:00:00Z'), expiresInSeconds: 86_400, payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(signature).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });
});

describe('RDS IAM tokens (rds-db)', () => {
  it.each([['session credentials (Lambda)', SESSION], ['long-term credentials', LONG_TERM]])(
    'equal @aws-sdk/rds-signer byte for byte: %s',
    async (_label, credentials) => {
      const ours = await presignIamToken(rdsTokenRequest(PROXY), credentials, SIGNING_DATE);
      expect(ours).toBe(await rdsSignerToken(PROXY, credentials));
      expect(ours.startsWith(`${PROXY.hostname}:3306/?Action=connect&DBUser=app_rw&X-Amz-Algorithm=AWS4-HMAC-SHA256&`)).toBe(true);
    },
  );

  it('equal the reference written from the algorithm', async () => {
    const ours = await presignIamToken(rdsTokenRequest(PROXY), SESSION, SIGNING_DATE);
    const { queryString } = referencePresign({
      ...SESSION, sessionToken: SESSION.sessionToken, region: PROXY.region, service: 'rds-db', host: `${PROXY.hostname}:3306`, path: '/',
      query: { Action: 'connect', DBUser: PROXY.user }, date: SIGNING_DATE, expiresInSeconds: 900, payloadHash: EMPTY_PAYLOAD_HASH,
    });
    expect(ours).toBe(`${PROXY.hostname}:3306/?${queryString}`);
  });

  it('change with the clock, the user and the credentials (the comparison above is not of constants)', async () => {
    const base = await presignIamToken(rdsTokenRequest(PROXY), SESSION, SIGNING_DATE);
    const later = await presignIamToken(rdsTokenRequest(PROXY), SESSION, new Date(SIGNING_DATE.getTime() + 1000));
    const otherUser = await presignIamToken(rdsTokenRequest({ ...PROXY, user: 'other' }), SESSION, SIGNING_DATE);
    const otherKey = await presignIamToken(rdsTokenRequest(PROXY), { ...SESSION, secretAccessKey: 'x' }, SIGNING_DATE);
    expect(new Set([base, later, otherUser, otherKey]).size).toBe(4);
  });
});

describe('ElastiCache IAM tokens (elasticache, connect)', () => {
  it('equal a presign of the documented request by the SDK signer class', async () => {
    const ours = await presignIamToken(elastiCacheTokenRequest({ cacheName: 'app-cache', user: 'app-user', region: 'us-east-1' }), SESSION, SIGNING_DATE);
    expect(ours).toBe(await sdkElastiCacheToken('app-cache', 'app-user', 'us-east-1', SESSION));
    expect(ours.startsWith('app-cache/?Action=connect&User=app-user&X-Amz-Algorithm=AWS4-HMAC-SHA256&')).toBe(true);
    expect(ours).toContain('%2Fus-east-1%2Felasticache%2Faws4_request&');
    expect(ours).toContain('&X-Amz-Expires=900&');
  });

  it('name a serverless cache with ResourceType, lower-case the cache name, and equal the SDK presign', async () => {
    const ours = await presignIamToken(elastiCacheTokenRequest({ cacheName: 'App-Cache', user: 'app-user', region: 'eu-west-1', serverless: true }), LONG_TERM, SIGNING_DATE);
    expect(ours).toBe(await sdkElastiCacheToken('app-cache', 'app-user', 'eu-west-1', LONG_TERM, { ResourceType: 'ServerlessCache' }));
    expect(ours).toContain('&ResourceType=ServerlessCache&');
  });

  it('equal the reference written from the algorithm', async () => {
    const ours = await presignIamToken(elastiCacheTokenRequest({ cacheName: 'app-cache', user: 'app-user', region: 'us-east-1' }), SESSION, SIGNING_DATE);
    const { queryString } = referencePresign({
      ...SESSION, sessionToken: SESSION.sessionToken, region: 'us-east-1', service: 'elasticache', host: 'app-cache', path: '/',
      query: { Action: 'connect', User: 'app-user' }, date: SIGNING_DATE, expiresInSeconds: 900, payloadHash: EMPTY_PAYLOAD_HASH,
    });
    expect(ours).toBe(`app-cache/?${queryString}`);
  });
});

describe('token requests that cannot be signed', () => {
  const request = rdsTokenRequest(PROXY);
  it.each([
    ['region', { ...request, region: '' }, LONG_TERM],
    ['hostname', { ...request, hostname: ' ' }, LONG_TERM],
    ['service', { ...request, service: '' }, LONG_TERM],
    ['port', { ...request, port: 70_000 }, LONG_TERM],
    ['expiresInSeconds', { ...request, expiresInSeconds: MAX_TOKEN_EXPIRES_IN_S + 1 }, LONG_TERM],
    ['credentials', request, { accessKeyId: 'AKIA', secretAccessKey: '' }],
  ])('name the bad field: %s', async (field, bad, credentials) => {
    const error = await presignIamToken(bad, credentials, SIGNING_DATE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ field, code: 'AUTH_ERROR' });
    expect((error as Error).message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('NodeSha256', () => {
  it('hashes what node:crypto hashes, and goes on hashing after a digest', async () => {
    const hash = new NodeSha256();
    hash.update('abc');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(createHash('sha256').update('abc').digest('hex'));
    hash.update(new Uint8Array([100, 101]));
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(createHash('sha256').update('abcde').digest('hex'));
    hash.reset();
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(EMPTY_PAYLOAD_HASH);
  });

  it('is an HMAC when given a secret (string, bytes or an ArrayBuffer)', async () => {
    const expected = createHmac('sha256', 'key').update('data').digest('hex');
    for (const secret of ['key', new TextEncoder().encode('key'), new TextEncoder().encode('key').buffer]) {
      const mac = new NodeSha256(secret);
      mac.update('data');
      expect(Buffer.from(await mac.digest()).toString('hex')).toBe(expected);
    }
  });
});
