/**
 * A sipstate client in a process of its own, for hostile cases that could kill the process that runs them (an input
 * that ran sip.js out of memory). The parent runs it with a capped heap:
 *
 *   node --max-old-space-size=512 --import tsx test/support/hostile-child.ts ws://127.0.0.1:PORT
 *
 * It registers as sip:alice@hostile.test and writes one JSON line per event on stdout: `{"event":"registered"}` on
 * each registration, `{"event":"message","bytes":N}` for each messages$ emission, and, when the parent writes
 * `report` on stdin, `{"event":"report",...}` with the longest event-loop block since the last `reset` (or the
 * start) and the heap used. `exit` on stdin (or stdin closing) disposes the client and exits 0. It exits by itself
 * after 60 s in any case.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { createSipClient } from '../../src/index';

const server = process.argv[2];
if (!server) {
  process.stderr.write('usage: hostile-child.ts <ws-url>\n');
  process.exit(2);
}
const emit = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
const client = createSipClient({
  server,
  uri: 'sip:alice@hostile.test',
  webSocket: WebSocket,
  register: true,
  logLevel: 'error',
  logger: { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined },
  calls: { media: 'signaling' },
});
client.registration$.subscribe(({ status }) => {
  if (status === 'registered') emit({ event: 'registered' });
});
client.messages$.subscribe(({ body }) => emit({ event: 'message', bytes: body.length }));
void client.start();

const quit = (): void => {
  client.dispose();
  process.exit(0);
};
setTimeout(quit, 60_000).unref();
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'report') {
    emit({ event: 'report', maxEventLoopDelayMs: histogram.max / 1e6, heapUsed: process.memoryUsage().heapUsed });
    histogram.reset();
  }
  if (line === 'reset') histogram.reset();
  if (line === 'exit') quit();
});
lines.on('close', quit);
