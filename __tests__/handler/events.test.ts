import { MAX_DATA_BYTES, parseEvent } from '../../src/handler/events';
import { EventValidationError } from '../../src/handler/errors';

const options = { debugActions: false };

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
    expect(error.toResult()).toEqual({ ok: false, error: { code, message: expect.stringContaining(field) } });
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
});
