// Shutdown, for a spindown as for a reset:
// thaw; with no extension registered, SIGKILL the runtime and nothing else;
// otherwise SIGTERM the runtime's process group and give it 300 ms (500 ms
// when every extension is internal) before SIGKILL; only then SHUTDOWN to the
// external extensions subscribed to it, deadline = start + 2000 ms; SIGKILL
// the ones not subscribed at once and any still alive at the deadline. The
// API keeps answering throughout (the caller closes it afterwards).
// Managed Instances environments go through the same sequence and budgets:
// AWS publishes no separate shutdown budget for them, so the on-demand
// shares are assumed until it does. Before any SIGKILL, and at the end, the
// environment's network is told the environment is going.
import { ExtensionEventType, ShutdownBudget, type ShutdownReason } from '../protocol/lambda-api';
import { within, type Clock } from './clock';
import type { Generation } from './generation';
import type { SupervisedProcess } from './process-supervisor';

/** Bound on waiting for a SIGKILLed process to be reaped. */
const REAP_TIMEOUT_MS = 2_000;
const OUTPUT_DRAIN_MS = 200;

export interface ShutdownFigures {
  sigtermToRuntimeExitMs?: number;
  runtimeBudgetMs?: number;
}

export async function runShutdownSequence(generation: Generation, reason: ShutdownReason, clock: Clock): Promise<ShutdownFigures> {
  const startedAt = clock.now();
  const deadlineEpochMs = Date.now() + ShutdownBudget.total;
  generation.thaw();

  const figures = await stopRuntime(generation, clock);

  const registered = generation.extensionsApi.registered;
  const notified: SupervisedProcess[] = [];
  const unsubscribed: SupervisedProcess[] = [];
  for (const process of generation.extensionProcesses) {
    if (!process.alive) continue;
    const extension = registered.find((candidate) => candidate.kind === 'external' && candidate.name === process.name);
    if (extension?.subscribes(ExtensionEventType.shutdown)) {
      extension.enqueue({ eventType: ExtensionEventType.shutdown, shutdownReason: reason, deadlineMs: deadlineEpochMs });
      notified.push(process);
    } else {
      unsubscribed.push(process);
    }
  }
  if (unsubscribed.length > 0) await generation.environmentGoing();
  for (const process of unsubscribed) process.kill();
  const remainingMs = startedAt + ShutdownBudget.total - clock.now();
  await within(Promise.all(notified.map((process) => process.exited)), remainingMs);
  const overdue = notified.filter((process) => process.alive).map((process) => ({ process, running: !process.hasExited() }));
  if (overdue.length > 0) await generation.environmentGoing();
  for (const { process, running } of overdue) process.kill(running);

  await within(Promise.all(generation.processes.map((process) => process.exited)), REAP_TIMEOUT_MS);
  await generation.environmentGoing();
  // Children an extension or the runtime forked into its group go with it.
  for (const process of generation.processes) process.reapGroup();
  // 'exit' can come before the pipes are read to the end: wait a moment for the
  // last lines (the drain's log line is usually the last) so the report has them.
  await within(Promise.all(generation.processes.map((process) => process.outputClosed)), OUTPUT_DRAIN_MS);
  return figures;
}

async function stopRuntime(generation: Generation, clock: Clock): Promise<ShutdownFigures> {
  const runtime = generation.runtime;
  if (!runtime?.alive) return {};
  const registered = generation.extensionsApi.registered;
  if (registered.length === 0) {
    // No extension: Lambda never tells the runtime, it just kills it.
    await generation.environmentGoing();
    runtime.kill();
    await within(runtime.exited, REAP_TIMEOUT_MS);
    return {};
  }
  const budget = registered.some((extension) => extension.kind === 'external')
    ? ShutdownBudget.runtimeWithExternal
    : ShutdownBudget.runtimeInternalOnly;
  runtime.terminate();
  const sentAt = runtime.sigtermAt ?? clock.now();
  if (!(await within(runtime.exited, budget))) {
    // Judged at the deadline: the network's moment before the SIGKILL must not change the verdict.
    const running = !runtime.hasExited();
    await generation.environmentGoing();
    runtime.kill(running);
    await within(runtime.exited, REAP_TIMEOUT_MS);
  }
  const exitedAt = runtime.exitAt;
  return {
    runtimeBudgetMs: budget,
    ...(exitedAt !== undefined ? { sigtermToRuntimeExitMs: Math.round((exitedAt - sentAt) * 100) / 100 } : {}),
  };
}
