/**
 * A sipstate client in a process of its own, for the test that stops the process (SIGSTOP) and continues it
 * (SIGCONT) later, as a suspended computer would: test/integration/wake.test.ts.
 *
 *   node --import tsx test/support/sleeper-child.ts ws://127.0.0.1:PORT alice alice-secret 6
 *
 * Registers as sip:<user>@sipstate.test asking for <expires> seconds, and writes one JSON line on stdout per
 * registration$ emission: `{"status":..,"expiresAt":..,"at":<Date.now()>}`. `exit` on stdin (or stdin closing)
 * disposes the client and exits 0; it exits by itself after 60 s in any case.
 */
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { createSipClient } from '../../src/index';

const [server, user, password, expires] = process.argv.slice(2);
if (!server || !user || !password || !expires) {
  process.stderr.write('usage: sleeper-child.ts <ws-url> <user> <password> <expires>\n');
  process.exit(2);
}
const client = createSipClient({
  server,
  uri: `sip:${user}@sipstate.test`,
  authorizationUsername: user,
  authorizationPassword: password,
  expires: Number(expires),
  webSocket: WebSocket,
  register: true,
  logLevel: 'error',
  calls: { media: 'signaling' },
});
client.registration$.subscribe((state) => {
  const expiresAt = 'expiresAt' in state ? state.expiresAt : undefined;
  process.stdout.write(`${JSON.stringify({ status: state.status, expiresAt, at: Date.now() })}\n`);
});
void client.start().catch(() => undefined);

const exit = (): void => {
  client.dispose();
  process.exit(0);
};
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'exit') exit();
});
process.stdin.on('end', exit);
setTimeout(exit, 60_000).unref();
