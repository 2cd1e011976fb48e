// The invocations of a Managed Instances environment as a person reads them:
// when each was handed out and answered, and which worker thread served it.
// The Runtime API cannot tell threads apart (the runtime client's native HTTP
// client is shared by its threads, so a connection is not a worker); the
// thread is what the runtime itself said: a `threadId` in the invocation's
// result, or in a log line carrying its request id.
import { table } from './timeline';
import type { EnvironmentReport, InvokeResult } from './types';

const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** requestId -> worker threadId, from the runtime's own results and log lines. */
export function threadsByRequest(report: EnvironmentReport, invokes: readonly { result: InvokeResult }[]): Map<string, number> {
  const threads = new Map<string, number>();
  for (const process of report.processes.filter((candidate) => candidate.kind === 'runtime')) {
    for (const line of process.output.split('\n')) {
      if (!line.startsWith('{')) continue;
      let entry: Record<string, unknown> | undefined;
      try {
        entry = asRecord(JSON.parse(line));
      } catch {
        continue;
      }
      if (typeof entry?.requestId === 'string' && typeof entry.threadId === 'number') threads.set(entry.requestId, entry.threadId);
    }
  }
  for (const { result } of invokes) {
    const threadId = asRecord(result.payload)?.threadId;
    if (typeof threadId === 'number') threads.set(result.requestId, threadId);
  }
  return threads;
}

/** One row per invocation: label, request, handed out, answered, worker thread, outcome. */
export function workerRows(report: EnvironmentReport, invokes: readonly { label: string; result: InvokeResult }[]): string[] {
  const threads = threadsByRequest(report, invokes);
  const rows = report.invocations.map((invocation) => {
    const invoke = invokes.find((candidate) => candidate.result.requestId === invocation.requestId);
    const thread = threads.get(invocation.requestId);
    return [
      invoke?.label ?? '—', invocation.requestId.slice(0, 8), ms(invocation.deliveredAt), ms(invocation.answeredAt),
      thread === undefined ? 'not reported' : `thread ${thread}`, invoke?.result.outcome ?? '—',
    ];
  });
  return table(['invoke', 'request', 'handed out', 'answered', 'worker', 'outcome'], rows, [false, false, true, true, false, false]);
}

/** e.g. '3 invocations on thread 1, 5 on thread 2, 4 on thread 3'. */
export function workerSummary(report: EnvironmentReport, invokes: readonly { result: InvokeResult }[]): string {
  const threads = threadsByRequest(report, invokes);
  const counts = new Map<number, number>();
  for (const invocation of report.invocations) {
    const thread = threads.get(invocation.requestId);
    if (thread !== undefined) counts.set(thread, (counts.get(thread) ?? 0) + 1);
  }
  if (counts.size === 0) return 'the handler did not say which worker thread served which invocation';
  return [...counts].sort(([a], [b]) => a - b).map(([thread, count]) => `${count} on thread ${thread}`).join(', ');
}
