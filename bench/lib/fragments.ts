// Bench fragments written by the other rooms, folded into `npm run bench`
// through the functions they export. Each runs on its own (a failing one
// costs its own section only) and brings its own private server if it needs one.
import { measureDrainTiming, type DrainTiming } from '../drain-timing';
import { emulatorOverheadTable, runEmulatorOverheadBench, type EmulatorOverheadResults } from '../emulator-overhead';
import { round } from './stats';

export interface FragmentResults {
  drainTiming?: DrainTiming;
  emulatorOverhead?: EmulatorOverheadResults;
  errors: Record<string, string>;
  markdown: string[];
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
}

function drainTimingTable(d: DrainTiming): string {
  return [
    `Handler's drain timing (bench/drain-timing.ts): ${d.runs} environments one after another, idle pool opened with two concurrent statements, its own server`,
    '',
    '| SIGTERM → runtime gone p50 / p99 / max | SIGKILLed | Aborted_clients |',
    '|---|---|---|',
    `| ${round(d.medianMs, 1)} / ${round(d.p99Ms, 1)} / ${round(d.maxMs, 1)} ms | ${d.sigkilled} | ${d.abortedClients} |`,
  ].join('\n');
}

export async function runFragments(log: (message: string) => void, options: { drainRuns: number; overheadInvokes: number }): Promise<FragmentResults> {
  const results: FragmentResults = { errors: {}, markdown: [] };
  try {
    log('  fragment: bench/drain-timing.ts');
    results.drainTiming = await measureDrainTiming(options.drainRuns);
    results.markdown.push(`## Drain timing (handler fragment)\n\n${drainTimingTable(results.drainTiming)}\n`);
  } catch (error) {
    results.errors['drain-timing'] = message(error);
    results.markdown.push(`## Drain timing (handler fragment)\n\nFAILED: ${message(error)}\n`);
  }
  try {
    log('  fragment: bench/emulator-overhead.ts');
    results.emulatorOverhead = await runEmulatorOverheadBench({ invokes: options.overheadInvokes });
    results.markdown.push(`## Emulator overhead (emulator fragment)\n\n${emulatorOverheadTable(results.emulatorOverhead)}\n`);
  } catch (error) {
    results.errors['emulator-overhead'] = message(error);
    results.markdown.push(`## Emulator overhead (emulator fragment)\n\nFAILED: ${message(error)}\n`);
  }
  return results;
}
