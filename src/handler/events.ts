// The data API's events, validated at the boundary: a malformed event is
// rejected with the field it got wrong before anything touches the database.
import { ErrorCode, EventValidationError } from './errors';

export const Action = {
  put: 'put',
  get: 'get',
  health: 'health',
  /**
   * `SELECT SLEEP(seconds)` on `parallel` connections at once: holds a statement
   * in flight, or fills the pool (tests and benchmarks of the drain). Only with
   * HANDLER_DEBUG_ACTIONS=true.
   */
  debugSleep: 'debug-sleep',
  /**
   * A `put` inside a transaction that then sleeps `seconds` before COMMIT: a
   * write left uncommitted when the environment is reset mid-invoke. Only with
   * HANDLER_DEBUG_ACTIONS=true.
   */
  debugSlowTransaction: 'debug-slow-transaction',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

const DEBUG_ACTIONS: ReadonlySet<string> = new Set([Action.debugSleep, Action.debugSlowTransaction]);

export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** Serialized size cap for `data`: well under a row's practical size and Lambda's 6 MB payload. */
export const MAX_DATA_BYTES = 64 * 1024;
export const MAX_SLEEP_SECONDS = 30;
export const MAX_PARALLEL = 10;

export type DataEvent =
  | { action: typeof Action.put; id: string; data: Record<string, unknown> }
  | { action: typeof Action.get; id: string }
  | { action: typeof Action.health }
  | { action: typeof Action.debugSleep; seconds: number; parallel: number }
  | { action: typeof Action.debugSlowTransaction; id: string; data: Record<string, unknown>; seconds: number };

const FIELDS: Record<Action, readonly string[]> = {
  put: ['action', 'id', 'data'],
  get: ['action', 'id'],
  health: ['action'],
  'debug-sleep': ['action', 'seconds', 'parallel'],
  'debug-slow-transaction': ['action', 'id', 'data', 'seconds'],
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function parseId(event: Record<string, unknown>): string {
  const { id } = event;
  if (typeof id !== 'string') throw new EventValidationError('id', 'must be a string');
  if (!ID_PATTERN.test(id)) throw new EventValidationError('id', 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"');
  return id;
}

/**
 * Levels of objects and arrays `data` may nest, `data` itself being level 1.
 * The lower of the two servers' limits, so an event accepted locally is
 * accepted on AWS: MariaDB's JSON_VALID (the CHECK on its JSON column) refuses
 * a 32nd level (measured on 10.11, whatever the innermost value), MySQL 8
 * refuses a JSON_DEPTH over 100.
 */
export const MAX_DATA_DEPTH = 31;
const MAX_PATH_KEY_CHARS = 32;

// Without the `u` flag these match UTF-16 code units: a high surrogate not
// followed by a low one, or a low one not preceded by a high one.
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Where in `data` a value sits, as a reader would write it (`data.tags[2]`, `data["a b"]`); long keys cut short. */
function renderPath(segments: readonly (string | number)[]): string {
  let path = 'data';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]{0,31}$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(segment.length > MAX_PATH_KEY_CHARS ? `${segment.slice(0, MAX_PATH_KEY_CHARS)}...` : segment)}]`;
  }
  return path;
}

/**
 * Why a string cannot be stored, if it cannot. A lone surrogate has no UTF-8
 * form: JSON.stringify writes it as a `\ud800` escape, which MariaDB's JSON
 * column refuses (measured on 10.11), as MySQL's JSON parser does. NUL is
 * refused too, though MariaDB stores it: C clients and most log pipelines cut
 * a string at NUL, so a value holding one would not read back the same
 * everywhere.
 */
function stringProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (U+0000)';
  // A cheap scan first: almost every string holds no surrogate at all.
  if (SURROGATE.test(text) && LONE_SURROGATE.test(text)) return 'must be well-formed Unicode (it holds a lone surrogate, which has no UTF-8 form)';
  return undefined;
}

/**
 * Everything inside `data` the JSON column would refuse, named by its path
 * (`segments`, rendered only on failure: a wide payload costs no strings).
 * Recursion stops at MAX_DATA_DEPTH, so a payload nested thousands deep (the
 * runtime's JSON.parse accepts that) costs one short walk, not a stack overflow.
 */
function checkJsonValue(value: unknown, segments: (string | number)[]): void {
  const fail = (message: string): never => {
    throw new EventValidationError('data', message, ErrorCode.invalidEvent, renderPath(segments));
  };
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail('must be a finite number');
    return;
  }
  if (typeof value === 'string') {
    const problem = stringProblem(value);
    if (problem) fail(`string ${problem}`);
    return;
  }
  if (!Array.isArray(value) && !isPlainObject(value)) fail('must be a JSON value');
  // `data` is level 1 and has no segment: a container's level is its segment count + 1.
  if (segments.length >= MAX_DATA_DEPTH) fail(`nests objects and arrays deeper than ${MAX_DATA_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      segments.push(index);
      checkJsonValue(value[index], segments);
      segments.pop();
    }
    return;
  }
  for (const key of Object.keys(value as object)) {
    segments.push(key);
    const problem = stringProblem(key);
    if (problem) fail(`key ${problem}`);
    checkJsonValue((value as Record<string, unknown>)[key], segments);
    segments.pop();
  }
}

