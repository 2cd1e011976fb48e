// A line of the function's log as each of its writers emits it (handler,
// coordinator, extension): one JSON object, written whole to fd 1, which
// Lambda forwards to the log group line by line.
import { writeSync } from 'node:fs';

// The timestamps the function writes (its log lines, an item's updatedAt):
// ISO 8601 in UTC to the millisecond, exactly what
// Date.prototype.toISOString writes. Built from the UTC getters instead: a
// process's first toISOString costs Node 24 0.8-1.9 ms, the first call of
// this function 0.2 ms (fresh processes on the CI machine), and the handler
// writes its first log line during every cold start's Init.

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

export function isoTimestamp(date: Date = new Date()): string {
  const year = date.getUTCFullYear();
  // Six-digit and negative years, and an invalid date (RangeError): toISOString's own answer.
  if (!(year >= 0 && year <= 9999)) return date.toISOString();
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`
    + `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${pad(date.getUTCMilliseconds(), 3)}Z`;
}

// A write(2) on fd 1, not process.stdout: the stream costs about 4 ms to set
// up at its first write (measured on the function's Node), which would be
// the largest part of what the handler adds to the floor's import, and of
// what the extension does once told to shut down (6 ms, beside the runtime's
// drain on the same cores); aws-lambda-ric never sets it up on Lambda (it logs through a descriptor of
// its own). Synchronous, which the drain relies on: its last line is written
// just before the process dies by signal. A pipe left non-blocking by whoever
// reads it and full answers EAGAIN: waited out in 1 ms steps, at most 100
// times; a line that still cannot be written (or EPIPE) is dropped, as a log
// line must never fail the request that wrote it.
const EAGAIN_WAITS = 100;
let sleeper: Int32Array | undefined;

export function writeLineToFd(fd: number, line: string, write: (fd: number, buffer: Uint8Array) => number = writeSync): boolean {
  let rest = Buffer.from(line);
  for (let waits = 0; rest.length > 0;) {
    try {
      rest = rest.subarray(write(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || waits >= EAGAIN_WAITS) return false;
      waits += 1;
      sleeper ??= new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
  return true;
}
