import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import type { Plugin } from 'esbuild';

/** The entries applications import; the CLI is a program, not an import. */
const LIBRARY = {
  index: 'src/index.ts',
  machines: 'machines/index.ts',
  view: 'src/view/statechart-view.ts',
  angular: 'src/angular.ts',
  react: 'src/react.ts',
  testing: 'src/testing/index.ts',
  'fast-parser': 'src/fast-parser-entry.ts',
};

/**
 * The browser build (dist/browser/, package.json's `browser` conditions): the same entries compiled with
 * src/bundled-fast-parser.browser.ts in place of src/bundled-fast-parser.ts, so that `createSipClient` does not reach
 * the generated parser (~14 kB gzipped) and `fastParser` is off unless the parser from `sipstate/fast-parser` is passed.
 * Every entry has its browser counterpart: a bundler applies the condition to all of them, so a page never mixes the
 * two builds' chunks (one SipError class, one parser slot).
 */
const withoutBundledParser: Plugin = {
  name: 'sipstate-browser-build',
  setup(build) {
    build.onResolve({ filter: /\/bundled-fast-parser$/ }, (args) => ({
      path: join(args.resolveDir, 'bundled-fast-parser.browser.ts'),
    }));
  },
};

const shared: Options = {
  target: 'es2022',
  external: ['sip.js', 'xstate', 'rxjs', 'ws', '@angular/core', 'react'],
  // `npm run build` empties dist/ first: the builds below run side by side, and one's clean would race the others.
  clean: false,
};

/** esbuild adds a bare `import './chunk-*.js'` for every chunk an entry reaches (see below): dropped, bindings kept. */
const dropBareChunkImports: Options['treeshake'] = {
  moduleSideEffects: (id: string, external: boolean) => !(external && /^\.\/chunk-\w+\.js$/.test(id)),
};

export default defineConfig([
  // The Node build: ES modules. `require('sipstate')` loads this same build too (dist/*.cjs, written by
  // scripts/cjs-entries.mjs, is `module.exports = require('./index.js')`), so there is one copy of each class:
  // `instanceof SipError` holds whichever way it was loaded. Chunks shared by several entries (errors, machines) are
  // one file each.
  //
  // esbuild puts code reached by the same set of entries into one chunk, and it cannot drop a machine from a chunk it
  // loads (`setup(...).createMachine(...)` is a call). The errors have an entry of their own (dist/errors.js, not in
  // the package's exports) only so that they are reached by a set of entries no machine is: they get a chunk of their
  // own, and `import { SipError } from 'sipstate'` loads that chunk, not the four machines (.size-limit.json checks).
  {
    ...shared,
    entry: { ...LIBRARY, cli: 'src/cli.ts', errors: 'src/errors.ts' },
    format: ['esm'],
    dts: { entry: LIBRARY },
    splitting: true,
    sourcemap: true,
    // esbuild adds a bare `import './chunk-*.js'` to each entry for every chunk it reaches, to keep the order they run
    // in; the chunks only declare (package.json says `"sideEffects": false`), so the order is immaterial, and bundlers
    // would warn that they ignore such an import. The import that brings a chunk's bindings stays.
    treeshake: dropBareChunkImports,
  },
  // The browser build: ES modules only (bundlers read them whatever the app's own module format), types shared with
  // the Node build (the API is the same; only what `fastParser` defaults to differs).
  {
    ...shared,
    entry: { ...LIBRARY, errors: 'src/errors.ts' },
    outDir: 'dist/browser',
    format: ['esm'],
    platform: 'browser',
    splitting: true,
    sourcemap: true,
    esbuildPlugins: [withoutBundledParser],
    treeshake: dropBareChunkImports,
  },
  // Declarations for `require` (.d.cts): the same types, as CommonJS declarations, so a CommonJS TypeScript project
  // (module node16/nodenext) reads them without TS1479. scripts/cjs-entries.mjs then marks their sip.js imports
  // `resolution-mode: import` (sip.js ships ES module types only).
  {
    ...shared,
    entry: LIBRARY,
    format: ['cjs'],
    dts: { entry: LIBRARY, only: true },
  },
]);
