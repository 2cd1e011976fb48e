// Server-side prepared statements (mysql2 execute()/prepare()) pin RDS Proxy
// sessions to one database connection. The handler must only use query().
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const HANDLER_SRC = path.join(__dirname, '..', '..', 'src', 'handler');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('the handler source', () => {
  const files = sources(HANDLER_SRC);

  it('exists (the guard below scans something)', () => {
    expect(files.map((file) => path.basename(file))).toEqual(expect.arrayContaining(['index.ts', 'pool.ts', 'repository.ts']));
  });

  it('never calls execute() or prepare(): prepared statements pin RDS Proxy sessions', () => {
    const offenders = files.flatMap((file) =>
      readFileSync(file, 'utf8').split('\n')
        .map((line, index) => ({ line, where: `${path.relative(HANDLER_SRC, file)}:${index + 1}` }))
        .filter(({ line }) => !/^\s*(\/\/|\*)/.test(line) && /\.(execute|prepare)\s*\(/.test(line))
        .map(({ where }) => where));
    expect(offenders).toEqual([]);
  });
});
