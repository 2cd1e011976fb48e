// Synth-time validation: each bad field fails with a message naming it, and a
// failed synth writes nothing (cdktf.out is left exactly as it was).
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synth } from '../../scripts/synth';
import { environments } from '../../src/infrastructure/config/environments';
import { estimatedMaxConnections, proxyConnectionBudget } from '../../src/infrastructure/config/max-connections';
import type { EnvironmentInput, EnvironmentsInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { buildFixtures, DEV_INPUT, configIssues } from './support';

const withProd = (prod: Partial<EnvironmentInput>): EnvironmentsInput => ({ dev: environments.dev, prod: { ...environments.prod, ...prod } });

describe('config validation', () => {
  it('accepts the repository environments', () => {
    expect(configIssues(environments)).toEqual([]);
  });

  it.each<[string, EnvironmentsInput, string]>([
    ['a proxy percent out of range', withProd({ proxy: { maxConnectionsPercent: 150 } }),
      'environments.prod.proxy.maxConnectionsPercent: must be an integer 1..100, got 150'],
    ['a fractional pool size', withProd({ function: { poolSize: 1.5 } }), 'environments.prod.function.poolSize: must be an integer 1..10, got 1.5'],
    ['one availability zone', withProd({ network: { availabilityZones: ['eu-west-1a'] } }),
      'environments.prod.network.availabilityZones: must list at least 2 availability zones, got 1'],
    ['a zone of another region', withProd({ network: { availabilityZones: ['eu-west-1a', 'us-east-1b'] } }),
      'environments.prod.network.availabilityZones[1]: must be a zone of eu-west-1, got "us-east-1b"'],
    ['a log retention CloudWatch does not offer', withProd({ logs: { retentionDays: 10 } }),
      'environments.prod.logs.retentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 10'],
    ['a shutdown budget beyond the runtime share', withProd({ function: { shutdownBudgetMs: 300 } }),
      'environments.prod.function.shutdownBudgetMs: must be an integer 10..250, got 300'],
    ['an unknown instance class without maxConnections', withProd({ database: { instanceClass: 'db.x2g.large' } }),
      'environments.prod.database.maxConnections: is required for instance class "db.x2g.large": it is not in the max_connections table (src/infrastructure/config/max-connections.ts)'],
    ['an existing VPC without subnets', withProd({ network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0' } }),
      'environments.prod.network.existingSubnetIds: must list at least 2 private subnets (in different AZs), got 0'],
    ['an existing proxy with a malformed ARN', withProd({ network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] }, database: { createDatabase: false }, proxy: undefined, existingProxy: {
      endpoint: 'p.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db:prx-1', securityGroupId: 'sg-0123456789abcdef0',
      dbUser: 'app', dbName: 'app', connectionBudget: 500 } }),
      'environments.prod.existingProxy.arn: must be an RDS Proxy ARN (arn:aws:rds:<region>:<account>:db-proxy:prx-...), got "arn:aws:rds:eu-west-1:123456789012:db:prx-1"'],
    ['a master user name RDS reserves', withProd({ database: { ...environments.prod.database, masterUsername: 'admin' } }),
      'environments.prod.database.masterUsername: is reserved by MySQL on RDS, got "admin"'],
    ['proxy settings next to an existing proxy', { dev: { ...DEV_INPUT, network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] }, database: { createDatabase: false }, proxy: { maxConnectionsPercent: 50 }, existingProxy: {
      endpoint: 'p.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0abc', securityGroupId: 'sg-0123456789abcdef0',
      dbUser: 'app', dbName: 'app', connectionBudget: 50 } } },
      'environments.dev.proxy: is only used when database.createDatabase is true (an existing proxy keeps its own settings)'],
    ['an existing proxy with a network of its own', withProd({ database: { createDatabase: false }, proxy: undefined, existingProxy: {
      endpoint: 'p.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0abc', securityGroupId: 'sg-0123456789abcdef0',
      dbUser: 'app', dbName: 'app', connectionBudget: 500 } }),
      "environments.prod.network.createVpc: must be false when adopting an existing proxy (set existingVpcId/existingSubnetIds to the proxy's VPC)"],
    ['an absolute local state path', withProd({ backend: { type: 'local', path: '/var/state/prod.tfstate' } }),
      'environments.prod.backend.path: must be a relative path inside the project, got "/var/state/prod.tfstate"'],
    ['a local state path outside the project', withProd({ backend: { type: 'local', path: '../state/prod.tfstate' } }),
      'environments.prod.backend.path: must be a relative path inside the project, got "../state/prod.tfstate"'],
    ['a proxy that drops idle clients before the pool retires them', withProd({ proxy: { ...environments.prod.proxy, idleClientTimeoutSeconds: 600 } }),
      "environments.prod.proxy.idleClientTimeoutSeconds: must be longer than the function's pool idle timeout (600 s), got 600"],
    ['an unknown import key', withProd({ imports: { bucket: 'x' } as never }),
      'environments.prod.imports.bucket: is not importable; importable: vpc, lambdaSecurityGroup, proxySecurityGroup, databaseSecurityGroup, dbSubnetGroup, database, proxy, proxyRole, functionRole, logGroup, function'],
  ])('names the field: %s', (_what, inputs, message) => {
    expect(configIssues(inputs)).toEqual([message]);
  });

  it('reports every bad field of every environment at once', () => {
    const issues = configIssues({
      dev: { ...DEV_INPUT, function: { memoryMb: 64 } },
      prod: { ...environments.prod, proxy: { maxConnectionsPercent: 101 } },
    });
    expect(issues).toEqual([
      'environments.dev.function.memoryMb: must be an integer 128..10240, got 64',
      'environments.prod.proxy.maxConnectionsPercent: must be an integer 1..100, got 101',
    ]);
  });
});

