// A connection that goes silent while the function uses it: mid-query (the
// statement reached the server, its answer never comes back) and at SIGTERM
// (the drain's COM_QUIT goes nowhere). Each wait has a bound: the invoke ends
// within the query bound with a structured error and the write is not run a
// second time; the drain destroys what did not close and still ends inside
// its budget.
import { ShutdownBudget } from '../../src/protocol/lambda-api';
import { DrainStrategy, FunctionEnv } from '../../src/protocol/function-env';
import { DEADLINE_BOUND_ENV, POOL_SIZE, expectRuntimeExitedWithinBudget, finalRuntime, put, sleepOn, useEnvironments, useServer } from './support';
import { isInsert, storedVersion } from './network-support';

const server = useServer();
const startEnvironment = useEnvironments(server);

/** The query bound these scenarios set, and a function timeout the unbounded baseline runs into. */
const QUERY_BOUND_ENV = { [FunctionEnv.queryTimeoutMs]: '1000' };
const FUNCTION_TIMEOUT_MS = 4_000;

describe('blackholed mid-query: a put whose answer never comes back', () => {
  async function putIntoTheVoid(env: Awaited<ReturnType<typeof startEnvironment>>, id: string) {
    expect((await env.invoke(put(id, { a: 1 }))).outcome).toBe('success');
    // The next INSERT reaches the server and is applied; the path then goes silent.
    env.network.blackhole('db', { when: 'after-next-send', match: isInsert });
    return env.invoke(put(id, { a: 2 }));
  }

  it('ends within the query bound with a structured error, and the write is not retried blindly', async () => {
    const env = await startEnvironment({ timeoutMs: FUNCTION_TIMEOUT_MS, env: QUERY_BOUND_ENV });
    const result = await putIntoTheVoid(env, 'void-1');

    expect(result).toMatchObject({ outcome: 'success', reinitialized: false, payload: { ok: false, error: { code: 'DATABASE_TIMEOUT' } } });
    // Applied once by the server (version 2), not once more on a fresh connection (version 3).
    expect(await storedVersion(server(), 'void-1')).toBe(2);
    // The environment serves on: the next put runs on a fresh connection.
    expect((await env.invoke(put('void-1', { a: 3 }))).payload).toMatchObject({ ok: true, version: 3 });
  });

  it('baseline: with a query bound longer than the function timeout the invoke times out and the environment is reset', async () => {
    const env = await startEnvironment({ timeoutMs: FUNCTION_TIMEOUT_MS, env: { [FunctionEnv.queryTimeoutMs]: '60000' } });
    const result = await putIntoTheVoid(env, 'void-2');

    expect(result.outcome).toBe('timeout');
  });
});

describe('blackholed at SIGTERM: the drain\'s COM_QUIT goes nowhere', () => {
  async function silentAtShutdown(env: Awaited<ReturnType<typeof startEnvironment>>) {
    expect((await env.invoke(put('sigterm-1', { a: 1 }))).outcome).toBe('success');
    expect((await env.invoke(sleepOn(POOL_SIZE))).outcome).toBe('success');
    env.network.blackhole('db', { when: 'shutdown' });
    return env.shutdown();
  }

  it('the drain destroys both connections at its deadline and the runtime still leaves inside its share', async () => {
    const env = await startEnvironment({ env: DEADLINE_BOUND_ENV });
    const report = await silentAtShutdown(env);

    expectRuntimeExitedWithinBudget(report, ShutdownBudget.runtimeWithExternal);
    expect(finalRuntime(report).output).toMatch(/"destroyed":2/);
    // Nothing reached the server: it holds both sessions until its own timeout.
    expect({ blackholed: report.network.connections.blackholed, held: env.network.held() }).toEqual({ blackholed: POOL_SIZE, held: POOL_SIZE });
  });

  it('baseline: the naive drain (await pool.end(); process.exit(0)) is SIGKILLed at the end of the share', async () => {
    const env = await startEnvironment({ env: { ...DEADLINE_BOUND_ENV, [FunctionEnv.drainStrategy]: DrainStrategy.naive } });
    const report = await silentAtShutdown(env);

    expect(finalRuntime(report)).toMatchObject({ killedByEmulator: true, signal: 'SIGKILL' });
  });
});
