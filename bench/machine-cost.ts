/**
 * What sipstate's machines cost per client, apart from everything else: sockets, sip.js and the client facade are
 * left out. Each client's machines run with instant fake actors until registered; timers stay pending as they do for
 * a registered client. Variants, alternated over rounds, each run in a fresh process with `--expose-gc`:
 *
 * - `sipstate`: the machines every createSipClient runs (user agent, transport and registration machines, with the
 *   actors of src/client-machine.ts).
 * - `one-machine`, `one-machine-watchers`: a measurement prototype folding the three into one parallel machine, happy
 *   path only (bench/machine-cost/one-machine-prototype.ts), without and with the two long-lived callback actors: a
 *   lower bound for what a single-machine design would cost.
 * - `one-actor`: the same with no actor but the machine's own (side effects as actions that send their results back
 *   as events): the floor of any XState design with one actor per client.
 * - `xstate-actor`: one started actor of a two-state machine: XState's floor for any design with an actor per client.
 *
 * Columns: ms and CPU ms per client with all clients at once; heap per client after `gc()`; and, for one client's
 * registration, the actors created, events delivered and snapshots produced (XState inspection events).
 *
 *   npm run bench -- machine-cost [--clients 1000] [--rounds 5]
 *
 * Bundled with esbuild first (as dist/ is: no per-function name wrappers, which tsx adds and which cost heap).
 * Bounded: each worker is killed after 60 s.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BENCH_DIR, median, parseArgs, printTable, ROOT, writeResult } from './lib';

const args = parseArgs(process.argv.slice(2));
const clients = Number(args.clients ?? 1000);
const rounds = Number(args.rounds ?? 5);
const VARIANTS = ['sipstate', 'one-machine', 'one-machine-watchers', 'one-actor', 'xstate-actor'] as const;

interface Sample {
  variant: string;
  clients: number;
  msPerClient: number;
  cpuMsPerClient: number;
  heapPerClientKb: number;
  actors: number;
  events: number;
  snapshots: number;
}

// Inside the project, so that the bundle's `import 'xstate'` resolves to the project's node_modules.
const cacheDir = join(ROOT, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const outdir = mkdtempSync(join(cacheDir, 'sipstate-machine-cost-'));
try {
  const worker = join(outdir, 'worker.mjs');
  await build({
    entryPoints: [join(BENCH_DIR, 'machine-cost', 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: worker,
    // xstate from node_modules, as users get it; sip.js is never reached from these files.
    external: ['xstate'],
    logLevel: 'warning',
  });
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', worker, variant, String(clients)],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      samples.push(JSON.parse(stdout.trim().split('\n').pop()!) as Sample);
    }
  }
  const rows = VARIANTS.map((variant) => {
    const of = samples.filter((s) => s.variant === variant);
    const first = of[0]!;
    return {
      variant,
      'ms/client': median(of.map((s) => s.msPerClient)),
      'cpu ms/client': median(of.map((s) => s.cpuMsPerClient)),
      'heap KB/client': median(of.map((s) => s.heapPerClientKb)),
      actors: first.actors,
      events: first.events,
      snapshots: first.snapshots,
    };
  });
  printTable(`Machines alone, ${clients} clients registering at once, median of ${rounds} rounds`, rows);
  console.log(`\nwrote ${writeResult('machine-cost', { clients, rounds, rows, samples })}`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
