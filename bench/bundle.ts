/**
 * Benchmark 4: what sipstate costs in a browser bundle. esbuild (bundle, minify, platform browser, ES2022) builds:
 * - a browser app importing createSipClient, everything bundled: total minified and gzipped, and bytes by package
 *   from esbuild's metafile (minified bytes each input contributes to the output);
 * - sipstate's own share: the same app with its peers (sip.js, xstate, rxjs) left external;
 * - the `sipstate/machines` entry alone (xstate external), and with xstate bundled.
 * Gzip level 9. The size budget itself (sipstate's own code at most 8 KB gzipped) is checked in `npm test` by
 * size-limit (.size-limit.json); this benchmark reports the breakdown.
 *
 *   npm run bench -- bundle
 */
import { build, type Metafile } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { printTable, ROOT, writeResult } from './lib';

const PEERS = ['sip.js', 'xstate', 'rxjs'];

async function bundle(contents: string, external: string[]) {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    external,
    logLevel: 'error',
  });
  const output = result.outputFiles[0]!.contents;
  return { minified: output.length, gzipped: gzipSync(output, { level: 9 }).length, metafile: result.metafile };
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match ? match[1]! : 'sipstate';
}

function bytesByPackage(metafile: Metafile): Record<string, number> {
  const bytes: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      bytes[name] = (bytes[name] ?? 0) + bytesInOutput;
    }
  }
  return bytes;
}

const dist = (file: string) => JSON.stringify(join(ROOT, 'dist', file));
const app = `import { createSipClient } from ${dist('index.js')};\nwindow.client = createSipClient;\n`;
const machinesApp = `export * from ${dist('machines.js')};\n`;

const full = await bundle(app, []);
const own = await bundle(app, PEERS);
const machines = await bundle(machinesApp, PEERS);
const machinesWithXstate = await bundle(machinesApp, ['sip.js', 'rxjs']);
const byPackage = bytesByPackage(full.metafile);

const kb = (bytes: number) => Number((bytes / 1024).toFixed(2));
printTable('Bundle: minified and gzipped (esbuild, platform browser)', [
  {
    what: 'app importing createSipClient, all bundled',
    'minified (KB)': kb(full.minified),
    'gzipped (KB)': kb(full.gzipped),
  },
  { what: "sipstate's own code (peers external)", 'minified (KB)': kb(own.minified), 'gzipped (KB)': kb(own.gzipped) },
  {
    what: 'sipstate/machines alone (xstate external)',
    'minified (KB)': kb(machines.minified),
    'gzipped (KB)': kb(machines.gzipped),
  },
  {
    what: 'sipstate/machines with xstate',
    'minified (KB)': kb(machinesWithXstate.minified),
    'gzipped (KB)': kb(machinesWithXstate.gzipped),
  },
]);
printTable(
  'Full app, minified bytes by package (esbuild metafile)',
  Object.entries(byPackage)
    .sort((a, b) => b[1] - a[1])
    .map(([name, bytes]) => ({
      package: name,
      'minified (KB)': kb(bytes),
      share: `${((bytes / full.minified) * 100).toFixed(1)}%`,
    })),
);
const budgetBytes = 8 * 1000;
console.log(
  `sipstate's own code: ${own.gzipped} B gzipped; budget ${budgetBytes} B (size-limit's "8 kB"): ${own.gzipped <= budgetBytes ? 'within' : 'OVER'}`,
);
const file = writeResult('bundle', {
  full: { minified: full.minified, gzipped: full.gzipped, minifiedBytesByPackage: byPackage },
  sipstateOwn: { minified: own.minified, gzipped: own.gzipped },
  machinesEntry: { minified: machines.minified, gzipped: machines.gzipped },
  machinesEntryWithXstate: { minified: machinesWithXstate.minified, gzipped: machinesWithXstate.gzipped },
  budget: { sipstateOwnGzippedBytes: budgetBytes, within: own.gzipped <= budgetBytes },
});
console.log(`wrote ${file}`);
