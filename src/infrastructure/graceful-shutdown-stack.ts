// One environment: network, security groups, database + proxy (or an existing
// proxy), an optional cache, roles, log group, extension layer and function,
// composed from one validated EnvironmentConfig. The stack decides wiring
// only; each construct owns its resources.
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ShutdownMode } from '../protocol/artifacts';
import { configureBackend } from './backend';
import { Cache } from './cache';
import { CapacityProvider } from './capacity-provider';
import { TerraformOutput, TerraformStack, type Construct, type TerraformResource } from './cdk';
import type { EnvironmentConfig, ImportableResource } from './config/types';
import { maxShutdownBudgetMs } from '../protocol/function-env';
import { Database, DATABASE_LOG_EXPORTS } from './database';
import { InfrastructureError } from './errors';
import { ExtensionLayer } from './extension-layer';
import { GracefulShutdownFunction } from './function';
import { FlowLogs } from './flow-logs';
import { FunctionRole } from './function-role';
import { FunctionUserSecret } from './function-user-secret';
import { LogGroup } from './log-group';
import { MonitoringRole } from './monitoring-role';
import { Network } from './network';
import { ParameterGroup } from './parameter-group';
import { ProxyRole } from './proxy-role';
import { RdsProxy } from './rds-proxy';
import { SecurityGroups } from './security-groups';
import { ServiceLogGroups } from './service-log-groups';
import { declareVersions } from './versions';
import { ZipAsset } from './zip-asset';

export interface GracefulShutdownStackProps {
  /** Validated with resolveEnvironments(); the stack trusts it. */
  config: EnvironmentConfig;
  /**
   * How the function gets its SIGTERM, overriding `config.function.shutdownMode`:
   * `layer` attaches the extension layer; `in-process` attaches none and sets
   * SHUTDOWN_MODE=in-process (the handler registers an internal extension).
   */
  shutdownMode?: ShutdownMode;
  /** Build directories (default dist/handler, dist/layer): tests point them at fixtures. */
  handlerDir?: string;
  layerDir?: string;
}

export class GracefulShutdownStack extends TerraformStack {
  public readonly config: EnvironmentConfig;
  public readonly network: Network;
  /** Created VPC only, unless network.flowLogs is false. */
  public readonly flowLogs?: FlowLogs;
  public readonly securityGroups: SecurityGroups;
  public readonly parameterGroup?: ParameterGroup;
  /** The log groups RDS and RDS Proxy write to (created database only). */
  public readonly serviceLogGroups?: ServiceLogGroups;
  public readonly monitoringRole?: MonitoringRole;
  public readonly database?: Database;
  public readonly proxyRole?: ProxyRole;
  /** The function user's secret (created database only); db:bootstrap writes its value. */
  public readonly functionUserSecret?: FunctionUserSecret;
  /** Managed Instances only. */
  public readonly capacityProvider?: CapacityProvider;
  /** Only with `cache` in the environment's config. */
  public readonly cache?: Cache;
  public readonly proxy?: RdsProxy;
  public readonly logGroup: LogGroup;
  public readonly functionRole: FunctionRole;
  public readonly layer?: ExtensionLayer;
  public readonly function: GracefulShutdownFunction;
  /** The zips this stack references; written next to its JSON after synthesis. */
  public readonly assets: readonly ZipAsset[];

