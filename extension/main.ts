// Entry point of the external extension, bundled (CommonJS) to the
// executable dist/layer/extensions/graceful-shutdown, which starts itself
// through `#!/usr/bin/env node`.
import { EXTENSION_NAME } from '../src/protocol/extension-name';
import { LambdaEnv } from '../src/protocol/lambda-api';
import { describeError } from './errors';
import { ExtensionsApiClient } from './extensions-api-client';
import { runGracefulShutdownExtension } from './graceful-shutdown-extension';
import { SocketHttpTransport, parseRuntimeApi } from './http-transport';
import { jsonLogger } from './log';

const log = jsonLogger(EXTENSION_NAME);

async function main(): Promise<number> {
  const endpoint = parseRuntimeApi(process.env[LambdaEnv.runtimeApi], LambdaEnv.runtimeApi);
  const client = new ExtensionsApiClient(new SocketHttpTransport(endpoint));
  return runGracefulShutdownExtension({ name: EXTENSION_NAME, client, log });
}

main().then(
  // Exit at once: the keep-alive socket would otherwise hold the process, and
  // Lambda's shutdown is waiting for this process to be gone.
  (code) => process.exit(code),
  (error: unknown) => {
    log('ERROR', 'extension failed', describeError(error));
    process.exit(1);
  },
);
