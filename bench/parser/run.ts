/**
 * Issue 10 benchmarks: registration speed (sipstate vs raw sip.js vs JsSIP vs a hand-written floor) against the test
 * Kamailio, and a parse micro-benchmark (fast vs sip.js's parser) in Node and in Chromium.
 *
 *   npm run build && npm run bench:parser [-- --sizes 300,1000 --rounds 3 --only register|parse|browser]
 *
 * Every registration run is its own process (the fast parser is process-wide), variants alternate within each round,
 * the order rotates between rounds; medians over rounds. Bounded: each run gives up after 120 s. Prints a Markdown
 * report (for BENCHMARKS.md) and writes the raw results to bench/results/parser.tmp.json.
 */
import { spawn, execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { chromiumOptions } from '../../test/support/chromium';
import { startKamailio } from '../../test/support/kamailio';
import type { CapturedMessage } from '../../test/corpus/capture';
import { runParseBench, summarise, type ParseBenchResult } from './parse-bench';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALL_VARIANTS = ['sipstate', 'sipjs', 'sipjs-fast', 'jssip', 'floor'] as const;
type Variant = (typeof ALL_VARIANTS)[number];

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}
const sizes = arg('sizes', '300,1000').split(',').map(Number);
const rounds = Number(arg('rounds', '3'));
const only = arg('only', 'all');
const VARIANTS = arg('variants', 'sipstate,sipjs,sipjs-fast,jssip,floor').split(',') as Variant[];
for (const variant of VARIANTS) if (!ALL_VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}`);
const load = (): string =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/^.*load average:\s*/, 'load ');
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
};

interface RegisterRun {
  variant: Variant;
  clients: number;
  round: number;
  ms?: number;
  /** CPU time of the client process (user + system) while registering: what the client itself costs. */
  cpuMs?: number;
  heapPerClientKb?: number;
  error?: string;
  loadBefore: string;
}

function runWorker(
  variant: Variant,
  clients: number,
  wsUrl: string,
  firstUser: number,
): Promise<Omit<RegisterRun, 'round' | 'loadBefore'>> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        join(ROOT, 'bench/parser/register-worker.ts'),
        variant,
        String(clients),
        wsUrl,
        String(firstUser),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('exit', () => {
      clearTimeout(killer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Omit<RegisterRun, 'round' | 'loadBefore'>);
      } catch {
        resolve({ variant, clients, error: `no result: ${line} ${err}`.slice(0, 500) });
      }
    });
  });
}

async function registrationBench(): Promise<RegisterRun[]> {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const server = await startKamailio({ sharedMemoryMb: 1024, pkgMemoryMb: 32 });
  const runs: RegisterRun[] = [];
  let nextUser = 0;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const clients of sizes) {
        // Rotate the order each round so no variant always runs first (or right after the heaviest one).
        const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length]!);
        for (const variant of order) {
          const loadBefore = load();
          const result = await runWorker(variant, clients, server.wsUrl, nextUser);
          nextUser = (nextUser + clients) % 10_000;
          runs.push({ ...result, variant, clients, round, loadBefore });
          console.error(
            `round ${round} ${variant} x${clients}: ${result.error ?? `${result.ms} ms, ${result.heapPerClientKb} KB/client`} (${loadBefore})`,
          );
          // Let Kamailio drop the previous run's connections before the next one starts.
          await new Promise((r) => setTimeout(r, 1500));
        }
      }
    }
  } finally {
    await server.stop();
  }
  return runs;
}

function benchMessages(): string[] {
  const captured = JSON.parse(readFileSync(join(ROOT, 'test/corpus/captured.json'), 'utf8')) as CapturedMessage[];
  // What a client receives from the registrar: challenges, 200s, fault replies, a relayed MESSAGE.
  return captured.filter((m) => m.source === 'kamailio-ws').map((m) => m.raw);
}

const CSP = "default-src 'none'; script-src 'self'";

async function browserParseBench(
  messages: string[],
): Promise<{ summary: Record<string, number>; results: ParseBenchResult[]; userAgent: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sipstate-parse-bench-'));
  const bundled = await build({
    entryPoints: [join(ROOT, 'bench/parser/browser-entry.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const script = bundled.outputFiles[0]!.text;
  // A fresh user-data dir for every run.
  const browser = await chromium.launchPersistentContext(dir, {
    ...chromiumOptions(),
  });
  try {
    const page = await browser.newPage();
    // A strict CSP: scripts only from the page's origin, no eval or Function constructor.
    await page.route('http://bench.invalid/**', (route) => {
      const url = route.request().url();
      if (url.endsWith('/bench.js')) return route.fulfill({ contentType: 'text/javascript', body: script });
      return route.fulfill({
        contentType: 'text/html',
        headers: { 'Content-Security-Policy': CSP },
        body: `<!doctype html><meta http-equiv="Content-Security-Policy" content="${CSP}"><title>parse bench</title><script src="/bench.js"></script>`,
      });
    });
    await page.goto('http://bench.invalid/');
    await page.waitForTimeout(200); // let the canary's violation report arrive
    const canary = await page.evaluate(() => window.sipstateCspCanary());
    if (!canary.blockedAtLoad)
      throw new Error('the page CSP did not block the Function constructor: the CSP check proves nothing');
    const result = (await page.evaluate(
      ([messages, durationMs, rounds]) =>
        (
          window as unknown as { sipstateParseBench: (m: string[], d: number, r: number) => unknown }
        ).sipstateParseBench(messages, durationMs, rounds),
      [messages, 1000, 3] as const,
    )) as { summary: Record<string, number>; results: ParseBenchResult[]; userAgent: string; cspViolations: string[] };
    if (result.cspViolations.length > canary.violations.length) {
      throw new Error(`CSP violations during the benchmark: ${result.cspViolations.join('; ')}`);
    }
    return result;
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  runs: RegisterRun[],
  node?: Record<string, number>,
  browser?: { summary: Record<string, number>; userAgent: string },
): string {
  const lines: string[] = [];
  lines.push(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${new Date().toISOString()}`,
  );
  if (runs.length > 0) {
    lines.push(
      '',
      '| clients | variant | median time to all registered | runs (ms) | median client CPU time | median heap / client | time vs raw sip.js | CPU vs raw sip.js |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const clients of sizes) {
      const ok = (variant: Variant) =>
        runs.filter((r) => r.variant === variant && r.clients === clients && r.ms !== undefined);
      const sipjs = median(ok('sipjs').map((r) => r.ms!));
      const sipjsCpu = median(ok('sipjs').map((r) => r.cpuMs!));
      for (const variant of VARIANTS) {
        const done = ok(variant);
        const failed = runs.filter((r) => r.variant === variant && r.clients === clients && r.error).length;
        const ms = median(done.map((r) => r.ms!));
        const heap = median(done.map((r) => r.heapPerClientKb!));
        const cpu = median(done.map((r) => r.cpuMs!));
        lines.push(
          `| ${clients} | ${variant} | ${done.length ? `${ms} ms` : '—'} | ${done.map((r) => r.ms).join(', ')}${failed ? ` (${failed} failed)` : ''} | ${done.length ? `${cpu} ms` : '—'} | ${done.length ? `${heap} KB` : '—'} | ${done.length && sipjs ? `${(sipjs / ms).toFixed(2)}×` : '—'} | ${done.length && sipjsCpu ? `${(sipjsCpu / cpu).toFixed(2)}×` : '—'} |`,
        );
      }
    }
    lines.push(
      '',
      'Machine load before each run (1/5/15 min): ' +
        [...new Set(runs.map((r) => r.loadBefore.replace('load ', '')))].join(' · '),
    );
  }
  if (node)
    lines.push(
      '',
      `Parse micro-benchmark, Node ${process.version}: fast ${node.fast} msg/s, sip.js ${node['sip.js']} msg/s (${(node.fast! / node['sip.js']!).toFixed(1)}×)`,
    );
  if (browser) {
    lines.push(
      `Parse micro-benchmark, ${browser.userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? 'Chromium'} (minified esbuild bundle, CSP \`script-src 'self'\`: no eval, checked by a canary): fast ${browser.summary.fast} msg/s, sip.js ${browser.summary['sip.js']} msg/s (${(browser.summary.fast! / browser.summary['sip.js']!).toFixed(1)}×)`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const messages = benchMessages();
  let node: Record<string, number> | undefined;
  let browser: Awaited<ReturnType<typeof browserParseBench>> | undefined;
  let runs: RegisterRun[] = [];
  if (only === 'all' || only === 'parse') {
    console.error(`parse micro-benchmark (Node), ${messages.length} messages, ${load()}`);
    const results = runParseBench(messages, 1000, 3);
    node = summarise(results);
  }
  if (only === 'all' || only === 'browser') {
    console.error(`parse micro-benchmark (Chromium), ${load()}`);
    browser = await browserParseBench(messages);
  }
  if (only === 'all' || only === 'register') runs = await registrationBench();
  const text = report(runs, node, browser);
  console.log(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/parser.tmp.json'), JSON.stringify({ runs, node, browser, text }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
