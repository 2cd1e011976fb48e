// Markdown for the bench: one table of DESIGN section 9's budgets (figure,
// baseline from the same run, budget, pass/fail) and detail tables below it.
import type { MachineInfo } from './machine';
import { round, type Summary } from './stats';

export type Verdict = 'pass' | 'FAIL' | 'reported' | 'not measured';

export interface BudgetRow {
  figure: string;
  measured: string;
  baseline: string;
  budget: string;
  verdict: Verdict;
  note?: string;
}

export function verdict(ok: boolean | undefined): Verdict {
  if (ok === undefined) return 'not measured';
  return ok ? 'pass' : 'FAIL';
}

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
    ['figure', 'measured', 'baseline (same run)', 'budget', 'verdict'],
    rows.map((r) => [r.figure + (r.note ? ` (${r.note})` : ''), r.measured, r.baseline, r.budget, r.verdict]),
  );
}
