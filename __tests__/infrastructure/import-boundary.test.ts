// The way off CDKTF (archived 2025-12-10): core imports only through
// src/infrastructure/cdk.ts, provider classes only by deep import from the
// infrastructure room. A migration to CDK Terrain (cdktn) edits these files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';

const SCANNED = ['main.ts', 'src', 'scripts', 'extension', 'bench', '__tests__'];
const IGNORED_DIRS = new Set(['node_modules', 'dist', 'cdktf.out', '__snapshots__']);

/** Files allowed to import CDKTF's core (`cdktf`, `constructs`, `@cdktf/*` other than the provider). */
const CORE_ALLOWED = new Set([
  'src/infrastructure/cdk.ts',
  'src/infrastructure/hcl-review.ts', // @cdktf/hcl-tools, the HCL formatter
  '__tests__/setup.ts', // Testing.setupJest() for every test file
  '__tests__/infrastructure/cdktf-jest.d.ts', // the types of those matchers
]);
/** The barrel, for the synth benchmark's baseline only. */
const BARREL_ALLOWED = new Set(['bench/baseline/barrel-main.ts']);

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    const full = path.join(PROJECT_ROOT, rel);
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) if (!IGNORED_DIRS.has(name)) walk(path.join(rel, name));
    } else if (/\.(ts|mts|cts)$/.test(rel)) files.push(rel.split(path.sep).join('/'));
  };
  for (const entry of SCANNED) {
    try { walk(entry); } catch { /* folder not there */ }
  }
  return files;
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

const files = sourceFiles();

describe('the CDKTF import boundary', () => {
  it('scans the repository sources', () => {
    expect(files).toEqual(expect.arrayContaining(['main.ts', 'src/infrastructure/cdk.ts', 'src/infrastructure/function.ts']));
  });

  it('imports cdktf, constructs and @cdktf/* (except provider deep imports) only from the allowed files', () => {
    const offenders = files.flatMap((file) => importsOf(file)
      .filter((spec) => spec === 'cdktf' || spec.startsWith('cdktf/') || spec === 'constructs'
        || (spec.startsWith('@cdktf/') && !spec.startsWith('@cdktf/provider-aws')))
      .filter(() => !CORE_ALLOWED.has(file))
      .map((spec) => `${file}: ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('imports provider classes only by deep import (@cdktf/provider-aws/lib/<resource>), from infrastructure code', () => {
    const offenders = files.flatMap((file) => importsOf(file)
      .filter((spec) => spec.startsWith('@cdktf/provider-aws'))
      .filter((spec) => !(BARREL_ALLOWED.has(file)
        || (/^@cdktf\/provider-aws\/lib\/[a-z0-9-]+$/.test(spec) && /^(src\/infrastructure|__tests__\/infrastructure)\//.test(file))))
      .map((spec) => `${file}: ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('lists the provider resources the migration touches (docs/infrastructure.md keeps the same list)', () => {
    const deep = new Set(files.filter((f) => f.startsWith('src/infrastructure/')).flatMap(importsOf)
      .filter((spec) => spec.startsWith('@cdktf/provider-aws/lib/')).map((spec) => spec.slice('@cdktf/provider-aws/lib/'.length)));
    const docs = readFileSync(path.join(PROJECT_ROOT, 'docs', 'infrastructure.md'), 'utf8');
    for (const resource of deep) expect({ resource, documented: docs.includes(`lib/${resource}`) }).toEqual({ resource, documented: true });
  });
});
