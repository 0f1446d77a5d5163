/**
 * The machines' clock (src/client-machine.ts): a timer that fires behind a busy event loop is judged after the I/O that
 * arrived meanwhile, and clearing it then (the machine left the state: the socket opened in time) means it never runs.
 * A real socket pair on loopback and a real blocked event loop: the order of events is what is asserted, not a time.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lateTimersAfterPendingIo } from '../../src/client-machine';

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: what 15,000 clients reconnecting at once do to the event loop
  }
}

/** A connected socket pair on loopback. */
async function socketPair(): Promise<{ server: Server; client: Socket; accepted: Socket }> {
  const server = createServer();
  const acceptedPromise = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return { server, client, accepted: await acceptedPromise };
}

const opened: { server: Server; client: Socket; accepted: Socket }[] = [];
afterEach(() => {
  for (const { server, client, accepted } of opened.splice(0)) {
    client.destroy();
    accepted.destroy();
    server.close();
  }
  vi.useRealTimers();
});

describe('the machines’ clock', () => {
  it('a delay above 2^31-1 ms is clamped, not fired after 1 ms as Node would', () => {
    vi.useFakeTimers();
    let fired = 0;
    const handle = lateTimersAfterPendingIo.setTimeout(() => fired++, 2 ** 31 + 10);
    vi.advanceTimersByTime(60_000);
    expect(fired).toBe(0);
    lateTimersAfterPendingIo.clearTimeout(handle);
  });

  it('a timer on time fires as a plain timer (fake timers: at its instant, nothing deferred)', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    lateTimersAfterPendingIo.setTimeout(() => fired.push(Date.now()), 500);
    const start = Date.now();
    vi.advanceTimersByTime(499);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([start + 500]);
  });

  it('a timer late behind a busy event loop runs after the data that arrived meanwhile', async () => {
    const pair = await socketPair();
    opened.push(pair);
    const order: string[] = [];
    pair.accepted.on('data', () => order.push('data'));
    const done = new Promise<void>((resolve) =>
      lateTimersAfterPendingIo.setTimeout(() => {
        order.push('timer');
        resolve();
      }, 10),
    );
    pair.client.write('answer');
    blockEventLoop(1_300);
    await done;
    expect(order).toEqual(['data', 'timer']);
  });

  it('a late timer cleared by what the pending data caused never runs', async () => {
    const pair = await socketPair();
    opened.push(pair);
    let fired = false;
    const handle = lateTimersAfterPendingIo.setTimeout(() => {
      fired = true;
    }, 10);
    // The answer arrives in time: the machine leaves the state, and XState clears the deadline.
    const answered = new Promise<void>((resolve) =>
      pair.accepted.once('data', () => {
        lateTimersAfterPendingIo.clearTimeout(handle);
        resolve();
      }),
    );
    pair.client.write('answer');
    blockEventLoop(1_300);
    await answered;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired).toBe(false);
  });
});
