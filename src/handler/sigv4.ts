// IAM authentication tokens for data stores that take one as a password: RDS
// and RDS Proxy (service `rds-db`) and ElastiCache (service `elasticache`).
// A token is a SigV4-presigned GET of `<host>/?Action=connect&<user param>`,
// valid for at most 15 minutes, printed without its scheme. The signing is
// `@smithy/signature-v4` (the SDK's own signer, 17 KiB) with a SHA-256 over
// node:crypto, which the floor loads anyway: `@aws-sdk/rds-signer` would add
// 686 KiB to the bundle and the SDK's whole credential chain to every import.
//
// The signer is a file of its own beside the bundle, imported when a token
// is first needed, or earlier by `prefetchSigner()` (Init calls it when it
// will sign), which starts the load on the next turn of the event loop: by
// then the import has returned and the runtime has asked for its first event
// (aws-lambda-ric sends `next` from the promise chain that awaited the
// import), so the load overlaps that wait instead of lengthening Init (about
// 4 ms of the import when it started at once). A function that never signs
// (password auth, no cache) never loads it.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { ErrorCode, HandlerError } from './errors';

type SignerModule = typeof import('@smithy/signature-v4');
let signerModule: Promise<SignerModule> | undefined;

function loadSigner(): Promise<SignerModule> {
  // A failed import is not remembered: the next token tries again.
  signerModule ??= import('@smithy/signature-v4').catch((error: unknown) => {
    signerModule = undefined;
    throw error;
  });
  return signerModule;
}

/** Starts loading the signer once the current task is done, without waiting for it; a failure shows at the first signing instead. */
export function prefetchSigner(): void {
  setImmediate(() => {
    loadSigner().catch(() => undefined);
  }).unref();
}

/** RDS and ElastiCache both refuse tokens presigned for longer than 15 minutes. */
export const MAX_TOKEN_EXPIRES_IN_S = 900;

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** What a token authorises: the service, where, and the `connect` action's parameters. */
export interface IamTokenRequest {
  /** The signing name: `rds-db`, `elasticache`. */
  readonly service: string;
  readonly region: string;
  /** The endpoint's host name (RDS), or the cache's name (ElastiCache): what the server checks the signature against. */
  readonly hostname: string;
  /** Part of the signed host for RDS (`host:port`); ElastiCache signs the bare name. */
  readonly port?: number;
  /** `Action=connect` and the user; the signature fields are added to these. */
  readonly query: Readonly<Record<string, string>>;
  readonly expiresInSeconds?: number;
}

/** A token request that cannot be signed: names the field. */
export class TokenRequestError extends HandlerError {
  override readonly name = 'TokenRequestError';
  constructor(readonly field: string, message: string) {
    super(ErrorCode.auth, `${field}: ${message}`, { context: { field } });
  }
}

/** The token RDS and RDS Proxy take for `user` at `hostname:port`. */
export function rdsTokenRequest(target: { hostname: string; port: number; user: string; region: string }): IamTokenRequest {
  return {
    service: 'rds-db',
    region: target.region,
    hostname: target.hostname,
    port: target.port,
    query: { Action: 'connect', DBUser: target.user },
  };
}

/**
 * The token ElastiCache takes for `user` on a replication group or serverless
 * cache: the host is the cache's name (lower case, as ElastiCache stores it),
 * with no port, and a serverless cache also names its resource type.
 */
export function elastiCacheTokenRequest(target: { cacheName: string; user: string; region: string; serverless?: boolean }): IamTokenRequest {
  return {
    service: 'elasticache',
    region: target.region,
    hostname: target.cacheName.toLowerCase(),
    query: {
      Action: 'connect',
      User: target.user,
      ...(target.serverless === true ? { ResourceType: 'ServerlessCache' } : {}),
    },
  };
}

/**
 * SHA-256 and HMAC-SHA-256 in the shape the signer takes (update, digest,
 * reset), over node:crypto. The digest is of a copy, so a hash can go on
 * after it, as the interface allows.
 */
type SourceData = string | ArrayBuffer | ArrayBufferView;

const binary = (data: SourceData): string | Buffer => {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
};

export class NodeSha256 {
  private readonly secret: string | Buffer | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : binary(secret);
    this.hash = this.create();
  }

  update(data: SourceData): void {
    this.hash.update(binary(data));
  }

  async digest(): Promise<Uint8Array> {
    // An Hmac cannot be copied; the signer never reuses one after its digest.
    const bytes = this.secret === undefined ? (this.hash as Hash).copy().digest() : this.hash.digest();
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

function validate(request: IamTokenRequest, credentials: AwsCredentials): number {
  for (const field of ['service', 'region', 'hostname'] as const) {
    if (typeof request[field] !== 'string' || request[field].trim() === '') throw new TokenRequestError(field, 'is required');
  }
  if (request.port !== undefined && !(Number.isInteger(request.port) && request.port > 0 && request.port <= 65_535)) {
    throw new TokenRequestError('port', `must be an integer between 1 and 65535, got ${request.port}`);
  }
  const expiresIn = request.expiresInSeconds ?? MAX_TOKEN_EXPIRES_IN_S;
  if (!(Number.isInteger(expiresIn) && expiresIn > 0 && expiresIn <= MAX_TOKEN_EXPIRES_IN_S)) {
    throw new TokenRequestError('expiresInSeconds', `must be an integer between 1 and ${MAX_TOKEN_EXPIRES_IN_S}, got ${expiresIn}`);
  }
  if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw new TokenRequestError('credentials', 'need an access key id and a secret access key');
  }
  return expiresIn;
}

// RFC 3986 unreserved characters stay, everything else is percent-encoded:
// encodeURIComponent leaves !'()* alone, SigV4 does not.
const escape = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The presigned request's query, keys sorted: the way the SDK prints a presigned URL. */
function queryString(query: Record<string, string | string[] | null>): string {
  return Object.keys(query).sort().flatMap((key) => {
    const value = query[key];
    if (Array.isArray(value)) return value.map((item) => `${escape(key)}=${escape(item)}`);
    return [value === null ? escape(key) : `${escape(key)}=${escape(value)}`];
  }).join('&');
}

/** Presigns `request` with `credentials` at `signingDate`; the token is the URL without its scheme. */
export async function presignIamToken(request: IamTokenRequest, credentials: AwsCredentials, signingDate: Date): Promise<string> {
  const expiresIn = validate(request, credentials);
  const host = request.port === undefined ? request.hostname : `${request.hostname}:${request.port}`;
  const { SignatureV4 } = await loadSigner();
  const signer = new SignatureV4({ service: request.service, region: request.region, credentials, sha256: NodeSha256 });
  const presigned = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname: request.hostname, port: request.port, path: '/', query: { ...request.query }, headers: { host } },
    { signingDate, expiresIn },
  );
  return `${host}/?${queryString(presigned.query ?? {})}`;
}
