// The data API against a real private server, in-process (the runtime client
// and the drain are covered by runtime.test.ts).
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import { MAX_DATA_DEPTH } from '../../src/handler/events';
import { rowCount, wireHandler, type Wired } from './support';

let server: MysqlServer;
beforeAll(async () => { server = await startMysqlServer(); });
afterAll(async () => { await server?.stop(); });

let databaseSeq = 0;
/** Each test gets a fresh database, so "created on first use" is really first use. */
async function freshHandler(): Promise<Wired & { database: string }> {
  const database = `api_${process.pid}_${++databaseSeq}`;
  await server.query(`CREATE DATABASE \`${database}\``);
  await server.query(`GRANT ALL ON \`${database}\`.* TO '${server.user}'@'%'`);
  return { ...wireHandler(server, { DB_NAME: database }), database };
}

const context = (awsRequestId: string) => ({ awsRequestId });

/** `levels` objects nested one in another, `data` itself the outermost, the innermost holding `leaf`. */
function nested(levels: number, leaf: unknown): Record<string, unknown> {
  let value = leaf;
  for (let level = 1; level < levels; level++) value = { a: value };
  return { a: value } as Record<string, unknown>;
}

describe('the data API', () => {
  let wired: Wired & { database: string };
  beforeEach(async () => { wired = await freshHandler(); });
  afterEach(async () => { await wired.pool.drain(200); });

  it('creates its table on first use and returns version 1 for a new row', async () => {
    expect(await rowCount(server, wired.database)).toBe('no table');
    const result = await wired.handler({ action: 'put', id: 'user:1', data: { name: 'Ada' } });
    expect(result).toEqual({ ok: true, action: 'put', id: 'user:1', version: 1 });
    expect(await rowCount(server, wired.database)).toBe(1);
  });

  it('bumps the version on every put of the same id', async () => {
    await wired.handler({ action: 'put', id: 'k', data: { n: 1 } });
    await wired.handler({ action: 'put', id: 'k', data: { n: 2 } });
    expect(await wired.handler({ action: 'put', id: 'k', data: { n: 3 } })).toMatchObject({ ok: true, version: 3 });
  });

  it('gets back what was put, with its version', async () => {
    await wired.handler({ action: 'put', id: 'doc', data: { nested: { list: [1, 'two', null] }, unicode: 'é✓' } });
    const result = await wired.handler({ action: 'get', id: 'doc' });
    expect(result).toMatchObject({
      ok: true, action: 'get',
      item: { id: 'doc', data: { nested: { list: [1, 'two', null] }, unicode: 'é✓' }, version: 1 },
    });
  });

  it('answers NOT_FOUND for an id never put', async () => {
    expect(await wired.handler({ action: 'get', id: 'nobody' })).toEqual({
      ok: false, error: { code: 'NOT_FOUND', message: 'no item with id "nobody"' },
    });
  });

  it('reports pool and connection state on health', async () => {
    const result = await wired.handler({ action: 'health' });
    expect(result).toMatchObject({
      ok: true, action: 'health',
      pool: { created: true, closing: false, openSockets: 1, poolSize: 2 },
      database: { reachable: true },
    });
  });

  const deep = `data${'.a'.repeat(MAX_DATA_DEPTH)}`;
  it.each<[string, unknown, { code: string; field: string; path?: string }]>([
    ['not an object', 'put me', { code: 'INVALID_EVENT', field: 'event' }],
    ['no action', { id: 'x', data: {} }, { code: 'INVALID_EVENT', field: 'action' }],
    ['an unknown action', { action: 'drop', id: 'x' }, { code: 'UNKNOWN_ACTION', field: 'action' }],
    ['a bad id', { action: 'put', id: 'x y', data: {} }, { code: 'INVALID_EVENT', field: 'id' }],
    ['data that is not an object', { action: 'put', id: 'x', data: 'text' }, { code: 'INVALID_EVENT', field: 'data' }],
    ['an extra field', { action: 'put', id: 'x', data: {}, version: 7 }, { code: 'INVALID_EVENT', field: 'version' }],
    // Well-formed JSON the server's JSON column refuses: the caller's mistake, not a database failure.
    ['data nested 200 levels deep', { action: 'put', id: 'x', data: nested(200, 1) }, { code: 'INVALID_EVENT', field: 'data', path: deep }],
    ['data one level deeper than accepted', { action: 'put', id: 'x', data: nested(MAX_DATA_DEPTH, {}) }, { code: 'INVALID_EVENT', field: 'data', path: deep }],
    ['a string holding NUL and a lone surrogate', { action: 'put', id: 'x', data: { s: 'a\u0000\ud800' } }, { code: 'INVALID_EVENT', field: 'data', path: 'data.s' }],
    ['a lone surrogate', { action: 'put', id: 'x', data: { s: '\udc00' } }, { code: 'INVALID_EVENT', field: 'data', path: 'data.s' }],
    ['a key with a lone surrogate', { action: 'put', id: 'x', data: { '\ud800': 1 } }, { code: 'INVALID_EVENT', field: 'data', path: 'data["\\ud800"]' }],
    ['the same in a slow transaction', { action: 'debug-slow-transaction', id: 'x', data: { s: '\ud800' }, seconds: 0 },
      { code: 'INVALID_EVENT', field: 'data', path: 'data.s' }],
  ])('answers a malformed event (%s) with its code and field, and touches nothing', async (_name, event, expected) => {
    const result = await wired.handler(event, context('req-malformed'));
    expect(result).toEqual({ ok: false, error: { ...expected, message: expect.stringContaining(expected.path ?? expected.field) } });
    expect(wired.pool.state().created).toBe(false);
    expect(await rowCount(server, wired.database)).toBe('no table');
    expect(wired.logs.lines.at(-1)).toMatchObject({ level: 'WARN', message: 'request failed', requestId: 'req-malformed', code: expected.code });
  });

  it('stores and reads back the deepest data it accepts and any well-formed Unicode (the limits are the server\'s, not looser)', async () => {
    const data = { deepest: nested(MAX_DATA_DEPTH - 2, []), text: 'emoji 😀, controls \u0001\u2028\uffff', '😀': { '': null } };
    expect(await wired.handler({ action: 'put', id: 'edge', data })).toEqual({ ok: true, action: 'put', id: 'edge', version: 1 });
    expect(await wired.handler({ action: 'get', id: 'edge' })).toMatchObject({ ok: true, item: { data } });
  });

  it('answers a database error with a structured result, logs its cause, and keeps serving', async () => {
    await wired.handler({ action: 'put', id: 'a', data: {} });
    await server.query(`RENAME TABLE \`${wired.database}\`.items TO \`${wired.database}\`.items_away`);
    const failed = await wired.handler({ action: 'put', id: 'a', data: {} }, context('req-db'));
    expect(failed).toEqual({ ok: false, error: { code: 'DATABASE_ERROR', message: 'database operation "put" failed' } });
    expect(wired.logs.lines.at(-1)).toMatchObject({
      level: 'ERROR', requestId: 'req-db', operation: 'put', cause: { code: 'ER_NO_SUCH_TABLE' },
    });
    await server.query(`RENAME TABLE \`${wired.database}\`.items_away TO \`${wired.database}\`.items`);
    expect(await wired.handler({ action: 'put', id: 'a', data: {} })).toMatchObject({ ok: true, version: 2 });
  });

  it('refuses new work with SHUTTING_DOWN once the drain has started', async () => {
    await wired.handler({ action: 'health' });
    await wired.pool.drain(200);
    expect(await wired.handler({ action: 'get', id: 'a' })).toEqual({
      ok: false, error: { code: 'SHUTTING_DOWN', message: 'the environment is shutting down' },
    });
  });

  it('logs one JSON line per request with level, message, timestamp and request id', async () => {
    await wired.handler({ action: 'health' }, context('req-7'));
    const line = wired.logs.lines.at(-1);
    expect(line).toMatchObject({ level: 'INFO', message: 'request served', requestId: 'req-7', action: 'health' });
    expect(new Date(String(line?.timestamp)).toISOString()).toBe(line?.timestamp);
  });
});
