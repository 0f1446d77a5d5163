import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * A private copy of the built package's dist/ (under test/artifacts, so it still resolves sip.js, xstate, rxjs and ws
 * from the repository's node_modules). Another test file (package.test.ts) rebuilds dist/ while tests run in
 * parallel; a copy cannot disappear under a running child process or a bundler.
 */
export async function copyOfDist(name: string): Promise<{ dir: string; remove(): void }> {
  const source = join(ROOT, 'dist');
  const deadline = Date.now() + 120_000;
  // dist/ is built by `npm test` before vitest runs; wait out a concurrent rebuild (tsup cleans dist first).
  const files = ['cli.js', 'index.js', 'view.js', 'fast-parser.js', 'browser/index.js', 'browser/fast-parser.js'];
  while (!files.every((file) => existsSync(join(source, file)))) {
    if (Date.now() > deadline) throw new Error('dist/ is not built: run `npm run build` first');
    await new Promise((done) => setTimeout(done, 500));
  }
  const dir = join(ROOT, 'test/artifacts', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(source, join(dir, 'dist'), {
    recursive: true,
    filter: (path) => !path.endsWith('.map') && !path.endsWith('.d.ts') && !path.endsWith('.d.cts'),
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
