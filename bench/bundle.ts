/**
 * Benchmark 4: what sipstate costs in a browser bundle. The apps import sipstate by its package name, from a scratch
 * project whose node_modules/sipstate links to this repository, so bundlers resolve package.json's `exports` as they
 * do for a user: `browser` conditions first (dist/browser/, no fast parser). Built with esbuild (bundle, minify,
 * platform browser, ES2022, ES modules) unless said otherwise; sizes are of all JavaScript output, gzip level 9.
 *
 * - the minimal app (creates a client, follows its registration, registers), everything bundled: the issue 17 target
 *   is at most 90 KB (92,160 bytes) gzipped; the same app built by Vite (Rollup, its default minifier);
 * - the same app passing `fastParser` from `sipstate/fast-parser`, and the same app on the Node build (dist/index.js,
 *   what bundlers got before the browser build existed);
 * - sipstate's own code (peers external), both builds; `sipstate/machines` alone and with xstate;
 * - the peers alone, as sipstate uses them (sip.js's UserAgent, xstate's setup/createActor, RxJS's subjects): the
 *   floor under any sipstate app;
 * - the example apps' production builds (examples/*, built by `npm run test:examples`), when they are there.
 * Each bundle is checked for the fast parser (its probe input `qx2v.invalid`, in src/fast-parser.ts).
 *
 *   npm run bench -- bundle
 */
import { build as esbuild, type Metafile } from 'esbuild';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build as viteBuild } from 'vite';
import { printTable, ROOT, writeResult } from './lib';

const PEERS = ['sip.js', 'xstate', 'rxjs'];
/** A probe input of src/fast-parser.ts: in a bundle exactly when the fast parser is. */
const PARSER_MARKER = 'qx2v.invalid';
/** Issue 17: the minimal browser app, all bundled, at most 90 KB gzipped (KB here: 1,024 bytes). */
const TARGET_BYTES = 90 * 1024;

const project = mkdtempSync(join(tmpdir(), 'sipstate-bundle-'));
mkdirSync(join(project, 'node_modules'));
symlinkSync(ROOT, join(project, 'node_modules', 'sipstate'), 'dir');
// The peers as an application has them: next to sipstate (the versions this repository tests with).
for (const peer of PEERS) symlinkSync(join(ROOT, 'node_modules', peer), join(project, 'node_modules', peer), 'dir');

const CLIENT = `{ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', authorizationUsername: 'alice', authorizationPassword: 'secret' }`;
const minimalApp = (from: string, extra = '') => `import { createSipClient } from ${JSON.stringify(from)};
${extra}
const client = createSipClient({ ...${CLIENT}${extra ? ', fastParser' : ''} });
client.registration$.subscribe((registration) => { document.title = registration.status; });
client.register();
`;
const APPS = {
  minimal: minimalApp('sipstate'),
  minimalFastParser: minimalApp('sipstate', "import { fastParser } from 'sipstate/fast-parser';"),
  minimalNodeBuild: minimalApp(join(ROOT, 'dist/index.js')),
  machines: `export * from 'sipstate/machines';\n`,
  peers: `import { UserAgent } from 'sip.js';
import { assign, createActor, fromCallback, fromPromise, setup, stateIn } from 'xstate';
import { BehaviorSubject, isObservable, Observable, Subject } from 'rxjs';
window.peers = [UserAgent, assign, createActor, fromCallback, fromPromise, setup, stateIn, BehaviorSubject, isObservable, Observable, Subject];
`,
};
for (const [name, contents] of Object.entries(APPS)) writeFileSync(join(project, `${name}.js`), contents);

interface Sized {
  minified: number;
  gzipped: number;
  fastParser: boolean;
}

function size(code: Uint8Array | string): Sized {
  const bytes = typeof code === 'string' ? Buffer.from(code) : Buffer.from(code);
  return {
    minified: bytes.length,
    gzipped: gzipSync(bytes, { level: 9 }).length,
    fastParser: bytes.includes(PARSER_MARKER),
  };
}

