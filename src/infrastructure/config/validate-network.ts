// Network validation: create a VPC (CIDRs, zones, flow logs) or adopt one
// (VPC and subnet ids). Split from validate.ts by concern; same Checker, same
// messages naming the field.
import type { EnvironmentInput, NetworkConfig } from './types';
import { SUBNET_ID, show, type Checker } from './checks';

export const NETWORK_DEFAULTS = { createVpc: true, vpcCidr: '10.40.0.0/16' } as const;

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;

function cidrOk(value: string): boolean {
  const m = CIDR.exec(value);
  return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 28;
}

export function resolveNetwork(c: Checker, input: EnvironmentInput): NetworkConfig {
  const n = input.network ?? {};
  const createVpc = c.bool('network.createVpc', n.createVpc ?? NETWORK_DEFAULTS.createVpc);
  if (!createVpc) {
    if (n.existingVpcId === undefined) c.fail('network.existingVpcId', 'is required when createVpc is false');
    else c.match('network.existingVpcId', n.existingVpcId, VPC_ID, 'a VPC id (vpc-...)');
    const subnets = n.existingSubnetIds ?? [];
    if (subnets.length < 2) c.fail('network.existingSubnetIds', `must list at least 2 private subnets (in different AZs), got ${subnets.length}`);
    subnets.forEach((s, i) => c.match(`network.existingSubnetIds[${i}]`, s, SUBNET_ID, 'a subnet id (subnet-...)'));
    for (const field of ['vpcCidr', 'privateSubnetCidrs', 'availabilityZones', 'flowLogs'] as const) {
      if (n[field] !== undefined) c.fail(`network.${field}`, 'is only used when createVpc is true');
    }
    return { createVpc: false, existingVpcId: n.existingVpcId ?? '', existingSubnetIds: subnets };
  }
  const vpcCidr = n.vpcCidr ?? NETWORK_DEFAULTS.vpcCidr;
  if (!cidrOk(vpcCidr)) c.fail('network.vpcCidr', `must be an IPv4 CIDR block of /28 or larger, got ${show(vpcCidr)}`);
  const azs = n.availabilityZones ?? [`${input.region}a`, `${input.region}b`];
  if (azs.length < 2) c.fail('network.availabilityZones', `must list at least 2 availability zones, got ${azs.length}`);
  if (new Set(azs).size !== azs.length) c.fail('network.availabilityZones', 'must not repeat a zone');
  azs.forEach((az, i) => {
    if (typeof az !== 'string' || !az.startsWith(input.region)) c.fail(`network.availabilityZones[${i}]`, `must be a zone of ${input.region}, got ${show(az)}`);
  });
  const subnets = n.privateSubnetCidrs ?? azs.map((_, i) => defaultSubnetCidr(vpcCidr, i));
  if (subnets.length !== azs.length) c.fail('network.privateSubnetCidrs', `must have one CIDR per availability zone (${azs.length}), got ${subnets.length}`);
  subnets.forEach((s, i) => { if (!cidrOk(s)) c.fail(`network.privateSubnetCidrs[${i}]`, `must be an IPv4 CIDR block, got ${show(s)}`); });
  for (const field of ['existingVpcId', 'existingSubnetIds'] as const) {
    if (n[field] !== undefined) c.fail(`network.${field}`, 'is only used when createVpc is false');
  }
  return { createVpc: true, vpcCidr, availabilityZones: azs, privateSubnetCidrs: subnets, flowLogs: c.bool('network.flowLogs', n.flowLogs ?? true) };
}

/** 10.40.0.0/16 -> 10.40.0.0/20, 10.40.16.0/20, ... (only for a /16 default; otherwise the CIDRs must be given). */
function defaultSubnetCidr(vpcCidr: string, index: number): string {
  const m = CIDR.exec(vpcCidr);
  if (!m || m[5] !== '16') return '';
  return `${m[1]}.${m[2]}.${index * 16}.0/20`;
}
