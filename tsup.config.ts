import { defineConfig, type Options } from 'tsup';

/** The entries applications import; the CLI is a program, not an import. */
const LIBRARY = {
  index: 'src/index.ts',
  machines: 'machines/index.ts',
  view: 'src/view/statechart-view.ts',
  angular: 'src/angular.ts',
  react: 'src/react.ts',
};

const shared: Options = {
  target: 'es2022',
  external: ['sip.js', 'xstate', 'rxjs', 'ws', '@angular/core', 'react'],
  // `npm run build` empties dist/ first: the two builds below run side by side, and one's clean would race the other.
  clean: false,
};

export default defineConfig([
  // The one JavaScript build: ES modules. `require('sipstate')` loads this same build too (dist/*.cjs, written by
  // scripts/cjs-entries.mjs, is `module.exports = require('./index.js')`), so there is one copy of each class:
  // `instanceof SipError` holds whichever way it was loaded. Chunks shared by several entries (errors, machines) are
  // one file each.
  {
    ...shared,
    entry: { ...LIBRARY, cli: 'src/cli.ts' },
    format: ['esm'],
    dts: { entry: LIBRARY },
    splitting: true,
    sourcemap: true,
    treeshake: true,
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
