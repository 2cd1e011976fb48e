// The per-environment configuration: what a platform team writes
// (`EnvironmentInput`, most fields optional) and what the stack receives after
// defaults and validation (`EnvironmentConfig`, everything decided).
import type { ShutdownMode } from '../../protocol/artifacts';
import type { ComputeMode, LambdaRuntime } from '../../protocol/lambda-runtime';
import type { CacheConfig, CacheInput } from './cache-types';

export const Architecture = { arm64: 'arm64', x86_64: 'x86_64' } as const;
export type Architecture = (typeof Architecture)[keyof typeof Architecture];

/** Network: create a VPC with private subnets, or adopt an existing one (terraform-aws-modules naming). */
export interface NetworkInput {
  /** true: create the VPC and one private subnet per AZ; false: use existingVpcId/existingSubnetIds. */
  createVpc?: boolean;
  vpcCidr?: string;
  /** Listed, not looked up: synth needs no credentials and no network. */
  availabilityZones?: string[];
  /** One per availability zone, inside vpcCidr. */
  privateSubnetCidrs?: string[];
  existingVpcId?: string;
  existingSubnetIds?: string[];
  /** VPC flow logs of the created VPC into a CloudWatch log group (default true; an existing VPC's flow logs are its owner's). */
  flowLogs?: boolean;
}

/** The RDS MySQL instance (createDatabase: true). */
export interface DatabaseInput {
  /** false: adopt an existing RDS Proxy (see existingProxy) and create neither database nor proxy. */
  createDatabase?: boolean;
  instanceClass?: string;
  engineVersion?: string;
  allocatedStorageGb?: number;
  maxAllocatedStorageGb?: number;
  multiAz?: boolean;
  backupRetentionDays?: number;
  deletionProtection?: boolean;
  performanceInsights?: boolean;
  /** Schema the handler uses. */
  dbName?: string;
  /**
   * The master user, whose password RDS manages in Secrets Manager. Only
   * `npm run db:bootstrap` uses it (through an admin URL); the function never does.
   */
  masterUsername?: string;
  /**
   * The user the function connects as (DB_USER, rds-db:connect), created by
   * `npm run db:bootstrap` with only the data API's privileges. Never the master user.
   */
  functionUser?: string;
  /** Customer-managed KMS key for the function user's Secrets Manager secret (default: the AWS-managed key). */
  functionUserSecretKmsKeyArn?: string;
  /** Overrides the max_connections table when a parameter group sets its own value. */
  maxConnections?: number;
  /** Customer-managed KMS key for storage, Performance Insights and the RDS-managed master secret (default: AWS-managed keys). */
  kmsKeyArn?: string;
  /** Enhanced Monitoring interval: 0 (off), 1, 5, 10, 15, 30 or 60 seconds. */
  monitoringIntervalSeconds?: number;
  /** Keep a final snapshot when the instance is destroyed (named with its creation time, so a second destroy never collides). */
  finalSnapshot?: boolean;
}

/** The RDS Proxy created in front of the instance. */
export interface ProxyInput {
  maxConnectionsPercent?: number;
  maxIdleConnectionsPercent?: number;
  connectionBorrowTimeoutSeconds?: number;
  idleClientTimeoutSeconds?: number;
  debugLogging?: boolean;
}

/** An RDS Proxy that already exists (database.createDatabase: false). */
export interface ExistingProxyInput {
  endpoint?: string;
  /** `arn:aws:rds:<region>:<account>:db-proxy:prx-...`; its last part is the resource id used by rds-db:connect. */
  arn?: string;
  securityGroupId?: string;
  dbUser?: string;
  dbName?: string;
  /** How many database connections this function may hold through the proxy. */
  connectionBudget?: number;
}

export interface FunctionInput {
  architecture?: Architecture;
  memoryMb?: number;
  timeoutSeconds?: number;
  reservedConcurrency?: number;
  /** mysql2 pool size per execution environment (one invocation at a time: a couple at most). */
  poolSize?: number;
  /** SHUTDOWN_BUDGET_MS: the drain's share of the runtime's 300 ms. */
  shutdownBudgetMs?: number;
  tracing?: boolean;
  shutdownMode?: ShutdownMode;
  /** nodejs24.x (default) or nodejs22.x: the function's and the layer's runtime. */
  runtime?: LambdaRuntime;
  /** on-demand (default) or managed-instances (then `managedInstances` configures the capacity provider). */
  compute?: ComputeMode;
}

