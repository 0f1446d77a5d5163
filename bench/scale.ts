/**
 * Benchmark 2: 5,000 sipstate clients in one Node process, registered with a short expiry and held through two
 * refresh cycles. Reports failures (a registration that went 'retrying'/'failed' or a transport that dropped after
 * being registered), how the REGISTERs spread over time at the server (peak per second, from Kamailio's request
 * log), event-loop delay p99 in the clients' process (perf_hooks.monitorEventLoopDelay), heap and RSS.
 *
 * The clients run in a child process (bench/scale-clients.ts); this process runs Kamailio's harness. Both in one
 * process, a busy event loop read Kamailio's log late (smearing the per-second counts) and let its log pipe fill up,
 * which stalls Kamailio itself. Bounded: each child has a hard deadline, and this process one over everything.
 *
 *   npm run bench -- scale [--n 5000] [--expires 20] [--jitter 10000] [--no-jitter-run (skip the run without jitter)]
 *   npm run bench -- scale-15k   (= --n 15000 --expires 60 --jitter 20000 --no-jitter-run --restart --shm 4096)
 *
 * --hold S: hold S seconds instead of two refresh cycles (to reach a restart sooner when profiling it).
 *
 * --node-options '--cpu-prof --cpu-prof-dir=DIR': Node options for the clients' process alone (a profile of it, GC traces).
 *
 * --restart: after the hold, Kamailio is restarted (SIGTERM, then started again on the same port) and the clients
 * report when each is registered again; the server's REGISTERs per second after the restart show whether they came
 * back in one stampede. --shm: Kamailio's shared memory in MB (~65 KB per WebSocket connection).
 *
 * Runs twice by default: with connectJitterMs (first connects spread over --jitter ms) and without (all first
 * connects at once), to show what the jitter buys.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startKamailio } from '../test/support/kamailio';
import { BENCH_DIR, BENCH_KAMAILIO, parseArgs, peakPerSecond, printTable, ROOT, sleep, writeResult } from './lib';

const args = parseArgs(process.argv.slice(2));
const n = Number(args.n ?? 5000);
const expires = Number(args.expires ?? 20);
const jitterMs = Number(args.jitter ?? 10_000);
const restart = args.restart !== undefined;
const sharedMemoryMb = Number(args.shm ?? BENCH_KAMAILIO.sharedMemoryMb);
// --node-options '--cpu-prof --cpu-prof-dir=DIR' (or --trace-gc ...): Node options for the clients' process only.
const clientNodeOptions = args['node-options'];
// The clients' own deadline: creating and registering, the hold, and the recovery after a restart.
const clientsDeadlineMs = Number(args.hardDeadlineMs ?? (restart ? 720_000 : 300_000));
setTimeout(() => {
  console.error('scale: hard deadline of 15 minutes reached; exiting');
  process.exit(3);
}, 900_000).unref();

interface ClientsResult {
  n: number;
  expires: number;
  connectJitterMs: number;
  startedAt: number;
  holdStartAt: number;
  holdMs: number;
  createdMs: number;
  allRegisteredMs: number;
  everRegistered: number;
  stillRegisteredAtEnd: number;
  refreshesSeen: number;
  failures: Record<string, number>;
  eventLoopDelay: {
    startup: { p99Ms: number; maxMs: number; meanMs: number };
    holding: { p99Ms: number; maxMs: number; meanMs: number };
  };
  peakRssMb: number;
  heapUsedMb: number;
  recovery?: Record<string, unknown>;
}

async function scenario(connectJitterMs: number) {
  const kamailio = await startKamailio({ ...BENCH_KAMAILIO, sharedMemoryMb, tcpChildren: 8 });
  let restartedAt: number | undefined;
  let serverUpAt: number | undefined;
  try {
    const child = spawn(
      process.execPath,
      [
        ...(clientNodeOptions?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx',
        join(BENCH_DIR, 'scale-clients.ts'),
        '--ws',
        kamailio.wsUrl,
        '--n',
        String(n),
        '--expires',
        String(expires),
        '--jitter',
        String(connectJitterMs),
        '--registerDeadlineMs',
        String(Math.max(120_000, n * 16)),
        '--hardDeadlineMs',
        String(clientsDeadlineMs),
        ...(restart ? ['--restart'] : []),
        ...(args.hold !== undefined ? ['--holdMs', String(Number(args.hold) * 1000)] : []),
      ],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let result: ClientsResult | undefined;
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      buffer += data;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length)) as ClientsResult;
        else if (line === 'RESTART_NOW') {
          restartedAt = Date.now();
          console.log(`  restarting Kamailio (${n} connections open)`);
          void kamailio.restart().then(
            () => {
              serverUpAt = Date.now();
              console.log(`  Kamailio up again after ${serverUpAt - restartedAt!} ms`);
              child.stdin.write(`SERVER_UP ${serverUpAt}\n`);
            },
            (error: unknown) => {
              console.error(`scale: Kamailio did not restart: ${String(error)}`);
              child.kill();
            },
          );
        } else console.log(line);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (!result) throw new Error(`scale-clients exited with ${code} and no result`);
    await sleep(500);
    const registers = kamailio.requests({ method: 'REGISTER' }).map((r) => r.at);
    const holdEnd = result.holdStartAt + result.holdMs;
    const holdRegisters = registers.filter((at) => at >= result!.holdStartAt && at < holdEnd);
    const startPeak = peakPerSecond(
      registers.filter((at) => at < result!.holdStartAt),
      result.startedAt,
    );
    const holdPeak = peakPerSecond(holdRegisters, result.holdStartAt);
    const afterRestart =
      serverUpAt === undefined
        ? undefined
        : peakPerSecond(
            registers.filter((at) => at >= serverUpAt!),
            serverUpAt,
          );
    return {
      ...result,
      server: {
        ...(afterRestart !== undefined && {
          restartedAt,
          serverUpAt,
          peakRegistersPerSecondAfterRestart: afterRestart.peak,
          restartHistogram: afterRestart.histogram,
        }),
        registerRequests: registers.length,
        registerRequestsWhileHolding: holdRegisters.length,
        peakRegistersPerSecondStartup: startPeak.peak,
        peakRegistersPerSecondHolding: holdPeak.peak,
        meanRegistersPerSecondHolding: holdRegisters.length / (result.holdMs / 1000),
        holdingHistogram: holdPeak.histogram,
        startupHistogram: startPeak.histogram,
      },
    };
  } finally {
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
printTable(
  `Scale: ${n} sipstate clients in one process, expires ${expires} s, held ${expires * 2 + 4} s (two refresh cycles)`,
  results.map((r) => ({
    connectJitterMs: r.connectJitterMs,
    'all registered (s)': r.allRegisteredMs / 1000,
    registered: `${r.everRegistered}/${r.n}`,
    'still registered': r.stillRegisteredAtEnd,
    refreshes: r.refreshesSeen,
    'retrying/failed/dropped': `${r.failures.retrying}/${r.failures.failed}/${r.failures.droppedAfterRegistered}`,
    reconnects: r.failures.reconnectingTransitions ?? 0,
    unhandled: r.failures.unhandledRejections ?? 0,
    'peak REG/s start': r.server.peakRegistersPerSecondStartup,
    'peak REG/s hold': r.server.peakRegistersPerSecondHolding,
    'mean REG/s hold': r.server.meanRegistersPerSecondHolding,
    'loop p99 start (ms)': r.eventLoopDelay.startup.p99Ms,
    'loop p99 hold (ms)': r.eventLoopDelay.holding.p99Ms,
    'peak RSS (MB)': r.peakRssMb,
  })),
);
for (const r of results) {
  if (!r.recovery) continue;
  const recovery = r.recovery as {
    back: number;
    lost: number;
    allBackMsAfterServerUp?: number;
    eventLoopDelay: { p99Ms: number };
  };
  console.log(
    `after the restart: ${recovery.back}/${recovery.lost} registered again, all ${recovery.allBackMsAfterServerUp ?? 'NOT'} ms after the server was up; ` +
      `loop p99 ${recovery.eventLoopDelay.p99Ms.toFixed(0)} ms; server REGISTERs per second from up: ${r.server.restartHistogram?.join(' ')}`,
  );
}
console.log(`wrote ${save()}`);
process.exit(0);
