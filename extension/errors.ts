// The extension's error hierarchy. Every error carries a `name` (what kind of
// failure), a `cause` (the underlying error, when there is one) and a
// `context` (the operation, path, status, variable... that a person reading the
// log needs to act on it).

export type ErrorContext = Readonly<Record<string, string | number | boolean | undefined>>;

export class ExtensionError extends Error {
  override readonly name: string = 'ExtensionError';
  readonly context: ErrorContext;

  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.context = options.context ?? {};
  }
}

/** A required environment variable is missing or malformed. */
export class ConfigurationError extends ExtensionError {
  override readonly name = 'ConfigurationError';
}

/** The request never got an HTTP answer (connection refused, reset, socket closed). */
export class TransportError extends ExtensionError {
  override readonly name = 'TransportError';
}

/** The API answered with a status the operation does not accept. */
export class ApiStatusError extends ExtensionError {
  override readonly name = 'ApiStatusError';
  readonly status: number;

  constructor(message: string, status: number, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, { ...options, context: { ...options.context, status } });
    this.status = status;
  }
}

/** The API answered 2xx, but not with what the protocol promises (header, JSON, event type). */
export class ProtocolError extends ExtensionError {
  override readonly name = 'ProtocolError';
}

/**
 * The `Lambda-Extension-Function-Error-Type` values this extension reports.
 * Lambda only requires the `Extension.<Reason>` shape; the reasons are ours.
 */
export const ExtensionErrorType = {
  nextEventFailed: 'Extension.NextEventFailed',
  unexpectedEvent: 'Extension.UnexpectedEvent',
} as const;
export type ExtensionErrorType = (typeof ExtensionErrorType)[keyof typeof ExtensionErrorType];

/** One line of structured detail about any thrown value, for JSON logs. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof ExtensionError) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      ...error.context,
      ...(error.cause === undefined ? {} : { cause: describeCause(error.cause) }),
    };
  }
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message };
  return { errorType: typeof error, errorMessage: String(error) };
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === undefined ? `${cause.name}: ${cause.message}` : `${cause.name} ${code}: ${cause.message}`;
  }
  return String(cause);
}
