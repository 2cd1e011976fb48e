// A small Secrets Manager on 127.0.0.1 for the bootstrap's tests, spoken to
// by the real SDK client: the AWS JSON 1.1 protocol (POST /, X-Amz-Target:
// secretsmanager.<Operation>), secrets with versions and staging labels kept
// the way the service documents them (the first version becomes AWSCURRENT
// whatever labels it asked for; moving AWSCURRENT leaves AWSPREVIOUS on the
// version it left), and refusals a test switches on per operation. It checks
// no signature: the tests' credentials are fake.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_REGION = 'eu-west-1';
export const FAKE_ACCOUNT = '123456789012';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const MAX_BODY_BYTES = 1_000_000;

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;

interface Version { readonly value: string; readonly stages: Set<string> }
interface FakeSecret { readonly arn: string; readonly name: string; readonly versions: Map<string, Version>; deleted: boolean }

/** A refusal the service answers with a 400 and this `__type`. */
class ServiceFault extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

export interface Call { readonly operation: string; readonly input: Input }
export interface Refusal { readonly operation: string; readonly when?: (input: Input) => boolean }

export class FakeSecretsManager {
  /** Every request, in order, with its decoded input. */
  readonly calls: Call[] = [];
  /** Requests answered with AccessDeniedException, as an IAM policy without that action (or that condition) would. */
  readonly refusals: Refusal[] = [];
  private readonly secrets: FakeSecret[] = [];

  private constructor(private readonly server: Server, readonly endpoint: string) {}

  static async start(): Promise<FakeSecretsManager> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const fake = new FakeSecretsManager(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.answer(req, res));
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds a secret (with no value unless `value` is given, labelled `stages`, AWSCURRENT by default) and returns its ARN. */
  addSecret(name: string, options: { region?: string; account?: string; value?: string; stages?: string[] } = {}): string {
    const arn = `arn:aws:secretsmanager:${options.region ?? FAKE_REGION}:${options.account ?? FAKE_ACCOUNT}:secret:${name}-${randomBytes(3).toString('hex')}`;
    const secret: FakeSecret = { arn, name, versions: new Map(), deleted: false };
    this.secrets.push(secret);
    if (options.value !== undefined) this.putVersion(secret, randomUUID(), options.value, options.stages ?? [CURRENT]);
    return arn;
  }

  /** Forgets every secret, call and refusal: each test starts from an empty service. */
  reset(): void {
    this.secrets.length = 0;
    this.calls.length = 0;
    this.refusals.length = 0;
  }

  markDeleted(id: string): void { this.find(id).deleted = true; }

  /** The value labelled `stage`, or undefined. */
  valueAt(id: string, stage: string = CURRENT): string | undefined {
    return [...this.find(id).versions.values()].find((v) => v.stages.has(stage))?.value;
  }

  /** Each version's labels, in creation order. */
  labels(id: string): string[][] {
    return [...this.find(id).versions.values()].map((v) => [...v.stages].sort());
  }

  operations(): string[] { return this.calls.map((c) => c.operation); }

