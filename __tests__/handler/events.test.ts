import { MAX_DATA_BYTES, MAX_DATA_DEPTH, parseEvent } from '../../src/handler/events';
import { EventValidationError } from '../../src/handler/errors';

const options = { debugActions: false };

/** `levels` objects nested one in another ({a:{a:...}}), the innermost holding `leaf` under `a`. */
function nestedData(levels: number, leaf: unknown = 1): Record<string, unknown> {
  let value: unknown = leaf;
  for (let level = 1; level < levels; level++) value = { a: value };
  return { a: value } as Record<string, unknown>;
}

/** `levels` arrays nested one in another, the innermost empty. */
function nestedArrays(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let level = 1; level < levels; level++) value = [value];
  return value;
}

function rejection(event: unknown, debugActions = false): EventValidationError {
  try {
    parseEvent(event, { debugActions });
  } catch (error) {
    if (error instanceof EventValidationError) return error;
    throw error;
  }
  throw new Error('parseEvent accepted the event');
}

describe('parseEvent', () => {
  it('accepts a put with an id and a JSON object', () => {
    expect(parseEvent({ action: 'put', id: 'user:42', data: { name: 'Ada' } }, options))
      .toEqual({ action: 'put', id: 'user:42', data: { name: 'Ada' } });
  });

  it('accepts get and health', () => {
    expect(parseEvent({ action: 'get', id: 'a.b_c-d' }, options)).toEqual({ action: 'get', id: 'a.b_c-d' });
    expect(parseEvent({ action: 'health' }, options)).toEqual({ action: 'health' });
  });

  it.each([
    ['a non-object event', 'not json', 'INVALID_EVENT', 'event'],
    ['an array event', [], 'INVALID_EVENT', 'event'],
    ['a missing action', { id: 'x' }, 'INVALID_EVENT', 'action'],
    ['an unknown action', { action: 'delete', id: 'x' }, 'UNKNOWN_ACTION', 'action'],
    ['a missing id', { action: 'get' }, 'INVALID_EVENT', 'id'],
    ['a numeric id', { action: 'get', id: 42 }, 'INVALID_EVENT', 'id'],
    ['an empty id', { action: 'get', id: '' }, 'INVALID_EVENT', 'id'],
    ['an id with a space', { action: 'get', id: 'a b' }, 'INVALID_EVENT', 'id'],
    ['an id with a quote', { action: 'get', id: "x'--" }, 'INVALID_EVENT', 'id'],
    ['an id of 129 characters', { action: 'get', id: 'a'.repeat(129) }, 'INVALID_EVENT', 'id'],
    ['data that is an array', { action: 'put', id: 'x', data: [1] }, 'INVALID_EVENT', 'data'],
    ['data that is a string', { action: 'put', id: 'x', data: '{}' }, 'INVALID_EVENT', 'data'],
    ['missing data', { action: 'put', id: 'x' }, 'INVALID_EVENT', 'data'],
    ['data over the size cap', { action: 'put', id: 'x', data: { blob: 'x'.repeat(MAX_DATA_BYTES) } }, 'INVALID_EVENT', 'data'],
    ['an unexpected field', { action: 'get', id: 'x', sql: 'DROP TABLE items' }, 'INVALID_EVENT', 'sql'],
  ])('rejects %s with its code, naming the field', (_name, event, code, field) => {
    const error = rejection(event);
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.toResult()).toEqual({ ok: false, error: { code, message: expect.stringContaining(field), field } });
  });

  it('knows the debug-slow-transaction action only when debug actions are enabled', () => {
    const event = { action: 'debug-slow-transaction', id: 'a', data: { v: 1 }, seconds: 2 };
    expect(rejection(event).code).toBe('UNKNOWN_ACTION');
    expect(parseEvent(event, { debugActions: true })).toEqual(event);
    expect(rejection({ ...event, seconds: -1 }, true).field).toBe('seconds');
  });

  it('knows the debug-sleep action only when debug actions are enabled', () => {
    expect(rejection({ action: 'debug-sleep', seconds: 1 }).code).toBe('UNKNOWN_ACTION');
    expect(parseEvent({ action: 'debug-sleep', seconds: 1 }, { debugActions: true })).toEqual({ action: 'debug-sleep', seconds: 1, parallel: 1 });
    expect(rejection({ action: 'debug-sleep', seconds: 0, parallel: 11 }, true).field).toBe('parallel');
    expect(rejection({ action: 'debug-sleep', seconds: 999 }, true).field).toBe('seconds');
  });

  describe('data the JSON column would refuse', () => {
    const put = (data: unknown) => ({ action: 'put', id: 'x', data });

    it(`accepts ${MAX_DATA_DEPTH} levels of objects and arrays, an empty one innermost`, () => {
      const deepest = nestedData(MAX_DATA_DEPTH - 1, {});
      expect(parseEvent(put(deepest), options)).toEqual(put(deepest));
    });

    it.each([
      ['objects', nestedData(MAX_DATA_DEPTH, {}), `data${'.a'.repeat(MAX_DATA_DEPTH)}`],
      ['objects with a value innermost', nestedData(MAX_DATA_DEPTH + 1, 1), `data${'.a'.repeat(MAX_DATA_DEPTH)}`],
      ['arrays', { list: nestedArrays(MAX_DATA_DEPTH) }, `data.list${'[0]'.repeat(MAX_DATA_DEPTH - 1)}`],
      ['200 levels', nestedData(200), `data${'.a'.repeat(MAX_DATA_DEPTH)}`],
    ])('rejects data nested one level deeper than accepted (%s), naming the path where it fails', (_name, data, path) => {
      const error = rejection(put(data));
      expect(error).toMatchObject({ code: 'INVALID_EVENT', field: 'data', path });
      expect(error.message).toBe(`${path}: nests objects and arrays deeper than ${MAX_DATA_DEPTH} levels`);
      expect(error.toResult()).toEqual({ ok: false, error: { code: 'INVALID_EVENT', message: error.message, field: 'data', path } });
    });

    it('walks a payload nested far beyond the limit without overflowing the stack', () => {
      // Deep enough that any unbounded recursion (JSON.stringify included) throws RangeError.
      const error = rejection(put(nestedData(200_000)));
      expect(error.path).toBe(`data${'.a'.repeat(MAX_DATA_DEPTH)}`);
    });

    it.each([
      ['NUL in a value', { name: 'a\u0000b' }, 'data.name', /NUL/],
      ['NUL and a lone surrogate in one value', { s: '\u0000\ud800' }, 'data.s', /NUL/],
      ['a lone high surrogate', { s: 'a\ud800b' }, 'data.s', /lone surrogate/],
      ['a high surrogate at the end', { s: 'a\ud800' }, 'data.s', /lone surrogate/],
      ['a lone low surrogate', { s: 'a\udc00' }, 'data.s', /lone surrogate/],
      ['a reversed pair', { s: '\udc00\ud800' }, 'data.s', /lone surrogate/],
      ['a bad string deep in an array', { tags: ['ok', ['fine', 'x\ud800']] }, 'data.tags[1][1]', /lone surrogate/],
      ['NUL in a key', { 'a\u0000': 1 }, 'data["a\\u0000"]', /key must not contain NUL/],
      ['a lone surrogate in a nested key', { outer: { '\ud800': 1 } }, 'data.outer["\\ud800"]', /key must be well-formed/],
    ])('rejects %s, naming where it is', (_name, data, path, message) => {
      const error = rejection(put(data));
      expect(error).toMatchObject({ code: 'INVALID_EVENT', field: 'data', path });
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(`${path}: `)).toBe(true);
    });

    it('accepts what the column stores: surrogate pairs, other control characters, empty keys', () => {
      const data = { emoji: '😀', ['😀']: [1, { '': null }], controls: '\u0001\u001f\u2028\uffff' };
      expect(parseEvent(put(data), options)).toEqual(put(data));
    });

    it('cuts a long key short in the path', () => {
      const key = `${'k'.repeat(100)} \u0000`;
      expect(rejection(put({ [key]: 1 })).path).toBe(`data["${'k'.repeat(32)}..."]`);
    });

    it.each([
      ['NaN', Number.NaN, 'must be a finite number'],
      ['Infinity', Number.POSITIVE_INFINITY, 'must be a finite number'],
      ['a BigInt', 10n, 'must be a JSON value'],
      ['a Date', new Date(0), 'must be a JSON value'],
      ['undefined', undefined, 'must be a JSON value'],
    ])('rejects %s (only an in-process caller can send it), naming where it is', (_name, value, message) => {
      const error = rejection(put({ v: value }));
      expect(error).toMatchObject({ field: 'data', path: 'data.v' });
      expect(error.message).toBe(`data.v: ${message}`);
    });
  });
});
