/**
 * Checks, in Chromium, the claim sipstate's transport relies on: a browser's `WebSocket` ignores a third constructor
 * argument, so `new WebSocket(url, 'sip', { maxPayload })` (meant for the `ws` package in Node) changes nothing in a
 * browser. Web IDL's overload resolution drops arguments beyond the longest overload's (`argcount = min(maxarg, n)`),
 * so the object is never even read: a getter that throws is not called.
 *
 *   node --import tsx bench/browser-websocket-third-argument.ts
 *
 * A `ws` server on loopback accepts subprotocol `sip` and sends a 100,000-byte text message; the page opens it with a
 * third argument of `{ maxPayload: 16 }` (and once with a throwing getter) and reports what it saw. Not a benchmark
 * and not in the test suite: run it when the claim is in doubt (another browser, a new Chromium).
 */
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { chromiumOptions } from '../test/support/chromium';

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
});
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
server.on('connection', (peer) => peer.send('x'.repeat(100_000)));
const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
const browser = await chromium.launch(chromiumOptions());
try {
  const page = await browser.newPage();
  // A string, not a function: tsx's transform would add helpers (`__name`) the page does not have.
  const result = (await page.evaluate(`(async (target) => {
    const open = (third) =>
      new Promise((resolve) => {
        let socket;
        try {
          socket = new WebSocket(target, 'sip', third);
        } catch (error) {
          resolve({ threw: String(error) });
          return;
        }
        socket.onmessage = (event) => {
          const length = typeof event.data === 'string' ? event.data.length : -1;
          socket.close(1000);
          resolve({ protocol: socket.protocol, receivedLength: length });
        };
        socket.onclose = (event) => resolve({ closedBeforeMessage: event.code });
      });
    let getterCalled = false;
    const throwing = { get maxPayload() { getterCalled = true; throw new Error('read'); } };
    return {
      userAgent: navigator.userAgent,
      constructorLength: WebSocket.length,
      withMaxPayload16: await open({ maxPayload: 16 }),
      withThrowingGetter: await open(throwing),
      getterCalled,
    };
  })(${JSON.stringify(url)})`)) as Record<string, unknown>;
  console.log(JSON.stringify(result, null, 2));
  const ignored =
    (result.withMaxPayload16 as { receivedLength?: number }).receivedLength === 100_000 &&
    (result.withThrowingGetter as { receivedLength?: number }).receivedLength === 100_000 &&
    !result.getterCalled;
  console.log(
    ignored ? 'Chromium ignores the third argument (not even read).' : 'Chromium DOES NOT ignore it: see above.',
  );
  process.exitCode = ignored ? 0 : 1;
} finally {
  await browser.close();
  for (const client of server.clients) client.terminate();
  server.close();
}
