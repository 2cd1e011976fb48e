// Managed Instances: every worker thread drains its own registry; the
// coordinator adds their reports up per resource into one line.
import {
  isDrainRegistryReport, mergeReports, type DrainRegistryReport, type ResourceReport,
} from '../../src/protocol/drain-report';

const report = (resources: ResourceReport[], durationMs = 20): DrainRegistryReport => ({
  budgetMs: 170, durationMs, clean: resources.every((resource) => resource.outcome === 'clean'), resources,
});

describe('adding up the drain reports of several workers', () => {
  it('sums each resource\'s outcomes and numeric detail, keeps the slowest time, flush resources first', () => {
    const merged = mergeReports([
      report([
        { name: 'mysql', phase: 'close', outcome: 'clean', ms: 14, capMs: 170, detail: { closedCleanly: 2, destroyed: 0, poolEnd: 'resolved' } },
        { name: 'redis', phase: 'close', outcome: 'clean', ms: 3, capMs: 50 },
        { name: 'flags', phase: 'flush', outcome: 'clean', ms: 9, capMs: 60, detail: { eventsFlushed: 4 } },
      ], 23),
      report([
        { name: 'flags', phase: 'flush', outcome: 'destroyed', cutBy: 'cap', ms: 60, capMs: 60 },
        { name: 'mysql', phase: 'close', outcome: 'destroyed', ms: 101, capMs: 170, detail: { closedCleanly: 1, destroyed: 1, poolEnd: 'pending' } },
        { name: 'redis', phase: 'close', outcome: 'clean', ms: 5, capMs: 50 },
      ], 161),
    ]);
    expect(merged).toEqual({
      reports: 2,
      clean: false,
      maxDurationMs: 161,
      resources: [
        { name: 'flags', phase: 'flush', reports: 2, outcomes: { clean: 1, destroyed: 1, 'timed-out': 0, failed: 0 }, maxMs: 60, totals: { eventsFlushed: 4 } },
        { name: 'mysql', phase: 'close', reports: 2, outcomes: { clean: 1, destroyed: 1, 'timed-out': 0, failed: 0 }, maxMs: 101, totals: { closedCleanly: 3, destroyed: 1 } },
        { name: 'redis', phase: 'close', reports: 2, outcomes: { clean: 2, destroyed: 0, 'timed-out': 0, failed: 0 }, maxMs: 5, totals: {} },
      ],
    });
  });

  it('counts a resource only in the workers that have it (a worker that never created its cache client)', () => {
    const merged = mergeReports([
      report([{ name: 'redis', phase: 'close', outcome: 'clean', ms: 2, capMs: 50 }]),
      report([]),
      report([{ name: 'redis', phase: 'close', outcome: 'failed', ms: 1, capMs: 50, detail: { errorType: 'Error' } }]),
    ]);
    expect(merged.reports).toBe(3);
    expect(merged.clean).toBe(false);
    expect(merged.resources).toEqual([
      { name: 'redis', phase: 'close', reports: 2, outcomes: { clean: 1, destroyed: 0, 'timed-out': 0, failed: 1 }, maxMs: 2, totals: {} },
    ]);
  });

  it('keeps one name in two phases apart (a client flushed, then closed)', () => {
    const merged = mergeReports([report([
      { name: 'flags', phase: 'flush', outcome: 'clean', ms: 8, capMs: 60 },
      { name: 'flags', phase: 'close', outcome: 'timed-out', cutBy: 'budget', ms: 30, capMs: 40 },
    ])]);
    expect(merged.resources.map((resource) => [resource.phase, resource.name, resource.outcomes['timed-out']])).toEqual([
      ['flush', 'flags', 0], ['close', 'flags', 1],
    ]);
  });

  it('adds up nothing to a clean, empty line when no worker reported', () => {
    expect(mergeReports([])).toEqual({ reports: 0, clean: true, maxDurationMs: 0, resources: [] });
  });

  it('accepts a report as a worker sends it and refuses other shapes found on the shared channel', () => {
    const good = report([{ name: 'redis', phase: 'close', outcome: 'clean', ms: 2, capMs: 50 }]);
    expect(isDrainRegistryReport(structuredClone(good))).toBe(true);
    expect(isDrainRegistryReport(null)).toBe(false);
    expect(isDrainRegistryReport({ ...good, resources: 'none' })).toBe(false);
    expect(isDrainRegistryReport({ ...good, resources: [{ name: 'redis', phase: 'close', outcome: 'vanished', ms: 2, capMs: 50 }] })).toBe(false);
    expect(isDrainRegistryReport({ ...good, resources: [{ name: 'redis', phase: 'later', outcome: 'clean', ms: 2, capMs: 50 }] })).toBe(false);
    expect(isDrainRegistryReport({ poolCreated: true, closedCleanly: 2 })).toBe(false);
  });
});
