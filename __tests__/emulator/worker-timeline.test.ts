// Which worker thread served which invocation, as `npm run local
// -- --managed-instances` prints it: only what the runtime itself said (a
// threadId in the result or in a log line with the request id), never a guess
// from the Runtime API connection.
import type { EnvironmentReport, InvokeResult, ProcessReport } from '../../src/emulator';
import { threadsByRequest, workerRows, workerSummary } from '../../src/emulator/worker-timeline';

function runtime(output: string): ProcessReport {
  return { name: 'runtime', kind: 'runtime', pid: 1, exitCode: 0, signal: null, killedByEmulator: false, startedAt: 0, output };
}

function report(output: string, requestIds: string[]): EnvironmentReport {
  return {
    id: 'e', label: 'l', runtime: 'nodejs24.x', nodeVersion: 'v24.0.0', nodeBinary: '/node', computeMode: 'managed-instances',
    phases: [], resets: [], processes: [runtime(output)], extensions: [],
    invocations: requestIds.map((requestId, i) => ({ requestId, connection: 1, deliveredAt: i, answeredAt: i + 0.5 })),
  };
}

const result = (requestId: string, payload: unknown): InvokeResult => ({ requestId, outcome: 'success', payload, durationMs: 1, reinitialized: false });

describe('The worker timeline', () => {
  it('takes the thread from a log line carrying the request id, or from the result', () => {
    const output = [
      '{"level":"INFO","message":"put","requestId":"a","threadId":2}',
      'not json',
      '{"message":"no thread","requestId":"c"}',
    ].join('\n');
    const threads = threadsByRequest(report(output, ['a', 'b', 'c']), [{ result: result('b', { threadId: 3 }) }]);
    expect([...threads]).toEqual([['a', 2], ['b', 3]]);
  });

  it('says a thread was not reported rather than guessing one', () => {
    const rows = workerRows(report('', ['a']), [{ label: 'put', result: result('a', { ok: true }) }]);
    expect(rows[2]).toContain('not reported');
    expect(workerSummary(report('', ['a']), [])).toBe('the handler did not say which worker thread served which invocation');
  });

  it('counts the invocations of each thread', () => {
    const invokes = ['a', 'b', 'c'].map((id, i) => ({ result: result(id, { threadId: i === 2 ? 1 : 2 }) }));
    expect(workerSummary(report('', ['a', 'b', 'c']), invokes)).toBe('1 on thread 1, 2 on thread 2');
  });
});
