// Loopback stand-ins for AWS STS and IAM, so `terraform plan` runs with no AWS
// account: the provider (pointed at them through `endpoints { sts, iam }`) and
// `data.aws_caller_identity` ask STS GetCallerIdentity and get a fixed,
// obviously fake account. Any other call gets an AWS-style error naming the
// action, so a plan that needs more of AWS fails loudly instead of hanging.
// IAM is here because the provider looks its account up with IAM GetUser
// before STS: refused on loopback, it falls back to STS, and the fake key
// never travels to the real IAM.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-http';

/** The account every plan reports; tests expect it in ARNs built from the caller identity. */
export const PLAN_ACCOUNT_ID = '123456789012';

export interface StsStub {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly accountId: string;
  /** Every action asked for, in order (tests and failure messages read it). */
  readonly actions: readonly string[];
  close(): Promise<void>;
}

/** Bounded: these requests are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_ID = '00000000-0000-4000-8000-000000000000';
const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

function identityXml(accountId: string): string {
  return `<GetCallerIdentityResponse xmlns="${STS_XMLNS}"><GetCallerIdentityResult>`
    + `<Arn>arn:aws:iam::${accountId}:user/terraform-plan</Arn><UserId>AIDAPLANONLY000000000</UserId><Account>${accountId}</Account>`
    + `</GetCallerIdentityResult><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
}

function errorXml(xmlns: string, message: string): string {
  return `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>InvalidAction</Code>`
    + `<Message>${message}</Message></Error><RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`;
}

type Answer = (action: string) => { status: number; body: string };

/** An AWS query-protocol endpoint (form-encoded `Action=...`) on 127.0.0.1, port from the system. */
async function startQueryStub(answer: Answer, accountId: string): Promise<StsStub> {
  const actions: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('Action')
        ?? new URL(req.url ?? '/', 'http://stub').searchParams.get('Action') ?? '(none)';
      actions.push(action);
      const { status, body } = answer(action);
      res.statusCode = status;
      res.setHeader('content-type', 'text/xml');
      res.end(body);
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return { endpoint: url, accountId, actions, close };
}

export function startStsStub(accountId = PLAN_ACCOUNT_ID): Promise<StsStub> {
  return startQueryStub((action) => (action === 'GetCallerIdentity'
    ? { status: 200, body: identityXml(accountId) }
    : { status: 400, body: errorXml(STS_XMLNS, `the plan checks' STS stand-in answers GetCallerIdentity only, not ${action}`) }), accountId);
}

/** Refuses every IAM action; the provider's account lookup then asks STS. */
export function startIamStub(accountId = PLAN_ACCOUNT_ID): Promise<StsStub> {
  return startQueryStub((action) => ({ status: 400, body: errorXml(IAM_XMLNS, `the plan checks' IAM stand-in answers nothing, not ${action}`) }), accountId);
}
