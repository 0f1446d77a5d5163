/**
 * The client side of benchmark 2, spawned by bench/scale.ts once per scenario: N sipstate clients in this one Node
 * process against the Kamailio at --ws, registered with a short expiry and held through two refresh cycles. Counts
 * failures from the streams and measures event-loop delay here; prints `RESULT {json}` with epoch timestamps of the
 * phases so that the parent can cut the server's request log. A hard deadline ends the process whatever happens.
 *
 *   tsx bench/scale-clients.ts --ws ws://127.0.0.1:PORT [--n 5000] [--expires 20] [--jitter 10000] [--restart]
 *     [--holdMs N (default two refresh cycles)]
 *
 * With --restart, after the hold it prints `RESTART_NOW` and waits on stdin for the parent's `SERVER_UP <epoch ms>`
 * (the parent restarts Kamailio in between), then measures until every client is registered again: time from the
 * server being up, event-loop delay meanwhile, and per second how many clients got registered again.
 */
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { SipClient } from '../src/index';
import { loadUser, SIP_DOMAIN } from '../test/support/kamailio';
import { loadBuild, parseArgs, sleep } from './lib';

const { createSipClient } = await loadBuild();

const args = parseArgs(process.argv.slice(2));
const n = Number(args.n ?? 5000);
const expires = Number(args.expires ?? 20);
const connectJitterMs = Number(args.jitter ?? 10_000);
const ws = args.ws!;
const registerDeadlineMs = Number(args.registerDeadlineMs ?? 120_000);
const HARD_DEADLINE_MS = Number(args.hardDeadlineMs ?? 300_000);
const restart = args.restart !== undefined;
const recoveryDeadlineMs = Number(args.recoveryDeadlineMs ?? 90_000);
const stdinLines = restart ? createInterface({ input: process.stdin })[Symbol.asyncIterator]() : undefined;

setTimeout(() => {
  console.error(`scale: hard deadline of ${HARD_DEADLINE_MS} ms reached; exiting`);
  process.exit(3);
}, HARD_DEADLINE_MS).unref();

let unhandled = 0;
process.on('unhandledRejection', () => unhandled++);

