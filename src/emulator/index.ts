// The lifecycle emulator's public API (team brief, "The emulator's programmatic API").
import { LambdaEnvironment } from './environment';
import { resolveOptions } from './options';
import type { Environment, EnvironmentOptions } from './types';

export type {
  Environment, EnvironmentOptions, EnvironmentReport, EnvironmentState, ExtensionKind, ExtensionReport,
  InvokeOptions, InvokeOutcome, InvokeResult, PhaseName, PhaseReport, ProcessKind, ProcessReport,
} from './types';
export {
  ApiServerError, EmulatorError, EnvironmentStateError, InitFailedError, InitFailureKind, InvalidOptionError,
} from './errors';
export { DEFAULT_EXTENSIONS_DIR, DEFAULT_FUNCTION_NAME, defaultRuntimeCommand } from './options';

/**
 * Starts the Runtime+Extensions API on 127.0.0.1:0 and runs Init (extensions
 * in alphabetical order, all registered, then aws-lambda-ric with the
 * handler). Resolves when Init is done, with the environment FROZEN until the
 * next invoke; rejects with an InitFailedError (phase, cause, every process's
 * output) or an InvalidOptionError.
 */
export async function startEnvironment(options: EnvironmentOptions = {}): Promise<Environment> {
  const environment = new LambdaEnvironment(resolveOptions(options));
  return environment.start();
}
