/**
 * Heap per client, first batch vs marginal: two batches of N clients registered in one process (sipstate or raw
 * sip.js), `gc()` before and after each. The second batch's heap per client leaves out one-time costs (JIT code,
 * lazily compiled functions) that the first batch's number includes.
 *
 *   npm run build && node --expose-gc --import tsx bench/heap-marginal.ts [clients=300]
 *
 * Starts its own Kamailio (1 GB shared memory); each variant runs in its own process. Bounded: 120 s per process.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startKamailio } from '../test/support/kamailio';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const [mode, variantArg, clientsArg, wsUrl] = process.argv.slice(2);
const BUILT_PACKAGE: string = '../dist/index.js';

async function worker(variant: string, clients: number, url: string): Promise<void> {
  setTimeout(() => {
    console.log(JSON.stringify({ variant, error: 'timeout after 120 s' }));
    process.exit(1);
  }, 120_000).unref();
  const user = (i: number): string => `load${3000 + i}`;
  const { createSipClient } = (await import(BUILT_PACKAGE)) as typeof import('../src/index');
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  const { UserAgent, Registerer, RegistererState } = await import('sip.js');
  const one = async (i: number): Promise<unknown> => {
    if (variant === 'sipstate') {
      const client = createSipClient({
        server: url,
        uri: `sip:${user(i)}@sipstate.test`,
        authorizationUsername: user(i),
        authorizationPassword: 'load-secret',
        webSocket: WebSocket,
        logLevel: 'error',
      });
      await client.register();
      return client;
    }
    const userAgent = new UserAgent({
      uri: UserAgent.makeURI(`sip:${user(i)}@sipstate.test`),
      transportOptions: { server: url, traceSip: false, connectionTimeout: 30 },
      authorizationUsername: user(i),
      authorizationPassword: 'load-secret',
      logLevel: 'error',
    });
    await userAgent.start();
    const registerer = new Registerer(userAgent);
    await new Promise<void>((resolve, reject) => {
      registerer.stateChange.addListener((state) => state === RegistererState.Registered && resolve());
      registerer.register().catch(reject);
    });
    return userAgent;
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const kept: unknown[] = [];
  const before = heap();
  kept.push(...(await Promise.all(Array.from({ length: clients }, (_, i) => one(i)))));
  const afterFirst = heap();
  kept.push(...(await Promise.all(Array.from({ length: clients }, (_, i) => one(clients + i)))));
  const afterSecond = heap();
  const kb = (bytes: number): number => Math.round(bytes / clients / 102.4) / 10;
  console.log(JSON.stringify({ variant, clients, firstKb: kb(afterFirst - before), marginalKb: kb(afterSecond - afterFirst), kept: kept.length }));
  process.exit(0);
}

async function main(): Promise<void> {
  const clients = Number(mode ?? 300);
  const server = await startKamailio({ sharedMemoryMb: 1024, pkgMemoryMb: 32 });
  try {
    console.log('variant     first batch KB/client  second batch (marginal) KB/client');
    for (const variant of ['sipstate', 'sipjs', 'sipstate', 'sipjs']) {
      // Asynchronous: Kamailio's log pipe into this process must keep draining while the worker runs.
      const run = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), 'worker', variant, String(clients), server.wsUrl],
        { cwd: ROOT, encoding: 'utf8', timeout: 150_000 },
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const line = run.stdout.trim().split('\n').pop() ?? '';
      const result = JSON.parse(line || '{}') as { firstKb?: number; marginalKb?: number; error?: string };
      console.log(`${variant.padEnd(11)} ${String(result.firstKb ?? result.error).padEnd(22)} ${result.marginalKb ?? ''}`);
    }
  } finally {
    await server.stop();
  }
}

if (mode === 'worker') await worker(variantArg!, Number(clientsArg), wsUrl!);
else await main();
