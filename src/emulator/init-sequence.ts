// Init: start every executable of the extensions
// directory in alphabetical order, wait until each has registered, start the
// runtime, and finish when the runtime and every registered extension
// (internal ones the runtime registered during its own init included) are
// waiting in `next` (on Managed Instances: one `next` per worker thread, so
// every worker has loaded the handler). Any init error, exit or the time
// limit fails the whole environment: everything is killed and the error
// carries every output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { within, type Clock } from './clock';
import type { Condition } from './condition';
import { InitFailedError, InitFailureKind, InvalidOptionError, type ProcessOutput } from './errors';
import { extensionEnvironment } from './environment-variables';
import type { Generation } from './generation';
import { wrapRuntimeCommand } from './lambda-mounts';
import { SupervisedProcess } from './process-supervisor';

export interface InitPlan {
  handlerDir: string;
  handler: string;
  extensionsDir: string | null;
  /** listExtensions(extensionsDir), listed once by the caller. */
  extensionNames: string[];
  runtimeCommand: string[];
  runtimeEnv: Record<string, string>;
  timeoutMs: number;
  /** Managed Instances: the worker threads that must each be waiting in `next`. */
  workers?: number;
}

interface Failure {
  kind: InitFailureKind;
  message: string;
  errorType?: string;
}

/** Executable files of the extensions directory, sorted by name as Lambda starts them. */
export function listExtensions(extensionsDir: string | null): string[] {
  if (extensionsDir === null) return [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(extensionsDir, { withFileTypes: true });
  } catch (cause) {
    throw new InvalidOptionError('extensionsDir', `cannot read ${extensionsDir} (${(cause as Error).message}); run \`npm run build\`, or pass null for no layer`);
  }
  return entries
    .filter((entry) => !entry.isDirectory() && isExecutable(path.join(extensionsDir, entry.name)))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export async function runInit(generation: Generation, plan: InitPlan, clock: Clock, condition: Condition, aborted: () => boolean): Promise<void> {
  const deadline = clock.now() + plan.timeoutMs;
  const track = (process: SupervisedProcess) => {
    process.onExit(() => condition.notify());
    return process;
  };
  const names = plan.extensionNames;
  const extensionEnv = extensionEnvironment(plan.runtimeEnv);
  for (const name of names) {
    const dir = plan.extensionsDir as string;
    generation.extensionProcesses.push(track(new SupervisedProcess({
      name, kind: 'extension', command: path.join(dir, name), args: [], cwd: path.dirname(dir), env: extensionEnv,
    }, clock)));
  }

  const registeredNames = () => new Set(generation.extensionsApi.registered.map((extension) => extension.name));
  const extensionsRegistered = await condition.until(
    () => failureOf(generation, aborted) ?? (names.every((name) => registeredNames().has(name)) ? null : undefined),
    deadline - clock.now(),
  );
  if (!extensionsRegistered.done) {
    const missing = names.filter((name) => !registeredNames().has(name));
    return fail(generation, { kind: InitFailureKind.extensionNotRegistered, message: `extensions did not register within ${plan.timeoutMs} ms: ${missing.join(', ')}` });
  }
  if (extensionsRegistered.value) return fail(generation, extensionsRegistered.value);

  const [command, ...args] = wrapRuntimeCommand(plan.runtimeCommand, plan.runtimeEnv);
  generation.runtime = track(new SupervisedProcess({
    name: 'runtime', kind: 'runtime', command: command as string, args: [...args, plan.handler], cwd: plan.handlerDir, env: plan.runtimeEnv,
  }, clock));

  const ready = await condition.until(
    () => failureOf(generation, aborted) ?? ((plan.workers === undefined ? generation.allWaiting : generation.runtimeReady(plan.workers)) ? null : undefined),
    deadline - clock.now(),
  );
  if (!ready.done) {
    return fail(generation, { kind: InitFailureKind.timeout, message: `init did not complete within ${plan.timeoutMs} ms (${waitingSummary(generation, plan.workers)})` });
  }
  if (ready.value) return fail(generation, ready.value);
  generation.extensionsApi.closeRegistration();
  generation.runtimeApi.closeInit();
}

function failureOf(generation: Generation, aborted: () => boolean): Failure | undefined {
  if (aborted()) return { kind: InitFailureKind.timeout, message: 'the environment was shut down during init' };
  for (const process of generation.extensionProcesses) {
    if (process.spawnError) return { kind: InitFailureKind.spawnFailed, message: `extension ${process.name} could not start: ${process.spawnError.message}` };
  }
  for (const extension of generation.extensionsApi.registered) {
    if (extension.initError) {
      return { kind: InitFailureKind.extensionInitError, message: `extension ${extension.name} reported an init error: ${extension.initError}`, errorType: extension.initError };
    }
  }
  for (const process of generation.extensionProcesses) {
    if (!process.alive) return { kind: InitFailureKind.extensionExited, message: `extension ${process.name} exited during init (${exitOf(process)})` };
  }
  const runtime = generation.runtime;
  const initError = generation.runtimeApi.initError;
  if (initError) {
    return { kind: InitFailureKind.runtimeInitError, message: `the runtime reported an init error: ${initError.errorType ?? 'unknown'} ${initError.body}`.trim(), ...(initError.errorType ? { errorType: initError.errorType } : {}) };
  }
  if (runtime?.spawnError) return { kind: InitFailureKind.spawnFailed, message: `the runtime could not start: ${runtime.spawnError.message}` };
  if (runtime && !runtime.alive) return { kind: InitFailureKind.runtimeExited, message: `the runtime exited during init (${exitOf(runtime)})` };
  return undefined;
}

function exitOf(process: SupervisedProcess): string {
  const report = process.report();
  return report.signal ? `signal ${report.signal}` : `exit code ${report.exitCode}`;
}

function waitingSummary(generation: Generation, workers: number | undefined): string {
  const parts = generation.extensionsApi.registered.map((extension) => `${extension.name}: ${extension.waiting ? 'in next' : 'not in next'}`);
  const inNext = workers === undefined
    ? (generation.runtimeApi.waiting ? 'in next' : 'not in next')
    : `${generation.runtimeApi.waitingCount} of ${workers} workers in next`;
  parts.push(`runtime: ${generation.runtime ? inNext : 'not started'}`);
  return parts.join(', ');
}

/** Kills every process of the generation, waits (bounded) for them, and throws with their output. */
async function fail(generation: Generation, failure: Failure): Promise<never> {
  const processes = generation.processes;
  await generation.environmentGoing();
  for (const process of processes) {
    process.thaw();
    process.kill();
  }
  await within(Promise.all(processes.map((process) => process.exited)), 2_000);
  for (const process of processes) process.reapGroup();
  const outputs: ProcessOutput[] = processes.map((process) => {
    const { name, pid, exitCode, signal, output } = process.report();
    return { name, pid, exitCode, signal, output };
  });
  throw new InitFailedError(failure.message, failure.kind, outputs, failure.errorType ? { errorType: failure.errorType } : {});
}
