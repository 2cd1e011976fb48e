// The emulator's public contract (team brief, "The emulator's programmatic API").
import type { ShutdownReason } from '../protocol/lambda-api';

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
  /** Default [process.execPath, <aws-lambda-ric/index.mjs>]; the handler string is appended. */
  runtimeCommand?: string[];
  /** Name in logs and reports. */
  label?: string;
  /** Init limit; default 10 000 ms as in Lambda. Tests may lower it. */
  initTimeoutMs?: number;
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
  /** Thaw, run one invocation, freeze again. After a reset, a new Init runs first. */
  invoke(event: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Stay frozen (real SIGSTOP) for ms. */
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

export interface EnvironmentReport {
  id: string;
  label: string;
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
}
