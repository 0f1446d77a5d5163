/**
 * One registration run in a fresh process (the fast parser is process-wide, so raw sip.js must never share a process
 * with sipstate): N clients register at once against the test Kamailio; prints one JSON line with the time until all
 * are registered and the heap per client.
 *
 *   node --expose-gc --import tsx bench/parser/register-worker.ts <variant> <clients> <wsUrl> <firstUser> [marginal]
 *   variant: sipstate | sipjs | sipjs-fast | jssip | floor
 *   marginal: then register a second batch of as many clients and also print its heap per client (`marginalKb`) and
 *   its memory outside the JS heap per client (`marginalOutsideHeapKb`, from `process.memoryUsage().external`),
 *   which leaves out the one-time costs (JIT code, lazily compiled functions) the first batch's figure includes
 *   (sipjs-fast: raw sip.js after one throwaway sipstate client installed the fast parser: the parser's share alone)
 *
 * Bounded: gives up after 120 s and exits 1.
 *
 * With SIPSTATE_PROFILE=<file.cpuprofile>: a V8 CPU profile of the registration window only (no module loading), for
 * bench/parser/profile-summary.ts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import WebSocket from 'ws';

// The built package, as users run it (`npm run build` first); a variable, so type checking needs no build.
const BUILT_PACKAGE: string = '../../dist/index.js';

type Variant = 'sipstate' | 'sipjs' | 'sipjs-fast' | 'jssip' | 'floor';
const [variant, clientsArg, wsUrl, firstArg, modeArg] = process.argv.slice(2) as [
  Variant,
  string,
  string,
  string,
  string?,
];
const clients = Number(clientsArg);
const first = Number(firstArg ?? 0);
const DOMAIN = 'sipstate.test';
const PASSWORD = 'load-secret';
const user = (i: number): string => `load${(first + i) % 10_000}`;

const giveUp = setTimeout(() => {
  console.log(JSON.stringify({ variant, clients, error: 'timeout after 120 s' }));
  process.exit(1);
}, 120_000);

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

type Register = (index: number) => Promise<unknown>;

async function prepare(): Promise<Register> {
  switch (variant) {
    case 'sipstate': {
      const { createSipClient, activeParser } = (await import(BUILT_PACKAGE)) as typeof import('../../src/index');
      const register: Register = async (i) => {
        const client = createSipClient({
          server: wsUrl,
          uri: `sip:${user(i)}@${DOMAIN}`,
          authorizationUsername: user(i),
          authorizationPassword: PASSWORD,
          webSocket: WebSocket,
          logLevel: 'error',
        });
        await client.register();
        if (i === 0 && activeParser() !== 'fast') throw new Error(`sipstate runs with the ${activeParser()} parser`);
        return client;
      };
      return register;
    }
    case 'sipjs-fast':
    case 'sipjs': {
      (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
      if (variant === 'sipjs-fast') {
        const { createSipClient, activeParser } = (await import(BUILT_PACKAGE)) as typeof import('../../src/index');
        createSipClient({ server: wsUrl, uri: `sip:x@${DOMAIN}`, webSocket: WebSocket, logLevel: 'error' }).dispose();
        if (activeParser() !== 'fast') throw new Error('fast parser not installed');
      }
      const { UserAgent, Registerer, RegistererState } = await import('sip.js');
      return async (i) => {
        const userAgent = new UserAgent({
          uri: UserAgent.makeURI(`sip:${user(i)}@${DOMAIN}`),
          // sip.js's default 5 s connection timeout expires for most of 1,000 simultaneous connects on a loaded
          // 2-core machine (its parser hogs the event loop), and a failed start() is final: give it 30 s.
          transportOptions: { server: wsUrl, traceSip: false, connectionTimeout: 30 },
          authorizationUsername: user(i),
          authorizationPassword: PASSWORD,
          logLevel: 'error',
        });
        await userAgent.start();
        const registerer = new Registerer(userAgent);
        await new Promise<void>((resolve, reject) => {
          registerer.stateChange.addListener((state) => {
            if (state === RegistererState.Registered) resolve();
            if (state === RegistererState.Unregistered) reject(new Error(`${user(i)} unregistered`));
          });
          registerer.register().catch(reject);
        });
        return userAgent;
      };
    }
    case 'jssip': {
      (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
      const JsSIP = (await import('jssip')).default;
      JsSIP.debug.disable();
      return (i) =>
        new Promise((resolve, reject) => {
          const ua = new JsSIP.UA({
            sockets: [new JsSIP.WebSocketInterface(wsUrl)],
            uri: `sip:${user(i)}@${DOMAIN}`,
            authorization_user: user(i),
            password: PASSWORD,
            register: true,
          });
          ua.on('registered', () => resolve(ua));
          ua.on('registrationFailed', (event: { cause?: string }) => reject(new Error(`${user(i)}: ${event.cause}`)));
          ua.start();
        });
    }
    case 'floor': {
      const { minimalRegister } = await import('./minimal-register');
      return (i) => minimalRegister({ wsUrl, domain: DOMAIN, user: user(i), password: PASSWORD });
    }
    default:
      throw new Error(`unknown variant ${String(variant)}`);
  }
}

async function main(): Promise<void> {
  const register = await prepare();
  gc();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const profileFile = process.env.SIPSTATE_PROFILE;
  const session = profileFile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const kept = await Promise.all(Array.from({ length: clients }, (_, i) => register(i)));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (session && profileFile) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
  }
  gc();
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const kb = (bytes: number): number => Math.round(bytes / clients / 102.4) / 10;
  let marginalKb: number | undefined;
  let marginalOutsideHeapKb: number | undefined;
  if (modeArg === 'marginal') {
    // Memory outside the JS heap too (ArrayBuffers, buffers of sockets and native objects): `external`.
    const externalBefore = process.memoryUsage().external;
    // SIPSTATE_HEAP_SNAPSHOTS=dir: heap snapshots around the second batch (before.heapsnapshot, after.heapsnapshot),
    // to see what a registered client holds (node ids are stable between the two: new objects are the batch's).
    const snapshots = process.env.SIPSTATE_HEAP_SNAPSHOTS;
    if (snapshots) writeHeapSnapshot(join(snapshots, 'before.heapsnapshot'));
    kept.push(...(await Promise.all(Array.from({ length: clients }, (_, i) => register(clients + i)))));
    gc();
    gc();
    if (snapshots) writeHeapSnapshot(join(snapshots, 'after.heapsnapshot'));
    const after = process.memoryUsage();
    marginalKb = kb(after.heapUsed - heapAfter);
    marginalOutsideHeapKb = kb(after.external - externalBefore);
  }
  clearTimeout(giveUp);
  console.log(
    JSON.stringify({
      variant,
      clients,
      ms: Math.round(ms),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      heapPerClientKb: kb(heapAfter - heapBefore),
      marginalKb,
      marginalOutsideHeapKb,
      kept: kept.length,
    }),
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.log(JSON.stringify({ variant, clients, error: String(error) }));
  process.exit(1);
});
