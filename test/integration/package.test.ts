import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKamailio, type KamailioServer } from '../support/kamailio';

// `npm pack` the built package, install it in a separate project next to its peers, and run the README's code there
// under both `import` and `require`, against a real Kamailio.

const root = resolve(import.meta.dirname, '../..');
let kamailio: KamailioServer;
let project: string;
let tarball: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

beforeAll(async () => {
  kamailio = await startKamailio();
  project = mkdtempSync(join(tmpdir(), 'sipstate-pack-'));
  run('npm', ['run', 'build', '--silent'], root);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], root)) as {
    filename: string;
  }[];
  tarball = join(project, packed[0]!.filename);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  // Peers at the versions this repository tests with; --prefer-offline uses the npm cache the repo's install filled.
  const version = (name: string) =>
    JSON.parse(run('node', ['-p', `JSON.stringify(require('${name}/package.json').version)`], root)) as string;
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
      // For the type checks below: a TypeScript consumer's own tools.
      `typescript@${version('typescript')}`,
      `@types/node@${version('@types/node')}`,
      `@types/ws@${version('@types/ws')}`,
    ],
    project,
  );
}, 180_000);

const olderProjects: string[] = [];

afterAll(async () => {
  await kamailio?.stop();
  for (const dir of [project, ...olderProjects]) if (dir) rmSync(dir, { recursive: true, force: true });
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
    expect(files).toEqual(
      expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', 'machines.js', 'machines.cjs']),
    );
    expect(readdirSync(join(project, 'node_modules/sipstate')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist',
      'package.json',
    ]);
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
    expect(
      view(
        `import { mountStatechart, statechartSvg } from 'sipstate/view';\nconsole.log(typeof mountStatechart, statechartSvg('transport').startsWith('<svg'));`,
        'view.mjs',
      ),
    ).toBe('function true');
    expect(
      view(`const { mountStatechart } = require('sipstate/view');\nconsole.log(typeof mountStatechart);`, 'view.cjs'),
    ).toBe('function');
    const mermaid = run(join(project, 'node_modules/.bin/sipstate'), ['diagram', 'registration'], project);
    expect(mermaid.split('\n').slice(0, 2)).toEqual(['%% registration', 'stateDiagram-v2']);
  });
});

/** The README's main example ("Use"), with the awaits inside a function so that it is valid CommonJS too. */
const README_EXAMPLE = `import WebSocket from 'ws'; // in browsers leave \`webSocket\` out: the global one is used
import { createSipClient, SipConfigError, SipError, type SipLogSink } from 'sipstate';
import { registrationMachine } from 'sipstate/machines';
import { statechartSvg } from 'sipstate/view';

const client = createSipClient({
  server: 'wss://sip.example.com:8443', // or a list, tried in order
  uri: 'sip:alice@example.com',
  authorizationUsername: 'alice',
  authorizationPassword: process.env.SIP_PASSWORD,
  register: true, // register as soon as started, and stay registered
  webSocket: WebSocket,
});

client.registration$.subscribe((registration) => {
  // each status has its own fields: narrow on it, no \`!\` needed
  if (registration.status === 'registered') console.log('bound until', new Date(registration.expiresAt));
  if (registration.status === 'retrying') console.log(\`retry in \${registration.retryAt - Date.now()} ms\`, registration.error.message);
});
client.transport$.subscribe((transport) => {
  if (transport.status === 'reconnecting' && transport.phase === 'waiting') {
    console.log(\`attempt \${transport.attempt} in \${transport.retryAt - Date.now()} ms\`);
  }
});

export async function main(): Promise<void> {
  await client.start(); // resolves when connected and started
  // ... later
  await client.stop(); // unregisters, stops, disconnects
  client.dispose(); // completes every stream; nothing is left running
}

// A pino-shaped logger (info, no log) at the levels the README lists.
const pinoLike: SipLogSink = { debug() {}, info() {}, warn() {}, error() {} };
createSipClient({ server: 'wss://sip.example.com', webSocket: WebSocket, logger: pinoLike, logLevel: 'info' });
createSipClient({ server: 'wss://sip.example.com', webSocket: WebSocket, logLevel: 'silent' });

export function kindOf(error: unknown): string | undefined {
  if (error instanceof SipConfigError) return error.field;
  return error instanceof SipError ? error.kind : undefined;
}
export const machine = registrationMachine;
export const svg: string = statechartSvg('registration');
`;

/** The TypeScript errors of a consumer project: one line each, "file(line,col): error TSxxxx: ...". */
function typeErrors(dir: string): Promise<string[]> {
  return new Promise((done) => {
    execFile(
      join(project, 'node_modules/.bin/tsc'),
      ['-p', dir],
      { cwd: dir, encoding: 'utf8', timeout: 300_000 },
      (_error, stdout) => {
        done(stdout.split('\n').filter((line) => /error TS\d+/.test(line)));
      },
    );
  });
}

/** A consumer project inside the temporary project (so it sees its node_modules) with its own tsconfig. */
function consumer(name: string, type: 'module' | 'commonjs', compilerOptions: Record<string, unknown>): string {
  const dir = join(project, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
  writeFileSync(join(dir, 'main.ts'), README_EXAMPLE);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        noEmit: true,
        types: ['node'],
        ...compilerOptions,
      },
      files: ['main.ts'],
    }),
  );
  return dir;
}

/**
 * Errors inside sip.js's and xstate's own declarations, which sipstate cannot change: under
 * `exactOptionalPropertyTypes` with `skipLibCheck: false`, sip.js 0.21.2's classes do not match its own interfaces
 * (TS2420, `delegate`) and xstate's setup.d.ts fails TS2344. Everything else, sipstate's declarations and the
 * consumer's file included, must be clean.
 */
