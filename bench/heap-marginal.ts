/**
 * Heap per client, first batch vs marginal: bench/parser/register-worker.ts in `marginal` mode registers two batches
 * of N clients in one process (sipstate or raw sip.js), `gc()` before and after each. The second batch's heap per
 * client leaves out one-time costs (JIT code, lazily compiled functions) that the first batch's number includes. The
 * last column is the second batch's memory outside the JS heap (`process.memoryUsage().external`) per client.
 *
 *   npm run build && node --expose-gc --import tsx bench/heap-marginal.ts [clients=300]
 *
 * Starts its own Kamailio (1 GB shared memory); each run is its own process, two per variant, alternated. Bounded:
 * the worker gives up after 120 s, and is killed after 150 s.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startKamailio } from '../test/support/kamailio';
import { BENCH_KAMAILIO, ROOT } from './lib';

const clients = Number(process.argv[2] ?? 300);
const server = await startKamailio({ ...BENCH_KAMAILIO });
try {
  console.log('variant     first batch KB/client  second batch (marginal) KB/client  outside the JS heap, marginal');
  for (const [round, variant] of ['sipstate', 'sipjs', 'sipstate', 'sipjs'].entries()) {
    // Asynchronous: Kamailio's log pipe into this process must keep draining while the worker runs.
    const run = await promisify(execFile)(
      process.execPath,
      // Users from load3000 on, a fresh range per run (each run registers 2 × clients).
      [
        '--expose-gc',
        '--import',
        'tsx',
        'bench/parser/register-worker.ts',
        variant,
        String(clients),
        server.wsUrl,
        String(3000 + round * 2 * clients),
        'marginal',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 150_000 },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const line = run.stdout.trim().split('\n').pop() ?? '';
    const result = JSON.parse(line || '{}') as {
      heapPerClientKb?: number;
      marginalKb?: number;
      marginalOutsideHeapKb?: number;
      error?: string;
    };
    console.log(
      `${variant.padEnd(11)} ${String(result.heapPerClientKb ?? result.error).padEnd(22)} ${String(result.marginalKb ?? '').padEnd(34)} ${result.marginalOutsideHeapKb ?? ''}`,
    );
  }
} finally {
  await server.stop();
}
