// Three security groups and the only paths between them, all TCP 3306:
//   Lambda SG --egress--> proxy SG --egress--> database SG
// Rules are separate vpc_security_group_{ingress,egress}_rule resources, one
// per path, each with a description; no CIDR appears anywhere, so nothing is
// open to 0.0.0.0/0 in either direction. With an existing proxy only the
// Lambda SG is created, plus one ingress rule on the proxy's own SG.
import { MYSQL_PORT } from '../protocol/function-env';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from './cdk';


export interface SecurityGroupsProps {
  vpcId: string;
  namePrefix: string;
  /** An existing proxy's security group: adopt it instead of creating proxy and database groups. */
  existingProxySecurityGroupId?: string;
}

export class SecurityGroups extends Construct {
  public readonly lambdaSecurityGroup: SecurityGroup;
  public readonly proxySecurityGroupId: string;
  /** Created groups only (undefined with an existing proxy). */
  public readonly proxySecurityGroup?: SecurityGroup;
  public readonly databaseSecurityGroup?: SecurityGroup;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    const { vpcId, namePrefix } = props;
    const group = (key: string, description: string): SecurityGroup => new SecurityGroup(this, key, {
      name: `${namePrefix}-${key}`,
      description,
      vpcId,
      revokeRulesOnDelete: true,
      tags: { Name: `${namePrefix}-${key}` },
    });
    const mysql = { ipProtocol: 'tcp', fromPort: MYSQL_PORT, toPort: MYSQL_PORT };

    this.lambdaSecurityGroup = group('lambda', 'Lambda function: MySQL to the RDS Proxy only');
    if (props.existingProxySecurityGroupId !== undefined) {
      this.proxySecurityGroupId = props.existingProxySecurityGroupId;
    } else {
      this.proxySecurityGroup = group('proxy', 'RDS Proxy: MySQL from the function, to the database');
      this.databaseSecurityGroup = group('database', 'RDS MySQL: MySQL from the RDS Proxy only');
      this.proxySecurityGroupId = this.proxySecurityGroup.id;
    }

    new VpcSecurityGroupEgressRule(this, 'lambda-to-proxy', {
      ...mysql,
      securityGroupId: this.lambdaSecurityGroup.id,
      referencedSecurityGroupId: this.proxySecurityGroupId,
      description: 'MySQL to the RDS Proxy',
    });
    new VpcSecurityGroupIngressRule(this, 'proxy-from-lambda', {
      ...mysql,
      securityGroupId: this.proxySecurityGroupId,
      referencedSecurityGroupId: this.lambdaSecurityGroup.id,
      description: `MySQL from ${namePrefix} Lambda function`,
    });
    if (this.proxySecurityGroup && this.databaseSecurityGroup) {
      new VpcSecurityGroupEgressRule(this, 'proxy-to-database', {
        ...mysql,
        securityGroupId: this.proxySecurityGroup.id,
        referencedSecurityGroupId: this.databaseSecurityGroup.id,
        description: 'MySQL to the database',
      });
      new VpcSecurityGroupIngressRule(this, 'database-from-proxy', {
        ...mysql,
        securityGroupId: this.databaseSecurityGroup.id,
        referencedSecurityGroupId: this.proxySecurityGroup.id,
        description: 'MySQL from the RDS Proxy',
      });
    }
  }
}
