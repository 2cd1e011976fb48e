// The SIGTERM listener's contract, with the exit injected (the real exit, a
// re-raised SIGTERM, is proven under aws-lambda-ric in runtime-drain.test.ts).
import { installShutdownHandler } from '../../src/handler/drain';
import type { DatabasePool, DrainReport } from '../../src/handler/pool';
import { recordLogs } from './support';

const REPORT: DrainReport = { poolCreated: true, closedCleanly: 2, closedWithError: 0, destroyed: 0, poolEnd: 'resolved', durationMs: 3, budgetMs: 200 };

function fakePool(events: string[]): DatabasePool {
  return {
    drain: async (budgetMs: number) => { events.push(`drain ${budgetMs}`); return REPORT; },
    endNaively: async () => { events.push('end'); },
  } as unknown as DatabasePool;
}

describe('the SIGTERM listener', () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => { uninstall?.(); uninstall = undefined; });

  it('drains with the configured budget, logs one line, then terminates', async () => {
    const events: string[] = [];
    const logs = recordLogs();
    const terminated = new Promise<void>((resolve) => {
      uninstall = installShutdownHandler({
        pool: fakePool(events), logger: logs.logger, budgetMs: 180, strategy: 'graceful',
        terminate: () => { events.push(`terminate after ${logs.lines.length} log line(s)`); resolve(); },
      });
    });
    process.emit('SIGTERM');
    await terminated;
    expect(events).toEqual(['drain 180', 'terminate after 1 log line(s)']);
    expect(logs.lines[0]).toMatchObject({ level: 'INFO', message: 'drained the database pool on SIGTERM', closedCleanly: 2, destroyed: 0 });
  });

  it('ignores a second SIGTERM while draining, with a warning', async () => {
    const events: string[] = [];
    const logs = recordLogs();
    const terminated = new Promise<void>((resolve) => {
      uninstall = installShutdownHandler({
        pool: fakePool(events), logger: logs.logger, budgetMs: 200, strategy: 'graceful',
        terminate: () => { events.push('terminate'); resolve(); },
      });
    });
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    await terminated;
    expect(events).toEqual(['drain 200', 'terminate']);
    expect(logs.lines.map((line) => line.message)).toContain('SIGTERM received again; the drain already running continues');
  });

  it('BASELINE strategy: ends the pool and calls process.exit(0), no drain', async () => {
    const events: string[] = [];
    const logs = recordLogs();
    const exited = new Promise<void>((resolve) => {
      uninstall = installShutdownHandler({
        pool: fakePool(events), logger: logs.logger, budgetMs: 200, strategy: 'naive',
        exit: (code) => { events.push(`exit ${code}`); resolve(); },
        terminate: () => events.push('terminate'),
      });
    });
    process.emit('SIGTERM');
    await exited;
    expect(events).toEqual(['end', 'exit 0']);
  });
});
