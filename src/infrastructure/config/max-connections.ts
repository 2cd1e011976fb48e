// The database-side connection budget the proxy may use.
//
// RDS for MySQL sets max_connections to {DBInstanceClassMemory/12582880} by
// default. DBInstanceClassMemory is the class's memory minus what RDS keeps for
// the OS and its agents, and is not published; observed values are about 75-80%
// of the nominal memory (a db.t3.micro reports about 66 connections where
// 1 GiB/12582880 would give 85). We estimate with 75% so the budget errs low.
// A parameter group that sets its own max_connections overrides this table
// through `database.maxConnections`.

export const BYTES_PER_CONNECTION = 12_582_880;
export const USABLE_MEMORY_FRACTION = 0.75;

/** Nominal memory (GiB) of the instance classes RDS Proxy + MySQL 8 are commonly run on. */
export const INSTANCE_CLASS_MEMORY_GIB: Readonly<Record<string, number>> = {
  'db.t3.micro': 1,
  'db.t3.small': 2,
  'db.t3.medium': 4,
  'db.t3.large': 8,
  'db.t4g.micro': 1,
  'db.t4g.small': 2,
  'db.t4g.medium': 4,
  'db.t4g.large': 8,
  'db.m5.large': 8,
  'db.m6g.large': 8,
  'db.m6g.xlarge': 16,
  'db.m7g.large': 8,
  'db.m7g.xlarge': 16,
  'db.r5.large': 16,
  'db.r6g.large': 16,
  'db.r6g.xlarge': 32,
  'db.r7g.large': 16,
  'db.r7g.xlarge': 32,
};

/** Estimated default max_connections of an instance class, or undefined when the class is not in the table. */
export function estimatedMaxConnections(instanceClass: string): number | undefined {
  const gib = INSTANCE_CLASS_MEMORY_GIB[instanceClass];
  if (gib === undefined) return undefined;
  return Math.floor((gib * 2 ** 30 * USABLE_MEMORY_FRACTION) / BYTES_PER_CONNECTION);
}

/** The share of max_connections the proxy may open: max_connections x maxConnectionsPercent / 100. */
export function proxyConnectionBudget(maxConnections: number, maxConnectionsPercent: number): number {
  return Math.floor((maxConnections * maxConnectionsPercent) / 100);
}
