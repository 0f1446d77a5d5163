/**
 * What hostile incoming messages cost, before and after the inbound limits (maxMessageBytes and the shape guard of
 * src/sip/message-guard.ts): the issue-15 cases fed to the transport's receive path, through a fake WebSocket, into a
 * started sip.js UserAgent (sipstate's transport and user-agent wiring, fast parser installed as by default).
 *
 *   node --import tsx bench/inbound-limits.ts            # every case, each in its own process
 *
 * Paths:
 * - `before`: what the transport did before the limits: decode, then sip.js's `onMessage` (the UserAgent's parser).
 * - `after`: the transport's receive path with the default maxMessageBytes (65,536).
 * - `guard only`: the same with maxMessageBytes at its maximum (16 MiB), so only the shape guard stands in the way.
 *
 * Reported per run: the time the delivering call blocks the event loop (everything sip.js does with a message is
 * synchronous), the JS heap growth right after it (no forced GC: what the message made it allocate), the committed
 * heap growth (`total_heap_size`, a proxy for the peak), and whether sip.js delivered it to the application. A run
 * that dies (out of memory) is reported as such. Each run has a 4 GB heap limit and 180 s.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { createLogger } from '../src/logger';

const CRLF = '\r\n';
let sequence = 0;
/** A MESSAGE to alice; each its own transaction (a repeated branch would be absorbed as a retransmission). */
function request(headers: readonly string[], body = ''): string {
  sequence += 1;
  return [
    'MESSAGE sip:alice@sipstate.test SIP/2.0',
    `Via: SIP/2.0/WS proxy.invalid;branch=z9hG4bKbench${sequence}`,
    'Max-Forwards: 70',
    `From: <sip:mallory@sipstate.test>;tag=m${sequence}`,
    'To: <sip:alice@sipstate.test>',
    `Call-ID: inbound-bench-${sequence}`,
    `CSeq: ${sequence} MESSAGE`,
    ...headers,
    'Content-Type: text/plain',
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join(CRLF);
}
const colonless = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => `h${String(index).padStart(7, '0')}`);
const contacts = Array.from({ length: 20_000 }, (_, index) => `<sip:c${index}@h.invalid>`);

const CASES: Record<string, () => string> = {
  'normal MESSAGE (baseline)': () => request([], 'hello'),
  '2 MB MESSAGE': () => request([], 'x'.repeat(2_000_000)),
  '16,000 colon-less lines (156 KB)': () => request(colonless(16_000)),
  'Contact, 20,000 entries, one line': () => request([`Contact: ${contacts.join(', ')}`]),
  'Contact, 20,000 entries, folded in 200 lines': () =>
    request(
      Array.from(
        { length: 200 },
        (_, line) =>
          `${line === 0 ? 'Contact:' : ''} ${contacts.slice(line * 100, line * 100 + 100).join(', ')}${line < 199 ? ',' : ''}`,
      ),
    ),
  '40,000 colon-less lines (391 KB)': () => request(colonless(40_000)),
};
const PATHS = { before: undefined, after: 65_536, 'guard only': 16 * 1024 * 1024 } as const;
type PathName = keyof typeof PATHS;

interface RunResult {
  bytes?: number;
  blockMs?: number;
  heapGrowthMb?: number;
  committedGrowthMb?: number;
  delivered?: number;
  warnings?: number;
  died?: string;
}

