// EnvironmentOptions with their defaults, validated at the boundary: a bad
// option fails startEnvironment with an error naming it, before any process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTENSION_EXECUTABLE, HANDLER_DIR, HANDLER_STRING } from '../protocol/artifacts';
import { FunctionEnv } from '../protocol/function-env';
import { INIT_TIMEOUT_MS } from '../protocol/lambda-api';
import { ComputeMode, DEFAULT_LAMBDA_RUNTIME, LAMBDA_RUNTIMES, isLambdaRuntime, type LambdaRuntime } from '../protocol/lambda-runtime';
import { InvalidOptionError } from './errors';
import { probeNodeVersion, resolveLambdaNode, type LambdaNode } from './lambda-node';
import type { Mounts } from './lambda-mounts';
import { resolveNetwork, type ResolvedNetwork } from './network-options';
import type { EnvironmentOptions } from './types';

export interface ResolvedOptions {
  handlerDir: string;
  handler: string;
  extensionsDir: string | null;
  env: Record<string, string>;
  functionName: string;
  memorySizeMb: number;
  timeoutMs: number;
  runtimeCommand: string[];
  label: string;
  initTimeoutMs: number;
  region: string;
  runtime: LambdaRuntime;
  /** The Node of the runtime's major: first on every process's PATH, and the default runtime command's binary. */
  node: LambdaNode;
  /** The Node the runtime command really starts (the resolved one unless a custom command names another). */
  runtimeNodeVersion: string;
  computeMode: ComputeMode;
  /** Managed Instances only (undefined on-demand). */
  managedInstances?: { maxConcurrency: number; workerCount: number };
  mounts: Mounts;
  network: ResolvedNetwork;
}

export const DEFAULT_FUNCTION_NAME = 'graceful-shutdown-local';
export const DEFAULT_EXTENSIONS_DIR = path.dirname(EXTENSION_EXECUTABLE);
const DEFAULT_REGION = 'us-east-1';
/**
 * Worker threads on Managed Instances. aws-lambda-ric's own default is
 * 8 x vCPUs; a handful is enough to show concurrency and per-worker drains
 * without loading a shared 2-core machine with one V8 heap per thread.
 */
export const DEFAULT_WORKER_COUNT = 3;
const MAX_WORKER_COUNT = 64;
const MAX_CONCURRENCY = 1_024;

/**
 * AWS's own Node.js runtime interface client, the code of the managed
 * runtime, on the Node of the function's runtime (`nodejs24.x`: Node 24).
 */
export function defaultRuntimeCommand(runtime: LambdaRuntime = DEFAULT_LAMBDA_RUNTIME, node: LambdaNode = resolveLambdaNode(runtime)): string[] {
  const packageJson = require.resolve('aws-lambda-ric/package.json');
  return [node.binary, path.join(path.dirname(packageJson), 'index.mjs')];
}

/** The Node a custom runtime command starts: its first word when that is a Node binary, else the `node` on PATH. */
function runtimeNodeVersion(command: readonly string[], node: LambdaNode): string {
  const first = command[0] as string;
  if (first === node.binary || !/^node(\d+)?$/.test(path.basename(first))) return node.version;
  const version = probeNodeVersion(first);
  return version instanceof Error ? node.version : version;
}

/**
 * A Managed Instances setting from the option or, so that a synthesized
 * environment runs unchanged, from the function's own variable; both set
 * and different is a mistake worth naming.
 */
function fromOptionOrEnv(options: EnvironmentOptions, option: 'workerCount' | 'maxConcurrency', variable: string): number | undefined {
  const raw = options.env?.[variable];
  const fromEnv = raw === undefined ? undefined : Number(raw);
  if (fromEnv !== undefined && (!Number.isInteger(fromEnv) || fromEnv <= 0)) throw new InvalidOptionError(`env.${variable}`, `must be a positive integer, got "${raw}"`);
  const value = options[option];
  if (value !== undefined && fromEnv !== undefined && value !== fromEnv) {
    throw new InvalidOptionError(option, `is ${value} but env.${variable} is ${fromEnv}; set one of them`);
  }
  return value ?? fromEnv;
}

