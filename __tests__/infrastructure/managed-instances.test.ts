// Lambda Managed Instances: the capacity provider, its operator role, the
// function attached to it, and the synth-time check that the whole fleet's
// connections fit the proxy's budget.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from '../../src/infrastructure/cdk';
import { OPERATOR_MANAGED_POLICY } from '../../src/infrastructure/capacity-provider';
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { ArtifactError } from '../../src/infrastructure/errors';
import { GracefulShutdownStack } from '../../src/infrastructure/graceful-shutdown-stack';
import { EXEC_WRAPPER_LAMBDA_PATH, LAMBDA_LAYER_MOUNT } from '../../src/protocol/artifacts';
import { FunctionEnv } from '../../src/protocol/function-env';
import {
  buildFixtures, DEV_INPUT, onlyResource, readZip, ref, resourcesOf, sgRef, statementsOf, synthEnvironment, type Json,
  configIssues,
} from './support';

const steady = synthEnvironment('steady', environments.steady);
const dev = synthEnvironment('dev', environments.dev);
const fnOf = (tf: Json): Json => onlyResource(tf, 'aws_lambda_function');

/** An environment on Managed Instances in front of a db.t4g.micro (proxy budget 64 x 50% = 32). */
const MI_INPUT: EnvironmentInput = { ...DEV_INPUT, function: { compute: 'managed-instances' } };

describe('the capacity provider', () => {
  const provider = onlyResource(steady.tf, 'aws_lambda_capacity_provider');

  it('runs its instances in the function\'s private subnets with the Lambda security group by default', () => {
    const subnets = Object.keys(resourcesOf(steady.tf, 'aws_subnet')).map((name) => `\${aws_subnet.${name}.id}`);
    expect(provider.vpc_config).toEqual([{ subnet_ids: subnets, security_group_ids: [sgRef(steady.tf, 'lambda')] }]);
  });

  it('takes subnets and security groups from config when given', () => {
    const { tf } = synthEnvironment('mi', {
      ...MI_INPUT,
      managedInstances: { subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], securityGroupIds: ['sg-0123456789abcdef0'] },
    });
    expect(onlyResource(tf, 'aws_lambda_capacity_provider').vpc_config).toEqual([{
      subnet_ids: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], security_group_ids: ['sg-0123456789abcdef0'],
    }]);
  });

  it('asks for instances of the function\'s architecture and the configured instance types', () => {
    expect(provider.instance_requirements).toEqual([{ architectures: ['arm64'], allowed_instance_types: ['m7g.*', 'c7g.*'] }]);
  });

  it('scales automatically up to the configured vCPU ceiling', () => {
    expect(provider.capacity_provider_scaling_config).toEqual([{ scaling_mode: 'Auto', max_vcpu_count: 8 }]);
  });

  it('is operated by a role only Lambda can assume, holding only the AWS-managed operator policy', () => {
    const roles = resourcesOf(steady.tf, 'aws_iam_role');
    const [roleKey] = Object.keys(roles).filter((k) => roles[k].name === 'graceful-shutdown-steady-capacity-operator');
    expect(provider.permissions_config).toEqual([{ capacity_provider_operator_role_arn: `\${aws_iam_role.${roleKey}.arn}` }]);
    expect(JSON.parse(roles[roleKey].assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const attachments = Object.values(resourcesOf(steady.tf, 'aws_iam_role_policy_attachment')) as Json[];
    expect(attachments.filter((a) => a.role === `\${aws_iam_role.${roleKey}.name}`).map((a) => a.policy_arn)).toEqual([
      `arn:\${data.aws_partition.partition.partition}:iam::aws:policy/${OPERATOR_MANAGED_POLICY}`,
    ]);
    const inline = Object.values(resourcesOf(steady.tf, 'aws_iam_role_policy')) as Json[];
    expect(inline.filter((p) => p.role === `\${aws_iam_role.${roleKey}.id}`)).toEqual([]);
  });

  it('is created after its operator role has its policy (Lambda checks it on create)', () => {
    expect(provider.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy_attachment\.capacity-provider_operator-policy_/)]);
  });

  it('is output by ARN', () => {
    expect(steady.tf.output.capacity_provider_arn).toEqual({ value: ref(steady.tf, 'aws_lambda_capacity_provider', 'arn') });
  });

  it('exists only in Managed Instances environments', () => {
    expect(resourcesOf(dev.tf, 'aws_lambda_capacity_provider')).toEqual({});
    expect(dev.tf.output.capacity_provider_arn).toBeUndefined();
  });
});

