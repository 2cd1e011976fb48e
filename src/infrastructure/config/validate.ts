// Synth-time validation: every environment is resolved (defaults filled in) and
// checked before any construct exists, so a bad value fails the synth with the
// field's full path and nothing is written. All issues of all environments are
// reported at once.
import { MAX_SHUTDOWN_BUDGET_MS, ShutdownMode } from '../../protocol/shutdown-mode';
import { ConfigError, type ConfigIssue } from '../errors';
import { estimatedMaxConnections, proxyConnectionBudget } from './max-connections';
import {
  Architecture, ImportableResource,
  type BackendConfig, type BackendInput, type DatabaseConfig, type EnvironmentConfig, type EnvironmentInput, type EnvironmentsInput,
  type NetworkConfig,
} from './types';

/** Retention values CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export { MAX_SHUTDOWN_BUDGET_MS };

export const DEFAULTS = {
  network: { createVpc: true, vpcCidr: '10.40.0.0/16' },
  database: {
    createDatabase: true, instanceClass: 'db.t4g.micro', engineVersion: '8.4', allocatedStorageGb: 20, maxAllocatedStorageGb: 100,
    multiAz: false, backupRetentionDays: 7, deletionProtection: false, performanceInsights: false, dbName: 'app', masterUsername: 'dbadmin',
  },
  proxy: { maxConnectionsPercent: 50, maxIdleConnectionsPercent: 10, connectionBorrowTimeoutSeconds: 30, idleClientTimeoutSeconds: 1800, debugLogging: false },
  function: {
    architecture: Architecture.arm64, memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 5, poolSize: 2, shutdownBudgetMs: 200,
    tracing: false, shutdownMode: ShutdownMode.layer,
  },
  logs: { retentionDays: 30 },
  backend: { type: 'local' } as BackendInput,
} as const;

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SG_ID = /^sg-[0-9a-f]{8,17}$/;
const PROXY_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:db-proxy:(prx-[0-9a-z]+)$/;
const DB_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const ENGINE_VERSION = /^8\.\d+(\.\d+)?$/;
const INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

/** Collects issues under one environment's path prefix. */
class Checker {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly prefix: string) {}

  fail(field: string, message: string): void {
    this.issues.push({ path: `${this.prefix}.${field}`, message });
  }

  int(field: string, value: number, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) this.fail(field, `must be an integer ${min}..${max}, got ${show(value)}`);
    return value;
  }

  match(field: string, value: string, pattern: RegExp, what: string): string {
    if (typeof value !== 'string' || !pattern.test(value)) this.fail(field, `must be ${what}, got ${show(value)}`);
    return value;
  }

  oneOf<T>(field: string, value: T, allowed: readonly T[]): T {
    if (!allowed.includes(value)) this.fail(field, `must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
    return value;
  }

  bool(field: string, value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${show(value)}`);
    return value as boolean;
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function cidrOk(value: string): boolean {
  const m = CIDR.exec(value);
  return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 28;
}

function resolveNetwork(c: Checker, input: EnvironmentInput): NetworkConfig {
  const n = input.network ?? {};
  const createVpc = c.bool('network.createVpc', n.createVpc ?? DEFAULTS.network.createVpc);
  if (!createVpc) {
    if (n.existingVpcId === undefined) c.fail('network.existingVpcId', 'is required when createVpc is false');
    else c.match('network.existingVpcId', n.existingVpcId, VPC_ID, 'a VPC id (vpc-...)');
    const subnets = n.existingSubnetIds ?? [];
    if (subnets.length < 2) c.fail('network.existingSubnetIds', `must list at least 2 private subnets (in different AZs), got ${subnets.length}`);
    subnets.forEach((s, i) => c.match(`network.existingSubnetIds[${i}]`, s, SUBNET_ID, 'a subnet id (subnet-...)'));
    for (const field of ['vpcCidr', 'privateSubnetCidrs', 'availabilityZones'] as const) {
      if (n[field] !== undefined) c.fail(`network.${field}`, 'is only used when createVpc is true');
    }
    return { createVpc: false, existingVpcId: n.existingVpcId ?? '', existingSubnetIds: subnets };
  }
  const vpcCidr = n.vpcCidr ?? DEFAULTS.network.vpcCidr;
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
  return { createVpc: true, vpcCidr, availabilityZones: azs, privateSubnetCidrs: subnets };
}

/** 10.40.0.0/16 -> 10.40.0.0/20, 10.40.16.0/20, ... (only for a /16 default; otherwise the CIDRs must be given). */
function defaultSubnetCidr(vpcCidr: string, index: number): string {
  const m = CIDR.exec(vpcCidr);
  if (!m || m[5] !== '16') return '';
  return `${m[1]}.${m[2]}.${index * 16}.0/20`;
}

function resolveDatabase(c: Checker, input: EnvironmentInput): DatabaseConfig {
  const d = input.database ?? {};
  const createDatabase = c.bool('database.createDatabase', d.createDatabase ?? DEFAULTS.database.createDatabase);
  if (!createDatabase) {
    if (input.proxy !== undefined) c.fail('proxy', 'is only used when database.createDatabase is true (an existing proxy keeps its own settings)');
    const e = input.existingProxy ?? {};
    if (input.existingProxy === undefined) c.fail('existingProxy', 'is required when database.createDatabase is false');
    const endpoint = c.match('existingProxy.endpoint', e.endpoint ?? '', /^[a-z0-9.-]+\.rds\.amazonaws\.com(\.cn)?$/, 'the proxy endpoint host name (<name>.proxy-....rds.amazonaws.com)');
    const arn = e.arn ?? '';
    const arnMatch = PROXY_ARN.exec(arn);
    if (!arnMatch) c.fail('existingProxy.arn', `must be an RDS Proxy ARN (arn:aws:rds:<region>:<account>:db-proxy:prx-...), got ${show(arn)}`);
    else if (arn.split(':')[3] !== input.region) c.fail('existingProxy.arn', `must be in the environment's region ${input.region}, got ${show(arn)}`);
    const securityGroupId = c.match('existingProxy.securityGroupId', e.securityGroupId ?? '', SG_ID, 'a security group id (sg-...)');
    const dbUser = c.match('existingProxy.dbUser', e.dbUser ?? '', DB_IDENTIFIER, 'a MySQL user name (letters, digits, _)');
    const dbName = c.match('existingProxy.dbName', e.dbName ?? '', DB_IDENTIFIER, 'a MySQL schema name (letters, digits, _)');
    const connectionBudget = e.connectionBudget === undefined
      ? (c.fail('existingProxy.connectionBudget', 'is required: how many database connections this function may hold through the existing proxy'), 0)
      : c.int('existingProxy.connectionBudget', e.connectionBudget, 1, 100_000);
    for (const field of Object.keys(d).filter((k) => k !== 'createDatabase')) {
      c.fail(`database.${field}`, 'is only used when createDatabase is true');
    }
    return { createDatabase: false, endpoint, arn, resourceId: arnMatch?.[1] ?? '', securityGroupId, dbUser, dbName, connectionBudget };
  }
  if (input.existingProxy !== undefined) c.fail('existingProxy', 'is only used when database.createDatabase is false');
  const D = DEFAULTS.database;
  const instanceClass = c.match('database.instanceClass', d.instanceClass ?? D.instanceClass, INSTANCE_CLASS, 'an RDS instance class (db.<family>.<size>)');
  const engineVersion = c.match('database.engineVersion', d.engineVersion ?? D.engineVersion, ENGINE_VERSION, 'a MySQL 8 version (8.0, 8.4, 8.4.x)');
  const allocatedStorageGb = c.int('database.allocatedStorageGb', d.allocatedStorageGb ?? D.allocatedStorageGb, 20, 65_536);
  const maxAllocatedStorageGb = c.int('database.maxAllocatedStorageGb', d.maxAllocatedStorageGb ?? D.maxAllocatedStorageGb, 0, 65_536);
  if (maxAllocatedStorageGb !== 0 && maxAllocatedStorageGb < allocatedStorageGb) {
    c.fail('database.maxAllocatedStorageGb', `must be 0 (no autoscaling) or >= allocatedStorageGb (${allocatedStorageGb}), got ${maxAllocatedStorageGb}`);
  }
  const backupRetentionDays = c.int('database.backupRetentionDays', d.backupRetentionDays ?? D.backupRetentionDays, 1, 35);
  const dbName = c.match('database.dbName', d.dbName ?? D.dbName, DB_IDENTIFIER, 'a MySQL schema name (letters, digits, _)');
  const dbUser = c.match('database.masterUsername', d.masterUsername ?? D.masterUsername, DB_IDENTIFIER, 'a MySQL user name (letters, digits, _)');
  if (['admin', 'rdsadmin', 'root'].includes(dbUser)) c.fail('database.masterUsername', `is reserved by MySQL on RDS, got ${show(dbUser)}`);
  let maxConnections: number;
  let maxConnectionsSource: 'table' | 'config';
  if (d.maxConnections !== undefined) {
    maxConnections = c.int('database.maxConnections', d.maxConnections, 1, 100_000);
    maxConnectionsSource = 'config';
  } else {
    const estimate = estimatedMaxConnections(instanceClass);
    if (estimate === undefined) c.fail('database.maxConnections', `is required for instance class ${show(instanceClass)}: it is not in the max_connections table (src/infrastructure/config/max-connections.ts)`);
    maxConnections = estimate ?? 0;
    maxConnectionsSource = 'table';
  }
  const p = input.proxy ?? {};
  const P = DEFAULTS.proxy;
  const proxy = {
    maxConnectionsPercent: c.int('proxy.maxConnectionsPercent', p.maxConnectionsPercent ?? P.maxConnectionsPercent, 1, 100),
    maxIdleConnectionsPercent: c.int('proxy.maxIdleConnectionsPercent', p.maxIdleConnectionsPercent ?? P.maxIdleConnectionsPercent, 0, 100),
    connectionBorrowTimeoutSeconds: c.int('proxy.connectionBorrowTimeoutSeconds', p.connectionBorrowTimeoutSeconds ?? P.connectionBorrowTimeoutSeconds, 1, 3600),
    idleClientTimeoutSeconds: c.int('proxy.idleClientTimeoutSeconds', p.idleClientTimeoutSeconds ?? P.idleClientTimeoutSeconds, 1, 28_800),
    debugLogging: c.bool('proxy.debugLogging', p.debugLogging ?? P.debugLogging),
  };
  if (proxy.maxIdleConnectionsPercent > proxy.maxConnectionsPercent) {
    c.fail('proxy.maxIdleConnectionsPercent', `must not exceed maxConnectionsPercent (${proxy.maxConnectionsPercent}), got ${proxy.maxIdleConnectionsPercent}`);
  }
  return {
    createDatabase: true, instanceClass, engineVersion, allocatedStorageGb, maxAllocatedStorageGb,
    multiAz: c.bool('database.multiAz', d.multiAz ?? D.multiAz),
    backupRetentionDays,
    deletionProtection: c.bool('database.deletionProtection', d.deletionProtection ?? D.deletionProtection),
    performanceInsights: c.bool('database.performanceInsights', d.performanceInsights ?? D.performanceInsights),
    dbName, dbUser, maxConnections, maxConnectionsSource, proxy,
  };
}

function resolveBackend(c: Checker, input: EnvironmentInput, name: string): BackendConfig {
  const b: BackendInput = input.backend ?? DEFAULTS.backend;
  if (b.type === 'local') {
    const statePath = b.path ?? `terraform.${name}.tfstate`;
    // Relative to the project root and inside it: an absolute path would put
    // this machine's layout into the synthesized JSON.
    if (statePath.length === 0 || statePath.startsWith('/') || statePath.split(/[\\/]/).includes('..')) {
      c.fail('backend.path', `must be a relative path inside the project, got ${show(statePath)}`);
    }
    return { type: 'local', path: statePath };
  }
  if (b.type !== 's3') {
    c.fail('backend.type', `must be "local" or "s3", got ${show((b as { type: unknown }).type)}`);
    return { type: 'local', path: '' };
  }
  c.match('backend.bucket', b.bucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
  const key = b.key ?? `graceful-shutdown/${name}.tfstate`;
  if (key.startsWith('/') || key.length === 0) c.fail('backend.key', `must be a relative object key, got ${show(key)}`);
  const region = c.match('backend.region', b.region ?? input.region, REGION, 'an AWS region (e.g. eu-west-1)');
  const useLockfile = c.bool('backend.useLockfile', b.useLockfile ?? true);
  return { type: 's3', bucket: b.bucket, key, region, useLockfile, ...(b.kmsKeyId !== undefined ? { kmsKeyId: b.kmsKeyId } : {}) };
}

export function resolveEnvironment(name: string, input: EnvironmentInput): { config: EnvironmentConfig; issues: ConfigIssue[] } {
  const c = new Checker(`environments.${name}`);
  if (!NAME.test(name)) c.fail('name', `must be lowercase letters, digits and -, starting with a letter (it names the stack), got ${show(name)}`);
  const region = c.match('region', input.region, REGION, 'an AWS region (e.g. eu-west-1)');
  const namePrefix = c.match('namePrefix', input.namePrefix ?? `graceful-shutdown-${name}`, /^[a-z][a-z0-9-]{0,40}$/, 'lowercase letters, digits and -, at most 41 characters');
  const network = resolveNetwork(c, input);
  const database = resolveDatabase(c, input);
  if (!database.createDatabase && network.createVpc) {
    // Security groups only reference each other within one VPC: the function must run in the proxy's.
    c.fail('network.createVpc', 'must be false when adopting an existing proxy (set existingVpcId/existingSubnetIds to the proxy\'s VPC)');
  }

  const f = input.function ?? {};
  const F = DEFAULTS.function;
  const fn = {
    architecture: c.oneOf('function.architecture', f.architecture ?? F.architecture, Object.values(Architecture)),
    memoryMb: c.int('function.memoryMb', f.memoryMb ?? F.memoryMb, 128, 10_240),
    timeoutSeconds: c.int('function.timeoutSeconds', f.timeoutSeconds ?? F.timeoutSeconds, 1, 900),
    reservedConcurrency: c.int('function.reservedConcurrency', f.reservedConcurrency ?? F.reservedConcurrency, 1, 10_000),
    poolSize: c.int('function.poolSize', f.poolSize ?? F.poolSize, 1, 10),
    shutdownBudgetMs: f.shutdownBudgetMs ?? F.shutdownBudgetMs,
    tracing: c.bool('function.tracing', f.tracing ?? F.tracing),
    shutdownMode: c.oneOf('function.shutdownMode', f.shutdownMode ?? F.shutdownMode, Object.values(ShutdownMode)),
  };
  c.int('function.shutdownBudgetMs', fn.shutdownBudgetMs, 10, MAX_SHUTDOWN_BUDGET_MS[fn.shutdownMode] ?? MAX_SHUTDOWN_BUDGET_MS.layer);

  const retentionDays = c.oneOf('logs.retentionDays', input.logs?.retentionDays ?? DEFAULTS.logs.retentionDays, LOG_RETENTION_DAYS as readonly number[]);
  const kmsKeyArn = input.logs?.kmsKeyArn;
  if (kmsKeyArn !== undefined) c.match('logs.kmsKeyArn', kmsKeyArn, /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/, 'a KMS key ARN');

  const imports = input.imports ?? {};
  for (const [key, id] of Object.entries(imports)) {
    if (!(Object.values(ImportableResource) as string[]).includes(key)) {
      c.fail(`imports.${key}`, `is not importable; importable: ${Object.values(ImportableResource).join(', ')}`);
    } else if (typeof id !== 'string' || id.length === 0) {
      c.fail(`imports.${key}`, `must be the existing resource's import id, got ${show(id)}`);
    }
  }
  if (!database.createDatabase) {
    for (const key of ['database', 'proxy', 'proxyRole', 'proxySecurityGroup', 'databaseSecurityGroup', 'dbSubnetGroup'] as const) {
      if (imports[key] !== undefined) c.fail(`imports.${key}`, 'names a resource this stack does not create with an existing proxy');
    }
  }
  if (!network.createVpc && imports.vpc !== undefined) c.fail('imports.vpc', 'names a resource this stack does not create with createVpc false');

  const connectionBudget = database.createDatabase
    ? proxyConnectionBudget(database.maxConnections, database.proxy.maxConnectionsPercent)
    : database.connectionBudget;
  const demand = fn.reservedConcurrency * fn.poolSize;
  if (c.issues.length === 0 && demand > connectionBudget) {
    const how = database.createDatabase
      ? `max_connections ${database.maxConnections} (${database.maxConnectionsSource === 'table' ? `${database.instanceClass}, table` : 'database.maxConnections'}) x maxConnectionsPercent ${database.proxy.maxConnectionsPercent} / 100`
      : 'existingProxy.connectionBudget';
    c.fail('function.reservedConcurrency', `reservedConcurrency ${fn.reservedConcurrency} x poolSize ${fn.poolSize} = ${demand} exceeds the proxy's connection budget ${connectionBudget} (${how})`);
  }

  const tags = { Project: 'lambda-graceful-shutdown', Environment: name, ManagedBy: 'cdktf', ...(input.tags ?? {}) };
  return {
    config: {
      name, region, namePrefix, tags, network, database, function: fn,
      logs: { retentionDays, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) },
      backend: resolveBackend(c, input, name),
      imports,
      connectionBudget,
    },
    issues: c.issues,
  };
}

/** Resolves and validates every environment; throws one ConfigError naming every bad field. */
export function resolveEnvironments(inputs: EnvironmentsInput): EnvironmentConfig[] {
  const names = Object.keys(inputs).sort();
  if (names.length === 0) throw new ConfigError([{ path: 'environments', message: 'must define at least one environment' }]);
  const results = names.map((name) => resolveEnvironment(name, inputs[name]));
  const issues = results.flatMap((r) => r.issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return results.map((r) => r.config);
}
