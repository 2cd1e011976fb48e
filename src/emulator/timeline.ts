// A report as text a person reads: the phases in order, then one row per
// process (registered, SIGTERM, exit, killed or not). Used by `npm run local`
// and handy in a failing test's message.
import type { EnvironmentReport, InvokeResult, ProcessReport } from './types';

const ms = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));

/** Left-aligned columns, widths from the content; numbers right-aligned when `numeric` says so. */
export function table(header: string[], rows: string[][], numeric: boolean[] = []): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells
    .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
    .join('  ')
    .trimEnd();
  return [line(header), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)];
}

/** ['INVOKE','INVOKE','SHUTDOWN'] → 'INVOKE×2 SHUTDOWN'. */
function received(events: string[]): string {
  if (events.length === 0) return 'none';
  const runs: [string, number][] = [];
  for (const event of events) {
    const last = runs[runs.length - 1];
    if (last && last[0] === event) last[1] += 1;
    else runs.push([event, 1]);
  }
  return runs.map(([event, count]) => (count > 1 ? `${event}×${count}` : event)).join(' ');
}

export function exitOf(process: ProcessReport): string {
  if (process.exitedAt === undefined) return 'running';
  if (process.signal) return process.signal;
  return `code ${process.exitCode}`;
}

/**
 * The phases; an invoke row names its request (and its action and outcome,
 * when the caller passes the results).
 */
export function phaseRows(report: EnvironmentReport, invokes: { label: string; result: InvokeResult }[] = []): string[] {
  const rows = report.phases.map((phase) => {
    let detail = phase.detail ?? '';
    if (phase.phase === 'invoke') {
      const invoke = invokes.find((candidate) => detail.startsWith(candidate.result.requestId));
      if (invoke) detail = `${invoke.label.padEnd(8)} → ${invoke.result.outcome}`;
    }
    if (phase.phase === 'freeze') detail = 'every process SIGSTOPped';
    return [ms(phase.startedAt), phase.phase, ms(phase.durationMs), detail];
  });
  return table(['at ms', 'phase', 'took ms', 'detail'], rows, [true, false, true, false]);
}

export function processRows(report: EnvironmentReport): string[] {
  const rows = report.processes.map((process) => {
    const registration = report.extensions.find((extension) => extension.name === process.name && process.kind === 'extension'
      && extension.registeredAt >= process.startedAt);
    return [
      process.name, process.kind, String(process.pid), ms(process.startedAt),
      registration ? `${ms(registration.registeredAt)} [${registration.events.join(',')}]` : '—',
      registration ? received(registration.received) : '—',
      ms(process.sigtermSentAt), ms(process.exitedAt), exitOf(process), process.killedByEmulator ? 'SIGKILLed' : 'no',
    ];
  });
  for (const extension of report.extensions.filter((candidate) => candidate.kind === 'internal')) {
    rows.push([extension.name, 'internal', '(runtime)', '—', `${ms(extension.registeredAt)} [${extension.events.join(',')}]`, received(extension.received), '—', '—', '—', '—']);
  }
  return table(
    ['process', 'kind', 'pid', 'started', 'registered', 'events got', 'SIGTERM at', 'exited at', 'exit', 'killed'],
    rows,
    [false, false, true, true, false, false, true, true, false, false],
  );
}

/** One sentence on how the runtime ended. */
export function runtimeEnding(report: EnvironmentReport): string {
  const runtimes = report.processes.filter((process) => process.kind === 'runtime');
  const runtime = runtimes[runtimes.length - 1];
  if (!runtime) return 'no runtime was started';
  if (report.sigtermToRuntimeExitMs === undefined) {
    return runtime.killedByEmulator ? 'the runtime was SIGKILLed without a SIGTERM (no extension registered)' : `the runtime ended with ${exitOf(runtime)}`;
  }
  const budget = report.runtimeBudgetMs ?? 0;
  return runtime.killedByEmulator
    ? `the runtime ignored SIGTERM and was SIGKILLed at its ${budget} ms budget`
    : `the runtime was gone ${report.sigtermToRuntimeExitMs.toFixed(1)} ms after SIGTERM (budget ${budget} ms)`;
}

/** The network model that ran, its upstreams, and what became of the function's connections. */
export function networkLines(report: EnvironmentReport): string[] {
  const network = report.network;
  const upstreams = network.upstreams.map((upstream) => (upstream.relay
    ? `${upstream.name} ${upstream.server} through the relay on ${upstream.relay}`
    : `${upstream.name} ${upstream.server}, connected directly`));
  const c = network.connections;
  const lines = [
    `model ${network.model}${network.model === 'destroyed' ? ' (the default)' : ''}; path idle timeout ${network.pathIdleTimeoutMs / 1000} s; ${upstreams.join('; ') || 'no upstream'}`,
  ];
  if (network.model === 'direct') return lines;
  lines.push(`${c.opened} connection${c.opened === 1 ? '' : 's'}: ${c.closedByFunction} closed from the function's side, ${c.closedByServer} by the server, `
    + `${c.heldAtDestroy} open when the environment went (left to the server), ${c.heldNow} session${c.heldNow === 1 ? '' : 's'} the server still holds`);
  const faults = [
    c.stateLost ? `${c.stateLost} lost on the path` : '', c.resetOnWrite ? `${c.resetOnWrite} reset on the function's next write` : '',
    c.blackholed ? `${c.blackholed} blackholed` : '', c.faultReset ? `${c.faultReset} reset by a fault` : '', c.reset ? `${c.reset} reset by an end` : '',
  ].filter(Boolean);
  if (faults.length > 0) lines.push(faults.join(', '));
  return lines;
}