describe('the function on Managed Instances', () => {
  const fn = fnOf(steady.tf);

  it('attaches to the capacity provider with its per-environment concurrency and memory per vCPU', () => {
    expect(fn.capacity_provider_config).toEqual({
      lambda_managed_instances_capacity_provider_config: {
        capacity_provider_arn: ref(steady.tf, 'aws_lambda_capacity_provider', 'arn'),
        per_execution_environment_max_concurrency: 8,
        execution_environment_memory_gib_per_vcpu: 2,
      },
    });
  });

  it('publishes to $LATEST.PUBLISHED, the version an unqualified invoke runs on Managed Instances', () => {
    expect(fn).toMatchObject({ publish: true, publish_to: 'LATEST_PUBLISHED' });
    expect(fnOf(dev.tf).publish_to).toBeUndefined();
  });

  it('has neither reserved concurrency nor a VPC config of its own (the fleet and the provider own both)', () => {
    expect(fn.reserved_concurrent_executions).toBeUndefined();
    expect(fn.vpc_config).toBeUndefined();
    expect(fnOf(dev.tf).reserved_concurrent_executions).toBe(5);
  });

  it('starts its runtime through the layer\'s exec wrapper, with the worker count the fleet check used', () => {
    expect(fn.environment.variables).toMatchObject({
      [FunctionEnv.execWrapper]: EXEC_WRAPPER_LAMBDA_PATH,
      [FunctionEnv.workerCount]: '4',
      [FunctionEnv.poolSize]: '2',
    });
    expect(fnOf(dev.tf).environment.variables[FunctionEnv.execWrapper]).toBeUndefined();
    expect(fnOf(dev.tf).environment.variables[FunctionEnv.workerCount]).toBeUndefined();
  });

  it('finds the exec wrapper in the layer it attaches, at the path Lambda mounts it', () => {
    expect(fn.layers).toEqual([ref(steady.tf, 'aws_lambda_layer_version', 'arn')]);
    const entries = readZip(steady.stack.layer!.asset.bytes).map((e) => `${LAMBDA_LAYER_MOUNT}/${e.name}`);
    expect(entries).toContain(EXEC_WRAPPER_LAMBDA_PATH);
  });

  it('refuses a layer build without the exec wrapper, naming the missing file', () => {
    const layerDir = mkdtempSync(path.join(os.tmpdir(), 'layer-no-wrapper-'));
    try {
      cpSync(buildFixtures().layerDir, layerDir, { recursive: true });
      rmSync(path.join(layerDir, 'graceful-shutdown', 'exec-wrapper'));
      const [config] = resolveEnvironments({ steady: environments.steady });
      expect(() => new GracefulShutdownStack(Testing.app(), 'steady', { config, handlerDir: buildFixtures().handlerDir, layerDir }))
        .toThrow(ArtifactError);
      expect(() => new GracefulShutdownStack(Testing.app(), 'steady', { config, handlerDir: buildFixtures().handlerDir, layerDir }))
        .toThrow(/exec-wrapper/);
    } finally {
      rmSync(layerDir, { recursive: true, force: true });
    }
  });

  it('gets a role with no EC2 action: Lambda creates no network interface for it', () => {
    const actions = statementsOf(steady.tf, '-function').flatMap((s) => s.Action);
    expect(actions.filter((a) => a.startsWith('ec2:'))).toEqual([]);
    expect(statementsOf(steady.tf, '-function').map((s) => s.Sid)).toEqual(['WriteOwnLogs', 'ConnectThroughProxy']);
  });

  it('needs the AWS provider release that introduced capacity providers, on either runtime', () => {
    expect(steady.tf.terraform.required_providers.aws.version).toBe('>= 6.25.0, < 7.0.0');
    const node22 = synthEnvironment('mi', { ...MI_INPUT, function: { compute: 'managed-instances', runtime: 'nodejs22.x' } });
    expect(node22.tf.terraform.required_providers.aws.version).toBe('>= 6.25.0, < 7.0.0');
  });
});

