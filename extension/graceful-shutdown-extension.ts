// What the external extension does, as a function of its client: register for
// SHUTDOWN only, park in `next`, and on SHUTDOWN say so in one log line and
// leave at once. Its only purpose is to exist: Lambda sends the runtime SIGTERM
// (instead of a bare SIGKILL) only when an extension is registered, and the
// runtime's drain is what does the real work.
//
// It does not subscribe to INVOKE: that would put an extra round trip (this
// process thawing and answering `next`) at the end of every invocation.
import { ExtensionEventType, type ExtensionEvent } from '../src/protocol/lambda-api';
import { describeError, ExtensionErrorType, ProtocolError } from './errors';
import type { ExtensionsApiClient } from './extensions-api-client';
import type { LogLine } from './log';

export interface ExtensionRun {
  name: string;
  client: ExtensionsApiClient;
  log: LogLine;
  now?: () => number;
}

/** Runs the extension to completion; resolves with the process exit code. */
export async function runGracefulShutdownExtension({ name, client, log, now = Date.now }: ExtensionRun): Promise<number> {
  try {
    await client.register(name, [ExtensionEventType.shutdown]);
  } catch (error) {
    // Not reported on init/error: Lambda requires the identifier a failed
    // register never handed out, and refuses the call. Exiting non-zero
    // during init is how Lambda learns of it, and it fails init.
    log('ERROR', 'registration failed', { extension: name, errorReportedBy: 'exit code', ...describeError(error) });
    return 1;
  }

  let event: ExtensionEvent;
  try {
    event = await client.nextEvent();
  } catch (error) {
    log('ERROR', 'waiting for the next event failed', { extension: name, ...describeError(error) });
    await report(log, () => client.exitError(ExtensionErrorType.nextEventFailed, error));
    return 1;
  }

  if (event.eventType !== ExtensionEventType.shutdown) {
    const error = new ProtocolError(`received ${event.eventType} but registered for ${ExtensionEventType.shutdown} only`, {
      context: { eventType: event.eventType },
    });
    log('ERROR', 'unexpected event', { extension: name, eventType: event.eventType });
    await report(log, () => client.exitError(ExtensionErrorType.unexpectedEvent, error));
    return 1;
  }

  log('INFO', 'shutdown received', {
    extension: name,
    shutdownReason: event.shutdownReason,
    msToDeadline: event.deadlineMs - now(),
  });
  return 0;
}

/** Reporting an error to Lambda is best effort: the API may be what failed. */
async function report(log: LogLine, post: () => Promise<void>): Promise<void> {
  try {
    await post();
  } catch (error) {
    log('WARN', 'could not report the error to the Extensions API', describeError(error));
  }
}