async function scenario() {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const clients: SipClient[] = [];
  let registered = 0;
  let everRegistered = 0;
  let retrying = 0;
  let failed = 0;
  let reconnecting = 0;
  let droppedAfterRegistered = 0;
  let peakRssMb = 0;
  // --restart: from the moment the parent is told to restart the server, which clients lost their registration and
  // when each got it back.
  let restartedAt: number | undefined;
  const lostSinceRestart: boolean[] = [];
  const backAt: number[] = [];
  let back = 0;
  // --restart: the failed connection attempts after the restart, by kind (refused while down, timed out, closed).
  const attemptErrors: Record<string, number> = {};
  const rssTimer = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
  }, 1000);
  try {
    loop.enable();
    const started = Date.now();
    for (let i = 0; i < n; i++) {
      const { user, password } = loadUser(i);
      const client = createSipClient({
        server: ws,
        uri: `sip:${user}@${SIP_DOMAIN}`,
        authorizationUsername: user,
        authorizationPassword: password,
        register: true,
        expires,
        connectJitterMs,
        webSocket: WebSocket,
        logLevel: 'error',
      });
      let wasRegistered = false;
      let lastTransport = 'disconnected';
      const index = i;
      client.registration$.subscribe(({ status }) => {
        if (restartedAt !== undefined) {
          if (status !== 'registered') lostSinceRestart[index] = true;
          else if (lostSinceRestart[index] && !backAt[index]) {
            backAt[index] = Date.now();
            back++;
          }
        }
        if (status === 'registered' && !wasRegistered) {
          wasRegistered = true;
          everRegistered++;
        }
        if (status === 'registered') registered++;
        if (status === 'retrying') retrying++;
        if (status === 'failed') failed++;
      });
      let lastError: unknown;
      client.transport$.subscribe((transport) => {
        const { status } = transport;
        if (restartedAt !== undefined && 'error' in transport && transport.error && transport.error !== lastError) {
          lastError = transport.error;
          const kind = /did not open within|failed to open|closed/.exec(transport.error.message)?.[0] ?? 'other';
          attemptErrors[kind] = (attemptErrors[kind] ?? 0) + 1;
        }
        if (status === 'reconnecting' && lastTransport !== 'reconnecting') {
          reconnecting++;
          if (wasRegistered) droppedAfterRegistered++;
        }
        lastTransport = status;
      });
      void client.start();
      clients.push(client);
      // Yield now and then, as an application creating thousands of clients must: creating all 5,000 in one
      // synchronous loop blocked this process's event loop for tens of seconds, so every jitter timer had expired by
      // the end and the first connects came in one burst anyway (and Kamailio's log pipe, read by this process,
      // filled up and stalled the server).
      if (i % 100 === 99) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const createdMs = Date.now() - started;
    console.log(`connectJitterMs ${connectJitterMs}: ${n} clients created in ${createdMs} ms`);
    let lastReport = Date.now();
    while (everRegistered < n && Date.now() - started < registerDeadlineMs) {
      await sleep(250);
      if (Date.now() - lastReport >= 5000) {
        lastReport = Date.now();
        console.log(
          `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${everRegistered} registered, ${reconnecting} reconnects, ${retrying} retries`,
        );
      }
    }
    const allRegisteredMs = Date.now() - started;
    const firstPhaseLoop = { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, meanMs: loop.mean / 1e6 };
    loop.reset();
    const registrationsBefore = registered;
    const holdStart = Date.now();
    // Two refresh cycles: a refresh goes out at 80-90% of the granted expiry.
    const holdMs = args.holdMs !== undefined ? Number(args.holdMs) : Math.round(expires * 1000 * 2 + 4000);
    console.log(`  all ${everRegistered} registered after ${allRegisteredMs} ms; holding ${holdMs / 1000} s`);
    await sleep(holdMs);
    const steadyLoop = { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, meanMs: loop.mean / 1e6 };
    loop.disable();
    const refreshes = registered - registrationsBefore;
    const stillRegistered = clients.filter((c) => c.getState().registration.status === 'registered').length;
    // What the hold saw, before a restart adds its own drops and reconnects.
    const failures = {
      retrying,
      failed,
      droppedAfterRegistered,
      reconnectingTransitions: reconnecting,
      unhandledRejections: unhandled,
    };
    let recovery: Record<string, unknown> | undefined;
    if (stdinLines) {
      const reconnectsBefore = reconnecting;
      restartedAt = Date.now();
      loop.reset();
      loop.enable();
      console.log('RESTART_NOW');
      let serverUpAt = 0;
      for (;;) {
        const { value, done } = await stdinLines.next();
        if (done) throw new Error('stdin closed before SERVER_UP');
        const match = /^SERVER_UP (\d+)/.exec(String(value));
        if (match) {
          serverUpAt = Number(match[1]);
          break;
        }
      }
      const lost = () => lostSinceRestart.filter(Boolean).length;
      while ((back < n || lost() < n) && Date.now() - serverUpAt < recoveryDeadlineMs) await sleep(100);
      const lastBack = backAt.reduce((latest, at) => Math.max(latest, at ?? 0), 0);
      const perSecond: number[] = [];
      for (const at of backAt) {
        if (at === undefined) continue;
        const second = Math.max(0, Math.floor((at - serverUpAt) / 1000));
        perSecond[second] = (perSecond[second] ?? 0) + 1;
      }
      for (let k = 0; k < perSecond.length; k++) perSecond[k] ??= 0;
      recovery = {
        restartedAt,
        serverUpAt,
        lost: lost(),
        back,
        allBackMsAfterServerUp: back === n ? lastBack - serverUpAt : undefined,
        registeredAgainPerSecond: perSecond,
        reconnectingTransitions: reconnecting - reconnectsBefore,
        attemptErrors,
        retrying: retrying - failures.retrying,
        failed: failed - failures.failed,
        unhandledRejections: unhandled - failures.unhandledRejections,
        eventLoopDelay: { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, meanMs: loop.mean / 1e6 },
      };
      loop.disable();
    }
    const result = {
      n,
      expires,
      connectJitterMs,
      startedAt: started,
      holdStartAt: holdStart,
      holdMs,
      createdMs,
      allRegisteredMs,
      everRegistered,
      stillRegisteredAtEnd: stillRegistered,
      refreshesSeen: refreshes,
      failures,
      eventLoopDelay: { startup: firstPhaseLoop, holding: steadyLoop },
      peakRssMb: Math.round(peakRssMb),
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      ...(recovery !== undefined && { recovery }),
    };
    return result;
  } finally {
    clearInterval(rssTimer);
    for (const client of clients) client.dispose();
  }
}

console.log(`RESULT ${JSON.stringify(await scenario())}`);
process.exit(0);
