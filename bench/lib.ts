/**
 * Shared helpers for the benchmarks: machine facts, result files, tables, statistics.
 * Benchmarks are not tests: they measure, print a table and write bench/results/<name>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** Kamailio sized for thousands of WebSocket connections (see test/support/kamailio.ts). */
export const BENCH_KAMAILIO = { sharedMemoryMb: 1024, pkgMemoryMb: 32 } as const;

/** What the numbers were measured on, including how busy the machine was (`uptime`) at the time. */
export function machineInfo(): Record<string, unknown> {
  let uptime = '';
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    uptime = `loadavg ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`;
  }
  let kamailio = '';
  try {
    kamailio = /version: (\S+ \S+)/.exec(execFileSync('kamailio', ['-v'], { encoding: 'utf8' }))?.[1] ?? '';
  } catch {
    // not installed: the benchmarks that need it will say so
  }
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 2 ** 20),
    freeMemoryMb: Math.round(freemem() / 2 ** 20),
    node: process.version,
    kamailio,
    uptime,
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
    at: new Date().toISOString(),
  };
}

/** Writes bench/results/<name>.json with the machine info and returns its path. */
export function writeResult(name: string, result: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: name, machine: machineInfo(), ...result }, null, 2)}\n`);
  return file;
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const cell = (value: unknown) => (typeof value === 'number' ? formatNumber(value) : String(value ?? ''));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))));
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(3);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Highest number of timestamps (ms) falling into one whole second, and that second's offset from `origin`. */
export function peakPerSecond(
  timestamps: readonly number[],
  origin = timestamps[0] ?? 0,
): { peak: number; atSecond: number; histogram: number[] } {
  const histogram: number[] = [];
  for (const at of timestamps) {
    const second = Math.max(0, Math.floor((at - origin) / 1000));
    histogram[second] = (histogram[second] ?? 0) + 1;
  }
  for (let i = 0; i < histogram.length; i++) histogram[i] ??= 0;
  let peak = 0;
  let atSecond = 0;
  histogram.forEach((count, second) => {
    if (count > peak) {
      peak = count;
      atSecond = second;
    }
  });
  return { peak, atSecond, histogram };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Parses `--name value` / `--flag` arguments. */
export function parseArgs(argv: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) args[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) args[arg.slice(2)] = argv[++i]!;
    else args[arg.slice(2)] = 'true';
  }
  return args;
}

/**
 * sipstate's build (dist/index.js), typed from the source. The benchmarks measure what users run: through tsx, the
 * source's functions get esbuild's `__name` wrappers, which cost heap per closure.
 */
export async function loadBuild(): Promise<typeof import('../src/index')> {
  const path = join(ROOT, 'dist', 'index.js');
  try {
    return (await import(path)) as typeof import('../src/index');
  } catch (error) {
    throw new Error(`sipstate is not built (${path}): run \`npm run build\` first (\`npm run bench\` does)`, {
      cause: error,
    });
  }
}
