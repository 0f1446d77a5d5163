/**
 * Messages built to be slow to parse (issue 15): sip.js's message parser is quadratic on header lines without a colon,
 * and slow on long Contact lists. Before the fix a 2 MB MESSAGE was delivered on messages$, and 16,000 colon-less lines
 * or a Contact with 20,000 entries blocked the event loop for seconds and grew the heap by a gigabyte.
 *
 * Decided behaviour: a message above `maxMessageBytes` (default 65,536) is refused before anything is parsed (Node's
 * `ws` closes the connection with 1009; the client reconnects and registers again); a message within the size but with
 * a header line without a colon or too many Contact/Route/Record-Route/Via entries is dropped before sip.js sees it
 * (the connection stays). Either way nothing reaches messages$, the event loop is never blocked long, the heap keeps
 * nothing, and the client ends registered.
 *
 * Bounds (generous; the measured figures before the fix are in the failure messages): heap retained after a full GC
 * under 20 MB, heap committed (a peak proxy) grown by under 64 MB. The longest event-loop block is reported in each
 * message, not asserted: it depends on the machine's load (it read 429 ms for a refused 282 KB message while a
 * benchmark shared the 2 cores), and speed belongs in the benchmarks; what shows the message was not parsed is the
 * refusal itself (1009, or the drop), nothing on messages$, and the heap.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, SipClient } from '../../src/index';
import { ROOT } from '../support/built';
import { attackedClient, disposeClients } from '../support/hostile-client';
import {
  measure,
  payloads,
  sleep,
  startHostileServer,
  type HostileServer,
  type PayloadTarget,
} from '../support/hostile-server';

const MAX_RETAINED_HEAP_BYTES = 20 * 1024 * 1024;
const MAX_COMMITTED_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_MESSAGE_BYTES = 65_536;
const MB = 1024 * 1024;

const servers: HostileServer[] = [];
afterEach(() => disposeClients());
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

interface Delivery {
  bytes: number;
  /** How the connection the payload went on ended up: still answering, or closed with this code. */
  connection: 'open' | number;
  messages: IncomingMessage[];
  maxEventLoopDelayMs: number;
  retainedHeapBytes: number;
  committedHeapGrowthBytes: number;
  heapGrowthBytes: number;
  elapsedMs: number;
  registeredAfter: boolean;
}

/** A registered client; `payload` is sent to it on its connection, then an OPTIONS probe right behind it. */
async function deliver(build: (target: PayloadTarget) => string): Promise<Delivery> {
  const server = await startHostileServer({ lifetimeMs: 60_000 });
  servers.push(server);
  const { client } = attackedClient(server, { register: true });
  const messages: IncomingMessage[] = [];
  client.messages$.subscribe((message) => messages.push(message));
  await client.register();
  const target = server.registeredContact()!;
  const payload = build(target);
  const connection = server.openConnection!;
  const measured = await measure(async () => {
    server.send(payload, connection.id);
    const probe = server.sendProbe(connection.id)!;
    // Settled: the probe behind the payload was answered (the payload was handled or dropped), or the connection
    // closed and the client registered again on a new one.
    return server.waitFor(
      () => {
        if (server.probeAnswer(probe)) return 'open' as const;
        if (
          connection.closedAt !== undefined &&
          server.requests('REGISTER').some((r) => r.connection > connection.id)
        ) {
          return connection.closeCode ?? -1;
        }
        return undefined;
      },
      // Before the fix a blocked loop took seconds here; the measurement says how long.
      25_000,
      'the probe answered, or a reconnection and a new REGISTER',
    );
  });
  const registeredAfter = await waitRegistered(client, server);
  return {
    bytes: Buffer.byteLength(payload),
    connection: measured.value,
    messages,
    maxEventLoopDelayMs: measured.maxEventLoopDelayMs,
    retainedHeapBytes: measured.retainedHeapBytes,
    committedHeapGrowthBytes: measured.committedHeapGrowthBytes,
    heapGrowthBytes: measured.heapGrowthBytes,
    elapsedMs: measured.elapsedMs,
    registeredAfter,
  };
}

async function waitRegistered(client: SipClient, server: HostileServer): Promise<boolean> {
  return server
    .waitFor(
      () =>
        client.getState().registration.status === 'registered' && client.getState().transport.status === 'connected',
      5_000,
      'registered',
    )
    .then(
      () => true,
      () => false,
    );
}

function describeDelivery(what: string, d: Delivery): string {
  return (
    `${what}: ${(d.bytes / 1024).toFixed(0)} KB; connection ${d.connection === 'open' ? 'stayed open' : `closed with ${d.connection}`}; ` +
    `messages$ ${d.messages.length}; longest event-loop block ${d.maxEventLoopDelayMs.toFixed(0)} ms; ` +
    `heap retained ${(d.retainedHeapBytes / MB).toFixed(1)} MB, used right after +${(d.heapGrowthBytes / MB).toFixed(1)} MB, ` +
    `committed +${(d.committedHeapGrowthBytes / MB).toFixed(1)} MB; ` +
    `${d.elapsedMs.toFixed(0)} ms; registered after: ${d.registeredAfter}`
  );
}