/** Lambda Managed Instances: the capacity provider and the function's place on it (function.compute: managed-instances). */
export interface ManagedInstancesInput {
  /** Where the instances run; default: the function's private subnets. */
  subnetIds?: string[];
  /** Default: the stack's Lambda security group (egress only to the proxy on 3306). */
  securityGroupIds?: string[];
  /** EC2 instance types (wildcards allowed, e.g. `m7g.*`); leave out to let Lambda choose. Not with excludedInstanceTypes. */
  allowedInstanceTypes?: string[];
  excludedInstanceTypes?: string[];
  /** The fleet's ceiling in EC2 vCPUs: with the vCPUs of one execution environment it bounds how many exist. */
  maxVcpuCount?: number;
  /** GiB of memory per vCPU of an execution environment (2, 4 or 8); with function.memoryMb it fixes the environment's vCPUs. */
  memoryGibPerVcpu?: number;
  /** Concurrent invocations one execution environment accepts (default workerCount x function.poolSize: a connection for each). */
  maxConcurrency?: number;
  /** Node worker threads per execution environment (AWS_LAMBDA_NODEJS_WORKER_COUNT); default 8 x its vCPUs, the runtime's own default. */
  workerCount?: number;
  /** Customer-managed KMS key for the instances' EBS volumes. */
  kmsKeyArn?: string;
}

export interface LogsInput {
  retentionDays?: number;
  kmsKeyArn?: string;
}

export type BackendInput =
  | { type: 'local'; path?: string }
  | { type: 's3'; bucket: string; key?: string; region?: string; useLockfile?: boolean; kmsKeyId?: string }
  /**
   * S3 from pipeline variables read at synth (TF_STATE_BUCKET, TF_STATE_REGION,
   * TF_STATE_KEY_PREFIX); a local file when TF_STATE_BUCKET is unset, unless
   * TF_STATE_REQUIRED=true, which refuses (see config/pipeline-backend.ts).
   */
  | { type: 'pipeline' };

/** Organisation guardrails applied to every IAM role the stack creates. */
export interface IamInput {
  /** Role path, `/` or `/<segment>/.../`. */
  path?: string;
  /** A managed policy ARN set as every role's permissions boundary. */
  permissionsBoundaryArn?: string;
}

/** How the AWS provider authenticates, for pipelines that deploy into another account. */
export interface ProviderInput {
  assumeRole?: { roleArn: string; sessionName?: string; externalId?: string };
  /** Terraform refuses to run against any other account (plan included). */
  allowedAccountIds?: string[];
}

/** Existing resources to adopt into state with Terraform `import` blocks: key -> the resource's import id. */
export const ImportableResource = {
  vpc: 'vpc',
  lambdaSecurityGroup: 'lambdaSecurityGroup',
  proxySecurityGroup: 'proxySecurityGroup',
  databaseSecurityGroup: 'databaseSecurityGroup',
  dbSubnetGroup: 'dbSubnetGroup',
  database: 'database',
  proxy: 'proxy',
  proxyRole: 'proxyRole',
  functionRole: 'functionRole',
  logGroup: 'logGroup',
  function: 'function',
} as const;
export type ImportableResource = (typeof ImportableResource)[keyof typeof ImportableResource];

export interface EnvironmentInput {
  region: string;
  /** Prefix of every resource name; defaults to `graceful-shutdown-<environment>`. */
  namePrefix?: string;
  tags?: Record<string, string>;
  network?: NetworkInput;
  database?: DatabaseInput;
  proxy?: ProxyInput;
  existingProxy?: ExistingProxyInput;
  function?: FunctionInput;
  managedInstances?: ManagedInstancesInput;
  /** Absent: no cache, and the function's environment names none. */
  cache?: CacheInput;
  logs?: LogsInput;
  backend?: BackendInput;
  iam?: IamInput;
  provider?: ProviderInput;
  imports?: Partial<Record<ImportableResource, string>>;
}

