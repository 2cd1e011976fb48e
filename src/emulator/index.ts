// The lifecycle emulator's public API.
import { LambdaEnvironment } from './environment';
import { resolveOptions } from './options';
import type { Environment, EnvironmentOptions } from './types';

export type {
  Environment, EnvironmentOptions, EnvironmentReport, EnvironmentState, ExtensionKind, ExtensionReport,
  InvocationReport, InvokeOptions, InvokeOutcome, InvokeResult, PhaseName, PhaseReport, ProcessKind, ProcessReport,
} from './types';
export {
  ApiServerError, EmulatorError, EnvironmentStateError, InitFailedError, InitFailureKind, InvalidOptionError, LambdaNodeError, NetworkError,
} from './errors';
export {
  DEFAULT_PATH_IDLE_TIMEOUT_MS, NETWORK_MODELS, NetworkModel,
  type EnvironmentNetwork, type FaultMoment, type FaultOptions, type NetworkCounts, type NetworkOptions, type NetworkReport, type UpstreamOption,
} from './network-types';
export { DEFAULT_EXTENSIONS_DIR, DEFAULT_FUNCTION_NAME, DEFAULT_WORKER_COUNT, defaultRuntimeCommand } from './options';
export { LAMBDA_NODE_BINARY_ENV, resolveLambdaNode, type LambdaNode } from './lambda-node';
export { ComputeMode, LambdaRuntime } from '../protocol/lambda-runtime';

/**
 * Starts the Runtime+Extensions API on 127.0.0.1:0 and runs Init (extensions
 * in alphabetical order, all registered, then aws-lambda-ric with the
 * handler, all on the Node of the function's runtime). Resolves when Init is
 * done, with the environment FROZEN until the next invoke (on Managed
 * Instances: running, every worker in `next`); rejects with an
 * InitFailedError (phase, cause, every process's output), an
 * InvalidOptionError or a LambdaNodeError (no Node of the runtime's major).
 */
export async function startEnvironment(options: EnvironmentOptions = {}): Promise<Environment> {
  const environment = new LambdaEnvironment(resolveOptions(options));
  return environment.start();
}
