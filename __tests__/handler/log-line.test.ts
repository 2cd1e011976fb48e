// A line of the function's log: its timestamp, the same text as
// Date.prototype.toISOString for every date it can be given, and its write to
// stdout, whole or not at all.
import { isoTimestamp, writeLineToFd } from '../../src/protocol/log-line';

describe('isoTimestamp', () => {
  it.each([
    ['the epoch', 0],
    ['a leap day', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['the first millisecond of a year', Date.UTC(2027, 0, 1, 0, 0, 0, 0)],
    ['a single-digit millisecond', Date.UTC(2026, 11, 7, 6, 5, 4, 3)],
    // Date.UTC reads years 0-99 as 1900-1999: these are parsed.
    ['year 0', Date.parse('0000-03-01T08:09:10.011Z')],
    ['year 42', Date.parse('0042-12-31T23:59:59.999Z')],
    ['the last millisecond of year 9999', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['year 10000', Date.UTC(10_000, 0, 1)],
    ['a year before 0', Date.UTC(-1, 5, 15, 12)],
  ])('writes %s as toISOString does', (_label, ms) => {
    const date = new Date(ms);
    expect(isoTimestamp(date)).toBe(date.toISOString());
  });

  it('writes 10 000 dates spread over years 0 to 9999 as toISOString does', () => {
    const start = Date.parse('0000-01-01T00:00:00.000Z');
    const span = Date.UTC(9999, 11, 31) - start;
    const mismatches: string[] = [];
    for (let i = 0; i < 10_000; i += 1) {
      // A fixed sequence (a multiplicative hash of i), so a failure names dates that fail again.
      const date = new Date(Math.floor(start + ((i * 2_654_435_761) % 4_294_967_296) / 4_294_967_296 * span));
      if (isoTimestamp(date) !== date.toISOString()) mismatches.push(date.toISOString());
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses an invalid date with the RangeError toISOString throws', () => {
    expect(() => isoTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('stamps the current time when given no date', () => {
    const before = Date.now();
    const stamped = Date.parse(isoTimestamp());
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });
});

describe('a log line\'s write to stdout', () => {
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

  it('writes a line the descriptor takes in parts whole, each part after the last', () => {
    const taken: string[] = [];
    const ok = writeLineToFd(1, 'abcdef\n', (_fd, buffer) => {
      const n = Math.min(3, buffer.length);
      taken.push(Buffer.from(buffer.subarray(0, n)).toString());
      return n;
    });
    expect({ ok, taken }).toEqual({ ok: true, taken: ['abc', 'def', '\n'] });
  });

  it('waits out a full non-blocking pipe (EAGAIN) and writes the line once it drains', () => {
    let refusals = 3;
    const taken: string[] = [];
    const ok = writeLineToFd(1, 'line\n', (_fd, buffer) => {
      if (refusals > 0) {
        refusals -= 1;
        throw errno('EAGAIN');
      }
      taken.push(Buffer.from(buffer).toString());
      return buffer.length;
    });
    expect({ ok, taken, refusals }).toEqual({ ok: true, taken: ['line\n'], refusals: 0 });
  });

  it('drops a line the pipe refuses 101 times in a row, without throwing', () => {
    let attempts = 0;
    const ok = writeLineToFd(1, 'line\n', () => {
      attempts += 1;
      throw errno('EAGAIN');
    });
    expect({ ok, attempts }).toEqual({ ok: false, attempts: 101 });
  });

  it('drops a line at once when nobody reads the pipe any more (EPIPE)', () => {
    let attempts = 0;
    const ok = writeLineToFd(1, 'line\n', () => {
      attempts += 1;
      throw errno('EPIPE');
    });
    expect({ ok, attempts }).toEqual({ ok: false, attempts: 1 });
  });
});
