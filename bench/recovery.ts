/**
 * Benchmark 3: N sipstate clients registered, then Kamailio is killed (SIGKILL, as in a crash) and started again on
 * the same port. Reports the time until every client is registered again (from the kill, and from the moment the
 * server accepted connections again), and the peak rate of new WebSocket connections the server saw (new source
 * ip:port of REGISTERs per second: each reconnected client registers first thing on its new connection).
 * Bounded: a hard deadline ends the process.
 *
 *   npm run bench -- recovery [--n 1000] [--down 2000]
 */
import { WebSocket } from 'ws';
import type { SipClient } from '../src/index';
import { loadUser, SIP_DOMAIN, startKamailio } from '../test/support/kamailio';
import { BENCH_KAMAILIO, loadBuild, parseArgs, peakPerSecond, printTable, sleep, writeResult } from './lib';

const { createSipClient } = await loadBuild();
const args = parseArgs(process.argv.slice(2));
const n = Number(args.n ?? 1000);
const downMs = Number(args.down ?? 2000);
const jitterMs = Number(args.jitter ?? 5000);
const deadlineMs = Number(args.deadlineMs ?? 120_000);
setTimeout(() => {
  console.error('recovery: hard deadline reached; exiting');
  process.exit(3);
}, 300_000).unref();
let unhandled = 0;
process.on('unhandledRejection', () => unhandled++);

const kamailio = await startKamailio(BENCH_KAMAILIO);
const clients: SipClient[] = [];
try {
  for (let i = 0; i < n; i++) {
    const { user, password } = loadUser(i);
    const client = createSipClient({
      server: kamailio.wsUrl,
      uri: `sip:${user}@${SIP_DOMAIN}`,
      authorizationUsername: user,
      authorizationPassword: password,
      register: true,
      expires: 600,
      connectJitterMs: jitterMs,
      webSocket: WebSocket,
      logLevel: 'error',
    });
    void client.start();
    clients.push(client);
  }
  const registeredCount = () => clients.filter((c) => c.getState().registration.status === 'registered').length;
  const t0 = Date.now();
  while (registeredCount() < n && Date.now() - t0 < deadlineMs) await sleep(200);
  const initialMs = Date.now() - t0;
  if (registeredCount() < n) throw new Error(`only ${registeredCount()} of ${n} registered at first`);

  kamailio.clearRequests();
  const killedAt = Date.now();
  await kamailio.kill();
  // Wait until every client noticed the loss (its transport left 'connected').
  while (clients.some((c) => c.getState().transport.status === 'connected') && Date.now() - killedAt < 30_000)
    await sleep(50);
  const noticedMs = Date.now() - killedAt;
  await sleep(Math.max(0, downMs - (Date.now() - killedAt)));
  await kamailio.start();
  const upAt = Date.now();
  let allBackAt: number | undefined;
  while (Date.now() - upAt < deadlineMs) {
    if (registeredCount() === n) {
      allBackAt = Date.now();
      break;
    }
    await sleep(100);
  }
  await sleep(500); // let the last log lines arrive
  const registers = kamailio.requests({ method: 'REGISTER' });
  const firstSeen = new Map<string, number>();
  for (const r of registers) if (!firstSeen.has(r.src)) firstSeen.set(r.src, r.at);
  const connections = peakPerSecond(
    [...firstSeen.values()].sort((a, b) => a - b),
    upAt,
  );
  const result = {
    n,
    connectJitterMs: jitterMs,
    downMs: upAt - killedAt,
    initialRegistrationMs: initialMs,
    allNoticedLossMs: noticedMs,
    allRegisteredAgain: allBackAt !== undefined,
    registeredAtEnd: registeredCount(),
    fromKillMs: allBackAt !== undefined ? allBackAt - killedAt : undefined,
    fromServerUpMs: allBackAt !== undefined ? allBackAt - upAt : undefined,
    newConnections: firstSeen.size,
    peakNewConnectionsPerSecond: connections.peak,
    connectionsHistogram: connections.histogram,
    registerRequestsAfterRestart: registers.length,
    peakRegistersPerSecond: peakPerSecond(
      registers.map((r) => r.at),
      upAt,
    ).peak,
    unhandledRejections: unhandled,
  };
  printTable(`Recovery: ${n} clients, Kamailio killed and restarted after ${result.downMs} ms`, [
    {
      'all registered again': `${result.registeredAtEnd}/${n}`,
      'from kill (s)': (result.fromKillMs ?? NaN) / 1000,
      'from server up (s)': (result.fromServerUpMs ?? NaN) / 1000,
      'new connections': result.newConnections,
      'peak conn/s': result.peakNewConnectionsPerSecond,
      'peak REG/s': result.peakRegistersPerSecond,
      unhandled,
    },
  ]);
  console.log(`connections per second after restart: ${connections.histogram.join(' ')}`);
  const file = writeResult('recovery', result);
  console.log(`wrote ${file}`);
} finally {
  for (const client of clients) client.dispose();
  await kamailio.stop();
}
process.exit(0);
