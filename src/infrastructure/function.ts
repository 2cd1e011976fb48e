// The Lambda function: the handler bundle from dist/handler, in the VPC, JSON
// logs into its own log group, reserved concurrency (which bounds the proxy
// connections it can hold), and the environment the handler's config reads.
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { HANDLER_DIR, HANDLER_FILE, HANDLER_STRING, ShutdownMode } from '../protocol/artifacts';
import { DbAuth, DbTls, FunctionEnv, MYSQL_PORT } from '../protocol/function-env';
import { Construct, type TerraformResource } from './cdk';
import { InfrastructureError } from './errors';
import type { Architecture } from './config/types';
import { LAMBDA_RUNTIME } from './extension-layer';
import { ZipAsset } from './zip-asset';

export interface GracefulShutdownFunctionProps {
  functionName: string;
  roleArn: string;
  architecture: Architecture;
  memoryMb: number;
  timeoutSeconds: number;
  reservedConcurrency: number;
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
  /** Created before the function: its log group and its role's policy (ENI permissions are checked at create). */
  dependsOn: TerraformResource[];
  /** Defaults to dist/handler. */
  sourceDir?: string;
}

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
    this.asset = new ZipAsset(this, 'asset', {
      sourceDir: props.sourceDir ?? HANDLER_DIR,
      fileName: 'handler',
      requiredFiles: [HANDLER_FILE],
    });
    this.function = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      description: 'Data API over MySQL through RDS Proxy; drains its pool on SIGTERM',
      role: props.roleArn,
      runtime: LAMBDA_RUNTIME,
      architectures: [props.architecture],
      handler: HANDLER_STRING,
      filename: this.asset.relativePath,
      sourceCodeHash: this.asset.sourceCodeHash,
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      layers: props.layerArn !== undefined ? [props.layerArn] : [],
      vpcConfig: { subnetIds: props.subnetIds, securityGroupIds: props.securityGroupIds },
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
        },
      },
      dependsOn: props.dependsOn,
    });
    this.name = this.function.functionName;
    this.arn = this.function.arn;
  }
}