async function bundle(app: keyof typeof APPS, external: string[] = []): Promise<Sized & { metafile: Metafile }> {
  const result = await esbuild({
    entryPoints: [join(project, `${app}.js`)],
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
  return { ...size(result.outputFiles[0]!.contents), metafile: result.metafile };
}

/** The minimal app through Vite's production build (index.html, one module script). */
async function viteMinimal(): Promise<Sized> {
  const root = join(project, 'vite');
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(root, 'main.js'), APPS.minimal);
  const output = await viteBuild({
    root,
    logLevel: 'error',
    configFile: false,
    build: { write: false, target: 'es2022' },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
  return size(chunks.map((chunk) => (chunk.type === 'chunk' ? chunk.code : '')).join('\n'));
}

/** All JavaScript an example's production build wrote, or undefined when it is not built. */
function example(dir: string): (Sized & { files: number }) | undefined {
  const root = join(ROOT, 'examples', dir);
  if (!existsSync(root)) return undefined;
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
  if (files.length === 0) return undefined;
  let minified = 0;
  let gzipped = 0;
  let fastParser = false;
  for (const file of files) {
    const sized = size(readFileSync(join(root, file)));
    minified += sized.minified;
    gzipped += sized.gzipped;
    fastParser ||= sized.fastParser;
  }
  return { minified, gzipped, fastParser, files: files.length };
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match && !input.includes('node_modules/sipstate/') ? match[1]! : 'sipstate';
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

try {
  const minimal = await bundle('minimal');
  const measured: Record<string, Sized> = {
    'minimal app (createSipClient, register), all bundled': minimal,
    'the same, Vite 7 production build': await viteMinimal(),
    "the same + fastParser from 'sipstate/fast-parser'": await bundle('minimalFastParser'),
    'the same on the Node build (dist/index.js)': await bundle('minimalNodeBuild'),
    "sipstate's own code, browser build (peers external)": await bundle('minimal', PEERS),
    "sipstate's own code, Node build (peers external)": await bundle('minimalNodeBuild', PEERS),
    'sipstate/machines alone (xstate external)': await bundle('machines', PEERS),
    'sipstate/machines with xstate': await bundle('machines', ['sip.js', 'rxjs']),
    'the peers alone, as sipstate uses them': await bundle('peers'),
  };
  const examples: Record<string, Sized & { files: number }> = {};
  for (const [name, dir] of [
    ['Svelte example', 'svelte/dist'],
    ['React example', 'react/dist'],
    ['Angular example', 'angular/dist/browser'],
  ] as const) {
    const built = example(dir);
    if (built) examples[name] = built;
  }

  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  printTable('Bundles: minified and gzipped (KB = 1,024 bytes)', [
    ...Object.entries(measured).map(([what, sized]) => ({
      what,
      'minified (KB)': kb(sized.minified),
      'gzipped (KB)': kb(sized.gzipped),
      'gzipped (B)': sized.gzipped,
      'fast parser': sized.fastParser ? 'in' : 'out',
    })),
    ...Object.entries(examples).map(([what, sized]) => ({
      what: `${what}: all its JavaScript (${sized.files} file${sized.files === 1 ? '' : 's'})`,
      'minified (KB)': kb(sized.minified),
      'gzipped (KB)': kb(sized.gzipped),
      'gzipped (B)': sized.gzipped,
      'fast parser': sized.fastParser ? 'in' : 'out',
    })),
  ]);
  if (Object.keys(examples).length < 3) console.log('examples not built: `npm run test:examples` builds them');
  const byPackage = bytesByPackage(minimal.metafile);
  printTable(
    'Minimal app, minified bytes by package (esbuild metafile)',
    Object.entries(byPackage)
      .sort((a, b) => b[1] - a[1])
      .map(([name, bytes]) => ({
        package: name,
        'minified (KB)': kb(bytes),
        share: `${((bytes / minimal.minified) * 100).toFixed(1)}%`,
      })),
  );
  const within = minimal.gzipped <= TARGET_BYTES;
  console.log(
    `minimal app: ${minimal.gzipped} B gzipped; target ${TARGET_BYTES} B (90 KB): ${within ? 'within' : 'OVER'}`,
  );
  const file = writeResult('bundle', {
    bundler: 'esbuild (minify, platform browser, es2022, esm), gzip level 9',
    measured: Object.fromEntries(
      Object.entries(measured).map(([what, { minified, gzipped, fastParser }]) => [
        what,
        { minified, gzipped, fastParser },
      ]),
    ),
    examples,
    minimalAppMinifiedBytesByPackage: byPackage,
    target: { minimalAppGzippedBytes: TARGET_BYTES, within },
  });
  console.log(`wrote ${file}`);
} finally {
  rmSync(project, { recursive: true, force: true });
}
