// SIGTERM to "runtime process gone" for the built handler under aws-lambda-ric
// in the lifecycle emulator (layer extension present), with an idle pool of
// two connections, over RUNS environments one after another, against a
// private server; plus the server's view: connections aborted over all runs
// (must be 0). Run: `npm run build && npx tsx bench/drain-timing.ts [runs]`.
import { startEnvironment } from '../src/emulator';
import { startMysqlServer } from '../src/testing/mysql-server';

export interface DrainTiming {
  runs: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  sigkilled: number;
  abortedClients: number;
  samplesMs: number[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export async function measureDrainTiming(runs: number): Promise<DrainTiming> {
  const server = await startMysqlServer({ privateOnly: true });
  try {
    const before = await server.status();
    const samples: number[] = [];
    let sigkilled = 0;
    for (let run = 0; run < runs; run++) {
      const environment = await startEnvironment({ env: { ...server.handlerEnv(), HANDLER_DEBUG_ACTIONS: 'true' }, label: `drain-timing-${run}` });
      const warm = await environment.invoke({ action: 'debug-sleep', seconds: 0, parallel: 2 });
      if (warm.outcome !== 'success') throw new Error(`warm-up failed: ${JSON.stringify(warm.payload)}`);
      const report = await environment.shutdown('spindown');
      const runtime = report.processes.find((process) => process.kind === 'runtime');
      if (runtime?.killedByEmulator) sigkilled++;
      samples.push(report.sigtermToRuntimeExitMs ?? NaN);
    }
    // The server counts an aborted client when it notices the closed socket: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await server.status();
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      runs,
      medianMs: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? NaN,
      sigkilled,
      abortedClients: after.abortedClients - before.abortedClients,
      samplesMs: samples,
    };
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  const runs = Number(process.argv[2] ?? 20);
  measureDrainTiming(runs).then((result) => {
    console.log(JSON.stringify(result));
    console.log(`| SIGTERM to runtime gone, idle pool of 2, ${result.runs} environments | median ${result.medianMs} ms | max ${result.maxMs} ms | SIGKILLed ${result.sigkilled} | aborted ${result.abortedClients} |`);
  }, (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
