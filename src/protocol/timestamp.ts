// The timestamps the function writes (its log lines, the extension's, an
// item's updatedAt): ISO 8601 in UTC to the millisecond, exactly what
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