function expectBounded(what: string, d: Delivery): void {
  const figures = describeDelivery(what, d);
  expect(d.messages, figures).toEqual([]);
  expect(d.retainedHeapBytes, figures).toBeLessThan(MAX_RETAINED_HEAP_BYTES);
  expect(d.committedHeapGrowthBytes, figures).toBeLessThan(MAX_COMMITTED_HEAP_GROWTH_BYTES);
  expect(d.registeredAfter, figures).toBe(true);
}

describe('over the size limit: refused before parsing (ws closes with 1009), then reconnected', () => {
  const cases: [string, (target: PayloadTarget) => string][] = [
    ['a 2 MB MESSAGE', (target) => payloads.bigMessage(target)],
    ['16,000 header lines without a colon', (target) => payloads.colonlessLines(target, 16_000)],
    ['a Contact with 20,000 entries', (target) => payloads.manyContacts(target, 20_000)],
  ];
  for (const [what, build] of cases) {
    it(what, async () => {
      const delivery = await deliver(build);
      expect(delivery.bytes).toBeGreaterThan(DEFAULT_MAX_MESSAGE_BYTES);
      expectBounded(what, delivery);
      expect(delivery.connection, describeDelivery(what, delivery)).toBe(1009);
    });
  }
});

describe('within the size limit but malformed: dropped, the connection stays', () => {
  const cases: [string, (target: PayloadTarget) => string][] = [
    ['~60 KB of header lines without a colon', (target) => payloads.colonlessLines(target, 6_000)],
    ['a Contact with 4,000 entries (~55 KB)', (target) => payloads.manyContacts(target, 4_000)],
    ['a 200 with 100 Vias', (target) => payloads.manyVias(target, 100)],
  ];
  for (const [what, build] of cases) {
    it(what, async () => {
      const delivery = await deliver(build);
      expect(delivery.bytes).toBeLessThanOrEqual(DEFAULT_MAX_MESSAGE_BYTES);
      expectBounded(what, delivery);
      expect(delivery.connection, describeDelivery(what, delivery)).toBe('open');
    });
  }
});

describe('~400 KB of header lines without a colon (it ran the process out of memory)', () => {
  it('in a client process with a 512 MB heap: refused, the process lives and registers again', {
    timeout: 60_000,
  }, async () => {
    const server = await startHostileServer({ lifetimeMs: 60_000 });
    servers.push(server);
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=512', '--import', 'tsx', join(ROOT, 'test/support/hostile-child.ts'), server.url],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const events: { event: string; [key: string]: unknown }[] = [];
    let stderr = '';
    let exit: number | string | undefined;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as { event: string });
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => (exit = code ?? signal ?? 'unknown'));
    try {
      await server.waitFor(
        () => events.some((e) => e.event === 'registered') || exit !== undefined,
        30_000,
        'the child client registered',
      );
      expect(exit, stderr).toBeUndefined();
      const target = server.registeredContact()!;
      const connection = server.openConnection!;
      const payload = payloads.colonlessLines(target, 40_000);
      expect(Buffer.byteLength(payload)).toBeGreaterThan(390_000);
      // The child's event-loop histogram starts now, not at its start-up.
      child.stdin.write('reset\n');
      await sleep(50);
      const started = Date.now();
      server.send(payload, connection.id);
      const probe = server.sendProbe(connection.id)!;
      const outcome = await server.waitFor(
        () => {
          if (exit !== undefined) return `the client process died (${exit})`;
          if (server.probeAnswer(probe)) return 'the connection stayed open';
          if (
            connection.closedAt !== undefined &&
            server.requests('REGISTER').some((r) => r.connection > connection.id)
          ) {
            return `closed with ${connection.closeCode}, registered again`;
          }
          return undefined;
        },
        45_000,
        'the payload handled',
      );
      const settledMs = Date.now() - started;
      child.stdin.write('report\n');
      const report: Record<string, unknown> = await server
        .waitFor(
          () => events.find((e) => e.event === 'report') ?? (exit !== undefined ? { event: 'dead' } : undefined),
          5_000,
          'a report',
        )
        .catch(() => ({ event: 'none' }));
      const figures = `${outcome} after ${settledMs} ms; report ${JSON.stringify(report)}; stderr: ${stderr.split('\n').find((line) => /FATAL|out of memory|Error/i.test(line)) ?? ''}`;
      expect(exit, figures).toBeUndefined();
      expect(outcome, figures).toBe('closed with 1009, registered again');
      expect(
        events.filter((e) => e.event === 'message'),
        figures,
      ).toEqual([]);
    } finally {
      if (exit === undefined) {
        child.stdin.end('exit\n');
        await Promise.race([new Promise((done) => child.once('exit', done)), sleep(3_000)]);
        if (exit === undefined) child.kill('SIGKILL');
      }
    }
  });
});
