import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// How an example app gets sipstate from a fresh clone (examples/README.md, "Run one").
const CHECK = join(__dirname, '../../examples/sipstate-built.mjs');
const APPS = ['svelte', 'react', 'angular'];
const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function appFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipstate-example-'));
  scratch.push(dir);
  return dir;
}

describe('examples from a fresh clone', () => {
  it.each(APPS)(
    '%s depends on the repository itself, copied (install-links), not on a file only a script makes',
    (app) => {
      const dir = join(__dirname, '../../examples', app);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
      expect(manifest.dependencies.sipstate).toBe('file:../..');
      expect(lock.packages['node_modules/sipstate'].resolved).toBe('file:../..');
      expect(readFileSync(join(dir, '.npmrc'), 'utf8')).toMatch(/^install-links=true$/m);
      const [serve, build] = manifest.scripts.dev ? ['predev', 'prebuild'] : ['prestart', 'prebuild'];
      expect(manifest.scripts[serve]).toBe('node ../sipstate-built.mjs');
      expect(manifest.scripts[build]).toBe('node ../sipstate-built.mjs');
    },
  );

  it('an app whose sipstate copy has no build stops with one line saying what to run', () => {
    const dir = appFolder();
    mkdirSync(join(dir, 'node_modules/sipstate'), { recursive: true });
    const result = spawnSync(process.execPath, [CHECK], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'sipstate is not built: run `npm ci && npm run build` in the repository root, then `npm install` here again',
    ]);
  });

  it('an app with a built copy passes silently', () => {
    const dir = appFolder();
    mkdirSync(join(dir, 'node_modules/sipstate/dist'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/sipstate/dist/index.js'), 'export {};\n');
    expect(execFileSync(process.execPath, [CHECK], { cwd: dir, encoding: 'utf8' })).toBe('');
  });
});
