// The environments this repository deploys. Every field and its default is in
// docs/config-reference.md; validation runs at synth time.
import type { EnvironmentsInput } from './types';

export const environments: EnvironmentsInput = {
  dev: {
    region: 'eu-west-1',
    network: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
    // Backups kept 2 days or more (a 1-day window can close before anyone notices a bad write).
    // No final snapshot: dev is destroyed and recreated freely.
    database: { instanceClass: 'db.t4g.micro', backupRetentionDays: 3, finalSnapshot: false },
    // 64 x 50% = 32 proxy connections; 5 x 2 = 10 fit.
    proxy: { maxConnectionsPercent: 50 },
    function: { reservedConcurrency: 5, poolSize: 2 },
    logs: { retentionDays: 14 },
    // S3 state from the pipeline's TF_STATE_* variables; local on a developer machine without them.
    backend: { type: 'pipeline' },
  },
  prod: {
    region: 'eu-west-1',
    network: { vpcCidr: '10.41.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    database: {
      instanceClass: 'db.m7g.large', multiAz: true, backupRetentionDays: 14, deletionProtection: true, performanceInsights: true,
      allocatedStorageGb: 50, maxAllocatedStorageGb: 200, monitoringIntervalSeconds: 60,
    },
    // 512 x 60% = 307 proxy connections; 100 x 2 = 200 fit, with room for a deploy's overlap.
    proxy: { maxConnectionsPercent: 60, maxIdleConnectionsPercent: 20 },
    function: { reservedConcurrency: 100, poolSize: 2, tracing: true, memoryMb: 1024 },
    // Valkey 8 on ElastiCache Serverless, IAM authentication as its own user.
    // Ceilings bound the bill; no snapshots: every entry lives 5 minutes and
    // the database is the truth, so a restored snapshot would hold nothing useful.
    cache: { engine: 'valkey', maxDataStorageGb: 10, maxEcpuPerSecond: 100_000 },
    logs: { retentionDays: 365 },
    backend: { type: 'pipeline' },
  },
  // Lambda Managed Instances: a steady, database-heavy workload on a capacity
  // provider's Graviton instances. Its resources need hashicorp/aws >= 6.25.0.
  steady: {
    region: 'eu-west-1',
    network: { vpcCidr: '10.42.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
    database: { instanceClass: 'db.t4g.medium', backupRetentionDays: 7 },
    // 256 x 50% = 128 proxy connections. The fleet: 8 vCPUs / 1 vCPU per
    // environment (2048 MB at 2 GiB per vCPU) = 8 environments x 4 workers x
    // 2 connections = 64 fit, with room for most of a deploy's overlap.
    proxy: { maxConnectionsPercent: 50 },
    function: { compute: 'managed-instances', memoryMb: 2048, poolSize: 2 },
    managedInstances: { maxVcpuCount: 8, memoryGibPerVcpu: 2, workerCount: 4, maxConcurrency: 8, allowedInstanceTypes: ['m7g.*', 'c7g.*'] },
    logs: { retentionDays: 30 },
    backend: { type: 'pipeline' },
  },
};
