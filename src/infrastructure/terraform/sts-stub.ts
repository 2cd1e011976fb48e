// A loopback stand-in for AWS STS, so `terraform plan` runs with no AWS
// account: the provider (pointed at it through `endpoints { sts = ... }`) and
// `data.aws_caller_identity` ask it GetCallerIdentity and get a fixed,
// obviously fake account. Any other call gets an AWS-style error naming the
// action, so a plan that needs more of AWS fails loudly instead of hanging.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The account every plan reports; tests expect it in ARNs built from the caller identity. */
export const PLAN_ACCOUNT_ID = '123456789012';

export interface StsStub {
  readonly endpoint: string;
  readonly accountId: string;
  /** Every action asked for, in order (tests and failure messages read it). */
  readonly actions: readonly string[];
  close(): Promise<void>;
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** Bounded: STS requests are a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

function identityXml(accountId: string): string {
  return `<GetCallerIdentityResponse xmlns="${XMLNS}"><GetCallerIdentityResult>`
    + `<Arn>arn:aws:iam::${accountId}:user/terraform-plan</Arn><UserId>AIDAPLANONLY000000000</UserId><Account>${accountId}</Account>`
    + '</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>';
}

function errorXml(action: string): string {
  return `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>InvalidAction</Code>`
    + `<Message>the plan checks' STS stand-in answers GetCallerIdentity only, not ${action}</Message></Error>`
    + '<RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>';
}

export async function startStsStub(accountId = PLAN_ACCOUNT_ID): Promise<StsStub> {
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
      res.setHeader('content-type', 'text/xml');
      if (action === 'GetCallerIdentity') res.end(identityXml(accountId));
      else {
        res.statusCode = 400;
        res.end(errorXml(action));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accountId,
    actions,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
