// The handler's log lines: one JSON object per line, whatever the fields hold.
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/handler/logger';

function logOnce(fields: Record<string, unknown>): Record<string, unknown> {
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line), now: () => new Date(0) });
  logger.info('facts', fields);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

describe('the handler logger', () => {
  it('prints a value referenced twice in full both times: sharing is not a cycle', () => {
    const cause = { code: 'ECONNRESET', errno: -104 };
    expect(logOnce({ first: cause, second: { cause } })).toMatchObject({ first: cause, second: { cause } });
  });

  it('prints the same array in two places in full', () => {
    const ids = [1, 2];
    expect(logOnce({ ids, again: ids })).toMatchObject({ ids: [1, 2], again: [1, 2] });
  });

  it('replaces an object that contains itself with "[Circular]" instead of throwing', () => {
    const node: Record<string, unknown> = { name: 'loop' };
    node.self = node;
    expect(logOnce({ node })).toMatchObject({ node: { name: 'loop', self: '[Circular]' } });
  });

  it('writes a BigInt as its decimal string', () => {
    expect(logOnce({ rows: 12345678901234567890n })).toMatchObject({ rows: '12345678901234567890' });
  });

  it('keeps the request ids of overlapping invocations apart, as one worker thread serves several at once', async () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line), now: () => new Date(0) });
    // The first request logs after the second started and before it ended.
    await Promise.all([
      logger.withRequestId('first', async () => { await sleep(20); logger.info('served', { n: 1 }); }),
      logger.withRequestId('second', async () => { logger.info('started', { n: 2 }); await sleep(40); logger.info('served', { n: 2 }); }),
    ]);
    logger.info('outside any request');
    const seen = lines.map((line) => JSON.parse(line) as { requestId?: string; n?: number; message: string })
      .map(({ requestId, n, message }) => ({ requestId, n, message }));
    expect(seen).toEqual([
      { requestId: 'second', n: 2, message: 'started' },
      { requestId: 'first', n: 1, message: 'served' },
      { requestId: 'second', n: 2, message: 'served' },
      { requestId: undefined, n: undefined, message: 'outside any request' },
    ]);
  });
});
