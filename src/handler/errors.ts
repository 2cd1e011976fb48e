// The handler's error hierarchy. Every error carries a stable `code` (what a
// caller or an alarm matches on), a `cause` (the error underneath, if any) and
// a `context` of non-secret facts; `toResult()` is what the caller sees.

export const ErrorCode = {
  invalidConfig: 'INVALID_CONFIG',
  invalidEvent: 'INVALID_EVENT',
  unknownAction: 'UNKNOWN_ACTION',
  notFound: 'NOT_FOUND',
  database: 'DATABASE_ERROR',
  /** The database did not answer within the bound: a write's outcome is unknown (it may have run). */
  databaseTimeout: 'DATABASE_TIMEOUT',
  shuttingDown: 'SHUTTING_DOWN',
  auth: 'AUTH_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorResult {
  ok: false;
  /** `field` (and `path`, for a value inside `data`) on a validation error: what to fix, without parsing the message. */
  error: { code: ErrorCode; message: string; field?: string; path?: string };
}

export class HandlerError extends Error {
  override readonly name: string = 'HandlerError';
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.context = options.context ?? {};
  }

  toResult(): ErrorResult {
    return { ok: false, error: { code: this.code, message: this.message } };
  }
}

/** A missing or invalid environment variable: names the variable, never echoes a secret. */
export class ConfigError extends HandlerError {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, message: string) {
    super(ErrorCode.invalidConfig, `${variable}: ${message}`, { context: { variable } });
  }
}

/** A malformed event: names the field (and, inside `data`, the path to the bad value); nothing was touched. */
export class EventValidationError extends HandlerError {
  override readonly name = 'EventValidationError';
  constructor(readonly field: string, message: string, code: ErrorCode = ErrorCode.invalidEvent, readonly path?: string) {
    super(code, `${path ?? field}: ${message}`, { context: path === undefined ? { field } : { field, path } });
  }

  override toResult(): ErrorResult {
    const result = super.toResult();
    result.error.field = this.field;
    if (this.path !== undefined) result.error.path = this.path;
    return result;
  }
}

export class NotFoundError extends HandlerError {
  override readonly name = 'NotFoundError';
  constructor(id: string) {
    super(ErrorCode.notFound, `no item with id "${id}"`, { context: { id } });
  }
}

/** The database said no, or could not be reached. The message is generic; the cause is logged, not returned. */
export class DatabaseError extends HandlerError {
  override readonly name = 'DatabaseError';
  constructor(operation: string, cause: unknown) {
    super(ErrorCode.database, `database operation "${operation}" failed`, {
      cause,
      context: { operation },
    });
  }
}

/**
 * A statement got no answer within DB_QUERY_TIMEOUT_MS: the connection was
 * destroyed, and the statement is not retried, because it may have run.
 */
export class DatabaseTimeoutError extends HandlerError {
  override readonly name = 'DatabaseTimeoutError';
  constructor(operation: string, boundMs: number, cause: unknown) {
    super(ErrorCode.databaseTimeout, `database operation "${operation}" got no answer within ${boundMs} ms; its outcome is unknown`, {
      cause,
      context: { operation, boundMs },
    });
  }
}

/**
 * SIGTERM arrived: the environment is draining. Without an operation, new work
 * was refused before it touched anything. With one, a request accepted before
 * the drain lost its connection to the drain: its statement may or may not
 * have run, as with any connection lost mid-statement.
 */
export class ShuttingDownError extends HandlerError {
  override readonly name = 'ShuttingDownError';
  constructor(interrupted?: { operation: string; cause: unknown }) {
    super(
      ErrorCode.shuttingDown,
      interrupted
        ? `the environment shut down while "${interrupted.operation}" was running`
        : 'the environment is shutting down',
      interrupted ? { cause: interrupted.cause, context: { operation: interrupted.operation } } : {},
    );
  }
}

export class AuthTokenError extends HandlerError {
  override readonly name = 'AuthTokenError';
  constructor(cause: unknown, context: Record<string, unknown>) {
    super(ErrorCode.auth, 'could not obtain an IAM authentication token', { cause, context });
  }
}

/** The facts of a mysql2 / socket error worth logging (code, errno, sqlState, fatal), nothing else. */
export function driverFacts(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return {};
  const facts: Record<string, unknown> = {};
  for (const key of ['code', 'errno', 'sqlState', 'fatal'] as const) {
    const value = (error as Record<string, unknown>)[key];
    if (value !== undefined) facts[key] = value;
  }
  return facts;
}

/** A log-safe description of any thrown value, with its cause chain (bounded). */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const described: Record<string, unknown> = {
    errorType: error.name,
    errorMessage: error.message,
    ...driverFacts(error),
  };
  if (error instanceof HandlerError) {
    described.code = error.code;
    Object.assign(described, error.context);
  }
  if (error.cause !== undefined && depth < 3) described.cause = describeError(error.cause, depth + 1);
  return described;
}
