import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', machines: 'machines/index.ts', view: 'src/view/statechart-view.ts', cli: 'src/cli.ts', angular: 'src/angular.ts', react: 'src/react.ts' },
  format: ['esm', 'cjs'],
  // Type declarations for the library entries; the CLI is a program, not an import.
  dts: { entry: { index: 'src/index.ts', machines: 'machines/index.ts', view: 'src/view/statechart-view.ts', angular: 'src/angular.ts', react: 'src/react.ts' } },
  // Both entries share src/errors.ts: one chunk keeps `instanceof SipError` true across them.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  treeshake: true,
  external: ['sip.js', 'xstate', 'rxjs', 'ws', '@angular/core', 'react'],
});
