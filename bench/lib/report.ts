// Markdown for the bench: one table of the budgets (figure,
// baseline from the same run, budget, pass/fail) and detail tables below it.
import type { MachineInfo } from './machine';
import { round, type Summary } from './stats';

/**
 * `FAIL` is for counts (an aborted connection, a SIGKILL where none may
 * happen) and makes the bench exit non-zero; `over budget` is for ratios,
 * which a busy machine can move, and is reported without failing the run.
 */
export type Verdict = 'pass' | 'FAIL' | 'over budget' | 'reported' | 'not measured';

export interface BudgetRow {
  figure: string;
  measured: string;
  baseline: string;
  budget: string;
  /** measured / baseline, where the budget is a ratio. */
  ratio: string;
  verdict: Verdict;
  note?: string;
}

/** A count's verdict. */
export function verdict(ok: boolean | undefined): Verdict {
  if (ok === undefined) return 'not measured';
  return ok ? 'pass' : 'FAIL';
}

/** A ratio's verdict: `ratio` within `limit` (`at most` or `at least`). */
export function ratioVerdict(ratio: number, limit: number, direction: 'at most' | 'at least'): Verdict {
  if (!Number.isFinite(ratio)) return 'not measured';
  const ok = direction === 'at most' ? ratio <= limit : ratio >= limit;
  return ok ? 'pass' : 'over budget';
}

export const x = (ratio: number) => (Number.isFinite(ratio) ? `${round(ratio, 2)}x` : 'n/a');

export const ms = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${round(x, digits)} ms`);
export const mb = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${round(x, 1)} MB`);
export const kb = (bytes: number) => `${round(bytes / 1024, 1)} KiB`;

/** "p50 / p99 / max" of a summary, in ms. */
export function dist(s: Summary | undefined): string {
  if (!s || s.n === 0) return 'n/a';
  return `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)} (n=${s.n})`;
}

/** Median and interquartile range, for repeated runs of one command. */
export function medianIqr(s: Summary | undefined, unit: (x: number) => string): string {
  if (!s || s.n === 0) return 'n/a';
  return `${unit(s.p50)} (IQR ${unit(s.p25)}–${unit(s.p75)}, n=${s.n})`;
}

function escape(cell: string): string {
  return cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function table(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.map(escape).join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

export function machineLine(m: MachineInfo): string {
  return `Measured ${m.date} on ${m.cpuModel}, ${m.nproc} CPUs, ${m.memoryMb} MB RAM, ${m.platform} (kernel ${m.kernel}), Node ${m.node}; load average at start ${m.loadAverage.join(' / ')}.`;
}

export function budgetTable(rows: BudgetRow[]): string {
  return table(
    ['figure', 'measured', 'baseline (same run)', 'ratio', 'budget', 'verdict'],
    rows.map((r) => [r.figure + (r.note ? ` (${r.note})` : ''), r.measured, r.baseline, r.ratio, r.budget, r.verdict]),
  );
}
