// What happened to one environment, recorded as it happens: phases on the
// environment's monotonic clock, resets, the last shutdown's SIGTERM figures,
// every process, extension and invocation of every generation, and what the
// runtime ran on (its Lambda runtime, the Node version, the compute mode),
// and what its network did to the function's connections.
import type { ShutdownReason } from '../protocol/lambda-api';
import type { Clock } from './clock';
import type { Generation } from './generation';
import type { NetworkReport } from './network-types';
import type { ShutdownFigures } from './shutdown-sequence';
import type { EnvironmentReport, PhaseName, PhaseReport } from './types';

/** What the environment runs on: fixed for its whole life. */
export type PlatformReport = Pick<EnvironmentReport, 'runtime' | 'nodeVersion' | 'nodeBinary' | 'computeMode' | 'maxConcurrency' | 'workerCount'>;

export class ReportRecorder {
  private readonly phases: PhaseReport[] = [];
  private readonly resets: EnvironmentReport['resets'] = [];
  private readonly generations: Generation[] = [];
  private figures: ShutdownFigures = {};
  private shutdownReason?: ShutdownReason;

  constructor(
    private readonly id: string,
    private readonly label: string,
    private readonly clock: Clock,
    private readonly platform: PlatformReport,
    private readonly network: () => NetworkReport,
  ) {}

  /** Starts a phase; the returned function ends it (with an optional detail). */
  begin(phase: PhaseName): (detail?: string) => void {
    const startedAt = this.clock.now();
    let ended = false;
    return (detail?: string) => {
      if (ended) return;
      ended = true;
      this.phases.push({ phase, startedAt, durationMs: round(this.clock.now() - startedAt), ...(detail ? { detail } : {}) });
    };
  }

  addGeneration(generation: Generation): void {
    this.generations.push(generation);
  }

  addReset(reason: 'timeout' | 'failure'): void {
    this.resets.push({ reason, at: this.clock.now() });
  }

  setShutdownFigures(figures: ShutdownFigures): void {
    this.figures = figures;
  }

  setShutdownReason(reason: ShutdownReason): void {
    this.shutdownReason = reason;
  }

  build(): EnvironmentReport {
    return {
      id: this.id,
      label: this.label,
      ...this.platform,
      phases: [...this.phases].sort((a, b) => a.startedAt - b.startedAt),
      ...(this.shutdownReason ? { shutdownReason: this.shutdownReason } : {}),
      resets: [...this.resets],
      ...(this.figures.sigtermToRuntimeExitMs !== undefined ? { sigtermToRuntimeExitMs: this.figures.sigtermToRuntimeExitMs } : {}),
      ...(this.figures.runtimeBudgetMs !== undefined ? { runtimeBudgetMs: this.figures.runtimeBudgetMs } : {}),
      processes: this.generations.flatMap((generation) => generation.processes.map((process) => process.report())),
      extensions: this.generations.flatMap((generation) => generation.extensionsApi.registered.map((extension) => extension.report())),
      invocations: this.generations.flatMap((generation) => generation.runtimeApi.deliveries.map((delivery) => ({ ...delivery }))),
      network: this.network(),
    };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