function parseData(event: Record<string, unknown>): Record<string, unknown> {
  const { data } = event;
  if (!isPlainObject(data)) throw new EventValidationError('data', 'must be a JSON object');
  // Before the size: JSON.stringify recurses, and would overflow the stack on a payload nested deeply enough.
  checkJsonValue(data, []);
  const bytes = Buffer.byteLength(JSON.stringify(data), 'utf8');
  if (bytes > MAX_DATA_BYTES) throw new EventValidationError('data', `must serialize to at most ${MAX_DATA_BYTES} bytes, got ${bytes}`);
  return data;
}

function parseSeconds(event: Record<string, unknown>): number {
  const { seconds } = event;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_SLEEP_SECONDS) {
    throw new EventValidationError('seconds', `must be a number from 0 to ${MAX_SLEEP_SECONDS}`);
  }
  return seconds;
}

export function parseEvent(event: unknown, options: { debugActions: boolean }): DataEvent {
  if (!isPlainObject(event)) throw new EventValidationError('event', 'must be a JSON object');
  const { action } = event;
  if (action === undefined) throw new EventValidationError('action', 'is required');
  const known = typeof action === 'string' && Object.hasOwn(FIELDS, action)
    && (!DEBUG_ACTIONS.has(action) || options.debugActions);
  if (!known) {
    throw new EventValidationError('action', `must be one of ${[Action.put, Action.get, Action.health].join(', ')}`, ErrorCode.unknownAction);
  }
  const allowed = FIELDS[action as Action];
  const unexpected = Object.keys(event).find((key) => !allowed.includes(key));
  if (unexpected !== undefined) throw new EventValidationError(unexpected, `is not a field of "${action}"`);

  switch (action as Action) {
    case Action.put:
      return { action: Action.put, id: parseId(event), data: parseData(event) };
    case Action.get:
      return { action: Action.get, id: parseId(event) };
    case Action.health:
      return { action: Action.health };
    case Action.debugSlowTransaction:
      return { action: Action.debugSlowTransaction, id: parseId(event), data: parseData(event), seconds: parseSeconds(event) };
    case Action.debugSleep: {
      const seconds = parseSeconds(event);
      const parallel = event.parallel ?? 1;
      if (typeof parallel !== 'number' || !Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL) {
        throw new EventValidationError('parallel', `must be an integer from 1 to ${MAX_PARALLEL}`);
      }
      return { action: Action.debugSleep, seconds, parallel };
    }
  }
}
