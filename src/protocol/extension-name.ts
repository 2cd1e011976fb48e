// The external extension's name, apart from the artifact paths: the
// extension's bundle needs the name only, and importing the paths module
// would run its path computations at every cold start of the extension.

/** The external extension's name: the executable's file name, and the name it registers with. */
export const EXTENSION_NAME = 'graceful-shutdown';
