import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', machines: 'machines/index.ts', angular: 'src/angular.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  // Both entries share src/errors.ts: one chunk keeps `instanceof SipError` true across them.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  treeshake: true,
  external: ['sip.js', 'xstate', 'rxjs', 'ws', '@angular/core'],
});
