// The way off CDKTF (archived 2025-12-10): core imports only through
// src/infrastructure/cdk.ts, provider classes only by deep import from the
// infrastructure room. A migration to CDK Terrain (cdktn) edits these files.
// And the rooms' arrows: the constructs never import the offline plan's
// machinery (src/offline-plan/), and no import circle anywhere in src/,
// extension/ or scripts/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

  it('lists the provider resources the migration touches (docs/adoption.md keeps the same list)', () => {
    const deep = new Set(files.filter((f) => f.startsWith('src/infrastructure/')).flatMap(importsOf)
      .filter((spec) => spec.startsWith('@cdktf/provider-aws/lib/')).map((spec) => spec.slice('@cdktf/provider-aws/lib/'.length)));
    const docs = readFileSync(path.join(PROJECT_ROOT, 'docs', 'adoption.md'), 'utf8');
    for (const resource of deep) expect({ resource, documented: docs.includes(`lib/${resource}`) }).toEqual({ resource, documented: true });
  });
});

/** A relative import resolved to the repository file it names, or undefined for a package. */
function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.join(path.posix.dirname(from), spec);
  const candidates = [base, `${base}.ts`, `${base}.mts`, `${base}.cts`, `${base}/index.ts`, base.replace(/\.m?js$/, '.ts')];
  return candidates.find((c) => /\.(ts|mts|cts)$/.test(c) && existsSync(path.join(PROJECT_ROOT, c)));
}

/** Every import circle of the graph (one per strongly connected component), each as `a -> b -> ... -> a`. */
function importCircles(graph: Map<string, string[]>): string[] {
  // Tarjan's algorithm, iterative over an explicit stack: the graph has a few hundred files.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const root of [...graph.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next);
    next += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge];
        frame.edge += 1;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next);
          next += 1;
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = (graph.get(frame.node) ?? []).includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }
  // Name one concrete circle per component: a shortest path back to its first file.
  return components.map((component) => {
    const members = new Set(component);
    const start = component[0];
    const previous = new Map<string, string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i += 1) {
      for (const to of graph.get(queue[i]) ?? []) {
        if (!members.has(to)) continue;
        if (to === start) {
          const circle = [start];
          for (let at: string | undefined = queue[i]; at !== undefined && at !== start; at = previous.get(at)) circle.splice(1, 0, at);
          return [...circle, start].join(' -> ');
        }
        if (!previous.has(to)) {
          previous.set(to, queue[i]);
          queue.push(to);
        }
      }
    }
    return component.join(', ');
  });
}

const GRAPH_ROOTS = ['src/', 'extension/', 'scripts/'];
const importGraph = new Map(files.filter((f) => GRAPH_ROOTS.some((root) => f.startsWith(root))).map((file) => [
  file,
  [...new Set(importsOf(file).map((spec) => resolveImport(file, spec)).filter((to): to is string => to !== undefined))].sort(),
]));

describe('the rooms\' import arrows', () => {
  it('resolves the relative imports it follows', () => {
    expect(importGraph.get('src/infrastructure/graceful-shutdown-stack.ts')).toEqual(expect.arrayContaining(['src/infrastructure/cdk.ts', 'src/infrastructure/versions.ts']));
    expect(importGraph.get('scripts/plan.ts')).toEqual(expect.arrayContaining(['src/offline-plan/plan-runner.ts']));
  });

  it('keeps the offline plan out of the infrastructure room: nothing in src/infrastructure/ imports src/offline-plan/', () => {
    const offenders = [...importGraph].filter(([file]) => file.startsWith('src/infrastructure/'))
      .flatMap(([file, to]) => to.filter((t) => t.startsWith('src/offline-plan/')).map((t) => `${file} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  it('has no import circle in src/, extension/ or scripts/', () => {
    expect(importCircles(importGraph)).toEqual([]);
  });

  it('finds a circle when there is one (the check can fail)', () => {
    const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', []], ['e.ts', ['e.ts']]]);
    expect(importCircles(graph)).toEqual(['a.ts -> b.ts -> c.ts -> a.ts', 'e.ts -> e.ts']);
  });
});
