// Wall time and peak memory of a command and everything it starts.
// Two memory figures, because they answer different questions:
// - largestProcessRssMb: GNU time's "Maximum resident set size", i.e. the
//   biggest single process of the tree (ru_maxrss of the waited-for children);
// - treeRssMb: the biggest sum over the whole process tree, sampled from /proc
//   every 20 ms (npm + tsx + node add up; a short peak can fall between samples).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface CommandMeasurement {
  command: string;
  wallMs: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  largestProcessRssMb?: number;
  treeRssMb?: number;
  stdout: string;
  stderr: string;
}

const PAGE_KB = 4; // /proc/<pid>/statm counts pages; 4 KiB on x86_64 and arm64 Linux defaults.

function childrenByParent(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: the ppid is the 2nd field after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(entry));
      map.set(ppid, list);
    } catch {
      // the process ended between readdir and read
    }
  }
  return map;
}

function treeRssKb(root: number): number {
  const children = childrenByParent();
  let total = 0;
  const stack = [root];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard += 1) {
    const pid = stack.pop() as number;
    try {
      total += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_KB;
    } catch {
      // gone
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export async function measureCommand(argv: string[], options: MeasureOptions = {}): Promise<CommandMeasurement> {
  const useTime = existsSync(GNU_TIME);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-time-'));
  const timeFile = path.join(tmp, 'time.txt');
  const full = useTime ? [GNU_TIME, '-v', '-o', timeFile, ...argv] : argv;
  const started = process.hrtime.bigint();
  const child = spawn(full[0], full.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  let peakTreeKb = 0;
  const canPoll = existsSync('/proc/self/statm');
  const poller = canPoll ? setInterval(() => { if (child.pid) peakTreeKb = Math.max(peakTreeKb, treeRssKb(child.pid)); }, 20) : undefined;
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on('close', (code, sig) => resolve([code, sig]));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  clearTimeout(killer);
  if (poller) clearInterval(poller);
  let largestProcessRssMb: number | undefined;
  if (useTime && existsSync(timeFile)) {
    const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, 'utf8'));
    if (match) largestProcessRssMb = Number(match[1]) / 1024;
  }
  rmSync(tmp, { recursive: true, force: true });
  return {
    command: argv.join(' '),
    wallMs,
    exitCode,
    signal,
    largestProcessRssMb,
    treeRssMb: canPoll ? peakTreeKb / 1024 : undefined,
    stdout,
    stderr,
  };
}
