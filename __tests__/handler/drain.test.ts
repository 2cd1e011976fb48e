// The SIGTERM listener's contract, with the exit injected (the real exit, a
// re-raised SIGTERM, is proven under aws-lambda-ric in runtime-drain.test.ts).
// The registry runs on a manual clock: its budget arithmetic is exact, never
// a question of how busy the machine is.
import { installShutdownHandler } from '../../src/handler/drain';
import { createDrainRegistry, DrainPhase, type DrainRegistry } from '../../src/handler/drain-registry';
import type { DatabasePool, DrainReport } from '../../src/handler/pool';
import { poolDrainResource } from '../../src/handler/pool-resource';
import { ManualClock } from './manual-clock';
import { recordLogs } from './support';

const report = (budgetMs: number, destroyed = 0): DrainReport => ({
  poolCreated: true, closedCleanly: 2 - destroyed, closedWithError: 0, destroyed, poolEnd: 'resolved', durationMs: 3, budgetMs,
});

function fakePool(events: string[], destroyed = 0): DatabasePool {
  return {
    drain: async (budgetMs: number) => { events.push(`drain ${budgetMs}`); return report(budgetMs, destroyed); },
    endNaively: async () => { events.push('end'); },
  } as unknown as DatabasePool;
}

/** The registry as index.ts builds it (the pool's cap is the budget), on a clock that stands still unless moved. */
function registryWith(pool: DatabasePool, budgetMs: number): DrainRegistry {
  const registry = createDrainRegistry({ clock: new ManualClock() });
  registry.register(poolDrainResource(pool, budgetMs));
  return registry;
}

describe('the SIGTERM listener', () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => { uninstall?.(); uninstall = undefined; });

  function install(options: { events: string[]; logs: ReturnType<typeof recordLogs>; registry?: DrainRegistry; pool?: DatabasePool; budgetMs?: number; strategy?: 'graceful' | 'naive' }) {
    const { events, logs, budgetMs = 180, strategy = 'graceful' } = options;
    const pool = options.pool ?? fakePool(events);
    return new Promise<void>((resolve) => {
      uninstall = installShutdownHandler({
        registry: options.registry ?? registryWith(pool, budgetMs), pool, logger: logs.logger, budgetMs, strategy,
        terminate: () => { events.push(`terminate after ${logs.lines.length} log line(s)`); resolve(); },
        exit: (code) => { events.push(`exit ${code}`); resolve(); },
      });
    });
  }

  it('drains the registry with the configured budget, logs one line with the pool\'s figures and each resource, then terminates', async () => {
    const events: string[] = [];
    const logs = recordLogs();
    const terminated = install({ events, logs, budgetMs: 180 });
    process.emit('SIGTERM');
    await terminated;
    // The pool is given the whole budget: no flush resource ran before it.
    expect(events).toEqual(['drain 180', 'terminate after 1 log line(s)']);
    expect(logs.lines[0]).toMatchObject({
      level: 'INFO', message: 'drained every resource on SIGTERM', strategy: 'graceful',
      poolCreated: true, closedCleanly: 2, closedWithError: 0, destroyed: 0, poolEnd: 'resolved', budgetMs: 180, clean: true,
      resources: [{ name: 'mysql', phase: 'close', outcome: 'clean', capMs: 180, detail: { closedCleanly: 2, destroyed: 0 } }],
      cpuMs: expect.any(Number) as unknown,
    });
  });

  it('says WARN when a resource was cut: a pool that destroyed a socket, a client that failed', async () => {
    const events: string[] = [];
    const logs = recordLogs();
    const pool = fakePool(events, 1);
    const registry = registryWith(pool, 200);
    registry.register({ name: 'flags', phase: DrainPhase.flush, capMs: 20, graceful: () => { throw new Error('collector refused'); } });
    const terminated = install({ events, logs, registry, pool, budgetMs: 200 });
    process.emit('SIGTERM');
    await terminated;
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({
      level: 'WARN', message: 'drained on SIGTERM; some resources were cut or failed', closedCleanly: 1, destroyed: 1, clean: false,
      resources: [
        { name: 'flags', phase: 'flush', outcome: 'failed', detail: { errorMessage: 'collector refused' } },
        { name: 'mysql', phase: 'close', outcome: 'destroyed', detail: { closedCleanly: 1, destroyed: 1 } },
      ],
    });
  });

  it('ignores a second SIGTERM while draining, with a warning', async () => {
    const events: string[] = [];
    const logs = recordLogs();
    const terminated = install({ events, logs, budgetMs: 200 });
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    await terminated;
    expect(events).toEqual(['drain 200', 'terminate after 2 log line(s)']);
    expect(logs.lines.map((line) => line.message)).toContain('SIGTERM received again; the drain already running continues');
  });

  it('BASELINE strategy: ends the pool and calls process.exit(0), no drain', async () => {
    const events: string[] = [];
    const logs = recordLogs();
    const exited = install({ events, logs, strategy: 'naive' });
    process.emit('SIGTERM');
    await exited;
    expect(events).toEqual(['end', 'exit 0']);
  });
});
