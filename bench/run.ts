/**
 * Runs sipstate's benchmarks: `npm run bench` runs all of them, `npm run bench -- registration` (or several names)
 * only those; arguments after the names go to each benchmark (e.g. `npm run bench -- registration --n 200`).
 *
 * Builds first (the benchmarks load dist/, what users run), then runs each benchmark in its own process with the
 * file-descriptor limit raised for thousands of sockets. Each prints a table and writes bench/results/<name>.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR, ROOT } from './lib';

const BENCHMARKS = [
  'registration',
  'scale',
  'recovery',
  'bundle',
  'streams',
  'parser',
  'machine-cost',
  'scale-15k',
  'tabs',
] as const;
// Where each benchmark lives: bench/<name>.ts, except the parser's (issue 10), which has its own folder, and
// scale-15k, which is the scale benchmark with its own arguments.
const FILES: Partial<Record<(typeof BENCHMARKS)[number], string>> = {
  parser: 'parser/run.ts',
  'scale-15k': 'scale.ts',
};
const PRESETS: Partial<Record<(typeof BENCHMARKS)[number], string[]>> = {
  'scale-15k': [
    '--n',
    '15000',
    '--expires',
    '60',
    '--jitter',
    '20000',
    '--no-jitter-run',
    '--restart',
    '--shm',
    '4096',
  ],
};
// Run only when named: 15,000 clients take both cores for several minutes.
const ON_REQUEST: readonly string[] = ['scale-15k'];
type Benchmark = (typeof BENCHMARKS)[number];

const argv = process.argv.slice(2);
const names = argv.filter((a) => (BENCHMARKS as readonly string[]).includes(a)) as Benchmark[];
const unknown = argv.filter(
  (a) => !a.startsWith('-') && !(BENCHMARKS as readonly string[]).includes(a) && !/^\d/.test(a),
);
const firstFlag = argv.findIndex((a) => a.startsWith('--'));
const extra = firstFlag >= 0 ? argv.slice(firstFlag) : [];
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}`);
  process.exit(2);
}
const selected = names.length ? names : BENCHMARKS.filter((name) => !ON_REQUEST.includes(name));

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// 5,000 WebSockets need 5,000+ descriptors in one process: raise the soft limit as far as the hard limit allows.
const FD_LIMIT = 20_000;
let failed = 0;
for (const name of selected) {
  console.log(`\n=== ${name} ===`);
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const command = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const file = join(BENCH_DIR, FILES[name] ?? `${name}.ts`);
  const child = spawn('sh', ['-c', command, tsx, file, ...(PRESETS[name] ?? []), ...extra], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (code !== 0) {
    failed++;
    console.error(`${name} exited with ${code}`);
  }
}
process.exit(failed ? 1 : 0);
