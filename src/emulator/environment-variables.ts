// The variables Lambda gives the runtime and the extensions (DESIGN section 4),
// built explicitly: nothing of the emulator's own environment leaks in
// (NODE_OPTIONS or JEST_* of a test runner would change how the handler runs),
// except PATH, HOME and LANG that any process expects.
import * as path from 'node:path';
import { EXTENSION_HIDDEN_ENV, LambdaEnv } from '../protocol/lambda-api';

export interface FunctionIdentity {
  functionName: string;
  functionVersion: string;
  memorySizeMb: number;
  region: string;
  handler: string;
  taskRoot: string;
  logStreamName: string;
}

/** Variables taken from the emulator's process, when set. */
const INHERITED = ['HOME', 'LANG'] as const;

function basePath(): string {
  // The extension launcher runs `node` from PATH: make it the same node as ours.
  const nodeDir = path.dirname(process.execPath);
  const inherited = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  return inherited.split(path.delimiter).includes(nodeDir) ? inherited : `${nodeDir}${path.delimiter}${inherited}`;
}

export function runtimeEnvironment(identity: FunctionIdentity, runtimeApi: string, functionEnv: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: basePath() };
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  // The function's own variables first: Lambda's reserved ones cannot be overridden.
  Object.assign(env, functionEnv);
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
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    [LambdaEnv.tz]: ':UTC',
  });
  return env;
}

/** The runtime's variables minus _HANDLER, LAMBDA_TASK_ROOT, the log names and anything starting with `_`. */
export function extensionEnvironment(runtimeEnv: Record<string, string>): Record<string, string> {
  const hidden = new Set(EXTENSION_HIDDEN_ENV);
  return Object.fromEntries(Object.entries(runtimeEnv).filter(([name]) => !name.startsWith('_') && !hidden.has(name)));
}