const PEERS_OWN = /^\.\.\/node_modules\/(sip\.js|xstate)\//;

describe('the published types', () => {
  // On the main branch before issue 16 these failed with: TS2411 in the machine and view declarations
  // (userAgentMachine's children), TS1479 in index.d.cts and client-*.d.cts for CommonJS (their sip.js imports), and
  // TS2379 in main.ts under exactOptionalPropertyTypes (authorizationPassword: string | undefined).
  it.each([
    ['an ES module', 'module'],
    ['a CommonJS module (module node16)', 'commonjs'],
  ] as const)(
    'compile for %s consumer with skipLibCheck: false, and with exactOptionalPropertyTypes',
    async (_kind, type) => {
      const [strict, exact] = await Promise.all([
        typeErrors(consumer(`types-${type}-strict`, type, { skipLibCheck: false })),
        typeErrors(consumer(`types-${type}-exact`, type, { skipLibCheck: false, exactOptionalPropertyTypes: true })),
      ]);
      expect(strict).toEqual([]);
      expect(exact.filter((line) => !PEERS_OWN.test(line))).toEqual([]);
    },
    600_000,
  );
});

describe('one SipError for require and import', () => {
  it('is the same class whichever way sipstate (and sipstate/machines) was loaded', () => {
    writeFileSync(
      join(project, 'identity.cjs'),
      `(async () => {
  const required = require('sipstate');
  const imported = await import('sipstate');
  const requiredMachines = require('sipstate/machines');
  const importedMachines = await import('sipstate/machines');
  const machinesSipError = requiredMachines.SipError ?? importedMachines.SipError;
  console.log(JSON.stringify({
    sameClass: required.SipError === imported.SipError,
    requiredIsImported: new required.SipError('transport', 'x') instanceof imported.SipError,
    importedIsRequired: new imported.SipConfigError('server', 'is wrong') instanceof required.SipError,
    sameMachines: requiredMachines.registrationMachine === importedMachines.registrationMachine,
    // sipstate/machines may export SipError too (the error type its machines produce): then it is the same class.
    machinesSipError: machinesSipError === undefined || (
      requiredMachines.SipError === importedMachines.SipError &&
      new requiredMachines.SipError('timeout', 'x') instanceof imported.SipError &&
      new required.SipError('timeout', 'x') instanceof importedMachines.SipError
    ),
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`,
    );
    const result = JSON.parse(run('node', ['identity.cjs'], project).trim().split('\n').at(-1)!) as Record<
      string,
      boolean
    >;
    expect(result).toEqual({
      sameClass: true,
      requiredIsImported: true,
      importedIsRequired: true,
      sameMachines: true,
      machinesSipError: true,
    });
  });
});

describe('with the earlier sip.js 0.21 patch releases (peer range ~0.21.0)', () => {
  // sip.js 0.21.0 and 0.21.1 differ from 0.21.2 only in SessionManager and SimpleUser (which sipstate does not use) and
  // in the version they report (0.20.1 and 0.21.0): the fast parser is generated from 0.21.2, so it stays off and
  // sip.js's own parser runs, with one warning.
  it.each(['0.21.0', '0.21.1'])(
    'installs next to sip.js %s without peer errors, falls back to its parser, and registers',
    (sipJs) => {
      const dir = mkdtempSync(join(tmpdir(), `sipstate-sipjs-${sipJs}-`));
      olderProjects.push(dir);
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, version: '1.0.0', type: 'module' }),
      );
      const version = (name: string) =>
        JSON.parse(run('node', ['-p', `JSON.stringify(require('${name}/package.json').version)`], root)) as string;
      // No --legacy-peer-deps: npm's peer check is part of what is tested (ERESOLVE while the peer was exactly 0.21.2).
      run(
        'npm',
        [
          'install',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          tarball,
          `sip.js@${sipJs}`,
          `xstate@${version('xstate')}`,
          `rxjs@${version('rxjs')}`,
          `ws@${version('ws')}`,
        ],
        dir,
      );
      writeFileSync(
        join(dir, 'register.mjs'),
        `import WebSocket from 'ws';
import { version } from 'sip.js';
import { activeParser, createSipClient } from 'sipstate';
const warnings = [];
const client = createSipClient({
  server: ${JSON.stringify(kamailio.wsUrl)},
  uri: 'sip:alice@sipstate.test',
  authorizationUsername: 'alice',
  authorizationPassword: 'alice-secret',
  webSocket: WebSocket,
  logger: { debug() {}, info() {}, warn: (line) => warnings.push(line), error: (line) => warnings.push(line) },
});
const seen = [];
client.registration$.subscribe(({ status }) => seen.push(status));
await client.start();
await client.register();
const expires = client.getState().registration.expires;
await client.stop();
client.dispose();
console.log(JSON.stringify({ reported: version, parser: activeParser(), seen, expires, warnings }));
`,
      );
      const result = JSON.parse(run('node', ['--no-warnings', 'register.mjs'], dir).trim().split('\n').at(-1)!) as {
        reported: string;
        parser: string;
        seen: string[];
        expires: number;
        warnings: string[];
      };
      expect(JSON.parse(run('node', ['-p', "JSON.stringify(require('sip.js/package.json').version)"], dir))).toBe(
        sipJs,
      );
      expect(result.parser).toBe('sip.js');
      expect(result.warnings).toEqual([
        `[sipstate] fast SIP parser not installed, sip.js's own parser stays in use: the installed sip.js reports version ${result.reported}; the fast parser was generated from sip.js 0.21.2 (which reports 0.21.1)`,
      ]);
      expect(result.seen).toEqual(['unregistered', 'registering', 'registered', 'unregistering', 'unregistered']);
      expect(result.expires).toBeGreaterThan(0);
    },
    180_000,
  );
});
