// Validation of the optional cache (`cache`): defaults filled in, every value
// checked against what ElastiCache Serverless accepts, and the names the
// stack derives from namePrefix checked against ElastiCache's naming rules,
// so a bad value fails the synth naming its field instead of an apply half
// way through. Each check names the field it is about.
import { ComputeMode } from '../../protocol/lambda-runtime';
import { CacheEngine, type CacheConfig, type CacheInput } from './cache-types';
import { show, type Fail } from './checks';
import type { EnvironmentInput } from './types';
import { checkKmsKeyArn } from './validate-adoption';

/** The suffixes the stack appends to namePrefix for the cache's resources (the cache and its user group take the prefix as is). */
export const CacheNameSuffix = {
  /** The function's ElastiCache user: CACHE_USER. */
  user: '-app',
  /** Redis OSS only: the group's disabled `default` user. */
  defaultUser: '-default',
  securityGroup: '-cache',
} as const;

/**
 * Cache names, user ids and user group ids: at most 40 characters, a letter
 * first, no `--`, no trailing hyphen. namePrefix is already lowercase, starts
 * with a letter and holds neither (its RDS rules), so only the length can break.
 */
export const ELASTICACHE_NAME_MAX_LENGTH = 40;

/** The major versions ElastiCache Serverless runs per engine (IAM authentication needs Valkey 7.2+ or Redis OSS 7+). */
export const CACHE_MAJOR_VERSIONS: Readonly<Record<CacheEngine, readonly string[]>> = {
  [CacheEngine.valkey]: ['7', '8'],
  [CacheEngine.redis]: ['7'],
};
const DEFAULT_MAJOR_VERSION: Readonly<Record<CacheEngine, string>> = { [CacheEngine.valkey]: '8', [CacheEngine.redis]: '7' };

/** ElastiCache Serverless limits: snapshots kept up to 35 days; data 1..5000 GB; 1 000 to 15 000 000 ECPUs per second. */
export const CACHE_LIMITS = {
  snapshotRetentionDays: { min: 0, max: 35 },
  maxDataStorageGb: { min: 1, max: 5_000 },
  maxEcpuPerSecond: { min: 1_000, max: 15_000_000 },
} as const;

const KNOWN_FIELDS: readonly (keyof CacheInput)[] = [
  'engine', 'majorEngineVersion', 'kmsKeyArn', 'snapshotRetentionDays', 'dailySnapshotTime', 'maxDataStorageGb', 'maxEcpuPerSecond',
];
const SNAPSHOT_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function integer(field: string, value: unknown, range: { min: number; max: number }, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    fail(field, `must be an integer ${range.min}..${range.max}, got ${show(value)}`);
  }
  return value as number;
}

/** The cache's configuration, or undefined when the environment has none. */
export function resolveCache(input: EnvironmentInput, namePrefix: string, fail: Fail): CacheConfig | undefined {
  const cache: unknown = input.cache;
  if (cache === undefined) return undefined;
  if (cache === null || typeof cache !== 'object' || Array.isArray(cache)) {
    fail('cache', `must be an object (leave it out for no cache), got ${show(cache)}`);
    return undefined;
  }
  const given = cache as CacheInput;
  for (const key of Object.keys(given).filter((k) => !(KNOWN_FIELDS as readonly string[]).includes(k))) {
    fail(`cache.${key}`, `is not a cache setting; known: ${KNOWN_FIELDS.join(', ')}`);
  }
  const engines = Object.values(CacheEngine) as string[];
  const engine = (given.engine ?? CacheEngine.valkey) as CacheEngine;
  if (!engines.includes(engine)) fail('cache.engine', `must be one of ${engines.map(show).join(', ')}, got ${show(engine)}`);
  const versions = CACHE_MAJOR_VERSIONS[engine] ?? [];
  const majorEngineVersion = given.majorEngineVersion ?? DEFAULT_MAJOR_VERSION[engine] ?? '';
  if (engines.includes(engine) && !versions.includes(majorEngineVersion)) {
    fail('cache.majorEngineVersion', `must be one of ${versions.map(show).join(', ')} for ${engine} on ElastiCache Serverless, got ${show(majorEngineVersion)}`);
  }
  const kmsKeyArn = checkKmsKeyArn('cache.kmsKeyArn', given.kmsKeyArn, fail);
  const snapshotRetentionDays = integer('cache.snapshotRetentionDays', given.snapshotRetentionDays ?? 0, CACHE_LIMITS.snapshotRetentionDays, fail);
  const { dailySnapshotTime, maxDataStorageGb, maxEcpuPerSecond } = given;
  if (dailySnapshotTime !== undefined) {
    if (typeof dailySnapshotTime !== 'string' || !SNAPSHOT_TIME.test(dailySnapshotTime)) {
      fail('cache.dailySnapshotTime', `must be a UTC time HH:MM (00:00 to 23:59), got ${show(dailySnapshotTime)}`);
    } else if (snapshotRetentionDays === 0) {
      fail('cache.dailySnapshotTime', 'is only used with cache.snapshotRetentionDays > 0 (no snapshot is taken otherwise)');
    }
  }
  if (maxDataStorageGb !== undefined) integer('cache.maxDataStorageGb', maxDataStorageGb, CACHE_LIMITS.maxDataStorageGb, fail);
  if (maxEcpuPerSecond !== undefined) integer('cache.maxEcpuPerSecond', maxEcpuPerSecond, CACHE_LIMITS.maxEcpuPerSecond, fail);

  // The instances of a capacity provider sit in the groups it is given; the cache admits only the stack's Lambda group.
  if (input.function?.compute === ComputeMode.managedInstances && input.managedInstances?.securityGroupIds !== undefined) {
    fail('managedInstances.securityGroupIds', 'must be left out with cache set: the cache admits only the stack\'s Lambda security group, which the instances then use');
  }

  const names = {
    name: namePrefix,
    userId: `${namePrefix}${CacheNameSuffix.user}`,
    userGroupId: namePrefix,
    ...(engine === CacheEngine.redis ? { defaultUserId: `${namePrefix}${CacheNameSuffix.defaultUser}` } : {}),
  };
  const what: Record<keyof typeof names, string> = {
    name: 'ElastiCache Serverless cache name', userId: 'ElastiCache user id', userGroupId: 'ElastiCache user group id', defaultUserId: 'ElastiCache default user id',
  };
  for (const [key, name] of Object.entries(names) as [keyof typeof names, string][]) {
    if (name.length > ELASTICACHE_NAME_MAX_LENGTH) {
      fail('namePrefix', `gives the ${what[key]} ${show(name)}, which is ${name.length} characters, at most ${ELASTICACHE_NAME_MAX_LENGTH} allowed (cache is set)`);
    }
  }
  return {
    engine, majorEngineVersion, ...names, snapshotRetentionDays,
    ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
    ...(dailySnapshotTime !== undefined ? { dailySnapshotTime } : {}),
    ...(maxDataStorageGb !== undefined ? { maxDataStorageGb } : {}),
    ...(maxEcpuPerSecond !== undefined ? { maxEcpuPerSecond } : {}),
  };
}
