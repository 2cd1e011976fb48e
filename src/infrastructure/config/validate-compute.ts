// Validation of where and on what the function runs: its Lambda runtime, its
// compute mode and, on Managed Instances, the capacity provider. Also the
// connection arithmetic the synth checks against the proxy's budget, because
// what bounds the function's connections depends on the compute mode: reserved
// concurrency on demand, the capacity provider's fleet on Managed Instances.
import { WORKER_COUNT, poolSizePerWorker } from '../../protocol/function-env';
import { ComputeMode, DEFAULT_LAMBDA_RUNTIME, LAMBDA_RUNTIMES, type LambdaRuntime } from '../../protocol/lambda-runtime';
import { ShutdownMode } from '../../protocol/shutdown-mode';
import { SG_ID, SUBNET_ID, show, type Fail } from './checks';
import { checkKmsKeyArn } from './validate-adoption';
import type { EnvironmentInput, ManagedInstancesConfig, ManagedInstancesInput } from './types';

export const MANAGED_INSTANCES_DEFAULTS = {
  /** Two GiB at two GiB per vCPU: one vCPU, the smallest execution environment Managed Instances runs. */
  memoryMb: 2048,
  memoryGibPerVcpu: 2,
  /** Two one-vCPU environments x 8 workers x the default pool of 2 = 32: the default database's proxy budget. */
  maxVcpuCount: 2,
  /** aws-lambda-ric starts 8 worker threads per vCPU when AWS_LAMBDA_NODEJS_WORKER_COUNT is unset. */
  workersPerVcpu: 8,
} as const;

/** The memory-to-vCPU ratios Lambda offers for a Managed Instances execution environment. */
export const MEMORY_GIB_PER_VCPU = [2, 4, 8] as const;
/** PerExecutionEnvironmentMaxConcurrency's range in the Lambda API. */
export const MAX_CONCURRENCY_RANGE = { min: 1, max: 1600 } as const;

/** `m7g.large`, or a family wildcard such as `m7g.*`. */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.(\*|[a-z0-9]+)$/;

export function resolveRuntime(value: unknown, fail: Fail): LambdaRuntime {
  const runtime = value ?? DEFAULT_LAMBDA_RUNTIME;
  if (!(LAMBDA_RUNTIMES as readonly unknown[]).includes(runtime)) {
    fail('function.runtime', `must be one of ${LAMBDA_RUNTIMES.map(show).join(', ')}, got ${show(runtime)}`);
  }
  return runtime as LambdaRuntime;
}

export function resolveComputeMode(input: EnvironmentInput, fail: Fail): ComputeMode {
  const compute = input.function?.compute ?? ComputeMode.onDemand;
  const modes = Object.values(ComputeMode) as readonly unknown[];
  if (!modes.includes(compute)) fail('function.compute', `must be one of ${modes.map(show).join(', ')}, got ${show(compute)}`);
  if (compute === ComputeMode.managedInstances) {
    // Lambda has no reserved concurrency to bound a capacity provider's
    // connections: the fleet's size does, so a value here would mislead.
    if (input.function?.reservedConcurrency !== undefined) {
      fail('function.reservedConcurrency', 'is not used with compute managed-instances: the fleet (managedInstances.maxVcpuCount) bounds the connections; leave it out');
    }
  } else if (input.managedInstances !== undefined) {
    fail('managedInstances', `is only used when function.compute is ${show(ComputeMode.managedInstances)}`);
  }
  return compute;
}

/** function.memoryMb's default per compute mode (Managed Instances has a larger minimum). */
export function defaultMemoryMb(compute: ComputeMode, onDemandDefault: number): number {
  return compute === ComputeMode.managedInstances ? MANAGED_INSTANCES_DEFAULTS.memoryMb : onDemandDefault;
}