function resolveComputeMode(options: EnvironmentOptions): Pick<ResolvedOptions, 'computeMode' | 'managedInstances'> {
  const computeMode = options.computeMode ?? ComputeMode.onDemand;
  if (computeMode === ComputeMode.onDemand) {
    for (const option of ['maxConcurrency', 'workerCount'] as const) {
      if (options[option] !== undefined) throw new InvalidOptionError(option, `applies to computeMode "${ComputeMode.managedInstances}" only (computeMode is "${computeMode}")`);
    }
    return { computeMode };
  }
  if (computeMode !== ComputeMode.managedInstances) {
    throw new InvalidOptionError('computeMode', `"${String(computeMode)}" is not one of ${Object.values(ComputeMode).join(', ')}`);
  }
  const workerCount = positiveInteger('workerCount', fromOptionOrEnv(options, 'workerCount', FunctionEnv.workerCount) ?? DEFAULT_WORKER_COUNT);
  if (workerCount > MAX_WORKER_COUNT) throw new InvalidOptionError('workerCount', `at most ${MAX_WORKER_COUNT}, got ${workerCount}`);
  const maxConcurrency = positiveInteger('maxConcurrency', fromOptionOrEnv(options, 'maxConcurrency', FunctionEnv.maxConcurrency) ?? workerCount);
  if (maxConcurrency > MAX_CONCURRENCY) throw new InvalidOptionError('maxConcurrency', `at most ${MAX_CONCURRENCY}, got ${maxConcurrency}`);
  return { computeMode, managedInstances: { maxConcurrency, workerCount } };
}

export function resolveOptions(options: EnvironmentOptions): ResolvedOptions {
  const handlerDir = path.resolve(options.handlerDir ?? HANDLER_DIR);
  if (!fs.existsSync(handlerDir) || !fs.statSync(handlerDir).isDirectory()) {
    throw new InvalidOptionError('handlerDir', `${handlerDir} is not a directory (run \`npm run build\`?)`);
  }
  const handler = options.handler ?? HANDLER_STRING;
  if (!/^[^\s]+\.[^\s.]+$/.test(handler)) throw new InvalidOptionError('handler', `"${handler}" is not of the form <module>.<export>`);
  const extensionsDir = options.extensionsDir === null ? null : path.resolve(options.extensionsDir ?? DEFAULT_EXTENSIONS_DIR);
  const memorySizeMb = positiveInteger('memorySizeMb', options.memorySizeMb ?? 512);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 3_000);
  const initTimeoutMs = positiveInteger('initTimeoutMs', options.initTimeoutMs ?? INIT_TIMEOUT_MS);
  const runtime = options.runtime ?? DEFAULT_LAMBDA_RUNTIME;
  if (!isLambdaRuntime(runtime)) throw new InvalidOptionError('runtime', `"${String(runtime)}" is not one of ${LAMBDA_RUNTIMES.join(', ')}`);
  const mode = resolveComputeMode(options);
  if (options.runtimeCommand && (options.runtimeCommand.length === 0 || options.runtimeCommand.some((part) => typeof part !== 'string' || part === ''))) {
    throw new InvalidOptionError('runtimeCommand', 'must be a non-empty list of non-empty strings');
  }
  // Resolved even for a custom command: the extensions and any `node` on PATH run on it.
  const node = resolveLambdaNode(runtime);
  const runtimeCommand = options.runtimeCommand ?? defaultRuntimeCommand(runtime, node);
  const env = options.env ?? {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') throw new InvalidOptionError(`env.${name}`, `must be a string, got ${typeof value}`);
  }
  const functionName = options.functionName ?? DEFAULT_FUNCTION_NAME;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(functionName)) throw new InvalidOptionError('functionName', `"${functionName}" is not a valid Lambda function name`);
  const layerDir = options.layerDir === undefined ? (extensionsDir === null ? null : path.dirname(extensionsDir)) : options.layerDir === null ? null : path.resolve(options.layerDir);
  return {
    handlerDir, handler, extensionsDir, env, functionName, memorySizeMb, timeoutMs, runtimeCommand, initTimeoutMs,
    label: options.label ?? functionName,
    region: env.AWS_REGION ?? DEFAULT_REGION,
    runtime, node, runtimeNodeVersion: runtimeNodeVersion(runtimeCommand, node), ...mode,
    mounts: { layerDir, taskDir: handlerDir },
    network: resolveNetwork(options.network, env),
  };
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new InvalidOptionError(option, `must be a positive integer, got ${value}`);
  return value;
}
