/**
 * Benchmark 5: transitions per second through client.state$, with 1 and with 100 subscribers.
 *
 * Driven through a real createSipClient (sipstate's build, its machines and sip.js) over an in-process loopback
 * WebSocket: a fake socket that opens at once and answers every REGISTER with a 200 OK built from the request (no
 * network, no digest challenge). The client registers and unregisters in a loop for a fixed time; every state$
 * emission counts as one transition. What this measures is the whole client path per transition (machines,
 * selectors, the subjects, sip.js building and parsing the REGISTER and its 200), not RxJS alone.
 *
 *   npm run bench -- streams [--seconds 3]
 */
import { loadBuild, parseArgs, printTable, writeResult } from './lib';

const { createSipClient } = await loadBuild();
const args = parseArgs(process.argv.slice(2));
const seconds = Number(args.seconds ?? 3);

/** Answers REGISTER with 200 OK and CRLF keep-alives with a CRLF, asynchronously, like a real socket. */
class LoopbackWebSocket {
  readyState = 0;
  binaryType = 'arraybuffer';
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(_url: string, _protocols?: string | string[]) {
    setImmediate(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(data: string): void {
    if (/^(\r\n)+$/.test(data)) {
      setImmediate(() => this.onmessage?.({ data: '\r\n' }));
      return;
    }
    const lines = data.split('\r\n');
    const header = (name: string) => lines.find((line) => line.toLowerCase().startsWith(`${name}:`)) ?? '';
    const response = [
      'SIP/2.0 200 OK',
      header('via'),
      header('from'),
      `${header('to')};tag=loopback`,
      header('call-id'),
      header('cseq'),
      header('contact'),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    setImmediate(() => this.onmessage?.({ data: response }));
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setImmediate(() => this.onclose?.({ code: 1000 }));
  }
}

async function measure(subscribers: number) {
  const client = createSipClient({
    server: 'ws://loopback.invalid',
    uri: 'sip:bench@sipstate.test',
    webSocket: LoopbackWebSocket,
    logLevel: 'error',
  });
  let transitions = 0;
  let seen = 0;
  client.state$.subscribe(() => transitions++);
  for (let i = 1; i < subscribers; i++) client.state$.subscribe(() => seen++);
  await client.start();
  // Warm-up, then count from zero.
  for (let i = 0; i < 50; i++) {
    await client.register();
    await client.unregister();
  }
  transitions = 0;
  seen = 0;
  let cycles = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    await client.register();
    await client.unregister();
    cycles++;
  }
  const elapsedS = (performance.now() - started) / 1000;
  await client.stop();
  client.dispose();
  return {
    subscribers,
    transitionsPerSecond: transitions / elapsedS,
    registerUnregisterCyclesPerSecond: cycles / elapsedS,
    transitionsPerCycle: transitions / cycles,
    deliveriesPerSecond: (transitions + seen) / elapsedS,
  };
}

const results = [await measure(1), await measure(100), await measure(1), await measure(100)];
printTable(
  `Streams: client.state$ over a loopback WebSocket, register/unregister loop, ${seconds} s each (two passes)`,
  results.map((r) => ({
    subscribers: r.subscribers,
    'transitions/s': r.transitionsPerSecond,
    'deliveries/s (all subscribers)': r.deliveriesPerSecond,
    'cycles/s': r.registerUnregisterCyclesPerSecond,
    'transitions/cycle': r.transitionsPerCycle,
  })),
);
const file = writeResult('streams', {
  driver: 'createSipClient over an in-process loopback WebSocket answering 200 OK',
  seconds,
  results,
});
console.log(`wrote ${file}`);
process.exit(0);