function ids(field: string, values: unknown, pattern: RegExp, what: string, fail: Fail): string[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values) || values.length === 0) {
    fail(field, `must list at least one ${what} when set (leave it out for the default), got ${show(values)}`);
    return [];
  }
  const article = /^[aeiou]/i.test(what) ? 'an' : 'a';
  values.forEach((v, i) => { if (typeof v !== 'string' || !pattern.test(v)) fail(`${field}[${i}]`, `must be ${article} ${what}, got ${show(v)}`); });
  return [...values] as string[];
}

function int(field: string, value: unknown, min: number, max: number, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer ${min}..${max}, got ${show(value)}`);
    return 0;
  }
  return value;
}

/**
 * The capacity provider and the function's concurrency on it. `fn` is the
 * already-resolved function (memory and pool size enter the arithmetic).
 */
export function resolveManagedInstances(
  input: ManagedInstancesInput | undefined, fn: { memoryMb: number; poolSize: number }, fail: Fail,
): ManagedInstancesConfig {
  const m = input ?? {};
  const D = MANAGED_INSTANCES_DEFAULTS;
  const subnetIds = ids('managedInstances.subnetIds', m.subnetIds, SUBNET_ID, 'subnet id (subnet-...)', fail);
  if (subnetIds !== undefined && subnetIds.length > 0 && subnetIds.length < 2) {
    fail('managedInstances.subnetIds', `must list at least 2 subnets (in different AZs) so one zone's loss leaves capacity, got ${subnetIds.length}`);
  }
  const securityGroupIds = ids('managedInstances.securityGroupIds', m.securityGroupIds, SG_ID, 'security group id (sg-...)', fail);
  const allowed = ids('managedInstances.allowedInstanceTypes', m.allowedInstanceTypes, INSTANCE_TYPE, 'EC2 instance type (e.g. m7g.large or m7g.*)', fail) ?? [];
  const excluded = ids('managedInstances.excludedInstanceTypes', m.excludedInstanceTypes, INSTANCE_TYPE, 'EC2 instance type (e.g. m7g.large or m7g.*)', fail) ?? [];
  if (allowed.length > 0 && excluded.length > 0) {
    fail('managedInstances.excludedInstanceTypes', 'must be left out when allowedInstanceTypes is set (Lambda takes one list or the other)');
  }
  const maxVcpuCount = int('managedInstances.maxVcpuCount', m.maxVcpuCount ?? D.maxVcpuCount, 1, 100_000, fail);
  const memoryGibPerVcpu = m.memoryGibPerVcpu ?? D.memoryGibPerVcpu;
  const ratioOk = (MEMORY_GIB_PER_VCPU as readonly unknown[]).includes(memoryGibPerVcpu);
  if (!ratioOk) fail('managedInstances.memoryGibPerVcpu', `must be one of ${MEMORY_GIB_PER_VCPU.join(', ')}, got ${show(memoryGibPerVcpu)}`);
  // The fleet arithmetic needs whole vCPUs per execution environment, and the
  // runtime's default worker count is a multiple of them.
  const mibPerVcpu = memoryGibPerVcpu * 1024;
  const vcpusPerEnvironment = fn.memoryMb / mibPerVcpu;
  // With a ratio Lambda refuses (reported above) the vCPU count means nothing.
  if (ratioOk && (!Number.isInteger(vcpusPerEnvironment) || vcpusPerEnvironment < 1)) {
    fail('function.memoryMb', `must be a whole number of vCPUs at managedInstances.memoryGibPerVcpu ${memoryGibPerVcpu} (a multiple of ${mibPerVcpu} MB) on Managed Instances, got ${fn.memoryMb}`);
  } else if (ratioOk && vcpusPerEnvironment > maxVcpuCount) {
    fail('managedInstances.maxVcpuCount', `must hold at least one execution environment of ${vcpusPerEnvironment} vCPUs (function.memoryMb ${fn.memoryMb} / ${memoryGibPerVcpu} GiB per vCPU), got ${maxVcpuCount}`);
  }
  const wholeVcpus = Number.isInteger(vcpusPerEnvironment) && vcpusPerEnvironment >= 1 ? vcpusPerEnvironment : 1;
  const workerCount = int('managedInstances.workerCount', m.workerCount ?? D.workersPerVcpu * wholeVcpus, WORKER_COUNT.min, WORKER_COUNT.max, fail);
  // Lambda's own default (64 per vCPU for Node) would queue most invocations
  // behind a pool; workers x pool size gives every concurrent invocation a connection.
  const defaultConcurrency = Math.min(Math.max(workerCount * fn.poolSize, 1), MAX_CONCURRENCY_RANGE.max);
  const maxConcurrency = int('managedInstances.maxConcurrency', m.maxConcurrency ?? defaultConcurrency, MAX_CONCURRENCY_RANGE.min, MAX_CONCURRENCY_RANGE.max, fail);
  if (workerCount > maxConcurrency && maxConcurrency > 0) {
    // A worker beyond the concurrency never runs alongside the others, yet keeps a pool of its own.
    fail('managedInstances.workerCount', `must not exceed managedInstances.maxConcurrency (${maxConcurrency}), got ${workerCount}`);
  }
  const kmsKeyArn = checkKmsKeyArn('managedInstances.kmsKeyArn', m.kmsKeyArn, fail);
  const maxExecutionEnvironments = Math.floor(maxVcpuCount / wholeVcpus);
  // The handler's own rule, so the check counts the pools the workers really open.
  const connectionsPerWorker = poolSizePerWorker(fn.poolSize, Math.max(maxConcurrency, 1), Math.max(workerCount, 1));
  return {
    ...(subnetIds !== undefined ? { subnetIds } : {}),
    ...(securityGroupIds !== undefined ? { securityGroupIds } : {}),
    allowedInstanceTypes: allowed,
    excludedInstanceTypes: excluded,
    maxVcpuCount, memoryGibPerVcpu, maxConcurrency, workerCount,
    ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
    vcpusPerEnvironment: wholeVcpus,
    maxExecutionEnvironments,
    connectionsPerWorker,
    fleetConnections: maxExecutionEnvironments * workerCount * connectionsPerWorker,
  };
}