  constructor(scope: Construct, id: string, props: GracefulShutdownStackProps) {
    super(scope, id);
    const config: EnvironmentConfig = props.shutdownMode === undefined
      ? props.config
      : { ...props.config, function: { ...props.config.function, shutdownMode: props.shutdownMode } };
    const maxBudgetMs = maxShutdownBudgetMs(config.function.shutdownMode);
    if (config.function.shutdownBudgetMs > maxBudgetMs) {
      throw new InfrastructureError(
        `environments.${config.name}.function.shutdownBudgetMs: ${config.function.shutdownBudgetMs} ms exceeds ${maxBudgetMs} ms, `
        + `the most the runtime's share allows with shutdownMode ${config.function.shutdownMode}`,
      );
    }
    this.config = config;
    const prefix = config.namePrefix;
    const { assumeRole, allowedAccountIds } = config.provider;
    new AwsProvider(this, 'aws', {
      region: config.region,
      defaultTags: [{ tags: config.tags }],
      ...(assumeRole ? { assumeRole: [{ roleArn: assumeRole.roleArn, sessionName: assumeRole.sessionName, externalId: assumeRole.externalId }] } : {}),
      ...(allowedAccountIds ? { allowedAccountIds } : {}),
    });
    configureBackend(this, config.backend);
    // Read at plan time (needs credentials then, not at synth).
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');

    this.network = new Network(this, 'network', { config: config.network, namePrefix: prefix });
    if (config.network.createVpc && config.network.flowLogs) {
      this.flowLogs = new FlowLogs(this, 'flow-logs', {
        vpcId: this.network.vpcId, namePrefix: prefix, partition: partition.partition, region: config.region, accountId: account.accountId,
        ...config.logs, guardrails: config.iam,
      });
    }
    const db = config.database;
    this.securityGroups = new SecurityGroups(this, 'security-groups', {
      vpcId: this.network.vpcId,
      namePrefix: prefix,
      ...(db.createDatabase ? {} : { existingProxySecurityGroupId: db.securityGroupId }),
    });

    let proxyEndpoint: string;
    let proxyResourceId: string;
    let dbUser: string;
    let dbName: string;
    if (db.createDatabase) {
      this.parameterGroup = new ParameterGroup(this, 'parameter-group', { namePrefix: prefix, engineVersion: db.engineVersion });
      // The instance identifier and the proxy name are both the prefix.
      this.serviceLogGroups = new ServiceLogGroups(this, 'service-log-groups', {
        databaseIdentifier: prefix, exports: DATABASE_LOG_EXPORTS, proxyName: prefix,
        ...config.logs,
      });
      if (db.monitoringIntervalSeconds > 0) {
        this.monitoringRole = new MonitoringRole(this, 'monitoring-role', {
          namePrefix: prefix, partition: partition.partition, region: config.region, accountId: account.accountId, guardrails: config.iam,
        });
      }
      this.database = new Database(this, 'database', {
        config: db, namePrefix: prefix, subnetIds: this.network.subnetIds, securityGroupId: this.securityGroups.databaseSecurityGroup!.id,
        parameterGroupName: this.parameterGroup.name,
        ...(this.monitoringRole ? { monitoringRoleArn: this.monitoringRole.role.arn } : {}),
        dependsOn: [...this.serviceLogGroups.databaseLogGroups, ...(this.monitoringRole ? [this.monitoringRole.policy] : [])],
      });
      this.functionUserSecret = new FunctionUserSecret(this, 'function-user-secret', {
        namePrefix: prefix, userName: db.dbUser,
        ...(db.functionUserSecretKmsKeyArn !== undefined ? { kmsKeyArn: db.functionUserSecretKmsKeyArn } : {}),
      });
      this.proxyRole = new ProxyRole(this, 'proxy-role', {
        namePrefix: prefix, region: config.region, secretArn: this.database.secretArn, secretKmsKeyId: this.database.secretKmsKeyId,
        functionUserSecretArn: this.functionUserSecret.arn,
        ...(this.functionUserSecret.kmsKeyArn !== undefined ? { functionUserSecretKmsKeyArn: this.functionUserSecret.kmsKeyArn } : {}),
        guardrails: config.iam,
      });
      this.proxy = new RdsProxy(this, 'rds-proxy', {
        namePrefix: prefix,
        settings: db.proxy,
        roleArn: this.proxyRole.role.arn,
        secretArn: this.database.secretArn,
        functionUserSecretArn: this.functionUserSecret.arn,
        subnetIds: this.network.subnetIds,
        securityGroupId: this.securityGroups.proxySecurityGroupId,
        dbInstanceIdentifier: this.database.instance.identifier,
        dependsOn: [this.serviceLogGroups.proxyLogGroup],
      });
      proxyEndpoint = this.proxy.endpoint;
      proxyResourceId = this.proxy.resourceId;
      dbUser = db.dbUser;
      dbName = db.dbName;
    } else {
      proxyEndpoint = db.endpoint;
      proxyResourceId = db.resourceId;
      dbUser = db.dbUser;
      dbName = db.dbName;
    }

    if (config.cache !== undefined) {
      this.cache = new Cache(this, 'cache', {
        config: config.cache, namePrefix: prefix, vpcId: this.network.vpcId, subnetIds: this.network.subnetIds,
        lambdaSecurityGroupId: this.securityGroups.lambdaSecurityGroup.id,
        partition: partition.partition, region: config.region, accountId: account.accountId,
      });
    }
    const cache = this.cache;

    const functionName = prefix;
    this.logGroup = new LogGroup(this, 'log-group', {
      functionName,
      ...config.logs,
    });
    this.functionRole = new FunctionRole(this, 'function-role', {
      namePrefix: prefix,
      partition: partition.partition,
      region: config.region,
      accountId: account.accountId,
      logGroupArn: this.logGroup.arn,
      proxyResourceId,
      dbUser,
      tracing: config.function.tracing,
      vpcNetworkInterfaces: config.managedInstances === undefined,
      ...(cache ? { cacheConnect: { cacheArn: cache.arn, userArn: cache.userArn } } : {}),
      ...(db.createDatabase ? {} : { proxyLocation: { partition: db.partition, region: db.proxyRegion, accountId: db.accountId } }),
      guardrails: config.iam,
    });
    const mi = config.managedInstances;
    if (config.function.shutdownMode === ShutdownMode.layer) {
      this.layer = new ExtensionLayer(this, 'extension-layer', {
        namePrefix: prefix, runtime: config.function.runtime, requireExecWrapper: mi !== undefined,
        ...(props.layerDir ? { sourceDir: props.layerDir } : {}),
      });
    }
    if (mi !== undefined) {
      this.capacityProvider = new CapacityProvider(this, 'capacity-provider', {
        namePrefix: prefix,
        partition: partition.partition,
        // The function's own network unless config names another: the Lambda SG already allows exactly the proxy.
        subnetIds: mi.subnetIds ?? this.network.subnetIds,
        securityGroupIds: mi.securityGroupIds ?? [this.securityGroups.lambdaSecurityGroup.id],
        architecture: config.function.architecture,
        allowedInstanceTypes: mi.allowedInstanceTypes,
        excludedInstanceTypes: mi.excludedInstanceTypes,
        maxVcpuCount: mi.maxVcpuCount,
        ...(mi.kmsKeyArn !== undefined ? { kmsKeyArn: mi.kmsKeyArn } : {}),
        guardrails: config.iam,
      });
    }
    const fn = config.function;
    this.function = new GracefulShutdownFunction(this, 'function', {
      functionName,
      roleArn: this.functionRole.role.arn,
      architecture: fn.architecture,
      memoryMb: fn.memoryMb,
      timeoutSeconds: fn.timeoutSeconds,
      runtime: fn.runtime,
      ...(mi === undefined || this.capacityProvider === undefined
        ? { reservedConcurrency: fn.reservedConcurrency }
        : {
          managedInstances: {
            capacityProviderArn: this.capacityProvider.arn,
            maxConcurrency: mi.maxConcurrency,
            memoryGibPerVcpu: mi.memoryGibPerVcpu,
            workerCount: mi.workerCount,
          },
        }),
      tracing: fn.tracing,
      subnetIds: this.network.subnetIds,
      securityGroupIds: [this.securityGroups.lambdaSecurityGroup.id],
      logGroupName: this.logGroup.name,
      ...(this.layer ? { layerArn: this.layer.arn } : {}),
      shutdownMode: fn.shutdownMode,
      shutdownBudgetMs: fn.shutdownBudgetMs,
      poolSize: fn.poolSize,
      db: { host: proxyEndpoint, user: dbUser, name: dbName },
      ...(cache ? { cache: { host: cache.host, port: cache.port, user: cache.userName, name: cache.name } } : {}),
      dependsOn: [this.logGroup.logGroup, this.functionRole.policy],
      ...(props.handlerDir ? { sourceDir: props.handlerDir } : {}),
    });
    this.assets = [this.function.asset, ...(this.layer ? [this.layer.asset] : [])];

    new TerraformOutput(this, 'function_name', { value: this.function.name });
    new TerraformOutput(this, 'function_arn', { value: this.function.arn });
    new TerraformOutput(this, 'proxy_endpoint', { value: proxyEndpoint });
    new TerraformOutput(this, 'log_group_name', { value: this.logGroup.name });
    if (this.layer) new TerraformOutput(this, 'layer_arn', { value: this.layer.arn });
    // An ARN, not a secret: db:bootstrap writes the function user's password into it.
    if (this.functionUserSecret) new TerraformOutput(this, 'function_user_secret_arn', { value: this.functionUserSecret.arn });
    if (this.capacityProvider) new TerraformOutput(this, 'capacity_provider_arn', { value: this.capacityProvider.arn });
    if (cache) {
      new TerraformOutput(this, 'cache_endpoint', { value: cache.host });
      new TerraformOutput(this, 'cache_name', { value: cache.name });
      new TerraformOutput(this, 'cache_user_name', { value: cache.userName });
    }

    for (const [key, importId] of Object.entries(config.imports)) {
      this.importable(key as ImportableResource).importFrom(importId);
    }
    // Last: the provider floor depends on which resources the stack holds.
    declareVersions(this);
  }

  /** The resource an `imports.<key>` entry adopts (validation guarantees it exists in this stack). */
  private importable(key: ImportableResource): TerraformResource {
    const resources: Record<ImportableResource, TerraformResource | undefined> = {
      vpc: this.network.vpc,
      lambdaSecurityGroup: this.securityGroups.lambdaSecurityGroup,
      proxySecurityGroup: this.securityGroups.proxySecurityGroup,
      databaseSecurityGroup: this.securityGroups.databaseSecurityGroup,
      dbSubnetGroup: this.database?.subnetGroup,
      database: this.database?.instance,
      proxy: this.proxy?.proxy,
      proxyRole: this.proxyRole?.role,
      functionRole: this.functionRole.role,
      logGroup: this.logGroup.logGroup,
      function: this.function.function,
    };
    const resource = resources[key];
    if (!resource) throw new InfrastructureError(`imports.${key}: this stack does not create that resource`);
    return resource;
  }
}
