// The function's cache: ElastiCache Serverless (Valkey or Redis OSS) in the
// function's private subnets, its own security group that admits only the
// function's group on 6379, and the ElastiCache user the function connects
// as, with IAM authentication, in a user group attached to the cache. No
// password exists anywhere: the function signs a token with its role
// (elasticache:Connect on this cache and this user, function-role.ts).
//
// Encryption: a serverless cache always encrypts in transit (TLS only; the
// provider has no argument to turn it off) and at rest, with `kmsKeyArn` when
// given. Logs: ElastiCache delivers slow and engine logs for node-based
// clusters only (aws_elasticache_replication_group's log_delivery_configuration);
// aws_elasticache_serverless_cache has no such argument, so there is no log
// group here (its metrics are in CloudWatch without any resource).
import { ElasticacheServerlessCache } from '@cdktf/provider-aws/lib/elasticache-serverless-cache';
import { ElasticacheUser } from '@cdktf/provider-aws/lib/elasticache-user';
import { ElasticacheUserGroup } from '@cdktf/provider-aws/lib/elasticache-user-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { REDIS_PORT } from '../protocol/function-env';
import { Construct } from './cdk';
import { CacheEngine, type CacheConfig } from './config/cache-types';
import { CacheNameSuffix } from './config/validate-cache';

/**
 * The key space of the handler's read-through cache (read-through-cache.ts,
 * its default `keyPrefix`); cache-access.test.ts runs the handler's cache
 * against a Redis holding exactly this access string.
 */
export const CACHE_KEY_PATTERN = 'item:*';

/**
 * What the function's user may run, and on which keys. The handler reads with
 * GET, writes only through EVAL of one script (which runs GET and SET on the
 * key it declares; a script's commands are checked against the same rules),
 * and checks health with PING. AUTH and HELLO, which carry the token, and QUIT
 * need no permission. Nothing else: no KEYS, SCAN, FLUSH*, CONFIG, DEL, and no
 * key outside the handler's prefix.
 */
export const CACHE_ACCESS_STRING = `on ~${CACHE_KEY_PATTERN} -@all +get +set +eval +ping`;

/** The disabled stand-in for the built-in `default` user a Redis OSS user group must hold: it cannot log in and may run nothing. */
export const DISABLED_DEFAULT_ACCESS_STRING = 'off -@all';

export interface CacheProps {
  config: CacheConfig;
  namePrefix: string;
  vpcId: string;
  /** The function's private subnets: the cache's endpoints are placed there. */
  subnetIds: string[];
  /** The function's security group: the only source the cache admits, and the only group given egress to it. */
  lambdaSecurityGroupId: string;
  /** Where the cache lives, for the ARNs the function role names. */
  partition: string;
  region: string;
  accountId: string;
}

export class Cache extends Construct {
  public readonly securityGroup: SecurityGroup;
  public readonly user: ElasticacheUser;
  /** Redis OSS only (see CacheConfig.defaultUserId). */
  public readonly defaultUser?: ElasticacheUser;
  public readonly userGroup: ElasticacheUserGroup;
  public readonly serverlessCache: ElasticacheServerlessCache;
  /** CACHE_NAME: the cache's name, the host an IAM token is signed for. */
  public readonly name: string;
  /** CACHE_USER: the ElastiCache user's name, equal to its id. */
  public readonly userName: string;
  /** CACHE_HOST: the endpoint's address (known after apply). */
  public readonly host: string;
  public readonly port: number = REDIS_PORT;
  /** arn:<partition>:elasticache:<region>:<account>:serverlesscache:<name> */
  public readonly arn: string;
  /** arn:<partition>:elasticache:<region>:<account>:user:<user id> */
  public readonly userArn: string;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const { config, namePrefix } = props;
    const elasticache = (resource: string): string => `arn:${props.partition}:elasticache:${props.region}:${props.accountId}:${resource}`;
    this.name = config.name;
    this.userName = config.userId;
    this.arn = elasticache(`serverlesscache:${config.name}`);
    this.userArn = elasticache(`user:${config.userId}`);

    const groupName = `${namePrefix}${CacheNameSuffix.securityGroup}`;
    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name: groupName,
      description: `ElastiCache Serverless (${config.engine}): from the ${namePrefix} Lambda function only`,
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
      tags: { Name: groupName },
    });
    const redis = { ipProtocol: 'tcp', fromPort: REDIS_PORT, toPort: REDIS_PORT };
    new VpcSecurityGroupIngressRule(this, 'cache-from-lambda', {
      ...redis,
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: props.lambdaSecurityGroupId,
      description: `${config.engine} from ${namePrefix} Lambda function`,
    });
    new VpcSecurityGroupEgressRule(this, 'lambda-to-cache', {
      ...redis,
      securityGroupId: props.lambdaSecurityGroupId,
      referencedSecurityGroupId: this.securityGroup.id,
      description: `${config.engine} to the ElastiCache Serverless cache`,
    });

    // IAM authentication: the user's name must equal its id, and it has no password.
    this.user = new ElasticacheUser(this, 'user', {
      userId: config.userId,
      userName: config.userId,
      engine: config.engine,
      accessString: CACHE_ACCESS_STRING,
      authenticationMode: { type: 'iam' },
    });
    if (config.defaultUserId !== undefined) {
      this.defaultUser = new ElasticacheUser(this, 'default-user', {
        userId: config.defaultUserId,
        userName: 'default',
        engine: CacheEngine.redis,
        accessString: DISABLED_DEFAULT_ACCESS_STRING,
        authenticationMode: { type: 'no-password-required' },
      });
    }
    this.userGroup = new ElasticacheUserGroup(this, 'user-group', {
      userGroupId: config.userGroupId,
      engine: config.engine,
      userIds: [...(this.defaultUser ? [this.defaultUser.userId] : []), this.user.userId],
    });

    const limits = config.maxDataStorageGb !== undefined || config.maxEcpuPerSecond !== undefined;
    this.serverlessCache = new ElasticacheServerlessCache(this, 'cache', {
      name: config.name,
      description: 'Read-through cache of the data API: IAM authentication, TLS only',
      engine: config.engine,
      majorEngineVersion: config.majorEngineVersion,
      subnetIds: props.subnetIds,
      securityGroupIds: [this.securityGroup.id],
      userGroupId: this.userGroup.userGroupId,
      snapshotRetentionLimit: config.snapshotRetentionDays,
      ...(config.dailySnapshotTime !== undefined ? { dailySnapshotTime: config.dailySnapshotTime } : {}),
      ...(config.kmsKeyArn !== undefined ? { kmsKeyId: config.kmsKeyArn } : {}),
      ...(limits ? {
        cacheUsageLimits: [{
          ...(config.maxDataStorageGb !== undefined ? { dataStorage: [{ maximum: config.maxDataStorageGb, unit: 'GB' }] } : {}),
          ...(config.maxEcpuPerSecond !== undefined ? { ecpuPerSecond: [{ maximum: config.maxEcpuPerSecond }] } : {}),
        }],
      } : {}),
    });
    this.host = this.serverlessCache.endpoint.get(0).address;
  }
}
