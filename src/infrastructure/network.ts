// The network the function, proxy and database live in: a VPC with one private
// subnet per listed availability zone (no NAT, no internet route: everything
// the function talks to is inside), or an existing VPC and subnets.
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Construct } from './cdk';
import type { NetworkConfig } from './config/types';

export interface NetworkProps {
  config: NetworkConfig;
  namePrefix: string;
}

export class Network extends Construct {
  public readonly vpcId: string;
  public readonly subnetIds: string[];
  /** Present when the VPC is created here (for `imports.vpc`). */
  public readonly vpc?: Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    if (!config.createVpc) {
      this.vpcId = config.existingVpcId;
      this.subnetIds = [...config.existingSubnetIds];
      return;
    }
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: config.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: namePrefix },
    });
    // A created VPC's default security group is left with no rules at all, so
    // nothing that lands in it by accident can talk to anything.
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: this.vpc.id, tags: { Name: `${namePrefix}-default-deny` } });
    this.vpcId = this.vpc.id;
    this.subnetIds = config.availabilityZones.map((az, i) => new Subnet(this, `private-${az}`, {
      vpcId: this.vpc!.id,
      availabilityZone: az,
      cidrBlock: config.privateSubnetCidrs[i],
      mapPublicIpOnLaunch: false,
      tags: { Name: `${namePrefix}-private-${az}` },
    }).id);
  }
}
