/**
 * Bundles examples/statechart with esbuild from the BUILT package (dist/), as an application would use it, into
 * `<outdir>` (default examples/statechart/dist). Run: `npm run example:statechart` (after `npm run build`).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const here = import.meta.dirname;

/** Builds the page into `outdir`, resolving `sipstate` and `sipstate/view` to the built files in `distDir`. */
export async function buildStatechartExample(outdir: string, distDir = resolve(here, '../../dist')): Promise<void> {
  const builtPackage: Plugin = {
    name: 'sipstate-from-dist',
    setup(context) {
      context.onResolve({ filter: /^sipstate(\/view)?$/ }, (args) => ({
        path: join(distDir, args.path === 'sipstate' ? 'index.js' : 'view.js'),
      }));
    },
  };
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(outdir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The package's code must not need Node: a browser bundle that pulled in a Node built-in fails here.
    plugins: [builtPackage],
    logLevel: 'warning',
    // tsup's chunks import each other bare for ordering only; with "sideEffects": false esbuild drops them, rightly.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
  copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(here, 'build.ts')) {
  const outdir = resolve(here, 'dist');
  await buildStatechartExample(outdir);
  console.log(`built ${outdir}/index.html`);
}
