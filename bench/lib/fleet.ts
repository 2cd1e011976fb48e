// How many environments can shut down at the same moment, per core, before
// one is SIGKILLed: found by doubling the fleet until a size fails, for our
// drain and for a runtime that leaves at once without touching its pool. The
// ratio of the two says whether the drain is what limits a fleet; the
// absolute size is the machine's.
import * as os from 'node:os';
import type { MysqlServer } from '../../src/testing/mysql-server';
import { runSimultaneous, type Variant, type VariantResult } from './lifecycle';

export interface FleetStep {
  size: number;
  passed: boolean;
  sigkilled: number;
  aborted: number;
  failures: number;
  sigtermToExitP99Ms: number;
}

export interface FleetCapacity {
  label: string;
  /** The largest size that passed (0: even the smallest failed). */
  largestPassing: number;
  perCore: number;
  /** Every size passed: the figure is the search's cap, not the machine's limit. */
  reachedCap: boolean;
  steps: FleetStep[];
  /** The aborted connections of the passing sizes, summed (ours must be 0). */
  abortedWhilePassing: number;
  /** The run at the largest passing size, for the detail table. */
  largestRun?: VariantResult;
}

export interface FleetOptions {
  sizes: readonly number[];
  /** Whether an aborted connection fails a size (ours: yes; a runtime that leaves the pool behind aborts by design). */
  abortsFail: boolean;
}

export async function fleetCapacity(server: MysqlServer, variant: Variant, options: FleetOptions, log: (m: string) => void): Promise<FleetCapacity> {
  const steps: FleetStep[] = [];
  let largestPassing = 0;
  let abortedWhilePassing = 0;
  let largestRun: VariantResult | undefined;
  for (const size of options.sizes) {
    log(`  fleet: ${variant.label}, ${size} at once`);
    const run = await runSimultaneous(server, variant, size);
    const passed = run.failures.length === 0 && run.sigkilled === 0 && run.environments === size
      && (!options.abortsFail || run.serverAbortedClients === 0);
    steps.push({
      size, passed, sigkilled: run.sigkilled, aborted: run.serverAbortedClients, failures: run.failures.length,
      sigtermToExitP99Ms: run.sigtermToExitMs.p99,
    });
    if (!passed) break;
    largestPassing = size;
    abortedWhilePassing += run.serverAbortedClients;
    largestRun = run;
  }
  const cores = os.availableParallelism();
  return {
    label: variant.label,
    largestPassing,
    perCore: largestPassing / cores,
    reachedCap: largestPassing === options.sizes[options.sizes.length - 1],
    steps,
    abortedWhilePassing,
    largestRun,
  };
}