/** The most connections the function can hold, the field that bounds them, and the arithmetic for a message. */
export interface ConnectionDemand {
  readonly connections: number;
  readonly field: string;
  readonly arithmetic: string;
}

export function connectionDemand(
  fn: { memoryMb: number; reservedConcurrency: number; poolSize: number }, managedInstances: ManagedInstancesConfig | undefined,
): ConnectionDemand {
  if (managedInstances === undefined) {
    const connections = fn.reservedConcurrency * fn.poolSize;
    return {
      connections,
      field: 'function.reservedConcurrency',
      arithmetic: `reservedConcurrency ${fn.reservedConcurrency} x poolSize ${fn.poolSize} = ${connections}`,
    };
  }
  const m = managedInstances;
  return {
    connections: m.fleetConnections,
    field: 'managedInstances.maxVcpuCount',
    arithmetic: `fleet of at most ${m.maxExecutionEnvironments} execution environments `
      + `(maxVcpuCount ${m.maxVcpuCount} / ${m.vcpusPerEnvironment} vCPU each: memoryMb ${fn.memoryMb} / memoryGibPerVcpu ${m.memoryGibPerVcpu} GiB)`
      + ` x workerCount ${m.workerCount} worker threads x ${m.connectionsPerWorker} connections per worker`
      + ` (poolSize ${fn.poolSize}, at most maxConcurrency ${m.maxConcurrency} / workerCount ${m.workerCount} rounded up) = ${m.fleetConnections}`,
  };
}

/** Settings that only work together: on Managed Instances the coordinator reaches the runtime through the layer. */
export function checkComputeCompatibility(fn: { compute: ComputeMode; shutdownMode: string }, fail: Fail): void {
  if (fn.compute === ComputeMode.managedInstances && fn.shutdownMode !== ShutdownMode.layer) {
    fail('function.shutdownMode', `must be ${show(ShutdownMode.layer)} with compute managed-instances: the exec wrapper that loads the main-thread coordinator ships in the layer, got ${show(fn.shutdownMode)}`);
  }
}
