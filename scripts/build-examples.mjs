#!/usr/bin/env node
// Builds the example apps (examples/angular, svelte, react) the way a user gets sipstate: from the packed package.
//
// 1. `npm pack` the repository root (its dist/ must be built: `npm run build`, which `npm test` runs first) into
//    examples/built-by-npm-run-test-examples/sipstate.tgz.
// 2. In each example: `npm ci` when node_modules is missing or its lockfile changed (the examples depend on
//    "file:../.." with install-links, so that copies the repository's files in, and works from a fresh clone); then,
//    and whenever only sipstate changed, `npm install --no-save` of the tarball replaces that one package (2 s instead
//    of a full install): the apps are built from exactly what `npm publish` would ship.
// 3. Build each example for production, unless nothing it is built from changed since its last build.
// 4. Run each example's own unit tests (`npm test`, where its package.json has a `test` script: Vitest with
//    sipstate/testing's fake SIP server), unless nothing they run changed since they last passed.
// The examples are handled side by side. Run as `npm run test:examples`; apps.test.ts then serves and tests the builds.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACK_DIR = join(ROOT, 'examples/built-by-npm-run-test-examples');
const TARBALL = join(PACK_DIR, 'sipstate.tgz');
/** Each example and where its build lands. */
const APPS = { angular: 'dist/browser', svelte: 'dist', react: 'dist' };
const INSTALL_STAMP = 'node_modules/.sipstate-example-install.json';
const BUILD_STAMP = '.sipstate-example-build.json';
const TEST_STAMP = '.sipstate-example-test.json';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`test:examples ${elapsed().padStart(6)}  ${message}`);

function run(command, args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NG_CLI_ANALYTICS: 'false' } },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(`${command} ${args.join(' ')} failed in ${relative(ROOT, cwd) || '.'}:\n${stdout}\n${stderr}`),
          );
        else resolve(stdout);
      },
    );
  });
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

/** Hash of every file an example is built from (not node_modules, builds or caches), plus the sipstate it uses. */
function sourceHash(dir, tarballHash) {
  const hash = createHash('sha256').update(tarballHash);
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (['node_modules', 'dist', '.angular'].includes(entry.name) || [BUILD_STAMP, TEST_STAMP].includes(entry.name))
        continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(relative(dir, path)).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/**
 * The lockfiles record sipstate as the repository itself (`file:../..`), which a fresh clone has: an app whose lockfile
 * was saved after `npm install <tarball>` would point at a file only `npm run test:examples` makes.
 */
function checkLockfile(dir) {
  const lock = readJson(join(dir, 'package-lock.json'));
  const entry = lock?.packages?.['node_modules/sipstate'];
  if (!entry) throw new Error(`${relative(ROOT, dir)}/package-lock.json has no sipstate: run npm install there`);
  if (entry.resolved !== 'file:../..' || entry.integrity) {
    throw new Error(
      `${relative(ROOT, dir)}/package-lock.json records sipstate as ${entry.resolved}, not the repository: ` +
        'set "sipstate": "file:../.." in its package.json and run `npm install` there',
    );
  }
}

async function pack() {
  if (!existsSync(join(ROOT, 'dist/index.js'))) {
    log('dist/ missing: npm run build');
    await run('npm', ['run', 'build', '--silent'], ROOT);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'sipstate-pack-'));
  try {
    const output = await run('npm', ['pack', '--silent', '--pack-destination', scratch], ROOT);
    const packed = join(scratch, output.trim().split('\n').pop());
    const hash = sha256(readFileSync(packed));
    mkdirSync(PACK_DIR, { recursive: true });
    // Replaced only when different: an unchanged package leaves installs and builds as they are.
    if (!existsSync(TARBALL) || sha256(readFileSync(TARBALL)) !== hash) renameSync(packed, TARBALL);
    log(`packed sipstate (${(statSync(TARBALL).size / 1024).toFixed(0)} kB)`);
    return hash;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function prepare(app, distFolder, tarballHash) {
  const dir = join(ROOT, 'examples', app);
  checkLockfile(dir);
  const lockHash = sha256(readFileSync(join(dir, 'package-lock.json')));
  const installed = readJson(join(dir, INSTALL_STAMP));
  const fullInstall = !installed || installed.lockHash !== lockHash;
  if (fullInstall) {
    log(`${app}: npm ci`);
    await run('npm', ['ci', '--no-audit', '--no-fund'], dir);
  }
  // `npm ci` copied the repository's files (the lockfile says `file:../..`); the tarball is what `npm publish` ships.
  if (fullInstall || installed.tarballHash !== tarballHash) {
    log(`${app}: installing the packed sipstate`);
    await run(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '../built-by-npm-run-test-examples/sipstate.tgz'],
      dir,
    );
  }
  writeFileSync(join(dir, INSTALL_STAMP), JSON.stringify({ lockHash, tarballHash }));

  const inputs = sourceHash(dir, tarballHash);
  const built = readJson(join(dir, BUILD_STAMP));
  if (built?.inputs === inputs && existsSync(join(dir, distFolder, 'index.html'))) {
    log(`${app}: build up to date`);
  } else {
    log(`${app}: building`);
    await run('npm', ['run', 'build', '--silent'], dir);
    if (!existsSync(join(dir, distFolder, 'index.html')))
      throw new Error(`${app}: the build made no ${distFolder}/index.html`);
    writeFileSync(join(dir, BUILD_STAMP), JSON.stringify({ inputs }));
    log(`${app}: built`);
  }

  if (!readJson(join(dir, 'package.json'))?.scripts?.test) return;
  if (readJson(join(dir, TEST_STAMP))?.inputs === inputs) {
    log(`${app}: unit tests passed before, nothing changed`);
    return;
  }
  log(`${app}: unit tests`);
  await run('npm', ['test', '--silent'], dir);
  writeFileSync(join(dir, TEST_STAMP), JSON.stringify({ inputs }));
  log(`${app}: unit tests passed`);
}

try {
  const tarballHash = await pack();
  await Promise.all(Object.entries(APPS).map(([app, dist]) => prepare(app, dist, tarballHash)));
  log('all examples built');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
