// How big each pool is, and that a request never fails for want of a
// connection the configuration allows it. On-demand: one pool of
// DB_POOL_SIZE. On Managed Instances: one pool per worker thread, sized for
// that worker's share of AWS_LAMBDA_MAX_CONCURRENCY, with a queue that holds
// the whole environment's concurrency should it all land on one worker.
import { loadConfig } from '../../src/handler/config';
import { MAX_PARALLEL } from '../../src/handler/events';
import { FunctionEnv, POOL_SIZE } from '../../src/protocol/function-env';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { wireHandler, type Wired } from './support';

const local = { DB_HOST: '127.0.0.1', DB_USER: 'app', DB_NAME: 'app', DB_AUTH: 'password', DB_PASSWORD: 'x', DB_TLS: 'off' };
/** What Lambda sets on Managed Instances (the worker count only when the function sets it). */
const concurrency = (maxConcurrency: number, workerCount?: number): Record<string, string> => ({
  [FunctionEnv.maxConcurrency]: String(maxConcurrency),
  ...(workerCount === undefined ? {} : { [FunctionEnv.workerCount]: String(workerCount) }),
});
const managed = (maxConcurrency: number, workerCount?: number) => ({ ...local, ...concurrency(maxConcurrency, workerCount) });

describe('the pool size, from the environment', () => {
  it('is DB_POOL_SIZE on-demand, with room in the queue for one request\'s parallel statements', () => {
    expect(loadConfig(local)).toMatchObject({ poolSize: POOL_SIZE.default, poolQueueLimit: MAX_PARALLEL });
    expect(loadConfig(local).managedInstances).toBeUndefined();
  });

  it('is each worker\'s share of the concurrency on Managed Instances: 6 invocations over 3 workers is 2 each', () => {
    expect(loadConfig({ ...managed(6, 3), DB_POOL_SIZE: '5' })).toMatchObject({ poolSize: 2, managedInstances: { maxConcurrency: 6, workerCount: 3 } });
  });

  it('rounds a share up, so no invocation is left without a connection: 7 over 3 is 3', () => {
    expect(loadConfig({ ...managed(7, 3), DB_POOL_SIZE: '5' }).poolSize).toBe(3);
  });

  it('never exceeds DB_POOL_SIZE, which the fleet\'s connection check counts per worker', () => {
    expect(loadConfig({ ...managed(64, 8), DB_POOL_SIZE: '2' }).poolSize).toBe(2);
  });

  it('is DB_POOL_SIZE when the worker count is not set (the runtime client derives it from the vCPUs)', () => {
    expect(loadConfig({ ...managed(16), DB_POOL_SIZE: '3' }).poolSize).toBe(3);
  });

  it('queues every invocation of the environment at once, should all of them land on one worker', () => {
    expect(loadConfig(managed(6, 3)).poolQueueLimit).toBe(6 * MAX_PARALLEL);
  });

  it.each([
    [FunctionEnv.maxConcurrency, { ...local, [FunctionEnv.maxConcurrency]: 'many' }],
    [FunctionEnv.maxConcurrency, { ...local, [FunctionEnv.maxConcurrency]: '0' }],
    [FunctionEnv.workerCount, { ...managed(4), [FunctionEnv.workerCount]: '-1' }],
  ])('refuses a bad %s, naming it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ name: 'ConfigError', variable }) as Error);
  });
});

describe('the shutdown mode on Managed Instances', () => {
  it('refuses SHUTDOWN_MODE=in-process on Managed Instances, naming it: every worker would register the same internal extension', () => {
    expect(() => loadConfig({ ...managed(6, 3), [FunctionEnv.shutdownMode]: 'in-process' }))
      .toThrow(expect.objectContaining({ name: 'ConfigError', variable: FunctionEnv.shutdownMode }) as Error);
  });
});

describe('requests against a real server', () => {
  let server: MysqlServer;
  let wired: Wired | undefined;
  beforeAll(async () => { server = await startMysqlServer({ privateOnly: true }); });
  afterAll(async () => { await server?.stop(); });
  afterEach(async () => { await wired?.pool.drain(200); wired = undefined; });

  it('serves debug-sleep with the largest parallel validation allows at the default pool size, over the pool\'s own two connections', async () => {
    wired = wireHandler(server);
    expect(await wired.handler({ action: 'debug-sleep', seconds: 0, parallel: MAX_PARALLEL })).toMatchObject({ ok: true, parallel: MAX_PARALLEL });
    expect(wired.pool.state().connectionsCreated).toBe(POOL_SIZE.default);
  });

  it('serves the whole environment\'s concurrency landing on one worker: 6 invocations at once, 2 connections, none failed', async () => {
    wired = wireHandler(server, concurrency(6, 3));
    const { handler } = wired;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => handler({ action: 'put', id: `mi-${i}`, data: { i } })));
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(wired.pool.state()).toMatchObject({ poolSize: 2, connectionsCreated: 2 });
  });

  it('still replaces dead connections: after a server restart, concurrent invocations in one worker all succeed', async () => {
    wired = wireHandler(server, concurrency(6, 3));
    const { handler } = wired;
    await handler({ action: 'debug-sleep', seconds: 0, parallel: 2 });
    expect(wired.pool.state().connectionsCreated).toBe(2);
    await server.restart();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => handler({ action: 'put', id: `restart-${i}`, data: { i } })));
    expect(results.filter((result) => !result.ok)).toEqual([]);
    // The restart killed both pooled connections: every answer came over new ones.
    expect(wired.pool.state().connectionsCreated).toBeGreaterThan(2);
  });
});
