// The environments this repository deploys. Every field and its default is in
// README.md ("Config reference"); validation runs at synth time.
import type { EnvironmentsInput } from './types';

export const environments: EnvironmentsInput = {
  dev: {
    region: 'eu-west-1',
    network: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
    database: { instanceClass: 'db.t4g.micro', backupRetentionDays: 1 },
    // 64 x 50% = 32 proxy connections; 5 x 2 = 10 fit.
    proxy: { maxConnectionsPercent: 50 },
    function: { reservedConcurrency: 5, poolSize: 2 },
    logs: { retentionDays: 14 },
    backend: { type: 'local' },
  },
  prod: {
    region: 'eu-west-1',
    network: { vpcCidr: '10.41.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    database: {
      instanceClass: 'db.m7g.large', multiAz: true, backupRetentionDays: 14, deletionProtection: true, performanceInsights: true,
      allocatedStorageGb: 50, maxAllocatedStorageGb: 200,
    },
    // 512 x 60% = 307 proxy connections; 100 x 2 = 200 fit, with room for a deploy's overlap.
    proxy: { maxConnectionsPercent: 60, maxIdleConnectionsPercent: 20 },
    function: { reservedConcurrency: 100, poolSize: 2, tracing: true, memoryMb: 1024 },
    logs: { retentionDays: 365 },
    backend: { type: 's3', bucket: 'example-org-terraform-state', key: 'graceful-shutdown/prod.tfstate', useLockfile: true },
  },
};
