// How the function gets its SIGTERM. Shared by the infrastructure (which
// ships the layer or not) and the handler (which registers in-process or
// not). No paths or `__dirname` here: the handler's ESM bundle imports it.

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
