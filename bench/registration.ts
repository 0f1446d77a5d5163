/**
 * Benchmark 1: N clients registering at once, sipstate (createSipClient, register: true) against the same done with
 * raw sip.js (UserAgent + Registerer), alternated in one invocation. Each run is a fresh child process with
 * --expose-gc (bench/registration-worker.mjs, loading dist/: run `npm run build` first; `npm run bench` does): time from the first start until all N are registered, and heapUsed
 * after gc before and after, per client. Reports medians and the sipstate/sip.js ratios.
 *
 *   npm run bench -- registration [--n 500] [--rounds 3]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startKamailio } from '../test/support/kamailio';
import { BENCH_DIR, BENCH_KAMAILIO, median, parseArgs, printTable, writeResult } from './lib';

interface RunResult {
  variant: 'sipstate' | 'sipjs';
  n: number;
  timeMs: number;
  /** CPU time (user + system) of the worker while registering: less sensitive to a busy machine than wall time. */
  cpuMs?: number;
  heapPerClient: number;
  failures: number;
  unhandled: number;
  error?: string;
}

const args = parseArgs(process.argv.slice(2));
const n = Number(args.n ?? 500);
const rounds = Number(args.rounds ?? 3);

function runWorker(variant: string, ws: string, first: number): Promise<RunResult> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      join(BENCH_DIR, 'registration-worker.mjs'),
      '--variant',
      variant,
      '--n',
      String(n),
      '--ws',
      ws,
      '--first',
      String(first),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as RunResult);
      } catch {
        resolve({
          variant: variant as RunResult['variant'],
          n,
          timeMs: NaN,
          heapPerClient: NaN,
          failures: n,
          unhandled: 0,
          error: `exit ${code}: ${err.slice(-500)}`,
        });
      }
    });
  });
}

const kamailio = await startKamailio(BENCH_KAMAILIO);
const runs: (RunResult & { round: number })[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    // Alternate which variant goes first, so neither always gets the quieter moment.
    const order = round % 2 ? (['sipstate', 'sipjs'] as const) : (['sipjs', 'sipstate'] as const);
    for (const variant of order) {
      // Fresh users for every run: no run re-registers bindings another run left behind.
      const first = (runs.length * n) % 10_000;
      const result = await runWorker(variant, kamailio.wsUrl, first);
      runs.push({ ...result, round });
      console.log(
        `round ${round} ${variant}: ${result.error ?? `${result.timeMs.toFixed(0)} ms, CPU ${result.cpuMs?.toFixed(0)} ms, ${(result.heapPerClient / 1024).toFixed(1)} KB/client, failures ${result.failures}`}`,
      );
    }
  }
} finally {
  await kamailio.stop();
}

const summary = (variant: 'sipstate' | 'sipjs') => {
  const ok = runs.filter((r) => r.variant === variant && !r.error);
  return {
    runs: ok.length,
    medianTimeMs: median(ok.map((r) => r.timeMs)),
    medianCpuMs: median(ok.map((r) => r.cpuMs ?? NaN)),
    medianHeapPerClientKb: median(ok.map((r) => r.heapPerClient)) / 1024,
    failures: runs.filter((r) => r.variant === variant).reduce((sum, r) => sum + r.failures, 0),
    failedRuns: runs.filter((r) => r.variant === variant && r.error).length,
  };
};
const sipstate = summary('sipstate');
const sipjs = summary('sipjs');
const ratios = {
  time: sipstate.medianTimeMs / sipjs.medianTimeMs,
  cpu: sipstate.medianCpuMs / sipjs.medianCpuMs,
  heapPerClient: sipstate.medianHeapPerClientKb / sipjs.medianHeapPerClientKb,
};
printTable(`Registration: ${n} clients started at once, ${rounds} rounds alternated (medians)`, [
  {
    variant: 'sipstate',
    'time to all registered (ms)': sipstate.medianTimeMs,
    'CPU (ms)': sipstate.medianCpuMs,
    'heap/client (KB)': sipstate.medianHeapPerClientKb,
    failures: sipstate.failures,
  },
  {
    variant: 'raw sip.js',
    'time to all registered (ms)': sipjs.medianTimeMs,
    'CPU (ms)': sipjs.medianCpuMs,
    'heap/client (KB)': sipjs.medianHeapPerClientKb,
    failures: sipjs.failures,
  },
  {
    variant: 'ratio',
    'time to all registered (ms)': ratios.time,
    'CPU (ms)': ratios.cpu,
    'heap/client (KB)': ratios.heapPerClient,
    failures: '',
  },
]);
console.log(
  `targets: time ratio <= 1.10 (${ratios.time <= 1.1 ? 'met' : 'NOT met'}), heap ratio <= 1.3 (${ratios.heapPerClient <= 1.3 ? 'met' : 'NOT met'})`,
);
const file = writeResult('registration', {
  n,
  rounds,
  sipstate,
  sipjs,
  ratios,
  targets: { time: 1.1, heapPerClient: 1.3 },
  runs,
});
console.log(`wrote ${file}`);
