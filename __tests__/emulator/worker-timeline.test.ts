// Which worker thread served which invocation, as `npm run local
// -- --managed-instances` prints it: only what the runtime itself said (a
// threadId in the result or in a log line with the request id), never a guess
// from the Runtime API connection. The runtime's output is parsed once.
import type { EnvironmentReport, InvokeResult, ProcessReport } from '../../src/emulator';
import { runtimeLog } from '../../src/emulator/runtime-log';
import { threadsByRequest, workerTimeline } from '../../src/emulator/worker-timeline';

function runtime(output: string): ProcessReport {
  return { name: 'runtime', kind: 'runtime', pid: 1, exitCode: 0, signal: null, killedByEmulator: false, startedAt: 0, output };
}

function report(output: string, requestIds: string[]): EnvironmentReport {
  return {
    id: 'e', label: 'l', runtime: 'nodejs24.x', nodeVersion: 'v24.0.0', nodeBinary: '/node', computeMode: 'managed-instances',
    phases: [], resets: [], processes: [runtime(output)], extensions: [],
    invocations: requestIds.map((requestId, i) => ({ requestId, connection: 1, deliveredAt: i, answeredAt: i + 0.5 })),
    network: { model: 'direct', pathIdleTimeoutMs: 1, upstreams: [], connections: {
      opened: 0, closedByFunction: 0, closedByServer: 0, reset: 0, heldAtDestroy: 0, blackholed: 0, stateLost: 0,
      resetOnWrite: 0, faultReset: 0, heldEndedByServer: 0, released: 0, heldNow: 0,
    } },
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
    const threads = threadsByRequest(runtimeLog(report(output, ['a', 'b', 'c'])), [{ result: result('b', { threadId: 3 }) }]);
    expect([...threads]).toEqual([['a', 2], ['b', 3]]);
  });

  it('reads the log it is given, parsed once by the caller, not the output again', () => {
    const raw = report('{"requestId":"a","threadId":9}', ['a']);
    const parsedElsewhere = [{ requestId: 'a', threadId: 4 }];
    expect(workerTimeline(raw, [], parsedElsewhere).summary).toBe('1 on thread 4');
    expect(workerTimeline(raw, []).summary).toBe('1 on thread 9');
  });

  it('says a thread was not reported rather than guessing one', () => {
    const timeline = workerTimeline(report('', ['a']), [{ label: 'put', result: result('a', { ok: true }) }]);
    expect(timeline.rows[2]).toContain('not reported');
    expect(workerTimeline(report('', ['a']), []).summary).toBe('the handler did not say which worker thread served which invocation');
  });

  it('counts the invocations of each thread', () => {
    const invokes = ['a', 'b', 'c'].map((id, i) => ({ label: id, result: result(id, { threadId: i === 2 ? 1 : 2 }) }));
    expect(workerTimeline(report('', ['a', 'b', 'c']), invokes).summary).toBe('1 on thread 1, 2 on thread 2');
  });
});
