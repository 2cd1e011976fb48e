// The invocations of a Managed Instances environment as a person reads them:
// when each was handed out and answered, and which worker thread served it.
// The Runtime API cannot tell threads apart (the runtime client's native HTTP
// client is shared by its threads, so a connection is not a worker); the
// thread is what the runtime itself said: a `threadId` in the invocation's
// result, or in a log line carrying its request id. The runtime's log is
// parsed once (runtime-log.ts) and read by both the rows and the summary.
import { asRecord, runtimeLog, type LogEntry } from './runtime-log';
import { table } from './timeline';
import type { EnvironmentReport, InvokeResult } from './types';

const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));

/** requestId -> worker threadId, from the runtime's own results and log lines. */
export function threadsByRequest(log: readonly LogEntry[], invokes: readonly { result: InvokeResult }[]): Map<string, number> {
  const threads = new Map<string, number>();
  for (const entry of log) {
    if (typeof entry.requestId === 'string' && typeof entry.threadId === 'number') threads.set(entry.requestId, entry.threadId);
  }
  for (const { result } of invokes) {
    const threadId = asRecord(result.payload)?.threadId;
    if (typeof threadId === 'number') threads.set(result.requestId, threadId);
  }
  return threads;
}

export interface WorkerTimeline {
  /** One row per invocation: label, request, handed out, answered, worker thread, outcome. */
  rows: string[];
  /** e.g. '3 on thread 1, 5 on thread 2, 4 on thread 3'. */
  summary: string;
}

export function workerTimeline(
  report: EnvironmentReport,
  invokes: readonly { label: string; result: InvokeResult }[],
  log: readonly LogEntry[] = runtimeLog(report),
): WorkerTimeline {
  const threads = threadsByRequest(log, invokes);
  const rows = report.invocations.map((invocation) => {
    const invoke = invokes.find((candidate) => candidate.result.requestId === invocation.requestId);
    const thread = threads.get(invocation.requestId);
    return [
      invoke?.label ?? '—', invocation.requestId.slice(0, 8), ms(invocation.deliveredAt), ms(invocation.answeredAt),
      thread === undefined ? 'not reported' : `thread ${thread}`, invoke?.result.outcome ?? '—',
    ];
  });
  const counts = new Map<number, number>();
  for (const invocation of report.invocations) {
    const thread = threads.get(invocation.requestId);
    if (thread !== undefined) counts.set(thread, (counts.get(thread) ?? 0) + 1);
  }
  const summary = counts.size === 0
    ? 'the handler did not say which worker thread served which invocation'
    : [...counts].sort(([a], [b]) => a - b).map(([thread, count]) => `${count} on thread ${thread}`).join(', ');
  return { rows: table(['invoke', 'request', 'handed out', 'answered', 'worker', 'outcome'], rows, [false, false, true, true, false, false]), summary };
}