async function worker(caseName: string, path: PathName): Promise<RunResult> {
  const [{ resolveOptions }, { createUserAgent }, { SipWebSocketTransport }, { installFastParser }] = await Promise.all(
    [
      import('../src/options'),
      import('../src/sip/user-agent'),
      import('../src/sip/websocket-transport'),
      import('../src/fast-parser'),
    ],
  );
  let socket:
    | { onopen: (() => void) | null; onmessage: ((event: { data: unknown }) => void) | null; readyState: number }
    | undefined;
  class FakeWebSocket {
    readyState = 0;
    binaryType = 'blob';
    onopen: (() => void) | null = null;
    onclose: (() => void) | null = null;
    onerror: (() => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    constructor() {
      socket = this;
    }
    send(): void {}
    close(): void {}
  }
  let warnings = 0;
  // Counted; shown on stderr with SIPSTATE_BENCH_VERBOSE=1.
  const count = (line: string): void => {
    warnings += 1;
    if (process.env.SIPSTATE_BENCH_VERBOSE === '1') console.error(line.slice(0, 300));
  };
  const logger = createLogger('warn', { debug() {}, log() {}, warn: count, error: count });
  installFastParser(logger);
  const config = resolveOptions({
    server: 'ws://127.0.0.1:5066',
    uri: 'sip:alice@sipstate.test',
    webSocket: FakeWebSocket,
    logLevel: 'warn',
    logger: { debug() {}, log() {}, warn() {}, error() {} },
  });
  const transport = new SipWebSocketTransport(config.webSocket, logger, {
    ...(PATHS[path] !== undefined && { maxMessageBytes: PATHS[path] }),
  });
  const opening = transport.open(config.servers[0]!);
  socket!.readyState = 1;
  socket!.onopen!();
  await opening;
  let delivered = 0;
  const userAgent = createUserAgent(config, transport, logger, {
    delegate: {
      onMessage: (message) => {
        delivered += 1;
        void message.accept().catch(() => undefined);
      },
    },
  });
  await userAgent.start();

  const deliver =
    path === 'before'
      ? (data: string) => transport.onMessage?.(new TextDecoder().decode(new TextEncoder().encode(data)))
      : (data: string) => socket!.onmessage!({ data });
  // Warm the path once with a normal message, so the numbers are not first-call compilation.
  deliver(request([], 'warm-up'));
  delivered = 0;
  warnings = 0;
  const data = CASES[caseName]!();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const committedBefore = getHeapStatistics().total_heap_size;
  const start = performance.now();
  deliver(data);
  const blockMs = performance.now() - start;
  const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const committedGrowthMb = (getHeapStatistics().total_heap_size - committedBefore) / 2 ** 20;
  await new Promise((resolve) => setTimeout(resolve, 10));
  return { bytes: Buffer.byteLength(data), blockMs, heapGrowthMb, committedGrowthMb, delivered, warnings };
}

async function main(): Promise<void> {
  const file = fileURLToPath(import.meta.url);
  console.log(
    `${'case'.padEnd(46)} ${'path'.padEnd(11)} ${'bytes'.padStart(9)} ${'block ms'.padStart(10)} ${'heap +MB'.padStart(9)} ${'committed +MB'.padStart(13)}  delivered  warnings`,
  );
  for (const caseName of Object.keys(CASES)) {
    for (const path of Object.keys(PATHS) as PathName[]) {
      const started = performance.now();
      const result = await new Promise<RunResult>((resolve) => {
        execFile(
          process.execPath,
          ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', file, '--worker', caseName, path],
          { encoding: 'utf8', timeout: 180_000, maxBuffer: 1 << 20 },
          (error, stdout, stderr) => {
            const line = stdout.trim().split('\n').pop() ?? '';
            if (!error && line.startsWith('{')) resolve(JSON.parse(line) as RunResult);
            else {
              const oom = /heap out of memory|Allocation failed/i.test(stderr) ? 'out of memory' : 'failed';
              const seconds = ((performance.now() - started) / 1000).toFixed(1);
              resolve({ died: `${oom} after ${seconds} s (${error?.signal ?? `exit ${error?.code}`})` });
            }
          },
        );
      });
      const cell = (value: number | undefined, digits: number, width: number): string =>
        (value === undefined ? '' : value.toFixed(digits)).padStart(width);
      console.log(
        `${caseName.padEnd(46)} ${path.padEnd(11)} ${String(result.bytes ?? '').padStart(9)} ` +
          (result.died
            ? `  ${result.died}`
            : `${cell(result.blockMs, 1, 10)} ${cell(result.heapGrowthMb, 1, 9)} ${cell(result.committedGrowthMb, 1, 13)}  ${String(result.delivered).padStart(9)}  ${String(result.warnings).padStart(8)}`),
      );
    }
  }
}

if (process.argv[2] === '--worker') {
  const result = await worker(process.argv[3]!, process.argv[4] as PathName);
  console.log(JSON.stringify(result));
  process.exit(0);
} else {
  await main();
}
