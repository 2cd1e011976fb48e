// The emulator's public contract: what startEnvironment takes and what an environment reports.
import type { ShutdownReason } from '../protocol/lambda-api';
import type { ComputeMode, LambdaRuntime } from '../protocol/lambda-runtime';
import type { EnvironmentNetwork, NetworkModel, NetworkOptions, NetworkReport } from './network-types';

export interface EnvironmentOptions {
  /** Directory holding the handler code; default HANDLER_DIR (dist/handler). */
  handlerDir?: string;
  /** Lambda handler string; default 'index.handler'. */
  handler?: string;
  /** The layer's extensions directory; default dist/layer/extensions; null = no layer at all. */
  extensionsDir?: string | null;
  /** The function's own variables (DB_*, SHUTDOWN_MODE, ...). */
  env?: Record<string, string>;
  /** Default 'graceful-shutdown-local'. */
  functionName?: string;
  /** Default 512. */
  memorySizeMb?: number;
  /** The function timeout, default 3000. */
  timeoutMs?: number;
  /**
   * Default [<the runtime's Node>, <aws-lambda-ric/index.mjs>]; the handler
   * string is appended. With AWS_LAMBDA_EXEC_WRAPPER in `env`, the wrapper
   * runs it, as in Lambda.
   */
  runtimeCommand?: string[];
  /** The function's Lambda runtime; default 'nodejs24.x'. The runtime and the extensions run on its Node major. */
  runtime?: LambdaRuntime;
  /** Default 'on-demand'. 'managed-instances': never frozen, concurrent invokes, worker threads. */
  computeMode?: ComputeMode;
  /** Managed Instances only: invocations in flight at once (AWS_LAMBDA_MAX_CONCURRENCY); default workerCount. More invokes wait for a slot. */
  maxConcurrency?: number;
  /** Managed Instances only: the runtime's worker threads (AWS_LAMBDA_NODEJS_WORKER_COUNT); default 3. */
  workerCount?: number;
  /** What /opt is (the layer's root); default the parent of extensionsDir, none when extensionsDir is null. */
  layerDir?: string | null;
  /** Name in logs and reports. */
  label?: string;
  /** Init limit; default 10 000 ms as in Lambda. Tests may lower it. */
  initTimeoutMs?: number;
  /**
   * The environment's network: a model name, or the model with its upstreams
   * and path idle timeout. Default `destroyed`, relaying every known upstream
   * the function's variables name (`db`: DB_HOST/DB_PORT).
   */
  network?: NetworkModel | NetworkOptions;
}

export type EnvironmentState = 'frozen' | 'running' | 'shutdown';

export interface InvokeOptions {
  /** This invoke's timeout instead of the function's. */
  timeoutMs?: number;
  /** Sent as `Lambda-Runtime-Client-Context` (JSON), as a mobile SDK caller would. */
  clientContext?: Record<string, unknown>;
  /** Sent as `Lambda-Runtime-Cognito-Identity` (JSON). */
  cognitoIdentity?: Record<string, unknown>;
}

export type InvokeOutcome = 'success' | 'error' | 'timeout' | 'failure';

export interface InvokeResult {
  requestId: string;
  /** error = the handler returned an error via /error; timeout/failure = the environment was reset. */
  outcome: InvokeOutcome;
  /** Parsed JSON of the response or error body (the raw text when it is not JSON). */
  payload: unknown;
  durationMs: number;
  /** A new Init ran before this invoke. */
  reinitialized: boolean;
}

export interface Environment {
  readonly id: string;
  /** '127.0.0.1:<port>' */
  readonly runtimeApi: string;
  readonly state: EnvironmentState;
  /** Its network: what it did to the function's connections, and faults on demand. Outlives the environment: held sessions stay until released. */
  readonly network: EnvironmentNetwork;
  /**
   * Thaw, run one invocation, freeze again. After a reset, a new Init runs
   * first. On Managed Instances callers may run up to maxConcurrency at once
   * (more wait for a slot) and nothing is frozen.
   */
  invoke(event: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Stay idle for ms: frozen (real SIGSTOP) on-demand, running on Managed Instances. */
  idle(ms: number): Promise<void>;
  /** Default reason 'spindown'. Resolves once every process has exited and the API is closed. */
  shutdown(reason?: ShutdownReason): Promise<EnvironmentReport>;
  report(): EnvironmentReport;
}

export type ProcessKind = 'runtime' | 'extension';

export interface ProcessReport {
  name: string;
  kind: ProcessKind;
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The emulator had to SIGKILL it. */
  killedByEmulator: boolean;
  /** ms on the environment's clock (see EnvironmentReport). */
  startedAt: number;
  sigtermSentAt?: number;
  exitedAt?: number;
  /** stdout+stderr, interleaved as received. */
  output: string;
}

export type PhaseName = 'init' | 'invoke' | 'freeze' | 'shutdown';

export interface PhaseReport {
  phase: PhaseName;
  /** ms since the environment was created (performance.now()-based, monotonic). */
  startedAt: number;
  durationMs: number;
  detail?: string;
}

export type ExtensionKind = 'external' | 'internal';

export interface ExtensionReport {
  name: string;
  kind: ExtensionKind;
  /** When it registered, on the environment's clock. */
  registeredAt: number;
  /** The events it subscribed to at registration. */
  events: string[];
  /** The events it was sent, in order. */
  received: string[];
  /** Error types it posted to /extension/init/error or /extension/exit/error. */
  errors: string[];
}

/** One invocation as the Runtime API handed it out. */
export interface InvocationReport {
  requestId: string;
  /**
   * 1, 2, ...: which Runtime API connection took it, numbered in the order
   * connections first asked for `next`. Not a worker id: aws-lambda-ric's
   * worker threads share its native HTTP client (measured: 4 connections for
   * 3 workers, and one thread's invocations arriving on several of them).
   */
  connection: number;
  deliveredAt: number;
  answeredAt?: number;
}

export interface EnvironmentReport {
  id: string;
  label: string;
  runtime: LambdaRuntime;
  /** `process.version` of the Node the runtime ran on (e.g. v24.22.3). */
  nodeVersion: string;
  /** The binary behind nodeVersion. */
  nodeBinary: string;
  computeMode: ComputeMode;
  /** Managed Instances only. */
  maxConcurrency?: number;
  workerCount?: number;
  /** Every invocation delivered, across re-inits. */
  invocations: InvocationReport[];
  phases: PhaseReport[];
  shutdownReason?: ShutdownReason;
  resets: { reason: 'timeout' | 'failure'; at: number }[];
  /** Of the last shutdown sequence (spindown or reset); undefined when no SIGTERM was sent. */
  sigtermToRuntimeExitMs?: number;
  /** 300, 500, or undefined when the runtime was SIGKILLed without SIGTERM. */
  runtimeBudgetMs?: number;
  /** Every process ever started, across re-inits. */
  processes: ProcessReport[];
  /** Every extension ever registered, across re-inits. */
  extensions: ExtensionReport[];
  /** Which network model ran, its upstreams and what became of every connection. */
  network: NetworkReport;
}