  private find(id: string): FakeSecret {
    const secret = this.secrets.find((s) => s.arn === id || s.name === id);
    if (!secret) throw new ServiceFault('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private live(id: string): FakeSecret {
    const secret = this.find(id);
    if (secret.deleted) throw new ServiceFault('InvalidRequestException', 'You can\'t perform this operation on the secret because it was marked for deletion.');
    return secret;
  }

  /** Attaches `stage` to `versionId` alone; AWSCURRENT leaves AWSPREVIOUS behind on the version it moved from. */
  private attach(secret: FakeSecret, versionId: string, stage: string): void {
    for (const [id, version] of secret.versions) {
      if (id === versionId || !version.stages.delete(stage)) continue;
      if (stage === CURRENT) {
        for (const other of secret.versions.values()) other.stages.delete(PREVIOUS);
        version.stages.add(PREVIOUS);
      }
    }
    secret.versions.get(versionId)!.stages.add(stage);
  }

  private putVersion(secret: FakeSecret, versionId: string, value: string, stages: readonly string[]): void {
    const first = secret.versions.size === 0;
    secret.versions.set(versionId, { value, stages: new Set() });
    for (const stage of first && !stages.includes(CURRENT) ? [...stages, CURRENT] : stages) this.attach(secret, versionId, stage);
  }

  private handle(operation: string, input: Input): Output {
    const id = String(input.SecretId ?? '');
    switch (operation) {
      case 'DescribeSecret': {
        const secret = this.find(id);
        const stages = Object.fromEntries([...secret.versions].map(([v, version]) => [v, [...version.stages]]));
        return { ARN: secret.arn, Name: secret.name, VersionIdsToStages: stages, ...(secret.deleted ? { DeletedDate: 1_767_225_600 } : {}) };
      }
      case 'GetSecretValue': {
        const secret = this.live(id);
        const stage = String(input.VersionStage ?? CURRENT);
        const found = [...secret.versions].find(([, v]) => v.stages.has(stage));
        if (!found) throw new ServiceFault('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
        const [versionId, version] = found;
        return { ARN: secret.arn, Name: secret.name, VersionId: versionId, SecretString: version.value, VersionStages: [...version.stages] };
      }
      case 'PutSecretValue': {
        const secret = this.live(id);
        const versionId = String(input.ClientRequestToken ?? randomUUID());
        const value = String(input.SecretString ?? '');
        const existing = secret.versions.get(versionId);
        if (existing && existing.value !== value) throw new ServiceFault('ResourceExistsException', 'A version with this ClientRequestToken already exists with different data.');
        if (!existing) this.putVersion(secret, versionId, value, (input.VersionStages as string[] | undefined) ?? [CURRENT]);
        return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: [...secret.versions.get(versionId)!.stages] };
      }
      case 'UpdateSecretVersionStage': {
        const secret = this.live(id);
        const stage = String(input.VersionStage);
        const moveTo = input.MoveToVersionId as string | undefined;
        const removeFrom = input.RemoveFromVersionId as string | undefined;
        for (const v of [moveTo, removeFrom]) {
          if (v !== undefined && !secret.versions.has(v)) throw new ServiceFault('ResourceNotFoundException', `Secrets Manager can't find the specified secret version: ${v}`);
        }
        const holder = [...secret.versions].find(([, v]) => v.stages.has(stage))?.[0];
        if (removeFrom !== undefined && holder !== removeFrom) throw new ServiceFault('InvalidParameterException', `The staging label ${stage} is not attached to version ${removeFrom}.`);
        if (moveTo !== undefined && holder !== undefined && holder !== moveTo && removeFrom === undefined) {
          throw new ServiceFault('InvalidParameterException', `The staging label ${stage} is currently attached to version ${holder}; name it in RemoveFromVersionId to move it.`);
        }
        if (moveTo !== undefined) this.attach(secret, moveTo, stage);
        else if (removeFrom !== undefined) secret.versions.get(removeFrom)!.stages.delete(stage);
        return { ARN: secret.arn, Name: secret.name };
      }
      default:
        throw new ServiceFault('UnknownOperationException', `the fake does not implement ${operation}`);
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) break;
      chunks.push(chunk as Buffer);
    }
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    let status = 200;
    let body: Output;
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Input;
      this.calls.push({ operation, input });
      if (this.refusals.some((r) => r.operation === operation && (r.when?.(input) ?? true))) {
        throw new ServiceFault('AccessDeniedException',
          `User: arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/test/bootstrap is not authorized to perform: secretsmanager:${operation} because no identity-based policy allows the secretsmanager:${operation} action`);
      }
      body = this.handle(operation, input);
    } catch (error) {
      status = 400;
      const fault = error instanceof ServiceFault ? error : new ServiceFault('InternalFailure', String(error));
      body = { __type: fault.type, message: fault.message };
      res.setHeader('x-amzn-errortype', fault.type);
    }
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.setHeader('x-amzn-requestid', randomUUID());
    res.statusCode = status;
    res.end(JSON.stringify(body));
  }
}
