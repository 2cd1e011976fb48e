// Lambda mounts the layers at /opt and the function package at /var/task; the
// function's environment, exactly as synthesized, may name files there
// (AWS_LAMBDA_EXEC_WRAPPER, a `--require` in NODE_OPTIONS). The emulator maps
// those prefixes onto the directories it runs from, the way a mount would,
// so the synthesized environment runs unchanged on a developer machine.
import * as path from 'node:path';
import { FunctionEnv } from '../protocol/function-env';
import { LAMBDA_LAYER_MOUNT, LAMBDA_TASK_MOUNT } from '../protocol/artifacts';

export interface Mounts {
  /** What /opt is: the layer's root; null when the function has no layer (then /opt paths stay as they are and fail as in Lambda). */
  layerDir: string | null;
  /** What /var/task is: the handler's directory. */
  taskDir: string;
}

/** Variables whose values may hold mounted paths. */
const MAPPED_VARIABLES = [FunctionEnv.execWrapper, 'NODE_OPTIONS'] as const;

function mapPrefix(value: string, mount: string, dir: string | null): string | undefined {
  if (dir === null) return undefined;
  if (value === mount) return dir;
  if (value.startsWith(`${mount}/`)) return path.join(dir, value.slice(mount.length + 1));
  return undefined;
}

/** One path: `/opt/x` -> `<layerDir>/x`, `/var/task/x` -> `<taskDir>/x`; anything else unchanged. */
export function mapMountedPath(value: string, mounts: Mounts): string {
  return mapPrefix(value, LAMBDA_LAYER_MOUNT, mounts.layerDir) ?? mapPrefix(value, LAMBDA_TASK_MOUNT, mounts.taskDir) ?? value;
}

/**
 * Every mounted path in a list of options (`--require /opt/x.cjs`,
 * `--import=/var/task/y.mjs`): a path starts a word or follows `=`.
 */
const MOUNTED_PATH = new RegExp(`(^|[\\s=])((?:${LAMBDA_LAYER_MOUNT}|${LAMBDA_TASK_MOUNT})(?:/[^\\s]*)?)(?=$|\\s)`, 'g');

export function mapMountedPaths(text: string, mounts: Mounts): string {
  return text.replace(MOUNTED_PATH, (_match, before: string, found: string) => `${before}${mapMountedPath(found, mounts)}`);
}

/** The function's variables with mounted paths mapped (only the variables Lambda or Node read as paths). */
export function mountEnvironment(functionEnv: Readonly<Record<string, string>>, mounts: Mounts): Record<string, string> {
  const env = { ...functionEnv };
  for (const name of MAPPED_VARIABLES) {
    const value = env[name];
    if (value !== undefined) env[name] = name === FunctionEnv.execWrapper ? mapMountedPath(value.trim(), mounts) : mapMountedPaths(value, mounts);
  }
  return env;
}

/**
 * The runtime's command as Lambda starts it: `$AWS_LAMBDA_EXEC_WRAPPER
 * <runtime command...>` when the variable is set (the wrapper must `exec "$@"`),
 * the command itself otherwise. `runtimeEnv` is already mounted.
 */
export function wrapRuntimeCommand(command: readonly string[], runtimeEnv: Readonly<Record<string, string>>): string[] {
  const wrapper = runtimeEnv[FunctionEnv.execWrapper];
  return wrapper ? [wrapper, ...command] : [...command];
}
