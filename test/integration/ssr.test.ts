/**
 * Server-side rendering: every built entry (the package's exports, as ES module and as CommonJS) is imported in a
 * Node process where the browser's globals (`window`, `document`, `navigator`, `WebSocket`, `BroadcastChannel`,
 * `localStorage`) are absent, and in one where reading any of them throws. Importing reads none of them, and a client
 * made there fails with the SipConfigError it always gave without a WebSocket (field `webSocket`).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOfDist, ROOT } from '../support/built';

const run = promisify(execFile);

/** Every file the package's exports point at (dist/x.js, dist/x.cjs), from package.json. */
function exportedFiles(): { esm: string[]; cjs: string[] } {
  const { exports } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  const files = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (/^\.\/dist\/[\w.-]+\.c?js$/.test(value)) files.add(value.slice('./dist/'.length));
    } else if (value && typeof value === 'object') {
      for (const nested of Object.values(value)) walk(nested);
    }
  };
  walk(exports);
  const all = [...files].sort();
  return { esm: all.filter((file) => file.endsWith('.js')), cjs: all.filter((file) => file.endsWith('.cjs')) };
}

let dist: Awaited<ReturnType<typeof copyOfDist>>;
beforeAll(async () => {
  dist = await copyOfDist('ssr');
}, 130_000);
afterAll(() => dist?.remove());

describe('server-side rendering: the built entries where there is no browser', () => {
  const files = exportedFiles();

  it('finds the entries to import', () => {
    expect(files.esm).toContain('index.js');
    expect(files.cjs).toContain('index.cjs');
    expect(files.esm.length).toBeGreaterThanOrEqual(5);
  });

  for (const mode of ['absent', 'throwing'] as const) {
    for (const format of ['esm', 'cjs'] as const) {
      it(`${format}, browser globals ${mode}: importing reads none; a client fails with SipConfigError('webSocket')`, async () => {
        const { stdout } = await run(
          process.execPath,
          [join(ROOT, 'test/support/ssr-child.mjs'), mode, format, join(dist.dir, 'dist'), ...files[format]],
          { cwd: dist.dir, timeout: 20_000 },
        );
        const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
        expect(report).toMatchObject({
          present: [],
          touchedOnImport: [],
          failures: [],
          created: { threw: true, name: 'SipConfigError', isSipConfigError: true, field: 'webSocket' },
        });
      });
    }
  }
});
