// The per-environment configuration: what a platform team writes
// (`EnvironmentInput`, most fields optional) and what the stack receives after
// defaults and validation (`EnvironmentConfig`, everything decided).
import type { ShutdownMode } from '../../protocol/artifacts';

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
   * The master user, whose RDS-managed secret the proxy holds. RDS Proxy maps
   * an IAM-authenticated client to the secret with the same user name, so this
   * is also the user the function connects as (DB_USER, rds-db:connect).
   */
  masterUsername?: string;
  /** Overrides the max_connections table when a parameter group sets its own value. */
  maxConnections?: number;
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
  /** mysql2 pool size per execution environment (DESIGN section 5: a couple at most). */
  poolSize?: number;
  /** SHUTDOWN_BUDGET_MS: the drain's share of the runtime's 300 ms. */
  shutdownBudgetMs?: number;
  tracing?: boolean;
  shutdownMode?: ShutdownMode;
}

export interface LogsInput {
  retentionDays?: number;
  kmsKeyArn?: string;
}

export type BackendInput =
  | { type: 'local'; path?: string }
  | { type: 's3'; bucket: string; key?: string; region?: string; useLockfile?: boolean; kmsKeyId?: string };

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
  logs?: LogsInput;
  backend?: BackendInput;
  imports?: Partial<Record<ImportableResource, string>>;
}

export type EnvironmentsInput = Record<string, EnvironmentInput>;

// ---- resolved ----

export type NetworkConfig =
  | { createVpc: true; vpcCidr: string; availabilityZones: string[]; privateSubnetCidrs: string[] }
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
  dbUser: string;
  /** max_connections used for the budget, and where it came from. */
  maxConnections: number;
  maxConnectionsSource: 'table' | 'config';
  proxy: Required<ProxyInput>;
}

export interface ExistingProxyConfig {
  createDatabase: false;
  endpoint: string;
  arn: string;
  /** `prx-...`, parsed from the ARN at synth time. */
  resourceId: string;
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
  logs: { retentionDays: number; kmsKeyArn?: string };
  backend: BackendConfig;
  imports: Partial<Record<ImportableResource, string>>;
  /** reservedConcurrency x poolSize must fit this many proxy connections. */
  connectionBudget: number;
}
