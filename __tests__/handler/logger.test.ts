// The handler's log lines: one JSON object per line, whatever the fields hold.
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
});
