// One JSON object per line on stdout: Lambda forwards an extension's stdout to
// the function's log group as is, and JSON lines stay queryable there.

import { isoTimestamp, writeLineToFd } from '../src/protocol/log-line';

export type LogLevel = 'INFO' | 'WARN' | 'ERROR';
export type LogLine = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export function jsonLogger(source: string, write: (line: string) => void = (line) => { writeLineToFd(1, line); }): LogLine {
  return (level, message, fields = {}) => {
    write(`${JSON.stringify({ timestamp: isoTimestamp(), level, source, message, ...fields })}\n`);
  };
}