export type EnvironmentsInput = Record<string, EnvironmentInput>;

// ---- resolved ----

export type NetworkConfig =
  | { createVpc: true; vpcCidr: string; availabilityZones: string[]; privateSubnetCidrs: string[]; flowLogs: boolean }
  | { createVpc: false; existingVpcId: string; existingSubnetIds: string[] };

export interface CreatedDatabaseConfig {
  createDatabase: true;
  instanceClass: string;
  engineVersion: string;
  allocatedStorageGb: number;
  maxAllocatedStorageGb: number;
  multiAz: boolean;
  backupRetentionDays: number;
  deletionProtection: boolean;
  performanceInsights: boolean;
  dbName: string;
  /** The function's own user (database.functionUser): DB_USER, rds-db:connect, the proxy's second secret. */
  dbUser: string;
  /** The RDS master user: the instance's `username`, nowhere in the function's configuration or role. */
  masterUsername: string;
  functionUserSecretKmsKeyArn?: string;
  /** max_connections used for the budget, and where it came from. */
  maxConnections: number;
  maxConnectionsSource: 'table' | 'config';
  proxy: Required<ProxyInput>;
  kmsKeyArn?: string;
  monitoringIntervalSeconds: number;
  finalSnapshot: boolean;
}

export interface ExistingProxyConfig {
  createDatabase: false;
  endpoint: string;
  arn: string;
  /** `prx-...`, parsed from the ARN at synth time. */
  resourceId: string;
  /** Parsed from the ARN: rds-db:connect names the proxy's account and region, not the caller's. */
  partition: string;
  accountId: string;
  proxyRegion: string;
  securityGroupId: string;
  dbUser: string;
  dbName: string;
  connectionBudget: number;
}

export type DatabaseConfig = CreatedDatabaseConfig | ExistingProxyConfig;

export type BackendConfig =
  | { type: 'local'; path: string }
  | { type: 's3'; bucket: string; key: string; region: string; useLockfile: boolean; kmsKeyId?: string };

export interface EnvironmentConfig {
  /** The environment's name: also the stack's name (`npx cdktf deploy <name>`). */
  name: string;
  region: string;
  namePrefix: string;
  tags: Record<string, string>;
  network: NetworkConfig;
  database: DatabaseConfig;
  function: Required<FunctionInput>;
  /** Present exactly when function.compute is managed-instances. */
  managedInstances?: ManagedInstancesConfig;
  /** Present exactly when the environment's config has `cache`. */
  cache?: CacheConfig;
  logs: { retentionDays: number; kmsKeyArn?: string };
  backend: BackendConfig;
  iam: { path: string; permissionsBoundaryArn?: string };
  provider: ProviderInput;
  imports: Partial<Record<ImportableResource, string>>;
  /** reservedConcurrency x poolSize (on Managed Instances: the fleet's connections) must fit this many proxy connections. */
  connectionBudget: number;
}

export interface ManagedInstancesConfig {
  /** Absent: the function's own private subnets and Lambda security group (the stack fills them in). */
  subnetIds?: string[];
  securityGroupIds?: string[];
  allowedInstanceTypes: string[];
  excludedInstanceTypes: string[];
  maxVcpuCount: number;
  memoryGibPerVcpu: number;
  maxConcurrency: number;
  workerCount: number;
  kmsKeyArn?: string;
  /** function.memoryMb / 1024 / memoryGibPerVcpu. */
  vcpusPerEnvironment: number;
  /** floor(maxVcpuCount / vcpusPerEnvironment): no more execution environments fit in the fleet. */
  maxExecutionEnvironments: number;
  /** Each worker's pool: function.poolSize, at most its share of maxConcurrency (the handler's poolSizePerWorker). */
  connectionsPerWorker: number;
  /** maxExecutionEnvironments x workerCount x connectionsPerWorker: every connection the fleet can open. */
  fleetConnections: number;
}