describe('Managed Instances config', () => {
  it('defaults to 2048 MB at 2 GiB per vCPU, 8 workers per vCPU, a connection for every concurrent invocation, and a fleet the default database can serve', () => {
    const [config] = resolveEnvironments({ mi: MI_INPUT });
    expect(config.function.memoryMb).toBe(2048);
    expect(config.managedInstances).toMatchObject({
      memoryGibPerVcpu: 2, vcpusPerEnvironment: 1, maxVcpuCount: 2, workerCount: 8, maxConcurrency: 16,
      maxExecutionEnvironments: 2, fleetConnections: 2 * 8 * 2,
    });
  });

  it('leaves the subnets and security groups to the stack when config names none', () => {
    const [config] = resolveEnvironments({ mi: { ...MI_INPUT, function: { compute: 'managed-instances', poolSize: 1 }, managedInstances: { maxVcpuCount: 4 } } });
    expect(config.managedInstances?.subnetIds).toBeUndefined();
    expect(config.managedInstances?.securityGroupIds).toBeUndefined();
  });

  it.each<[string, EnvironmentInput, string]>([
    ['reserved concurrency', { ...MI_INPUT, function: { compute: 'managed-instances', reservedConcurrency: 5 } },
      'environments.mi.function.reservedConcurrency: is not used with compute managed-instances: the fleet (managedInstances.maxVcpuCount) bounds the connections; leave it out'],
    ['managedInstances on an on-demand function', { ...DEV_INPUT, managedInstances: { maxVcpuCount: 4 } },
      'environments.mi.managedInstances: is only used when function.compute is "managed-instances"'],
    ['an unknown compute mode', { ...DEV_INPUT, function: { compute: 'fargate' as 'on-demand' } },
      'environments.mi.function.compute: must be one of "on-demand", "managed-instances", got "fargate"'],
    ['memory that is not a whole number of vCPUs', { ...MI_INPUT, function: { compute: 'managed-instances', memoryMb: 3000 } },
      'environments.mi.function.memoryMb: must be a whole number of vCPUs at managedInstances.memoryGibPerVcpu 2 (a multiple of 2048 MB) on Managed Instances, got 3000'],
    ['a memory-to-vCPU ratio Lambda does not offer', { ...MI_INPUT, managedInstances: { memoryGibPerVcpu: 3 } },
      'environments.mi.managedInstances.memoryGibPerVcpu: must be one of 2, 4, 8, got 3'],
    ['more workers than concurrent invocations', { ...MI_INPUT, managedInstances: { workerCount: 4, maxConcurrency: 2 } },
      'environments.mi.managedInstances.workerCount: must not exceed managedInstances.maxConcurrency (2), got 4'],
    ['both instance type lists', { ...MI_INPUT, managedInstances: { allowedInstanceTypes: ['m7g.*'], excludedInstanceTypes: ['m7g.large'] } },
      'environments.mi.managedInstances.excludedInstanceTypes: must be left out when allowedInstanceTypes is set (Lambda takes one list or the other)'],
    ['an instance type that is not one', { ...MI_INPUT, managedInstances: { allowedInstanceTypes: ['large'] } },
      'environments.mi.managedInstances.allowedInstanceTypes[0]: must be an EC2 instance type (e.g. m7g.large or m7g.*), got "large"'],
    ['a subnet id that is not one', { ...MI_INPUT, managedInstances: { subnetIds: ['subnet-0123456789abcdef0', 'net-1'] } },
      'environments.mi.managedInstances.subnetIds[1]: must be a subnet id (subnet-...), got "net-1"'],
    ['a single subnet', { ...MI_INPUT, managedInstances: { subnetIds: ['subnet-0123456789abcdef0'] } },
      'environments.mi.managedInstances.subnetIds: must list at least 2 subnets (in different AZs) so one zone\'s loss leaves capacity, got 1'],
    ['a fleet smaller than one environment', { ...MI_INPUT, function: { compute: 'managed-instances', memoryMb: 8192 }, managedInstances: { maxVcpuCount: 2 } },
      'environments.mi.managedInstances.maxVcpuCount: must hold at least one execution environment of 4 vCPUs (function.memoryMb 8192 / 2 GiB per vCPU), got 2'],
    ['the in-process shutdown mode', { ...MI_INPUT, function: { compute: 'managed-instances', shutdownMode: 'in-process', shutdownBudgetMs: 200 } },
      'environments.mi.function.shutdownMode: must be "layer" with compute managed-instances: the exec wrapper that loads the main-thread coordinator ships in the layer, got "in-process"'],
  ])('refuses %s, naming the field', (_what, input, message) => {
    expect(configIssues({ mi: input })).toEqual([message]);
  });
});

