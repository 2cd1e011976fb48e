// Bench fragments written by the other rooms, folded in by running each one
// as its own process (`tsx bench/<name>.ts`): a fragment's servers, timers and
// globals cannot disturb the rest of the bench, and one that fails costs its
// own row only. Convention: markdown on stdout, and the last stdout line that
// parses as JSON is its machine-readable result.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';

export interface FragmentRun {
  file: string;
  ok: boolean;
  wallMs: number;
  json?: unknown;
  error?: string;
}

export interface FragmentResults {
  runs: FragmentRun[];
  markdown: string[];
}

/** The other rooms' fragments, in the order they are run. extension-startup.ts is imported directly by bench.ts. */
export const FRAGMENTS = [
  { file: 'bench/drain-timing.ts', title: 'Drain timing (handler)' },
  { file: 'bench/emulator-overhead.ts', title: 'Emulator overhead (emulator)' },
] as const;

const FRAGMENT_TIMEOUT_MS = 300_000;

function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) continue;
    try {
      return JSON.parse(trimmed);
    } catch {
      // not JSON; keep looking
    }
  }
  return undefined;
}

function runOne(file: string): Promise<FragmentRun & { stdout: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'), [file], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), FRAGMENT_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ok = code === 0;
      resolve({
        file, ok, wallMs: Date.now() - started, stdout,
        json: lastJsonLine(stdout),
        error: ok ? undefined : `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-5).join(' / ')}`,
      });
    });
  });
}

export async function runFragments(log: (message: string) => void): Promise<FragmentResults> {
  const runs: FragmentRun[] = [];
  const markdown: string[] = [];
  for (const fragment of FRAGMENTS) {
    if (!existsSync(path.join(PROJECT_ROOT, fragment.file))) {
      runs.push({ file: fragment.file, ok: false, wallMs: 0, error: 'file does not exist' });
      markdown.push(`## ${fragment.title}\n\nnot measured: ${fragment.file} does not exist.\n`);
      continue;
    }
    log(`  fragment: ${fragment.file}`);
    const { stdout, ...run } = await runOne(fragment.file);
    runs.push(run);
    const text = stdout.split('\n').filter((line) => {
      const t = line.trim();
      return !((t.startsWith('{') || t.startsWith('[')) && t.length > 200);
    }).join('\n').trim();
    markdown.push(`## ${fragment.title}\n\n${run.ok ? text : `FAILED: ${run.error}`}\n`);
  }
  return { runs, markdown };
}
