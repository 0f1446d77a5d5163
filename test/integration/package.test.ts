import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKamailio, type KamailioServer } from '../support/kamailio';

// `npm pack` the built package, install it in a separate project next to its peers, and run the README's code there
// under both `import` and `require`, against a real Kamailio.

const root = resolve(import.meta.dirname, '../..');
let kamailio: KamailioServer;
let project: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

beforeAll(async () => {
  kamailio = await startKamailio();
  project = mkdtempSync(join(tmpdir(), 'sipstate-pack-'));
  run('npm', ['run', 'build', '--silent'], root);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], root)) as { filename: string }[];
  const tarball = join(project, packed[0]!.filename);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  // Peers at the versions this repository tests with; --prefer-offline uses the npm cache the repo's install filled.
  const version = (name: string) =>
    (JSON.parse(run('node', ['-p', `JSON.stringify(require('${name}/package.json').version)`], root)) as string);
  run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      `sip.js@${version('sip.js')}`,
      `xstate@${version('xstate')}`,
      `rxjs@${version('rxjs')}`,
      `ws@${version('ws')}`,
    ],
    project,
  );
}, 180_000);

afterAll(async () => {
  await kamailio?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

const body = (importLines: string) => `${importLines}
const client = createSipClient({
  server: ${JSON.stringify('WS_URL')},
  uri: 'sip:alice@sipstate.test',
  authorizationUsername: 'alice',
  authorizationPassword: 'alice-secret',
  register: true,
  webSocket: WebSocket,
});
const seen = [];
client.registration$.subscribe(({ status }) => seen.push(status));
let configError;
try { createSipClient({ server: 'http://x', uri: 'sip:a@b' }); } catch (e) { configError = e; }
client.start()
  .then(() => client.register())
  .then(() => client.stop())
  .then(() => {
    client.dispose();
    console.log(JSON.stringify({
      seen,
      configError: configError instanceof SipConfigError && configError instanceof SipError && configError.kind,
      machines: typeof machines.registrationMachine.provide,
    }));
  })
  .catch((error) => { console.error(error); process.exit(1); });
`;

describe('the packed package', () => {
  it('ships only the build, with both entries for import and require', () => {
    const files = readdirSync(join(project, 'node_modules/sipstate/dist'));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', 'machines.js', 'machines.cjs']));
    expect(readdirSync(join(project, 'node_modules/sipstate')).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
  });

  it.each([
    [
      'import',
      'consumer.mjs',
      `import WebSocket from 'ws';\nimport { createSipClient, SipConfigError, SipError } from 'sipstate';\nimport * as machines from 'sipstate/machines';`,
    ],
    [
      'require',
      'consumer.cjs',
      `const WebSocket = require('ws');\nconst { createSipClient, SipConfigError, SipError } = require('sipstate');\nconst machines = require('sipstate/machines');`,
    ],
  ])('registers and stops when loaded with %s', (_kind, file, imports) => {
    writeFileSync(join(project, file), body(imports).replace('WS_URL', kamailio.wsUrl));
    const output = run('node', ['--no-warnings', file], project).trim().split('\n').at(-1)!;
    const result = JSON.parse(output) as { seen: string[]; configError: string; machines: string };
    expect(result.seen).toEqual(['unregistered', 'registering', 'registered', 'unregistering', 'unregistered']);
    expect(result.configError).toBe('config');
    expect(result.machines).toBe('function');
  });

  it('exposes sipstate/view for import and require, and the sipstate bin runs', () => {
    const view = (code: string, file: string) => {
      writeFileSync(join(project, file), code);
      return run('node', ['--no-warnings', file], project).trim();
    };
    expect(view(`import { mountStatechart, statechartSvg } from 'sipstate/view';\nconsole.log(typeof mountStatechart, statechartSvg('transport').startsWith('<svg'));`, 'view.mjs')).toBe('function true');
    expect(view(`const { mountStatechart } = require('sipstate/view');\nconsole.log(typeof mountStatechart);`, 'view.cjs')).toBe('function');
    const mermaid = run(join(project, 'node_modules/.bin/sipstate'), ['diagram', 'registration'], project);
    expect(mermaid.split('\n').slice(0, 2)).toEqual(['%% registration', 'stateDiagram-v2']);
  });
});

