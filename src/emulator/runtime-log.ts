// The runtime's structured log: every line a runtime process printed that is
// a JSON object, parsed once per report, for every reader of it (the worker
// timeline, `npm run local`'s SIGTERM lines).
import type { EnvironmentReport } from './types';

export type LogEntry = Readonly<Record<string, unknown>>;

function asRecord(value: unknown): LogEntry | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogEntry) : undefined;
}

/** The JSON-object lines of every runtime process of the report, in order. */
export function runtimeLog(report: EnvironmentReport): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const process of report.processes.filter((candidate) => candidate.kind === 'runtime')) {
    for (const line of process.output.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = asRecord(JSON.parse(line));
        if (entry) entries.push(entry);
      } catch {
        // A line that only looks like JSON is plain output.
      }
    }
  }
  return entries;
}

export { asRecord };
