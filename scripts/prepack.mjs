#!/usr/bin/env node
// `npm pack` / `npm publish` run this first (package.json "prepack"): it builds dist/ unless dist/ is already newer
// than everything it is built from, so a package can never ship without, or with a stale, dist/. `npm test` builds
// before it packs, so its packs skip the second build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INPUTS = ['src', 'machines', 'scripts/generate-grammar.ts', 'package.json', 'tsup.config.ts', 'tsconfig.json'];
const OUTPUTS = [
  'dist/index.js',
  'dist/index.cjs',
  'dist/index.d.ts',
  'dist/machines.js',
  'dist/cli.js',
  'dist/browser/index.js',
];

/** Newest modification time of a file, or of any file below a folder (generated files left out: they are outputs). */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'generated') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const built = OUTPUTS.every((file) => existsSync(join(ROOT, file)));
const sourcesAt = Math.max(...INPUTS.map((input) => newest(join(ROOT, input))));
const builtAt = built ? Math.min(...OUTPUTS.map((file) => statSync(join(ROOT, file)).mtimeMs)) : 0;
if (built && builtAt >= sourcesAt) {
  console.error('sipstate prepack: dist/ is up to date');
} else {
  console.error(`sipstate prepack: ${built ? 'dist/ is older than its sources' : 'dist/ is missing'}; building`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}
