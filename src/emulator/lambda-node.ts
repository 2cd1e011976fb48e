// The Node.js binary the function's runtime runs on: the major of its Lambda
// runtime (`nodejs24.x` -> Node 24), whatever Node runs the tools. Each
// candidate is checked by running it (`--version`), so a wrong major is never
// taken on trust. No candidate of the right major is an error that says how to
// get one: the emulator never runs a function silently on another major.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeMajorOf, type LambdaRuntime } from '../protocol/lambda-runtime';
import { LambdaNodeError } from './errors';

/** Names a Node binary to use instead of searching (any platform, any install method). */
export const LAMBDA_NODE_BINARY_ENV = 'LAMBDA_NODE_BINARY';

/** Where the binary came from, for the report and for error messages. */
export type LambdaNodeSource = 'override' | 'package' | 'tools' | 'path';

export interface LambdaNode {
  readonly runtime: LambdaRuntime;
  readonly major: number;
  /** Absolute path of the binary. */
  readonly binary: string;
  /** `process.version` of that binary, e.g. `v24.22.3`. */
  readonly version: string;
  readonly source: LambdaNodeSource;
}

/** Where to look; every field defaults to this machine's. Tests narrow it. */
export interface NodeSearch {
  env?: Readonly<Record<string, string | undefined>>;
  /** Node binaries installed as npm platform packages (`node-linux-<arch>`). */
  packageBinaries?: readonly string[];
  /** The Node running the emulator; null to leave it out. */
  toolsNode?: string | null;
  /** Directories searched for a `node` executable, in order. */
  pathDirs?: readonly string[];
}

interface Tried {
  binary: string;
  source: LambdaNodeSource;
  /** The version it printed, or why it could not be run. */
  outcome: string;
}

const VERSION_TIMEOUT_MS = 15_000;
const probed = new Map<string, string | Error>();

/**
 * `process.version` of a Node binary, by running it once (cached per path:
 * each run costs tens of milliseconds). An Error when it cannot be run or
 * does not print a Node version.
 */
export function probeNodeVersion(binary: string): string | Error {
  const cached = probed.get(binary);
  if (cached !== undefined) return cached;
  let result: string | Error;
  try {
    const printed = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: VERSION_TIMEOUT_MS, env: {}, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    result = /^v\d+\.\d+\.\d+/.test(printed) ? printed : new Error(`printed "${printed.slice(0, 60)}", not a Node version`);
  } catch (error) {
    result = new Error((error as Error).message.split('\n')[0] ?? 'could not run it');
  }
  probed.set(binary, result);
  return result;
}

export function majorOf(version: string): number {
  return Number(/^v(\d+)\./.exec(version)?.[1] ?? NaN);
}

/** The platform package's binary for this machine: `npm ci` installs the one matching os/cpu. */
export function installedPackageBinaries(): string[] {
  if (process.platform !== 'linux') return [];
  const found: string[] = [];
  for (const name of [`node-linux-${process.arch}`]) {
    try {
      const binary = path.join(path.dirname(require.resolve(`${name}/package.json`)), 'bin', 'node');
      if (fs.existsSync(binary)) found.push(binary);
    } catch {
      // Not installed (another platform, or `npm ci --omit=optional`): the search goes on.
    }
  }
  return found;
}

function pathCandidates(dirs: readonly string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    if (!dir) continue;
    const binary = path.resolve(dir, 'node');
    try {
      fs.accessSync(binary, fs.constants.X_OK);
      if (fs.statSync(binary).isFile()) found.push(binary);
    } catch {
      // Not there or not executable.
    }
  }
  return found;
}

/** Finds a Node of the runtime's major, or throws a LambdaNodeError naming what was tried and how to get one. */
export function resolveLambdaNode(runtime: LambdaRuntime, search: NodeSearch = {}): LambdaNode {
  const major = nodeMajorOf(runtime);
  const env = search.env ?? process.env;
  const override = env[LAMBDA_NODE_BINARY_ENV];
  if (override !== undefined && override !== '') {
    const binary = path.resolve(override);
    const version = probeNodeVersion(binary);
    if (version instanceof Error) {
      throw new LambdaNodeError(`${LAMBDA_NODE_BINARY_ENV}=${override} cannot be run as Node: ${version.message}`, runtime, [{ binary, source: 'override', outcome: version.message }]);
    }
    if (majorOf(version) !== major) {
      throw new LambdaNodeError(`${LAMBDA_NODE_BINARY_ENV}=${override} is Node ${version}, but runtime ${runtime} runs Node ${major}`, runtime, [{ binary, source: 'override', outcome: version }]);
    }
    return { runtime, major, binary, version, source: 'override' };
  }

  const toolsNode = search.toolsNode === undefined ? process.execPath : search.toolsNode;
  const pathDirs = search.pathDirs ?? (env.PATH ?? '').split(path.delimiter);
  const candidates: { binary: string; source: LambdaNodeSource }[] = [
    ...(search.packageBinaries ?? installedPackageBinaries()).map((binary) => ({ binary, source: 'package' as const })),
    ...(toolsNode ? [{ binary: toolsNode, source: 'tools' as const }] : []),
    ...pathCandidates(pathDirs).map((binary) => ({ binary, source: 'path' as const })),
  ];
  const tried: Tried[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const binary = path.resolve(candidate.binary);
    if (seen.has(binary)) continue;
    seen.add(binary);
    const version = probeNodeVersion(binary);
    if (!(version instanceof Error) && majorOf(version) === major) return { runtime, major, binary, version, source: candidate.source };
    tried.push({ binary, source: candidate.source, outcome: version instanceof Error ? version.message : version });
  }
  throw new LambdaNodeError(`runtime ${runtime} runs Node ${major}, and no Node ${major} was found`, runtime, tried);
}

/** The resolved Node's directory, first on a PATH: `node` in any spawned script is the function's Node. */
export function pathWithNodeFirst(node: LambdaNode, inherited: string): string {
  const dir = path.dirname(node.binary);
  return [dir, ...inherited.split(path.delimiter).filter((entry) => entry !== '' && entry !== dir)].join(path.delimiter);
}

