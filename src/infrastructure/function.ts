// The Lambda function: the handler bundle from dist/handler, in the VPC, JSON
// logs into its own log group, reserved concurrency (which bounds the proxy
// connections it can hold), and the environment the handler's config reads.
// On Managed Instances it runs on a capacity provider instead: the provider's
// VPC and fleet ceiling replace the function's own VPC config and reserved
// concurrency, and the runtime starts through the layer's exec wrapper.
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { EXEC_WRAPPER_LAMBDA_PATH, HANDLER_DIR, HANDLER_FILE, HANDLER_STRING, ShutdownMode } from '../protocol/artifacts';
import type { LambdaRuntime } from '../protocol/lambda-runtime';
import { CacheAuth, CacheTls, DbAuth, DbTls, FunctionEnv, MYSQL_PORT } from '../protocol/function-env';
import { Construct, type TerraformResource } from './cdk';
import { InfrastructureError } from './errors';
import type { Architecture } from './config/types';
import { ZipAsset } from './zip-asset';

export interface GracefulShutdownFunctionProps {
  functionName: string;
  roleArn: string;
  architecture: Architecture;
  memoryMb: number;
  timeoutSeconds: number;
  runtime: LambdaRuntime;
  /** On demand only: Managed Instances functions are bounded by their capacity provider's fleet. */
  reservedConcurrency?: number;
  /** Set: the function runs on this capacity provider (and needs the layer, for its exec wrapper). */
  managedInstances?: FunctionOnManagedInstances;
  tracing: boolean;
  subnetIds: string[];
  securityGroupIds: string[];
  logGroupName: string;
  /** Attached when shutdownMode is `layer`; ignored (and must be absent) for `in-process`. */
  layerArn?: string;
  shutdownMode: ShutdownMode;
  shutdownBudgetMs: number;
  poolSize: number;
  db: { host: string; user: string; name: string };
  /** The ElastiCache Serverless cache (IAM authentication, TLS), when the environment has one. */
  cache?: { host: string; port: number; user: string; name: string };
  /** Created before the function: its log group and its role's policy (ENI permissions are checked at create). */
  dependsOn: TerraformResource[];
  /** Defaults to dist/handler. */
  sourceDir?: string;
}

export interface FunctionOnManagedInstances {
  capacityProviderArn: string;
  maxConcurrency: number;
  memoryGibPerVcpu: number;
  /** AWS_LAMBDA_NODEJS_WORKER_COUNT: set, so the fleet arithmetic does not depend on how the runtime counts vCPUs. */
  workerCount: number;
}

/** Publishing to $LATEST.PUBLISHED: an unqualified invoke of a Managed Instances function runs that version, not $LATEST. */
export const MANAGED_INSTANCES_PUBLISH_TO = 'LATEST_PUBLISHED';

export class GracefulShutdownFunction extends Construct {
  public readonly asset: ZipAsset;
  public readonly function: LambdaFunction;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: GracefulShutdownFunctionProps) {
    super(scope, id);
    if ((props.shutdownMode === ShutdownMode.layer) !== (props.layerArn !== undefined)) {
      throw new InfrastructureError(`shutdownMode ${props.shutdownMode} ${props.layerArn === undefined ? 'needs' : 'takes no'} layer`);
    }
    const mi = props.managedInstances;
    if (mi !== undefined && props.layerArn === undefined) {
      throw new InfrastructureError('a Managed Instances function needs the layer: its exec wrapper loads the shutdown coordinator');
    }
    if ((mi === undefined) === (props.reservedConcurrency === undefined)) {
      throw new InfrastructureError(`reservedConcurrency is ${mi === undefined ? 'required on demand' : 'not used on Managed Instances'}`);
    }
    this.asset = new ZipAsset(this, 'asset', {
      sourceDir: props.sourceDir ?? HANDLER_DIR,
      fileName: 'handler',
      requiredFiles: [HANDLER_FILE],
    });
    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      description: 'Data API over MySQL through RDS Proxy; drains its pool on SIGTERM',
      role: props.roleArn,
      runtime: props.runtime,
      architectures: [props.architecture],
      handler: HANDLER_STRING,
      filename: this.asset.relativePath,
      sourceCodeHash: this.asset.sourceCodeHash,
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      layers: props.layerArn !== undefined ? [props.layerArn] : [],
      ...(mi === undefined
        ? {
          reservedConcurrentExecutions: props.reservedConcurrency,
          vpcConfig: { subnetIds: props.subnetIds, securityGroupIds: props.securityGroupIds },
        }
        : {
          // The instances sit in the capacity provider's subnets; the function has no VPC config of its own there.
          capacityProviderConfig: {
            lambdaManagedInstancesCapacityProviderConfig: {
              capacityProviderArn: mi.capacityProviderArn,
              perExecutionEnvironmentMaxConcurrency: mi.maxConcurrency,
              executionEnvironmentMemoryGibPerVcpu: mi.memoryGibPerVcpu,
            },
          },
          publish: true,
          publishTo: MANAGED_INSTANCES_PUBLISH_TO,
        }),
      loggingConfig: { logFormat: 'JSON', logGroup: props.logGroupName, applicationLogLevel: 'INFO', systemLogLevel: 'WARN' },
      tracingConfig: { mode: props.tracing ? 'Active' : 'PassThrough' },
      environment: {
        variables: {
          [FunctionEnv.host]: props.db.host,
          [FunctionEnv.port]: String(MYSQL_PORT),
          [FunctionEnv.user]: props.db.user,
          [FunctionEnv.database]: props.db.name,
          [FunctionEnv.auth]: DbAuth.iam,
          [FunctionEnv.tls]: DbTls.required,
          [FunctionEnv.poolSize]: String(props.poolSize),
          [FunctionEnv.shutdownBudgetMs]: String(props.shutdownBudgetMs),
          [FunctionEnv.shutdownMode]: props.shutdownMode,
          ...(props.cache === undefined ? {} : {
            [FunctionEnv.cacheHost]: props.cache.host,
            [FunctionEnv.cachePort]: String(props.cache.port),
            [FunctionEnv.cacheAuth]: CacheAuth.iam,
            [FunctionEnv.cacheTls]: CacheTls.required,
            [FunctionEnv.cacheUser]: props.cache.user,
            // The token is signed for the cache's name, and for a serverless cache rather than a replication group.
            [FunctionEnv.cacheName]: props.cache.name,
            [FunctionEnv.cacheServerless]: String(true),
          }),
          ...(mi === undefined ? {} : {
            // The handler runs in worker threads, which hear no signal: the wrapper makes the main thread load the coordinator.
            [FunctionEnv.execWrapper]: EXEC_WRAPPER_LAMBDA_PATH,
            [FunctionEnv.workerCount]: String(mi.workerCount),
          }),
        },
      },
      dependsOn: props.dependsOn,
    });
    this.name = this.function.functionName;
    this.arn = this.function.arn;
  }
}
