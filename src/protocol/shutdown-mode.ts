// How the function gets its SIGTERM, and how long its drain may take. Shared by
// the infrastructure (synth-time validation, environment variables) and the
// handler (init-time validation). No paths or `__dirname` here: the handler's
// ESM bundle imports this module.

/**
 * `layer`: the external extension in the layer registers, so Lambda sends
 * SIGTERM and gives the runtime 300 ms. `in-process`: the handler registers an
 * internal extension during init: no layer, no extra process, and 500 ms.
 */
export const ShutdownMode = {
  layer: 'layer',
  inProcess: 'in-process',
} as const;
export type ShutdownMode = (typeof ShutdownMode)[keyof typeof ShutdownMode];

export const SHUTDOWN_MODE_ENV = 'SHUTDOWN_MODE';

/**
 * The largest `SHUTDOWN_BUDGET_MS` per mode: the drain must end before the
 * runtime's share does (300 ms / 500 ms), with 50 ms left to log, exit and be reaped.
 */
export const MAX_SHUTDOWN_BUDGET_MS: Readonly<Record<ShutdownMode, number>> = {
  [ShutdownMode.layer]: 250,
  [ShutdownMode.inProcess]: 450,
};
