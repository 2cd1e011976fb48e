// EnvironmentOptions with their defaults, validated at the boundary: a bad
// option fails startEnvironment with an error naming it, before any process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTENSION_EXECUTABLE, HANDLER_DIR, HANDLER_STRING } from '../protocol/artifacts';
import { INIT_TIMEOUT_MS } from '../protocol/lambda-api';
import { InvalidOptionError } from './errors';
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
}

export const DEFAULT_FUNCTION_NAME = 'graceful-shutdown-local';
export const DEFAULT_EXTENSIONS_DIR = path.dirname(EXTENSION_EXECUTABLE);
const DEFAULT_REGION = 'us-east-1';

/** AWS's own Node.js runtime interface client, the code of the managed runtime. */
export function defaultRuntimeCommand(): string[] {
  const packageJson = require.resolve('aws-lambda-ric/package.json');
  return [process.execPath, path.join(path.dirname(packageJson), 'index.mjs')];
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
  const runtimeCommand = options.runtimeCommand ?? defaultRuntimeCommand();
  if (runtimeCommand.length === 0 || runtimeCommand.some((part) => typeof part !== 'string' || part === '')) {
    throw new InvalidOptionError('runtimeCommand', 'must be a non-empty list of non-empty strings');
  }
  const env = options.env ?? {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') throw new InvalidOptionError(`env.${name}`, `must be a string, got ${typeof value}`);
  }
  const functionName = options.functionName ?? DEFAULT_FUNCTION_NAME;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(functionName)) throw new InvalidOptionError('functionName', `"${functionName}" is not a valid Lambda function name`);
  return {
    handlerDir, handler, extensionsDir, env, functionName, memorySizeMb, timeoutMs, runtimeCommand, initTimeoutMs,
    label: options.label ?? functionName,
    region: env.AWS_REGION ?? DEFAULT_REGION,
  };
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new InvalidOptionError(option, `must be a positive integer, got ${value}`);
  return value;
}
