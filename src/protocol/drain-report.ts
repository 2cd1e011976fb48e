// What a drain registry says after SIGTERM, resource by resource, and how the
// Managed Instances coordinator adds up the reports of several worker threads.
// Plain data on purpose: a worker's report reaches the main thread by
// structured clone, and both the handler's ESM bundle and the coordinator's
// CommonJS one import this module, so no Node module is imported here.

/** `flush` resources all finish (or are cut) before any `close` resource starts. */
export const DrainPhase = { flush: 'flush', close: 'close' } as const;
export type DrainPhase = (typeof DrainPhase)[keyof typeof DrainPhase];
export const DRAIN_PHASES: readonly DrainPhase[] = [DrainPhase.flush, DrainPhase.close];

export const ResourceOutcome = {
  /** Its graceful action finished inside its cap and the budget. */
  clean: 'clean',
  /** It overran (or cut part of itself to meet its deadline) and was destroyed. */
  destroyed: 'destroyed',
  /** It overran and could not be cut: no destroy(), or destroy() threw or did not settle. */
  timedOut: 'timed-out',
  /** Its graceful action threw before the deadline; destroy() was then called to release what it held. */
  failed: 'failed',
} as const;
export type ResourceOutcome = (typeof ResourceOutcome)[keyof typeof ResourceOutcome];

/** What cut a resource: its own cap, or the end of the budget every resource shares. */
export type CutBy = 'cap' | 'budget';

/** Facts a resource adds to its line (numbers are summed across workers). Flat, so a log filter can reach them. */
export type DrainDetail = Readonly<Record<string, string | number | boolean>>;

export interface ResourceReport {
  readonly name: string;
  readonly phase: DrainPhase;
  readonly outcome: ResourceOutcome;
  /** From the start of its graceful action to the end of its drain, destroy() included. */
  readonly ms: number;
  readonly capMs: number;
  readonly cutBy?: CutBy;
  readonly detail?: DrainDetail;
}

export interface DrainRegistryReport {
  readonly budgetMs: number;
  readonly durationMs: number;
  /** Every resource ended `clean`. */
  readonly clean: boolean;
  /** Flush resources first, then close resources, each in registration order. */
  readonly resources: readonly ResourceReport[];
}

/** One resource added up over every report that has it (one report per worker thread). */
export interface MergedResource {
  readonly name: string;
  readonly phase: DrainPhase;
  /** Reports that include this resource: a worker that never created a client has no line for it. */
  readonly reports: number;
  readonly outcomes: Readonly<Record<ResourceOutcome, number>>;
  /** The slowest worker's time for it. */
  readonly maxMs: number;
  /** Numeric detail summed over the reports (sockets closed cleanly, events flushed, ...). */
  readonly totals: Readonly<Record<string, number>>;
}

export interface MergedDrainReport {
  readonly reports: number;
  readonly clean: boolean;
  readonly maxDurationMs: number;
  readonly resources: readonly MergedResource[];
}

const emptyOutcomes = (): Record<ResourceOutcome, number> => ({ clean: 0, destroyed: 0, 'timed-out': 0, failed: 0 });

/**
 * Adds up per resource (name and phase) the reports of several registries:
 * how many workers ended each outcome, the slowest time, and the sums of
 * numeric detail. Flush resources come first, then by first appearance.
 */
export function mergeReports(reports: readonly DrainRegistryReport[]): MergedDrainReport {
  const merged = new Map<string, { name: string; phase: DrainPhase; reports: number; outcomes: Record<ResourceOutcome, number>; maxMs: number; totals: Record<string, number> }>();
  for (const report of reports) {
    for (const resource of report.resources) {
      const key = `${resource.phase}\u0000${resource.name}`;
      let entry = merged.get(key);
      if (!entry) {
        entry = { name: resource.name, phase: resource.phase, reports: 0, outcomes: emptyOutcomes(), maxMs: 0, totals: {} };
        merged.set(key, entry);
      }
      entry.reports += 1;
      entry.outcomes[resource.outcome] += 1;
      entry.maxMs = Math.max(entry.maxMs, resource.ms);
      for (const [field, value] of Object.entries(resource.detail ?? {})) {
        if (typeof value === 'number' && Number.isFinite(value)) entry.totals[field] = (entry.totals[field] ?? 0) + value;
      }
    }
  }
  const resources = [...merged.values()].sort((a, b) => DRAIN_PHASES.indexOf(a.phase) - DRAIN_PHASES.indexOf(b.phase));
  return {
    reports: reports.length,
    clean: reports.every((report) => report.clean),
    maxDurationMs: reports.reduce((max, report) => Math.max(max, report.durationMs), 0),
    resources,
  };
}

const isOutcome = (value: unknown): value is ResourceOutcome => Object.values(ResourceOutcome).includes(value as ResourceOutcome);
const isPhase = (value: unknown): value is DrainPhase => DRAIN_PHASES.includes(value as DrainPhase);

/** A report received from another thread, checked before it is added up: the channel is shared. */
export function isDrainRegistryReport(data: unknown): data is DrainRegistryReport {
  if (typeof data !== 'object' || data === null) return false;
  const report = data as Record<string, unknown>;
  if (typeof report.budgetMs !== 'number' || typeof report.durationMs !== 'number' || typeof report.clean !== 'boolean') return false;
  if (!Array.isArray(report.resources)) return false;
  return report.resources.every((item: unknown) => {
    if (typeof item !== 'object' || item === null) return false;
    const resource = item as Record<string, unknown>;
    return typeof resource.name === 'string' && isPhase(resource.phase) && isOutcome(resource.outcome)
      && typeof resource.ms === 'number' && typeof resource.capMs === 'number';
  });
}
