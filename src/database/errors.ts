// The database room's errors. Each names what it is about (the option, the
// statement's purpose, the secret) and carries non-secret context; none ever
// holds a password: messages are built from names, never from credentials.

export class BootstrapError extends Error {
  override readonly name: string = 'BootstrapError';
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.context = options.context ?? {};
  }
}

/** A bad command line or environment: names the option; raised before any connection, so nothing was written. */
export class UsageError extends BootstrapError {
  override readonly name = 'UsageError';
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`, { context: { option } });
  }
}

/** The admin connection could not be opened or a statement failed: `step` says which part of the plan. */
export class DatabaseStepError extends BootstrapError {
  override readonly name = 'DatabaseStepError';
  constructor(readonly step: string, cause: unknown, context: Record<string, unknown> = {}) {
    super(`${step} failed: ${describeCause(cause)}`, { cause, context: { step, ...context } });
  }
}

/** The user's grants still differ from the intended set after the plan ran (e.g. a grant form this tool does not revoke). */
export class GrantDriftError extends BootstrapError {
  override readonly name = 'GrantDriftError';
  constructor(readonly user: string, readonly residual: readonly string[]) {
    super(`grants of ${user} still differ from the intended set after converging:\n  ${residual.join('\n  ')}`, { context: { user } });
  }
}

/** Reading or writing the function user's Secrets Manager secret failed. */
export class SecretStoreError extends BootstrapError {
  override readonly name = 'SecretStoreError';
  constructor(readonly secretArn: string, message: string, cause?: unknown) {
    super(`secret ${secretArn}: ${message}${cause === undefined ? '' : `: ${describeCause(cause)}`}`, { cause, context: { secretArn } });
  }
}

/** The server's code and message (mysql2 and the AWS SDK both set `code`/`name`); never a stack. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && code !== cause.message ? `${code}: ${cause.message}` : `${cause.name}: ${cause.message}`;
  }
  return String(cause);
}
