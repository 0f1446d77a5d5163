/**
 * Benchmark 2: 5,000 sipstate clients in one Node process, registered with a short expiry and held through two
 * refresh cycles. Reports failures (a registration that went 'retrying'/'failed' or a transport that dropped after
 * being registered), how the REGISTERs spread over time at the server (peak per second, from Kamailio's request
 * log), event-loop delay p99 (perf_hooks.monitorEventLoopDelay), heap and RSS. Stops by itself: a hard deadline
 * ends the process whatever happens.
 *
 *   npm run bench -- scale [--n 5000] [--expires 20] [--jitter 10000] [--no-jitter-run (skip the run without jitter)]
 *
 * Runs twice by default: with connectJitterMs (first connects spread over --jitter ms) and without (all 5,000 first
 * connects at once), to show what the jitter buys.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { SipClient } from '../src/index';
import { loadUser, SIP_DOMAIN, startKamailio } from '../test/support/kamailio';
import { BENCH_KAMAILIO, loadBuild, parseArgs, peakPerSecond, printTable, sleep, writeResult } from './lib';

const { createSipClient } = await loadBuild();

const args = parseArgs(process.argv.slice(2));
const n = Number(args.n ?? 5000);
const expires = Number(args.expires ?? 20);
const jitterMs = Number(args.jitter ?? 10_000);
const registerDeadlineMs = Number(args.registerDeadlineMs ?? 120_000);
const HARD_DEADLINE_MS = Number(args.hardDeadlineMs ?? 540_000);

setTimeout(() => {
  console.error(`scale: hard deadline of ${HARD_DEADLINE_MS} ms reached; exiting`);
  process.exit(3);
}, HARD_DEADLINE_MS).unref();

let unhandled = 0;
process.on('unhandledRejection', () => unhandled++);

async function scenario(connectJitterMs: number) {
  const kamailio = await startKamailio({ ...BENCH_KAMAILIO, tcpChildren: 8 });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const clients: SipClient[] = [];
  let registered = 0;
  let everRegistered = 0;
  let retrying = 0;
  let failed = 0;
  let reconnecting = 0;
  let droppedAfterRegistered = 0;
  let peakRssMb = 0;
  const rssTimer = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
  }, 1000);
  try {
    loop.enable();
    const started = Date.now();
    for (let i = 0; i < n; i++) {
      const { user, password } = loadUser(i);
      const client = createSipClient({
        server: kamailio.wsUrl,
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
      client.registration$.subscribe(({ status }) => {
        if (status === 'registered' && !wasRegistered) {
          wasRegistered = true;
          everRegistered++;
        }
        if (status === 'registered') registered++;
        if (status === 'retrying') retrying++;
        if (status === 'failed') failed++;
      });
      client.transport$.subscribe(({ status }) => {
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
        console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${everRegistered} registered, ${reconnecting} reconnects, ${retrying} retries`);
      }
    }
    const allRegisteredMs = Date.now() - started;
    const firstPhaseLoop = { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, meanMs: loop.mean / 1e6 };
    loop.reset();
    console.log(`  all ${everRegistered} registered after ${allRegisteredMs} ms; holding ${expires * 2 + 4} s`);
    const registrationsBefore = registered;
    const holdStart = Date.now();
    // Two refresh cycles: a refresh goes out at 80-90% of the granted expiry.
    const holdMs = Math.round(expires * 1000 * 2 + 4000);
    await sleep(holdMs);
    const steadyLoop = { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6, meanMs: loop.mean / 1e6 };
    loop.disable();
    const refreshes = registered - registrationsBefore;
    const stillRegistered = clients.filter((c) => c.getState().registration.status === 'registered').length;
    const registers = kamailio.requests({ method: 'REGISTER' }).map((r) => r.at);
    const holdRegisters = registers.filter((at) => at >= holdStart);
    const startPeak = peakPerSecond(registers.filter((at) => at < holdStart), started);
    const holdPeak = peakPerSecond(holdRegisters, holdStart);
    const result = {
      n,
      expires,
      connectJitterMs,
      createdMs,
      allRegisteredMs,
      everRegistered,
      stillRegisteredAtEnd: stillRegistered,
      refreshesSeen: refreshes,
      failures: { retrying, failed, droppedAfterRegistered, reconnectingTransitions: reconnecting, unhandledRejections: unhandled },
      server: {
        registerRequests: registers.length,
        registerRequestsWhileHolding: holdRegisters.length,
        peakRegistersPerSecondStartup: startPeak.peak,
        peakRegistersPerSecondHolding: holdPeak.peak,
        meanRegistersPerSecondHolding: holdRegisters.length / (holdMs / 1000),
        holdingHistogram: holdPeak.histogram,
        startupHistogram: startPeak.histogram,
      },
      eventLoopDelay: { startup: firstPhaseLoop, holding: steadyLoop },
      peakRssMb: Math.round(peakRssMb),
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    };
    return result;
  } finally {
    clearInterval(rssTimer);
    for (const client of clients) client.dispose();
    await kamailio.stop();
  }
}

const results: Awaited<ReturnType<typeof scenario>>[] = [];
// Written after each scenario, so a run cut short still leaves what it measured.
const save = () => writeResult('scale', { results });
results.push(await scenario(jitterMs));
save();
if (args['no-jitter-run'] === undefined) {
  await sleep(2000);
  results.push(await scenario(0));
  save();
}
printTable(`Scale: ${n} sipstate clients in one process, expires ${expires} s, held ${expires * 2 + 4} s (two refresh cycles)`, results.map((r) => ({
  connectJitterMs: r.connectJitterMs,
  'all registered (s)': r.allRegisteredMs / 1000,
  registered: `${r.everRegistered}/${r.n}`,
  'still registered': r.stillRegisteredAtEnd,
  refreshes: r.refreshesSeen,
  'retrying/failed/dropped': `${r.failures.retrying}/${r.failures.failed}/${r.failures.droppedAfterRegistered}`,
  'reconnects': r.failures.reconnectingTransitions,
  'peak REG/s start': r.server.peakRegistersPerSecondStartup,
  'peak REG/s hold': r.server.peakRegistersPerSecondHolding,
  'mean REG/s hold': r.server.meanRegistersPerSecondHolding,
  'loop p99 start (ms)': r.eventLoopDelay.startup.p99Ms,
  'loop p99 hold (ms)': r.eventLoopDelay.holding.p99Ms,
  'peak RSS (MB)': r.peakRssMb,
})));
console.log(`unhandled rejections: ${unhandled}`);
console.log(`wrote ${save()}`);
process.exit(0);
