// The Lambda Runtime API and Extensions API, as strings. One module so that the
// emulator (server side), the extension and the in-process extension (client
// side) and the tests cannot drift apart on a path, a header or an event name.

export const RUNTIME_API_VERSION = '2018-06-01' as const;
export const EXTENSIONS_API_VERSION = '2020-01-01' as const;

/** Runtime API paths, relative to `http://$AWS_LAMBDA_RUNTIME_API`. */
export const RuntimePath = {
  next: `/${RUNTIME_API_VERSION}/runtime/invocation/next`,
  response: (requestId: string) => `/${RUNTIME_API_VERSION}/runtime/invocation/${encodeURIComponent(requestId)}/response`,
  error: (requestId: string) => `/${RUNTIME_API_VERSION}/runtime/invocation/${encodeURIComponent(requestId)}/error`,
  initError: `/${RUNTIME_API_VERSION}/runtime/init/error`,
  /** Matches `/runtime/invocation/{id}/(response|error)`; group 1 is the encoded id, group 2 the verb. */
  invocationPattern: new RegExp(`^/${RUNTIME_API_VERSION}/runtime/invocation/([^/]+)/(response|error)$`),
} as const;

/** Extensions API paths, relative to `http://$AWS_LAMBDA_RUNTIME_API`. */
export const ExtensionPath = {
  register: `/${EXTENSIONS_API_VERSION}/extension/register`,
  next: `/${EXTENSIONS_API_VERSION}/extension/event/next`,
  initError: `/${EXTENSIONS_API_VERSION}/extension/init/error`,
  exitError: `/${EXTENSIONS_API_VERSION}/extension/exit/error`,
} as const;

export const RuntimeHeader = {
  requestId: 'lambda-runtime-aws-request-id',
  deadlineMs: 'lambda-runtime-deadline-ms',
  invokedFunctionArn: 'lambda-runtime-invoked-function-arn',
  traceId: 'lambda-runtime-trace-id',
  clientContext: 'lambda-runtime-client-context',
  cognitoIdentity: 'lambda-runtime-cognito-identity',
  functionErrorType: 'lambda-runtime-function-error-type',
} as const;

export const ExtensionHeader = {
  name: 'lambda-extension-name',
  identifier: 'lambda-extension-identifier',
  functionErrorType: 'lambda-extension-function-error-type',
  /** Optional on register: asks Lambda to include `accountId` in the response. */
  acceptFeature: 'lambda-extension-accept-feature',
} as const;

export const ExtensionEventType = {
  invoke: 'INVOKE',
  shutdown: 'SHUTDOWN',
} as const;
export type ExtensionEventType = (typeof ExtensionEventType)[keyof typeof ExtensionEventType];

/** Lowercase, as production Lambda sends them (the docs' examples show uppercase). */
export const ShutdownReason = {
  spindown: 'spindown',
  timeout: 'timeout',
  failure: 'failure',
} as const;
export type ShutdownReason = (typeof ShutdownReason)[keyof typeof ShutdownReason];

export interface RegisterResponse {
  functionName: string;
  functionVersion: string;
  handler: string;
}

export interface InvokeEvent {
  eventType: typeof ExtensionEventType.invoke;
  deadlineMs: number;
  requestId: string;
  invokedFunctionArn: string;
  tracing: { type: 'X-Amzn-Trace-Id'; value: string };
}

export interface ShutdownEvent {
  eventType: typeof ExtensionEventType.shutdown;
  shutdownReason: ShutdownReason;
  deadlineMs: number;
}

export type ExtensionEvent = InvokeEvent | ShutdownEvent;

/** The error body both APIs accept on `*\/error` endpoints. */
export interface ErrorRequest {
  errorMessage: string;
  errorType: string;
  stackTrace?: string[];
}

/** The status codes both APIs answer with. */
export const ApiStatus = {
  ok: 200,
  accepted: 202,
  badRequest: 400,
  forbidden: 403,
  notFound: 404,
  payloadTooLarge: 413,
  internalError: 500,
} as const;

/** Invocation payloads and responses are capped at 6 MB (bytes) for synchronous invokes. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Lambda's shutdown budgets (ms). */
export const ShutdownBudget = {
  /** The runtime's share after SIGTERM when at least one external extension is registered. */
  runtimeWithExternal: 300,
  /** The runtime's share when only internal extensions are registered. */
  runtimeInternalOnly: 500,
  /** The whole shutdown phase: SHUTDOWN deadline = start + this. */
  total: 2000,
} as const;

export const INIT_TIMEOUT_MS = 10_000;
export const MAX_EXTENSIONS = 10;

/** Environment variables Lambda gives the runtime (and, minus a few, the extensions). */
export const LambdaEnv = {
  runtimeApi: 'AWS_LAMBDA_RUNTIME_API',
  taskRoot: 'LAMBDA_TASK_ROOT',
  handler: '_HANDLER',
  functionName: 'AWS_LAMBDA_FUNCTION_NAME',
  functionVersion: 'AWS_LAMBDA_FUNCTION_VERSION',
  memorySize: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  logGroupName: 'AWS_LAMBDA_LOG_GROUP_NAME',
  logStreamName: 'AWS_LAMBDA_LOG_STREAM_NAME',
  region: 'AWS_REGION',
  tz: 'TZ',
} as const;

/** The variables an extension does not get (besides anything starting with `_`). */
export const EXTENSION_HIDDEN_ENV: readonly string[] = [
  LambdaEnv.taskRoot,
  LambdaEnv.handler,
  LambdaEnv.logGroupName,
  LambdaEnv.logStreamName,
];

/**
 * `errorType` of the APIs' own 4xx answers, as Lambda's Runtime API sends
 * them (body `{"errorMessage","errorType"}`).
 */
export const ApiErrorType = {
  invalidStateTransition: 'InvalidStateTransition',
  invalidRequestId: 'InvalidRequestID',
  requestTooLarge: 'RequestEntityTooLarge',
  invalidRequestFormat: 'InvalidRequestFormat',
  notFound: 'NotFound',
  extensionMissingHeader: 'Extension.MissingHeader',
  extensionMissingIdentifier: 'Extension.MissingExtensionIdentifier',
  extensionUnknownIdentifier: 'Extension.UnknownExtensionIdentifier',
  extensionInvalidState: 'Extension.InvalidExtensionState',
  extensionRegistrationClosed: 'Extension.RegistrationClosed',
  extensionTooMany: 'Extension.TooManyExtensions',
  extensionInvalidEventType: 'Extension.InvalidEventType',
  extensionInvalidName: 'Extension.InvalidExtensionName',
} as const;
export type ApiErrorType = (typeof ApiErrorType)[keyof typeof ApiErrorType];

/** `errorType` Lambda reports to the caller when it resets an environment during an invoke. */
export const SandboxErrorType = {
  timeout: 'Sandbox.Timedout',
  runtimeExit: 'Runtime.ExitError',
  extensionExit: 'Extension.Crash',
  shutdown: 'Sandbox.Shutdown',
  initFailed: 'Runtime.InitError',
  responseTooLarge: 'Function.ResponseSizeTooLarge',
} as const;

/** The `tracing.type` of an INVOKE event. */
export const TRACE_HEADER_TYPE = 'X-Amzn-Trace-Id' as const;
