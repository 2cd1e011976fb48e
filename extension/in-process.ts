// The in-process alternative to the layer: the runtime process registers an
// INTERNAL extension for itself during init (the mechanism aws-lambda-go's
// lambda.WithEnableSIGTERM uses). Any registered extension makes Lambda send
// SIGTERM before SIGKILL; with internal extensions only, the runtime's share of
// the shutdown is 500 ms instead of 300, and there is no extra process and no
// layer.
//
// An internal extension may not subscribe to SHUTDOWN, so it registers for no
// events at all. It must still be waiting in `next` for init to complete; that
// call never returns, and its socket is unref'd so it never keeps the runtime
// alive on its own.
//
// Bundled into the handler, so it imports only side-effect-free protocol
// strings (no artifacts.ts: its __dirname paths do not exist in an ESM bundle).
import { LambdaEnv } from '../src/protocol/lambda-api';
import { describeError, ExtensionError } from './errors';
import { ExtensionsApiClient } from './extensions-api-client';
import { SocketHttpTransport, parseRuntimeApi, type Transport } from './http-transport';
import { jsonLogger, type LogLine } from './log';

/**
 * The internal extension's default name. Anything that is not the file name of
 * an executable in /opt/extensions registers as internal; this one says what it
 * is for in the extension list.
 */
export const INTERNAL_EXTENSION_NAME = 'graceful-shutdown-sigterm';

export interface InProcessExtensionOptions {
  /** `host:port` of the Runtime API; default `$AWS_LAMBDA_RUNTIME_API`. */
  runtimeApi?: string;
  /** The name to register; default INTERNAL_EXTENSION_NAME. */
  name?: string;
  /** Replaces the socket transport (tests). */
  transport?: Transport;
  /** Where the one warning line goes if `next` ever returns or fails. */
  log?: LogLine;
}

/** Registration failed, so Lambda would SIGKILL this runtime with no SIGTERM: fail init rather than run without a drain. */
export class InProcessRegistrationError extends ExtensionError {
  override readonly name = 'InProcessRegistrationError';
}

/**
 * Registers the runtime's own internal extension. Call it (and await it)
 * during module init, before the runtime asks for its first invocation: Lambda
 * refuses registrations once init is over. Resolves once registered; rejects
 * with an InProcessRegistrationError otherwise.
 */
export async function registerInProcessExtension(options: InProcessExtensionOptions = {}): Promise<void> {
  const name = options.name ?? INTERNAL_EXTENSION_NAME;
  const log = options.log ?? jsonLogger(name);
  let client: ExtensionsApiClient;
  try {
    const transport = options.transport
      ?? new SocketHttpTransport(parseRuntimeApi(options.runtimeApi ?? process.env[LambdaEnv.runtimeApi], LambdaEnv.runtimeApi));
    client = new ExtensionsApiClient(transport);
    await client.register(name, []);
  } catch (cause) {
    throw new InProcessRegistrationError(
      `could not register the internal extension "${name}": without it Lambda kills the runtime with SIGKILL and the pool is never drained`,
      { cause, context: { name } },
    );
  }

  // With no events subscribed this never resolves in a healthy environment;
  // if it does, or fails, say so once and stop (no retry loop on a broken API).
  client.nextEvent({ unref: true }).then(
    (event) => log('WARN', 'internal extension received an event it did not subscribe to', { extension: name, eventType: event.eventType }),
    (error: unknown) => log('WARN', 'internal extension stopped waiting for events', { extension: name, ...describeError(error) }),
  );
}
