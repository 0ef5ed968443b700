/**
 * The package's entries as a few files instead of ~160 modules (issue 16, "import + create").
 *
 * Why bundle: Node's ES module loader pays per module, not per byte — an open, fstat and read,
 * a resolution and a compile each — about 0.3 ms a module on the bench machine, so the library
 * entry's ~160 modules (it re-exports the plan runner, the runsc profile, 9P, …, and every
 * exported name must keep working) cost ~55 ms to import, more than memfs (~40 ms). The same
 * code as one module compiles in ~15 ms; split into the chunks below, ~21 ms.
 *
 * What is built: from tsc's output in dist/ (`npm run build` runs tsc first), every package
 * entry of package.json's "exports" into dist/pkg/, with the modules two entries share in shared
 * chunks, so that a class is one class whichever entry it comes through (`vfsemu/node` checks
 * `instanceof SysError` on what a Process from `vfsemu` throws). dist/pkg/ sits at the depth of
 * dist/host/, so the addon's `../../build/Release/…` still resolves. Packages stay imports
 * (external), so optional ones stay optional and lazy. `require` is left as written
 * (polyfillRequire: false): the 9P socket worker's body is sent to the worker as its source text
 * and `require`s there. The tsc output stays for the CLI, the tests and the bench; the .d.ts
 * files it writes stay the entries' types.
 */
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: {
    index: 'dist/index.js',
    node: 'dist/node/index.js',
    host: 'dist/host/index.js',
    container: 'dist/container.js',
    oci: 'dist/boot/oci.js',
  },
  platform: 'node',
  // A bare specifier is a package or a node: builtin: imported at run time, never bundled.
  external: (id) => !(id.startsWith('.') || id.startsWith('/')),
  logLevel: 'warn',
  output: {
    dir: 'dist/pkg',
    format: 'esm',
    chunkFileNames: '[name]-[hash].js',
    polyfillRequire: false,
    cleanDir: true,
  },
});