describe('the connection budget', () => {
  it('is max_connections of the instance class x maxConnectionsPercent / 100', () => {
    expect(estimatedMaxConnections('db.t4g.micro')).toBe(64);
    expect(estimatedMaxConnections('db.m7g.large')).toBe(512);
    expect(proxyConnectionBudget(512, 60)).toBe(307);
    expect(resolveEnvironments(environments).map((e) => [e.name, e.connectionBudget])).toEqual([['dev', 32], ['prod', 307], ['steady', 128]]);
  });

  it('refuses reserved concurrency x pool size beyond the budget, and says how the budget was computed', () => {
    expect(configIssues(withProd({ function: { reservedConcurrency: 200, poolSize: 2 } }))).toEqual([
      "environments.prod.function.reservedConcurrency: reservedConcurrency 200 x poolSize 2 = 400 exceeds the proxy's connection budget 307 (max_connections 512 (db.m7g.large, table) x maxConnectionsPercent 60 / 100)",
    ]);
  });

  it('uses database.maxConnections when a parameter group sets its own', () => {
    expect(configIssues(withProd({ database: { ...environments.prod.database, maxConnections: 1000 }, function: { reservedConcurrency: 200, poolSize: 2 } }))).toEqual([]);
  });

  it('uses existingProxy.connectionBudget for an adopted proxy', () => {
    const adopted: EnvironmentInput = {
      ...DEV_INPUT,
      network: { createVpc: false, existingVpcId: 'vpc-0123456789abcdef0', existingSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] }, 
      database: { createDatabase: false },
      existingProxy: {
        endpoint: 'shared.proxy-abc.eu-west-1.rds.amazonaws.com', arn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0abc123def4567890',
        securityGroupId: 'sg-0123456789abcdef0', dbUser: 'orders', dbName: 'orders', connectionBudget: 8,
      },
      function: { reservedConcurrency: 5, poolSize: 2 },
    };
    expect(configIssues({ dev: adopted })).toEqual([
      "environments.dev.function.reservedConcurrency: reservedConcurrency 5 x poolSize 2 = 10 exceeds the proxy's connection budget 8 (existingProxy.connectionBudget)",
    ]);
  });
});

describe('the function timeout against the handler\'s own bounds', () => {
  it('refuses a timeout at or below the longest wait of one invocation, naming the field and the arithmetic (prod: pool of 2 and the cache)', () => {
    expect(configIssues(withProd({ function: { ...environments.prod.function, timeoutSeconds: 9 } }))).toEqual([
      'environments.prod.function.timeoutSeconds: must exceed the longest wait of one invocation on its stores, 9500 ms with poolSize 2 and the cache (pings, a new connection, the statement, two cache connects and commands), so the handler answers before Lambda ends the invocation; got 9 s',
    ]);
  });

  it('accepts the first whole second past it', () => {
    expect(configIssues(withProd({ function: { ...environments.prod.function, timeoutSeconds: 10 } }))).toEqual([]);
  });

  it('counts one ping per pooled connection, and no cache where none is configured', () => {
    const { cache: _cache, ...prodWithoutCache } = environments.prod;
    const input = { dev: environments.dev, prod: { ...prodWithoutCache, function: { ...environments.prod.function, poolSize: 6, reservedConcurrency: 50, timeoutSeconds: 10 } } };
    expect(configIssues(input)).toEqual([
      'environments.prod.function.timeoutSeconds: must exceed the longest wait of one invocation on its stores, 10000 ms with poolSize 6 (pings, a new connection, the statement), so the handler answers before Lambda ends the invocation; got 10 s',
    ]);
  });
});

describe('a failed synth', () => {
  it('throws before writing anything into a fresh output directory', async () => {
    const outdir = path.join(mkdtempSync(path.join(os.tmpdir(), 'synth-bad-')), 'cdktf.out');
    await expect(synth({ outdir, environments: withProd({ proxy: { maxConnectionsPercent: 150 } }), ...buildFixtures() }))
      .rejects.toThrow('environments.prod.proxy.maxConnectionsPercent: must be an integer 1..100, got 150');
    expect(existsSync(outdir)).toBe(false);
    expect(readdirSync(path.dirname(outdir))).toEqual([]);
  });

  it('leaves an existing cdktf.out untouched, including when the build output is missing', async () => {
    const outdir = path.join(mkdtempSync(path.join(os.tmpdir(), 'synth-keep-')), 'cdktf.out');
    await synth({ outdir, environments: { dev: DEV_INPUT }, ...buildFixtures() });
    writeFileSync(path.join(outdir, 'marker'), 'previous synth');
    const before = readdirSync(outdir).sort();
    await expect(synth({ outdir, environments: { dev: DEV_INPUT }, handlerDir: '/nonexistent/handler', layerDir: buildFixtures().layerDir }))
      .rejects.toThrow('does not exist: run `npm run build` first');
    expect(readdirSync(outdir).sort()).toEqual(before);
    // No scratch directory left behind beside it.
    expect(readdirSync(path.dirname(outdir))).toEqual(['cdktf.out']);
  });
});
