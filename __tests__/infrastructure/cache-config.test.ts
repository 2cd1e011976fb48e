// The cache's config (`cache`): defaults, and each bad value failing the synth
// with a message that names its field, before anything is written.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synth } from '../../scripts/synth';
import type { CacheInput } from '../../src/infrastructure/config/cache-types';
import { environments } from '../../src/infrastructure/config/environments';
import type { EnvironmentInput } from '../../src/infrastructure/config/types';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { buildFixtures, configIssues, DEV_INPUT } from './support';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
const cached = (cache: unknown, more: Partial<EnvironmentInput> = {}): EnvironmentInput => ({ ...DEV_INPUT, ...more, cache: cache as CacheInput });
const resolved = (input: EnvironmentInput) => resolveEnvironments({ dev: input }, {})[0];

describe('the cache config', () => {
  it('is absent unless asked for: dev and steady have none, prod has Valkey 8 with its ceilings and no snapshots', () => {
    const all = Object.fromEntries(resolveEnvironments(environments, {}).map((e) => [e.name, e.cache]));
    expect(all).toEqual({
      dev: undefined,
      steady: undefined,
      prod: {
        engine: 'valkey', majorEngineVersion: '8', name: 'graceful-shutdown-prod', userId: 'graceful-shutdown-prod-app', userGroupId: 'graceful-shutdown-prod',
        snapshotRetentionDays: 0, maxDataStorageGb: 10, maxEcpuPerSecond: 100_000,
      },
    });
  });

  it('defaults to Valkey 8, no snapshot, no ceiling, and names everything after namePrefix', () => {
    expect(resolved(cached({})).cache).toEqual({
      engine: 'valkey', majorEngineVersion: '8', name: 'graceful-shutdown-dev', userId: 'graceful-shutdown-dev-app', userGroupId: 'graceful-shutdown-dev', snapshotRetentionDays: 0,
    });
  });

  it('gives Redis OSS version 7 and the disabled default user its user group must hold', () => {
    expect(resolved(cached({ engine: 'redis', kmsKeyArn: KEY, snapshotRetentionDays: 7, dailySnapshotTime: '03:30' })).cache).toEqual({
      engine: 'redis', majorEngineVersion: '7', name: 'graceful-shutdown-dev', userId: 'graceful-shutdown-dev-app', userGroupId: 'graceful-shutdown-dev',
      defaultUserId: 'graceful-shutdown-dev-default', kmsKeyArn: KEY, snapshotRetentionDays: 7, dailySnapshotTime: '03:30',
    });
  });

  it.each<[string, EnvironmentInput, string]>([
    ['not an object', cached('yes'), 'environments.dev.cache: must be an object (leave it out for no cache), got "yes"'],
    ['an unknown setting', cached({ nodeType: 'cache.t4g.micro' }),
      'environments.dev.cache.nodeType: is not a cache setting; known: engine, majorEngineVersion, kmsKeyArn, snapshotRetentionDays, dailySnapshotTime, maxDataStorageGb, maxEcpuPerSecond'],
    ['an engine ElastiCache Serverless does not run here', cached({ engine: 'memcached' }), 'environments.dev.cache.engine: must be one of "valkey", "redis", got "memcached"'],
    ['a Valkey version serverless does not offer', cached({ majorEngineVersion: '6' }),
      'environments.dev.cache.majorEngineVersion: must be one of "7", "8" for valkey on ElastiCache Serverless, got "6"'],
    ['Valkey\'s version on Redis OSS', cached({ engine: 'redis', majorEngineVersion: '8' }),
      'environments.dev.cache.majorEngineVersion: must be one of "7" for redis on ElastiCache Serverless, got "8"'],
    ['a key alias instead of a key ARN', cached({ kmsKeyArn: 'alias/cache' }),
      'environments.dev.cache.kmsKeyArn: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "alias/cache"'],
    ['a retention past 35 days', cached({ snapshotRetentionDays: 36 }), 'environments.dev.cache.snapshotRetentionDays: must be an integer 0..35, got 36'],
    ['a snapshot time that is not HH:MM', cached({ snapshotRetentionDays: 1, dailySnapshotTime: '3:30' }),
      'environments.dev.cache.dailySnapshotTime: must be a UTC time HH:MM (00:00 to 23:59), got "3:30"'],
    ['a snapshot time with no snapshot kept', cached({ dailySnapshotTime: '03:30' }),
      'environments.dev.cache.dailySnapshotTime: is only used with cache.snapshotRetentionDays > 0 (no snapshot is taken otherwise)'],
    ['a data ceiling of 0 GB', cached({ maxDataStorageGb: 0 }), 'environments.dev.cache.maxDataStorageGb: must be an integer 1..5000, got 0'],
    ['an ECPU ceiling under serverless\'s minimum', cached({ maxEcpuPerSecond: 500 }), 'environments.dev.cache.maxEcpuPerSecond: must be an integer 1000..15000000, got 500'],
    ['a prefix that makes the user id longer than 40 characters', cached({}, { namePrefix: 'team-orders-graceful-shutdown-eu-west-1' }),
      'environments.dev.namePrefix: gives the ElastiCache user id "team-orders-graceful-shutdown-eu-west-1-app", which is 43 characters, at most 40 allowed (cache is set)'],
    ['Managed Instances in security groups the cache does not admit', cached({}, {
      function: { compute: 'managed-instances' }, managedInstances: { securityGroupIds: ['sg-0123456789abcdef0'] },
    }), "environments.dev.managedInstances.securityGroupIds: must be left out with cache set: the cache admits only the stack's Lambda security group, which the instances then use"],
  ])('names the field: %s', (_what, input, message) => {
    expect(configIssues({ dev: input })).toEqual([message]);
  });

  it('checks the Redis OSS default user\'s id too, which is the longest name', () => {
    const prefix = 'graceful-shutdown-orders-eu-west1';
    expect(configIssues({ dev: cached({}, { namePrefix: prefix }) })).toEqual([]);
    expect(configIssues({ dev: cached({ engine: 'redis' }, { namePrefix: prefix }) })).toEqual([
      `environments.dev.namePrefix: gives the ElastiCache default user id "${prefix}-default", which is 41 characters, at most 40 allowed (cache is set)`,
    ]);
  });

  it('fails the synth naming the field, and writes nothing', async () => {
    const outdir = path.join(mkdtempSync(path.join(os.tmpdir(), 'synth-bad-cache-')), 'cdktf.out');
    await expect(synth({ outdir, environments: { dev: cached({ engine: 'memcached' }) }, ...buildFixtures() }))
      .rejects.toThrow('environments.dev.cache.engine: must be one of "valkey", "redis", got "memcached"');
    expect(existsSync(outdir)).toBe(false);
    expect(readdirSync(path.dirname(outdir))).toEqual([]);
  });
});
