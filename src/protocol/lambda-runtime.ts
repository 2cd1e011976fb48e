// The Lambda Node.js runtimes this project accepts and the compute modes it
// runs on. Shared by the infrastructure (the function's `runtime`), the build
// (esbuild's target) and the emulator (which Node major runs the runtime).
// No paths or `__dirname` here: the handler's ESM bundle may import it.

/**
 * `nodejs24.x` is the default (GA since 2025-11-25); `nodejs22.x` is accepted
 * until its deprecation on 2027-04-30.
 */
export const LambdaRuntime = {
  nodejs24: 'nodejs24.x',
  nodejs22: 'nodejs22.x',
} as const;
export type LambdaRuntime = (typeof LambdaRuntime)[keyof typeof LambdaRuntime];

export const DEFAULT_LAMBDA_RUNTIME: LambdaRuntime = LambdaRuntime.nodejs24;

export const LAMBDA_RUNTIMES: readonly LambdaRuntime[] = Object.values(LambdaRuntime);

/** The Node.js major a runtime runs: `nodejs24.x` -> 24. */
export function nodeMajorOf(runtime: LambdaRuntime): number {
  return Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
}

export function isLambdaRuntime(value: unknown): value is LambdaRuntime {
  return typeof value === 'string' && (LAMBDA_RUNTIMES as readonly string[]).includes(value);
}

/**
 * `on-demand`: one invocation at a time, frozen between invokes.
 * `managed-instances`: a capacity provider's instances; never frozen, several
 * invocations at once, the Node runtime runs the handler in worker threads.
 */
export const ComputeMode = {
  onDemand: 'on-demand',
  managedInstances: 'managed-instances',
} as const;
export type ComputeMode = (typeof ComputeMode)[keyof typeof ComputeMode];

/**
 * Set by Lambda for the runtime in every mode. The Managed Instances
 * variables (AWS_LAMBDA_MAX_CONCURRENCY, AWS_LAMBDA_NODEJS_WORKER_COUNT) are
 * in FunctionEnv, since the handler reads them too.
 */
export const INITIALIZATION_TYPE_ENV = 'AWS_LAMBDA_INITIALIZATION_TYPE';

/** `AWS_LAMBDA_INITIALIZATION_TYPE` per compute mode. */
export const INITIALIZATION_TYPE: Readonly<Record<ComputeMode, string>> = {
  [ComputeMode.onDemand]: 'on-demand',
  [ComputeMode.managedInstances]: 'lambda-managed-instances',
};