describe('the fleet connection check', () => {
  it('refuses a fleet whose connections exceed the proxy budget, with the arithmetic in the message', () => {
    expect(configIssues({ mi: { ...MI_INPUT, managedInstances: { maxVcpuCount: 8, workerCount: 4 } } })).toEqual([
      'environments.mi.managedInstances.maxVcpuCount: fleet of at most 8 execution environments '
      + '(maxVcpuCount 8 / 1 vCPU each: memoryMb 2048 / memoryGibPerVcpu 2 GiB) x workerCount 4 worker threads '
      + 'x 2 connections per worker (poolSize 2, at most maxConcurrency 8 / workerCount 4 rounded up) = 64 '
      + 'exceeds the proxy\'s connection budget 32 '
      + '(max_connections 64 (db.t4g.micro, table) x maxConnectionsPercent 50 / 100)',
    ]);
  });

  it('counts an execution environment\'s vCPUs from its memory, so bigger environments mean fewer of them', () => {
    // 8 vCPUs / 2 vCPUs (4096 MB at 2 GiB) = 4 environments x 4 workers x 2 = 32: exactly the budget.
    expect(configIssues({ mi: { ...MI_INPUT, function: { compute: 'managed-instances', memoryMb: 4096 }, managedInstances: { maxVcpuCount: 8, workerCount: 4 } } })).toEqual([]);
  });

  it('counts each worker\'s pool as the handler sizes it: its share of the concurrency, at most poolSize', () => {
    // maxConcurrency 4 over 4 workers: one connection each, so 8 x 4 x 1 = 32 fits where 8 x 4 x 2 would not.
    const input: EnvironmentInput = { ...MI_INPUT, managedInstances: { maxVcpuCount: 8, workerCount: 4, maxConcurrency: 4 } };
    expect(configIssues({ mi: input })).toEqual([]);
    expect(resolveEnvironments({ mi: input })[0].managedInstances).toMatchObject({ connectionsPerWorker: 1, fleetConnections: 32 });
  });

  it('accepts a fleet exactly at the budget and refuses one connection more', () => {
    expect(configIssues({ mi: { ...MI_INPUT, function: { compute: 'managed-instances', poolSize: 1 }, managedInstances: { maxVcpuCount: 8, workerCount: 4 } } })).toEqual([]);
    expect(configIssues({ mi: { ...MI_INPUT, function: { compute: 'managed-instances', poolSize: 1 }, managedInstances: { maxVcpuCount: 11, workerCount: 3 } } }))
      .toEqual([expect.stringContaining('= 33 exceeds the proxy\'s connection budget 32')]);
  });

  it('checks an adopted proxy\'s budget the same way', () => {
    const adopted: EnvironmentInput = {
      region: 'eu-west-1',
      network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
      database: { createDatabase: false },
      existingProxy: {
        endpoint: 'orders.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
        securityGroupId: 'sg-0123456789abcdef0', dbUser: 'orders_lambda', dbName: 'orders', connectionBudget: 10,
      },
      function: { compute: 'managed-instances', poolSize: 1 },
      managedInstances: { maxVcpuCount: 4, workerCount: 3 },
    };
    expect(configIssues({ mi: adopted })).toEqual([expect.stringMatching(/^environments\.mi\.managedInstances\.maxVcpuCount: fleet of at most 4 .* = 12 exceeds the proxy's connection budget 10 \(existingProxy\.connectionBudget\)$/)]);
  });

  it('passes for the repository\'s Managed Instances environment: 8 x 4 x 2 = 64 of 128', () => {
    const config = resolveEnvironments(environments).find((e) => e.name === 'steady');
    expect(config?.managedInstances?.fleetConnections).toBe(64);
    expect(config?.connectionBudget).toBe(128);
  });
});
