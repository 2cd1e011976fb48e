// The drain registry: several clients share one shutdown budget. Time is a
// manual clock, so "cut at its 50 ms cap" is a statement about the code, not
// about how loaded the machine is.
import {
  createDrainRegistry, DrainPhase, DrainRegistrationError, DrainStartedError, systemClock,
  type DrainContext, type DrainRegistry, type DrainResource,
} from '../../src/handler/drain-registry';
import { createLogger } from '../../src/handler/logger';
import { deferred, ManualClock, settled } from './manual-clock';

/** A resource whose graceful action the test finishes by hand, recording what the registry did to it. */
function handResource(name: string, phase: DrainPhase, capMs: number, log: string[]) {
  const action = deferred<void>();
  let context: DrainContext | undefined;
  const resource: DrainResource = {
    name, phase, capMs,
    graceful: (ctx) => { log.push(`${phase}:${name}`); context = ctx; return action.promise; },
    destroy: () => { log.push(`destroy:${name}`); },
  };
  return { resource, finish: () => action.resolve(), fail: (error: Error) => action.reject(error), context: () => context };
}

describe('the drain registry', () => {
  let clock: ManualClock;
  let registry: DrainRegistry;
  let log: string[];
  beforeEach(() => {
    clock = new ManualClock();
    registry = createDrainRegistry({ clock });
    log = [];
  });

  it('runs every flush resource before any close resource, and each phase\'s resources at once', async () => {
    const flags = handResource('flags', DrainPhase.flush, 60, log);
    const telemetry = handResource('telemetry', DrainPhase.flush, 60, log);
    const mysql = handResource('mysql', DrainPhase.close, 150, log);
    const redis = handResource('redis', DrainPhase.close, 50, log);
    // Registered out of phase order on purpose.
    for (const { resource } of [mysql, flags, redis, telemetry]) registry.register(resource);

    const report = registry.drain(200);
    await clock.advance(5);
    expect(log).toEqual(['flush:flags', 'flush:telemetry']);
    flags.finish();
    await clock.advance(5);
    expect(log).toEqual(['flush:flags', 'flush:telemetry']); // telemetry still flushing: no close yet
    telemetry.finish();
    await clock.advance(5);
    expect(log).toEqual(['flush:flags', 'flush:telemetry', 'close:mysql', 'close:redis']);
    mysql.finish();
    redis.finish();
    expect(await report).toEqual({
      budgetMs: 200, durationMs: 15, clean: true,
      resources: [
        { name: 'flags', phase: 'flush', outcome: 'clean', ms: 5, capMs: 60 },
        { name: 'telemetry', phase: 'flush', outcome: 'clean', ms: 10, capMs: 60 },
        { name: 'mysql', phase: 'close', outcome: 'clean', ms: 5, capMs: 150 },
        { name: 'redis', phase: 'close', outcome: 'clean', ms: 5, capMs: 50 },
      ],
    });
    expect(log).not.toContainEqual(expect.stringMatching(/^destroy:/));
  });

  it('cuts a flush that overruns its cap, and every other resource still closes cleanly inside the budget', async () => {
    const flags = handResource('flags', DrainPhase.flush, 50, log); // never finishes
    const telemetry = handResource('telemetry', DrainPhase.flush, 80, log);
    const mysql = handResource('mysql', DrainPhase.close, 120, log);
    const redis = handResource('redis', DrainPhase.close, 40, log);
    for (const { resource } of [flags, telemetry, mysql, redis]) registry.register(resource);

    const report = registry.drain(200);
    await clock.advance(10);
    telemetry.finish();
    await clock.advance(40); // t = 50: the flags flush reaches its cap
    expect(log).toEqual(['flush:flags', 'flush:telemetry', 'destroy:flags', 'close:mysql', 'close:redis']);
    await clock.advance(30);
    mysql.finish();
    redis.finish();
    const { resources, durationMs, clean } = await report;
    expect(clean).toBe(false);
    expect(durationMs).toBe(80);
    expect(resources).toEqual([
      { name: 'flags', phase: 'flush', outcome: 'destroyed', cutBy: 'cap', ms: 50, capMs: 50 },
      { name: 'telemetry', phase: 'flush', outcome: 'clean', ms: 10, capMs: 80 },
      { name: 'mysql', phase: 'close', outcome: 'clean', ms: 30, capMs: 120 },
      { name: 'redis', phase: 'close', outcome: 'clean', ms: 30, capMs: 40 },
    ]);
  });

  it('lets the budget cut every resource, and cuts without starting what the flush phase left no time for', async () => {
    const slowFlush = handResource('exporter', DrainPhase.flush, 500, log);
    const slowClose = handResource('mysql', DrainPhase.close, 500, log);
    registry.register(slowFlush.resource);
    registry.register(slowClose.resource);

    const report = registry.drain(100);
    await clock.advance(100);
    const { resources, durationMs } = await report;
    expect(durationMs).toBe(100);
    expect(resources).toEqual([
      { name: 'exporter', phase: 'flush', outcome: 'destroyed', cutBy: 'budget', ms: 100, capMs: 500 },
      { name: 'mysql', phase: 'close', outcome: 'destroyed', cutBy: 'budget', ms: 0, capMs: 500, detail: { started: false } },
    ]);
    expect(log).toEqual(['flush:exporter', 'destroy:exporter', 'destroy:mysql']); // mysql's close never called
  });

  it('tells each action its deadline (the earlier of its cap and the budget) and aborts its signal when it is cut', async () => {
    const capped = handResource('capped', DrainPhase.close, 30, log);
    const budgeted = handResource('budgeted', DrainPhase.close, 500, log);
    registry.register(capped.resource);
    registry.register(budgeted.resource);
    const report = registry.drain(100);
    await clock.advance(10);
    expect(capped.context()?.deadline).toBe(30);
    expect(capped.context()?.remainingMs()).toBe(20);
    expect(budgeted.context()?.deadline).toBe(100);
    expect(capped.context()?.signal.aborted).toBe(false);
    await clock.advance(20);
    expect(capped.context()?.signal.aborted).toBe(true);
    expect(budgeted.context()?.signal.aborted).toBe(false);
    budgeted.finish();
    await report;
  });

  it('reports a resource that throws as failed, with its error, and destroys it; the others are untouched', async () => {
    registry.register({ name: 'sync-throw', phase: DrainPhase.flush, capMs: 50, graceful: () => { throw new TypeError('flush is not a function'); }, destroy: () => { log.push('destroy:sync-throw'); } });
    const rejects = handResource('rejects', DrainPhase.close, 50, log);
    const fine = handResource('fine', DrainPhase.close, 50, log);
    registry.register(rejects.resource);
    registry.register(fine.resource);
    const report = registry.drain(200);
    await clock.advance(1);
    rejects.fail(Object.assign(new Error('QUIT refused'), { code: 'ECONNRESET' }));
    fine.finish();
    const { resources } = await report;
    expect(resources).toEqual([
      { name: 'sync-throw', phase: 'flush', outcome: 'failed', ms: 0, capMs: 50, detail: { errorType: 'TypeError', errorMessage: 'flush is not a function' } },
      { name: 'rejects', phase: 'close', outcome: 'failed', ms: 1, capMs: 50, detail: { errorType: 'Error', errorMessage: 'QUIT refused', code: 'ECONNRESET' } },
      { name: 'fine', phase: 'close', outcome: 'clean', ms: 1, capMs: 50 },
    ]);
    expect(log).toEqual(['destroy:sync-throw', 'close:rejects', 'close:fine', 'destroy:rejects']);
  });

  it('reports timed-out when an overrunning resource cannot be cut: no destroy(), a destroy() that throws, one that hangs', async () => {
    const never = () => new Promise<void>(() => undefined);
    registry.register({ name: 'no-destroy', phase: DrainPhase.close, capMs: 10, graceful: never });
    registry.register({ name: 'destroy-throws', phase: DrainPhase.close, capMs: 10, graceful: never, destroy: () => { throw new Error('already closed'); } });
    registry.register({ name: 'destroy-hangs', phase: DrainPhase.close, capMs: 10, graceful: never, destroy: never });
    const report = registry.drain(200);
    await clock.advance(10);
    await clock.advance(20); // the destroy grace
    const byName = Object.fromEntries((await report).resources.map((resource) => [resource.name, resource]));
    expect(byName['no-destroy']).toMatchObject({ outcome: 'timed-out', cutBy: 'cap', detail: { cutFailed: 'no destroy()' } });
    expect(byName['destroy-throws']).toMatchObject({ outcome: 'timed-out', detail: { cutFailed: 'destroy() threw', errorMessage: 'already closed' } });
    expect(byName['destroy-hangs']).toMatchObject({ outcome: 'timed-out', detail: { cutFailed: 'destroy() did not settle within 20 ms' } });
  });

  it('reports what an action returns: its detail, and `destroyed` when it had to cut part of itself', async () => {
    registry.register({ name: 'flags', phase: DrainPhase.flush, capMs: 50, graceful: () => ({ detail: { eventsFlushed: 3 } }) });
    registry.register({ name: 'mysql', phase: DrainPhase.close, capMs: 50, graceful: async () => ({ cut: true, detail: { closedCleanly: 1, destroyed: 1 } }) });
    const { resources, clean } = await registry.drain(100);
    expect(clean).toBe(false);
    expect(resources).toMatchObject([
      { name: 'flags', outcome: 'clean', detail: { eventsFlushed: 3 } },
      { name: 'mysql', outcome: 'destroyed', detail: { closedCleanly: 1, destroyed: 1 } },
    ]);
  });

  it('reports what a cut found when destroy() returns a detail (a pool whose own deadline destroyed its sockets)', async () => {
    const sockets = deferred<{ detail: { closedCleanly: number; destroyed: number } }>();
    registry.register({
      name: 'mysql', phase: DrainPhase.close, capMs: 50, graceful: () => new Promise<void>(() => undefined),
      destroy: () => sockets.promise,
    });
    const report = registry.drain(50);
    await clock.advance(50);
    sockets.resolve({ detail: { closedCleanly: 1, destroyed: 1 } });
    expect((await report).resources).toEqual([
      { name: 'mysql', phase: 'close', outcome: 'destroyed', cutBy: 'cap', ms: 50, capMs: 50, detail: { closedCleanly: 1, destroyed: 1 } },
    ]);
  });

  it('drains once, whatever state it is in: a second call, during or after, gets the first report and runs nothing again', async () => {
    const flags = handResource('flags', DrainPhase.flush, 50, log);
    registry.register(flags.resource);
    const first = registry.drain(200);
    const during = registry.drain(10);
    flags.finish();
    const after = registry.drain(10);
    expect(await during).toBe(await first);
    expect(await after).toBe(await first);
    expect((await first).budgetMs).toBe(200);
    expect(log).toEqual(['flush:flags']);
  });

  it('drains nothing, cleanly, when nothing is registered', async () => {
    expect(await registry.drain(200)).toEqual({ budgetMs: 200, durationMs: 0, clean: true, resources: [] });
  });

  it('refuses a registration once the drain has started: the owner must close that client itself', async () => {
    registry.drain(200);
    expect(registry.draining).toBe(true);
    const late = () => registry.register({ name: 'late', phase: DrainPhase.close, capMs: 10, graceful: () => undefined });
    expect(late).toThrow(DrainStartedError);
    expect(late).toThrow('drain resource "late" refused: the drain has started');
  });

  it('drains nothing of a resource removed before SIGTERM', async () => {
    const remove = registry.register({ name: 'gone', phase: DrainPhase.close, capMs: 10, graceful: () => { log.push('gone'); } });
    remove();
    expect((await registry.drain(100)).resources).toEqual([]);
    expect(log).toEqual([]);
  });

  it('keeps a class instance\'s methods, and ignores later changes to the registered object', async () => {
    class FlagClient {
      flushed = 0;
      name = 'flags';
      phase = DrainPhase.flush;
      capMs = 50;
      graceful() { this.flushed += 1; }
    }
    const client = new FlagClient();
    registry.register(client);
    client.capMs = -1;
    const { resources } = await registry.drain(100);
    expect(resources).toMatchObject([{ name: 'flags', outcome: 'clean', capMs: 50 }]);
    expect(client.flushed).toBe(1);
  });

  it.each([
    ['name', { name: '' }, /drain resource name: must be 1-64 characters/],
    ['name', { name: 'has space' }, /drain resource name: .*"has space"/],
    ['phase', { phase: 'close-later' }, /drain resource phase: must be one of flush, close, got "close-later"/],
    ['capMs', { capMs: 0 }, /drain resource capMs: must be a number of ms above 0/],
    ['capMs', { capMs: Number.NaN }, /drain resource capMs: .*got NaN/],
    ['capMs', { capMs: 120_000 }, /drain resource capMs: .*at most 60000/],
    ['graceful', { graceful: 'close' }, /drain resource graceful: must be a function/],
    ['destroy', { destroy: 'destroy' }, /drain resource destroy: must be a function when given/],
  ])('refuses a registration with a bad %s, naming it', (field, change, message) => {
    const resource = { name: 'ok', phase: DrainPhase.close, capMs: 10, graceful: () => undefined, ...change } as unknown as DrainResource;
    const attempt = () => registry.register(resource);
    expect(attempt).toThrow(DrainRegistrationError);
    expect(attempt).toThrow(message);
    try { attempt(); } catch (error) { expect((error as DrainRegistrationError).field).toBe(field); }
  });

  it('refuses the same name twice in a phase, and allows it in the other (a client flushed, then closed)', () => {
    const resource = (phase: DrainPhase): DrainResource => ({ name: 'flags', phase, capMs: 10, graceful: () => undefined });
    registry.register(resource(DrainPhase.flush));
    registry.register(resource(DrainPhase.close));
    expect(() => registry.register(resource(DrainPhase.close))).toThrow('drain resource name: "flags" is already registered in phase close');
  });

  it('logs its report as one line: INFO when every resource is clean, WARN otherwise', async () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line), now: () => new Date(0) });
    const clean = createDrainRegistry({ clock, logger });
    clean.register({ name: 'redis', phase: DrainPhase.close, capMs: 10, graceful: () => undefined });
    await clean.drain(100);
    const cut = createDrainRegistry({ clock, logger });
    cut.register({ name: 'redis', phase: DrainPhase.close, capMs: 10, graceful: () => new Promise(() => undefined), destroy: () => undefined });
    const report = cut.drain(100);
    await clock.advance(10);
    await report;
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'drained every resource on SIGTERM', clean: true, resources: [expect.objectContaining({ name: 'redis', outcome: 'clean' })] }),
      expect.objectContaining({ level: 'WARN', resources: [expect.objectContaining({ name: 'redis', outcome: 'destroyed', cutBy: 'cap' })] }),
    ]);
  });

  it('cuts on the real clock too: a close that never ends is destroyed and the drain ends', async () => {
    const real = createDrainRegistry({ clock: systemClock });
    real.register({ name: 'stuck', phase: DrainPhase.close, capMs: 5, graceful: () => new Promise(() => undefined), destroy: () => { log.push('destroy:stuck'); } });
    const { resources } = await real.drain(50);
    expect(resources).toMatchObject([{ name: 'stuck', outcome: 'destroyed', cutBy: 'cap' }]);
    expect(log).toEqual(['destroy:stuck']);
    await settled();
  });
});
