// Names and paths that the build, the infrastructure, the emulator and the
// tests must agree on.
import * as path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const DIST_DIR = path.join(PROJECT_ROOT, 'dist');

/** `dist/handler/index.mjs`, exporting `handler`. */
export const HANDLER_DIR = path.join(DIST_DIR, 'handler');
export const HANDLER_FILE = 'index.mjs';
export const HANDLER_STRING = 'index.handler';

/** The layer's root: Lambda mounts it at /opt. */
export const LAYER_DIR = path.join(DIST_DIR, 'layer');

import { EXTENSION_NAME } from './extension-name';

export { EXTENSION_NAME };
/** `dist/layer/extensions/<name>`: what Lambda starts. */
export const EXTENSION_EXECUTABLE = path.join(LAYER_DIR, 'extensions', EXTENSION_NAME);
/** `dist/layer/<name>/`: the Managed Instances coordinator and its exec wrapper. */
export const EXTENSION_CODE_DIR = path.join(LAYER_DIR, EXTENSION_NAME);

export { ShutdownMode } from './shutdown-mode';

/** Where Lambda mounts the layer and the function package; the emulator maps both onto dist/. */
export const LAMBDA_LAYER_MOUNT = '/opt';
export const LAMBDA_TASK_MOUNT = '/var/task';

/**
 * The layer's exec wrapper (`AWS_LAMBDA_EXEC_WRAPPER`): it makes the runtime's
 * main thread load the shutdown coordinator, which on Managed Instances is the
 * only code that can hear SIGTERM (the handler runs in worker threads).
 */
export const EXEC_WRAPPER_NAME = 'exec-wrapper';
export const EXEC_WRAPPER_FILE = path.join(EXTENSION_CODE_DIR, EXEC_WRAPPER_NAME);
export const EXEC_WRAPPER_LAMBDA_PATH = `${LAMBDA_LAYER_MOUNT}/${EXTENSION_NAME}/${EXEC_WRAPPER_NAME}`;

/** The main-thread coordinator the wrapper preloads, beside the wrapper in the layer. */
export const COORDINATOR_FILE_NAME = 'coordinator.cjs';
export const COORDINATOR_FILE = path.join(EXTENSION_CODE_DIR, COORDINATOR_FILE_NAME);
