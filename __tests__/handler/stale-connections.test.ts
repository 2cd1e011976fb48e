// Pooled connections a pause has killed, caught before they can fail a
// request. Lambda freezes the whole process, so the handler may get its next
// event before it has read the server's FIN; here the event loop is blocked
// synchronously for the same effect, and the next request starts in the same
// tick, before any socket is read. Three defences, each shown alone: reading
// pending closes before checkout, the ping after idle, the retry rules.
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { wireHandler, type Wired } from './support';

const IDLE_TIMEOUT_S = 1;
const PAUSE_MS = 2_200;

let server: MysqlServer;
beforeAll(async () => {
  server = await startMysqlServer({ privateOnly: true });
  await server.setGlobal('wait_timeout', IDLE_TIMEOUT_S);
});
afterAll(async () => { await server?.stop(); });

/** A freeze, as far as this process can tell: no timers, no socket reads. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function warmPool(wired: Wired, id: string): Promise<void> {
  await wired.handler({ action: 'debug-sleep', seconds: 0, parallel: 2 });
  expect(await wired.handler({ action: 'put', id, data: { n: 1 } })).toMatchObject({ ok: true, version: 1 });
  expect(wired.pool.state().openSockets).toBe(2);
}

describe('after a pause longer than the server idle timeout', () => {
  let wired: Wired | undefined;
  afterEach(async () => { await wired?.pool.drain(200); wired = undefined; });

  it('a write succeeds: the server\'s pending FINs are read before a connection is picked', async () => {
    wired = wireHandler(server, {}, { validateAfterIdleMs: Infinity });
    await warmPool(wired, 'f1');
    blockEventLoop(PAUSE_MS);
    expect(await wired.handler({ action: 'put', id: 'f1', data: { n: 2 } })).toEqual({ ok: true, action: 'put', id: 'f1', version: 2 });
    expect(wired.pool.state()).toMatchObject({ staleDiscarded: 0, connectionsCreated: 3 });
  });

  it('a write succeeds when the FINs are not read yet: the dead pooled connections fail their ping and are replaced', async () => {
    wired = wireHandler(server, {}, { readPendingCloses: false });
    await warmPool(wired, 'w1');
    blockEventLoop(PAUSE_MS);
    const result = wired.handler({ action: 'put', id: 'w1', data: { n: 2 } });
    expect(await result).toEqual({ ok: true, action: 'put', id: 'w1', version: 2 });
    expect(wired.pool.state().staleDiscarded).toBeGreaterThanOrEqual(1);
    expect(wired.logs.lines.some((line) => line.message === 'discarded a stale pooled connection')).toBe(true);
  });

  describe('with the FINs unread and the ping turned off, the retry rules alone', () => {
    const retryOnly = { validateAfterIdleMs: Infinity, readPendingCloses: false };

    it('retry a read on a fresh connection: it is idempotent', async () => {
      wired = wireHandler(server, {}, retryOnly);
      await warmPool(wired, 'r1');
      blockEventLoop(PAUSE_MS);
      expect(await wired.handler({ action: 'get', id: 'r1' })).toMatchObject({ ok: true, item: { version: 1 } });
      expect(wired.logs.lines).toContainEqual(expect.objectContaining({ message: 'statement failed on a broken connection', retry: true }));
    });

    it('do not retry a write that may have reached the server: the caller gets DATABASE_ERROR, and the next write succeeds', async () => {
      wired = wireHandler(server, {}, retryOnly);
      await warmPool(wired, 'p1');
      blockEventLoop(PAUSE_MS);
      expect(await wired.handler({ action: 'put', id: 'p1', data: { n: 2 } })).toMatchObject({ ok: false, error: { code: 'DATABASE_ERROR' } });
      expect(await wired.handler({ action: 'put', id: 'p1', data: { n: 3 } })).toMatchObject({ ok: true, version: 2 });
    });
  });
});
