/**
 * The fault proxy itself (test/support/fault-proxy.ts), in front of a plain TCP echo server on loopback: each mode
 * does to a connection what the resilience tests rely on.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';

let echo: Server;
let echoPort: number;
const serverSides: Socket[] = [];
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  echo = createServer((socket) => {
    serverSides.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => socket.write(chunk));
  });
  await new Promise<void>((resolve) => echo.listen({ host: '127.0.0.1', port: 0 }, resolve));
  echoPort = (echo.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const socket of serverSides) socket.destroy();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

interface Client {
  socket: Socket;
  received: () => string;
  closed: Promise<{ error?: NodeJS.ErrnoException }>;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let text = '';
    let error: NodeJS.ErrnoException | undefined;
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', (e) => (error = e));
    const closed = new Promise<{ error?: NodeJS.ErrnoException }>((done) =>
      socket.on('close', () => done(error ? { error } : {})),
    );
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

async function eventually(check: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('fault proxy', () => {
  it('pass: forwards both ways and counts', async () => {
    proxy = await startFaultProxy({ targetPort: echoPort });
    const client = await connect(proxy.port);
    client.socket.write('hello');
    await eventually(() => client.received() === 'hello');
    expect(proxy.stats()).toMatchObject({
      accepted: 1,
      refused: 0,
      open: 1,
      bytesUp: 5,
      bytesDown: 5,
      bytesDropped: 0,
    });
    expect(proxy.url).toBe(`ws://127.0.0.1:${proxy.port}`);
    client.socket.destroy();
  });

  it('reset: tears the connection down with an RST on the client side, and closes the target side', async () => {
    proxy = await startFaultProxy({ targetPort: echoPort });
    const client = await connect(proxy.port);
    client.socket.write('x');
    await eventually(() => client.received() === 'x');
    const target = serverSides.at(-1)!;
    proxy.reset();
    const { error } = await client.closed;
    expect(error?.code).toBe('ECONNRESET');
    await eventually(() => target.destroyed);
    expect(proxy.stats()).toMatchObject({ reset: 1, open: 0 });
  });

  it('blackhole: keeps the connection open but nothing gets through, either way, even after pass()', async () => {
    proxy = await startFaultProxy({ targetPort: echoPort });
    const client = await connect(proxy.port);
    proxy.blackhole();
    client.socket.write('lost');
    await sleep(300);
    expect(client.received()).toBe('');
    expect(client.socket.destroyed).toBe(false);
    expect(proxy.stats().bytesDropped).toBe(4);
    // a new connection in blackhole mode opens, but is never forwarded either
    const second = await connect(proxy.port);
    second.socket.write('also lost');
    await sleep(200);
    expect(second.received()).toBe('');
    proxy.pass();
    client.socket.write('still lost');
    const third = await connect(proxy.port);
    third.socket.write('through');
    await eventually(() => third.received() === 'through');
    expect(client.received()).toBe('');
    for (const c of [client, second, third]) c.socket.destroy();
  });

  it('refuse: new connections are reset at once; open ones keep working', async () => {
    proxy = await startFaultProxy({ targetPort: echoPort });
    const open = await connect(proxy.port);
    proxy.refuse();
    const refused = await connect(proxy.port).catch((e: NodeJS.ErrnoException) => e);
    if (!(refused instanceof Error)) {
      const { error } = await refused.closed;
      expect(error?.code).toBe('ECONNRESET');
    }
    expect(proxy.stats()).toMatchObject({ accepted: 1, refused: 1 });
    open.socket.write('ok');
    await eventually(() => open.received() === 'ok');
    open.socket.destroy();
  });

  it('a target that is down: the client connection is reset', async () => {
    const unused = createServer();
    await new Promise<void>((resolve) => unused.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const deadPort = (unused.address() as AddressInfo).port;
    await new Promise<void>((resolve) => unused.close(() => resolve()));
    proxy = await startFaultProxy({ targetPort: deadPort });
    const client = await connect(proxy.port);
    const { error } = await client.closed;
    expect(error?.code).toBe('ECONNRESET');
  });

  it('is bounded: over maxConnections, connections are refused; close() resets everything and stops listening', async () => {
    proxy = await startFaultProxy({ targetPort: echoPort, maxConnections: 2 });
    const a = await connect(proxy.port);
    const b = await connect(proxy.port);
    const c = await connect(proxy.port).catch((e: NodeJS.ErrnoException) => e);
    if (!(c instanceof Error)) await c.closed;
    expect(proxy.stats()).toMatchObject({ accepted: 2, refused: 1 });
    const port = proxy.port;
    await proxy.close();
    expect((await a.closed).error?.code).toBe('ECONNRESET');
    expect((await b.closed).error?.code).toBe('ECONNRESET');
    const after = await connect(port).catch((e: NodeJS.ErrnoException) => e);
    expect(after).toBeInstanceOf(Error);
    expect((after as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('stops by itself after its lifetime', async () => {
    proxy = await startFaultProxy({ targetPort: echoPort, lifetimeMs: 200 });
    const port = proxy.port;
    await sleep(400);
    const after = await connect(port).catch((e: NodeJS.ErrnoException) => e);
    expect((after as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});
