// The variables Lambda gives the runtime and the extensions,
// built explicitly: nothing of the emulator's own environment leaks in
// (NODE_OPTIONS or JEST_* of a test runner would change how the handler runs),
// except PATH, HOME and LANG that any process expects. PATH starts with the
// function's Node, as /var/lang/bin does in Lambda.
import { EXTENSION_HIDDEN_ENV, LambdaEnv } from '../protocol/lambda-api';
import { FunctionEnv } from '../protocol/function-env';
import { ComputeMode, INITIALIZATION_TYPE, INITIALIZATION_TYPE_ENV, type LambdaRuntime } from '../protocol/lambda-runtime';
import { pathWithNodeFirst, type LambdaNode } from './lambda-node';
import { mountEnvironment, type Mounts } from './lambda-mounts';

export interface FunctionIdentity {
  functionName: string;
  functionVersion: string;
  memorySizeMb: number;
  region: string;
  handler: string;
  taskRoot: string;
  logStreamName: string;
}

/** How and where the runtime runs: its Node, its compute mode, the mounts. */
export interface RuntimePlatform {
  runtime: LambdaRuntime;
  node: LambdaNode;
  computeMode: ComputeMode;
  managedInstances?: { maxConcurrency: number; workerCount: number };
  mounts: Mounts;
}

/** Variables taken from the emulator's process, when set. */
const INHERITED = ['HOME', 'LANG'] as const;

/** Set per compute mode from the emulator's options (which read them from the function's variables first). */
const MODE_VARIABLES: readonly string[] = [FunctionEnv.maxConcurrency, FunctionEnv.workerCount];

export function runtimeEnvironment(identity: FunctionIdentity, runtimeApi: string, functionEnv: Record<string, string>, platform: RuntimePlatform): Record<string, string> {
  // Extension launchers and wrappers run `node` from PATH: it must be the function's Node.
  const env: Record<string, string> = { PATH: pathWithNodeFirst(platform.node, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin') };
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  // The function's own variables first: Lambda's reserved ones cannot be overridden.
  Object.assign(env, mountEnvironment(functionEnv, platform.mounts));
  for (const name of MODE_VARIABLES) delete env[name];
  if (platform.computeMode === ComputeMode.managedInstances && platform.managedInstances) {
    env[FunctionEnv.maxConcurrency] = String(platform.managedInstances.maxConcurrency);
    env[FunctionEnv.workerCount] = String(platform.managedInstances.workerCount);
  }
  Object.assign(env, {
    [LambdaEnv.runtimeApi]: runtimeApi,
    [LambdaEnv.taskRoot]: identity.taskRoot,
    [LambdaEnv.handler]: identity.handler,
    [LambdaEnv.functionName]: identity.functionName,
    [LambdaEnv.functionVersion]: identity.functionVersion,
    [LambdaEnv.memorySize]: String(identity.memorySizeMb),
    [LambdaEnv.logGroupName]: `/aws/lambda/${identity.functionName}`,
    [LambdaEnv.logStreamName]: identity.logStreamName,
    [LambdaEnv.region]: identity.region,
    AWS_DEFAULT_REGION: identity.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${platform.runtime}`,
    [INITIALIZATION_TYPE_ENV]: INITIALIZATION_TYPE[platform.computeMode],
    [LambdaEnv.tz]: ':UTC',
  });
  return env;
}

/** The runtime's variables minus _HANDLER, LAMBDA_TASK_ROOT, the log names and anything starting with `_`. */
export function extensionEnvironment(runtimeEnv: Record<string, string>): Record<string, string> {
  const hidden = new Set(EXTENSION_HIDDEN_ENV);
  return Object.fromEntries(Object.entries(runtimeEnv).filter(([name]) => !name.startsWith('_') && !hidden.has(name)));
}
