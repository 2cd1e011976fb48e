// The optional cache's part of an environment's configuration: what a
// platform team writes (`CacheInput`) and what the stack receives once
// config/validate-cache.ts has filled in the defaults and checked it.

/** The cache's engine: Valkey, or Redis OSS. */
export const CacheEngine = { valkey: 'valkey', redis: 'redis' } as const;
export type CacheEngine = (typeof CacheEngine)[keyof typeof CacheEngine];

/**
 * An ElastiCache Serverless cache in the function's private subnets, reached
 * with IAM authentication over TLS as its own ElastiCache user. Present: the
 * stack creates it (config/validate-cache.ts has the defaults and the checks).
 */
export interface CacheInput {
  /** `valkey` (default) or `redis` (Redis OSS). */
  engine?: CacheEngine;
  /** Default: `8` for Valkey, `7` for Redis OSS. */
  majorEngineVersion?: string;
  /** Customer-managed KMS key for the data at rest and the snapshots (default: a key ElastiCache owns). */
  kmsKeyArn?: string;
  /** Days a daily snapshot is kept, 0 (none, the default) to 35. */
  snapshotRetentionDays?: number;
  /** When the daily snapshot starts, `HH:MM` UTC (only with snapshotRetentionDays > 0; default: ElastiCache chooses). */
  dailySnapshotTime?: string;
  /** Ceilings on what the cache may grow to, and so on its cost: GB of data, ElastiCache Processing Units per second. */
  maxDataStorageGb?: number;
  maxEcpuPerSecond?: number;
}

export interface CacheConfig {
  engine: CacheEngine;
  majorEngineVersion: string;
  /** The serverless cache's name: CACHE_NAME, the host an IAM token is signed for. */
  name: string;
  /** The function's ElastiCache user: its id and its name, which IAM authentication requires to be equal (CACHE_USER). */
  userId: string;
  userGroupId: string;
  /**
   * Redis OSS only: a user group there must hold a user named `default`; this
   * one is disabled and has no password. A Valkey group holds only
   * authenticating users, so it has none.
   */
  defaultUserId?: string;
  kmsKeyArn?: string;
  snapshotRetentionDays: number;
  dailySnapshotTime?: string;
  maxDataStorageGb?: number;
  maxEcpuPerSecond?: number;
}
