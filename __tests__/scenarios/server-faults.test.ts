// The server misbehaves around the environment's lifecycle: it hangs at the
// moment of SIGTERM, it drops idle connections during a long freeze, it
// restarts while the environment is frozen. The runtime must still leave
// inside its budget, and a caller must never see the stale connection.
import { ShutdownBudget } from '../../src/protocol/lambda-api';
import { POOL_SIZE, ServerWatch, expectRuntimeExitedWithinBudget, get, put, served, sleepOn, useEnvironments, useServer, DEADLINE_BOUND_ENV } from './support';

const server = useServer();
const startEnvironment = useEnvironments(server);

describe('the server unreachable at SIGTERM (mariadbd SIGSTOPped)', () => {
  it('still lets the runtime exit inside its 300 ms share, never SIGKILLed', async () => {
    const watch = await ServerWatch.start(server());
    const env = await startEnvironment({ env: DEADLINE_BOUND_ENV });
    expect((await env.invoke(put('hang-1', { a: 1 }))).outcome).toBe('success');
    expect((await env.invoke(sleepOn(POOL_SIZE))).outcome).toBe('success');

    await server().suspend();
    const report = await env.shutdown().finally(() => server().resume());

    expectRuntimeExitedWithinBudget(report, ShutdownBudget.runtimeWithExternal);
    // The drain wrote COM_QUIT before its deadline destroyed the sockets; the
    // server's kernel had already received it, so the woken server still reads
    // a clean goodbye on every connection.
    await watch.expectClean();
  });
});

describe('a freeze longer than the server\'s wait_timeout', () => {
  const WAIT_TIMEOUT_S = 1;
  afterEach(async () => {
    await server().setGlobal('wait_timeout', 28_800);
  });

  it('serves the next invoke successfully, with no error reaching the caller', async () => {
    // Sessions copy wait_timeout when they connect: set it before the pool exists.
    await server().setGlobal('wait_timeout', WAIT_TIMEOUT_S);
    const env = await startEnvironment();
    expect((await env.invoke(put('freeze-1', { a: 1 }))).outcome).toBe('success');
    const watch = await ServerWatch.start(server());

    // The freeze is the scenario itself (longer than wait_timeout), not a wait for something to happen.
    await env.idle(WAIT_TIMEOUT_S * 1_000 + 1_500);
    // The server really dropped the pooled connection while we were frozen:
    // waited for (its timeout thread may run late on a busy machine), before
    // the invoke below thaws the environment.
    const dropped = await watch.settled({ aborted: 1 });
    const after = await env.invoke(get('freeze-1'));

    // Its one pooled session, ended by the server's timeout: counted, logged, no longer connected.
    expect({ abortedClients: dropped.abortedClients, lines: dropped.abortedConnectionLines.length, threadsConnected: dropped.threadsConnected })
      .toEqual({ abortedClients: 1, lines: 1, threadsConnected: -1 });
    expect(served(env, after)).toMatchObject({ outcome: 'success', reinitialized: false, payload: { ok: true, item: { id: 'freeze-1', version: 1 } } });
  });
});

describe('the server restarted while the environment is frozen', () => {
  it('serves the next invoke successfully on a fresh connection', async () => {
    const env = await startEnvironment();
    expect((await env.invoke(put('restart-1', { a: 1 }))).outcome).toBe('success');

    await server().restart();
    const after = await env.invoke(put('restart-1', { a: 2 }));

    expect(served(env, after)).toEqual({
      outcome: 'success', reinitialized: false, payload: { ok: true, action: 'put', id: 'restart-1', version: 2 }, runtimeLog: undefined,
    });
  });
});
