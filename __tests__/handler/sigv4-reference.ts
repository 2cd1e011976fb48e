// SigV4 query-string signing written from AWS's description of the algorithm
// (canonical request, string to sign, the derived key), with node:crypto and
// nothing of the SDK: an independent reference for the handler's tokens. It
// is itself checked against the presigned URL AWS publishes as its worked
// example (sigv4.test.ts), so a shared mistake with the SDK cannot hide.
import { createHash, createHmac } from 'node:crypto';

export interface ReferencePresign {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  service: string;
  /** The Host header, exactly as signed (with the port, if any). */
  host: string;
  path: string;
  query: Record<string, string>;
  date: Date;
  expiresInSeconds: number;
  /** Hex SHA-256 of the body, or S3's `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
}

/** Hex SHA-256 of the empty body: what a GET without one signs. */
export const EMPTY_PAYLOAD_HASH = createHash('sha256').update('').digest('hex');

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const uriEncode = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Every query parameter of the presigned request (signature included), encoded and sorted by key. */
export function referencePresign(input: ReferencePresign): { signature: string; queryString: string } {
  const longDate = input.date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const shortDate = longDate.slice(0, 8);
  const scope = `${shortDate}/${input.region}/${input.service}/aws4_request`;
  const params: Record<string, string> = {
    ...input.query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${input.accessKeyId}/${scope}`,
    'X-Amz-Date': longDate,
    'X-Amz-Expires': String(input.expiresInSeconds),
    'X-Amz-SignedHeaders': 'host',
    ...(input.sessionToken === undefined ? {} : { 'X-Amz-Security-Token': input.sessionToken }),
  };
  const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const canonicalQuery = Object.entries(params).map(([k, v]): [string, string] => [uriEncode(k), uriEncode(v)]).sort(byKey)
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalRequest = ['GET', input.path, canonicalQuery, `host:${input.host}\n`, 'host', input.payloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${input.secretAccessKey}`, shortDate);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  const queryString = [...canonicalQuery.split('&'), `X-Amz-Signature=${signature}`].sort((a, b) => byKey([a.split('=')[0], ''], [b.split('=')[0], ''])).join('&');
  return { signature, queryString };
}
