// A thaw onto a path that changed while the environment was frozen: the
// path forgot the connection (a NAT gateway's or NLB's idle timeout), or it
// went silent (a blackhole: nothing answers, nothing closes). Either way the
// caller must get its answer, without a re-init, well inside the function
// timeout; the handler finds out at checkout (its ping, bounded) and opens a
// fresh connection.
import { FunctionEnv, DB_WAIT_BOUNDS_MS } from '../../src/protocol/function-env';
import { VALIDATE_AFTER_IDLE_MS } from '../../src/handler/pool';
import { POOL_SIZE, get, put, served, sleepOn, useEnvironments, useServer } from './support';
import { isInsert, storedVersion } from './network-support';

const server = useServer();
const startEnvironment = useEnvironments(server);

/** Long enough that checkout pings every pooled connection (they sat idle past VALIDATE_AFTER_IDLE_MS). */
const IDLE_MS = VALIDATE_AFTER_IDLE_MS + 500;

describe('a thaw after the path lost the connection\'s state', () => {
  it('serves the next invoke: the checkout\'s ping meets the reset, a fresh connection answers, the caller sees no error', async () => {
    // The path forgets a flow idle longer than this (350 s on AWS; shortened here).
    const env = await startEnvironment({ network: { pathIdleTimeoutMs: 300 } });
    expect((await env.invoke(put('lost-1', { a: 1 }))).outcome).toBe('success');

    await env.idle(IDLE_MS);
    const after = await env.invoke(get('lost-1'));

    expect(served(env, after)).toMatchObject({ outcome: 'success', reinitialized: false, payload: { ok: true, item: { id: 'lost-1', version: 1 } } });
    expect(env.report().network.connections).toMatchObject({ stateLost: 1, resetOnWrite: 1 });
  });

  it('baseline: the same lost state met by a write itself (no checkout ping in between) reaches the caller as an error, and is not retried', async () => {
    const env = await startEnvironment();
    expect((await env.invoke(put('lost-2', { a: 1 }))).outcome).toBe('success');
    env.network.reset('db', { when: 'next-send', match: isInsert });

    const after = await env.invoke(put('lost-2', { a: 2 }));

    expect(after).toMatchObject({ outcome: 'success', payload: { ok: false, error: { code: 'DATABASE_ERROR' } } });
    expect(await storedVersion(server(), 'lost-2')).toBe(1);
  });
});

describe(`a pooled connection blackholed while frozen (function timeout 3 s, pool of ${POOL_SIZE})`, () => {
  async function blackholedThaw(env: Awaited<ReturnType<typeof startEnvironment>>) {
    expect((await env.invoke(put('silent-1', { a: 1 }))).outcome).toBe('success');
    expect((await env.invoke(sleepOn(POOL_SIZE))).outcome).toBe('success');
    // Frozen now: both pooled connections go silent.
    env.network.blackhole('db');
    await env.idle(IDLE_MS);
    return env.invoke(get('silent-1'));
  }

  it(`is found dead at checkout by a ping bounded at ${DB_WAIT_BOUNDS_MS.ping.default} ms, discarded, and the invoke succeeds on a fresh connection`, async () => {
    const env = await startEnvironment({ timeoutMs: 3_000 });
    const after = await blackholedThaw(env);

    expect(served(env, after)).toMatchObject({ outcome: 'success', reinitialized: false, payload: { ok: true, item: { id: 'silent-1', version: 1 } } });
    // The silent sessions are still held by the server: nothing reached it, not even the function's close.
    expect({ blackholed: env.report().network.connections.blackholed, held: env.network.held() }).toEqual({ blackholed: POOL_SIZE, held: POOL_SIZE });
  });

  it('baseline: with a ping bound longer than the function timeout the invoke times out and the environment is reset', async () => {
    const env = await startEnvironment({ timeoutMs: 3_000, env: { [FunctionEnv.pingTimeoutMs]: '5000' } });
    const after = await blackholedThaw(env);

    expect(after.outcome).toBe('timeout');
  });
});
