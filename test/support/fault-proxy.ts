/**
 * A TCP proxy on 127.0.0.1 that tests put between a client and Kamailio's WebSocket port to inject network faults.
 *
 * ```ts
 * const proxy = await startFaultProxy({ targetPort: kamailio.wsPort });
 * const client = createSipClient({ server: proxy.url, ... });
 * proxy.reset();      // every open connection is torn down with a TCP RST (both sides)
 * proxy.blackhole();  // connections stay open, every byte either way is dropped silently
 * proxy.refuse();     // new connections are closed at once
 * proxy.pass();       // new connections are forwarded again
 * await proxy.close();
 * ```
 *
 * Modes apply to connections as follows:
 * - `pass`: new connections are forwarded to the target. A connection the target refuses or resets is reset toward
 *   the client too; a target that closes politely is closed politely toward the client.
 * - `blackhole`: every open connection, and every new one, is black-holed for the rest of its life: nothing is
 *   forwarded either way, not even a close from the target (its upstream side is simply dropped). A black-holed
 *   stream has lost bytes, so it is never forwarded again, even after `pass()`.
 * - `refuse`: new connections are reset as soon as they are accepted; open ones are left alone.
 *
 * Bounded and self-stopping: at most `maxConnections` connections are accepted over the proxy's life (more are
 * refused), and it closes itself after `lifetimeMs`. Its listening socket and timer are unref'd, so a test that
 * forgets `close()` does not keep the process alive.
 *
 * @module
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const HOST = '127.0.0.1';

/** What the proxy does with connections now. */
export type FaultMode = 'pass' | 'blackhole' | 'refuse';

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Port of the target (Kamailio's `wsPort`) on 127.0.0.1. */
  targetPort: number;
  /** Port to listen on. Default: a free one. */
  port?: number;
  /** Connections accepted over the proxy's life before it refuses every new one. Default 5000. */
  maxConnections?: number;
  /** The proxy closes itself after this long. Default 10 minutes. */
  lifetimeMs?: number;
}

/** Counters, since the proxy started. */
export interface FaultProxyStats {
  /** Connections accepted and handled in `pass` or `blackhole` mode. */
  accepted: number;
  /** Connections reset on arrival (`refuse` mode, or over `maxConnections`). */
  refused: number;
  /** Connections torn down by `reset()`. */
  reset: number;
  /** Connections open now (client side). */
  open: number;
  /** Bytes forwarded client → target and target → client. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes dropped by black-holed connections, either way. */
  bytesDropped: number;
}

/** A running proxy. Obtain one with {@link startFaultProxy}. */
export interface FaultProxy {
  /** Port the proxy listens on. */
  readonly port: number;
  /** `ws://127.0.0.1:PORT`: the URL to give the client instead of Kamailio's. */
  readonly url: string;
  readonly mode: FaultMode;
  /** A snapshot of the counters. */
  stats(): FaultProxyStats;
  /** Forward new connections. */
  pass(): void;
  /** Destroy every open connection with a TCP RST, both toward the client and toward the target. Mode unchanged. */
  reset(): void;
  /** Keep connections open but drop every byte both ways, silently (open ones and new ones). */
  blackhole(): void;
  /** Close new connections at once (with RST). Open ones are left alone. */
  refuse(): void;
  /** Resolve once at least `count` connections were accepted since the start (`stats().accepted`). */
  waitForAccepted(count: number, timeoutMs?: number): Promise<void>;
  /** Stop listening and reset every connection. Idempotent. */
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket | undefined;
  blackholed: boolean;
}

function resetSocket(socket: Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/**
 * Starts a fault proxy in front of `127.0.0.1:targetPort`, in `pass` mode.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ targetPort: kamailio.wsPort });
 * proxy.reset();
 * await proxy.close();
 * ```
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const maxConnections = options.maxConnections ?? 5_000;
  const lifetimeMs = options.lifetimeMs ?? 10 * 60_000;
  let mode: FaultMode = 'pass';
  let closed = false;
  const links = new Set<Link>();
  const counters = { accepted: 0, refused: 0, reset: 0, bytesUp: 0, bytesDown: 0, bytesDropped: 0 };
  const acceptedWaiters = new Set<() => void>();

  const server: Server = createServer({ noDelay: true }, (client) => {
    client.on('error', () => undefined);
    if (closed || mode === 'refuse' || counters.accepted >= maxConnections) {
      counters.refused++;
      resetSocket(client);
      return;
    }
    counters.accepted++;
    for (const waiter of [...acceptedWaiters]) waiter();
    const link: Link = { client, upstream: undefined, blackholed: mode === 'blackhole' };
    links.add(link);
    const pending: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      if (link.blackholed) {
        counters.bytesDropped += chunk.length;
        return;
      }
      counters.bytesUp += chunk.length;
      if (link.upstream?.readyState === 'open') link.upstream.write(chunk);
      else pending.push(chunk);
    });
    client.on('close', () => {
      links.delete(link);
      // The client went away: the target sees a polite close (an RST toward it was asked for explicitly by reset()).
      if (link.upstream && !link.upstream.destroyed) link.upstream.end();
    });
    if (link.blackholed) return; // never reaches the target: a black hole answers nothing, not even the handshake

    const upstream = createConnection({ host: HOST, port: options.targetPort, noDelay: true });
    link.upstream = upstream;
    upstream.on('connect', () => {
      if (link.blackholed) return;
      for (const chunk of pending.splice(0)) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (link.blackholed) {
        counters.bytesDropped += chunk.length;
        return;
      }
      counters.bytesDown += chunk.length;
      client.write(chunk);
    });
    upstream.on('error', () => {
      // refused or reset by the target: the client sees a reset too, unless the link is black-holed (silence).
      if (!link.blackholed) resetSocket(client);
    });
    upstream.on('end', () => {
      if (!link.blackholed && !client.destroyed) client.end();
    });
    upstream.on('close', () => {
      if (!link.blackholed && !client.destroyed && client.writableEnded === false) client.end();
    });
  });
  server.maxConnections = maxConnections + 16;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: options.port ?? 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearTimeout(lifetime);
    for (const link of [...links]) {
      resetSocket(link.client);
      resetSocket(link.upstream);
    }
    links.clear();
    for (const waiter of [...acceptedWaiters]) waiter();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const lifetime = setTimeout(() => void close(), lifetimeMs);
  lifetime.unref();

  return {
    port,
    url: `ws://${HOST}:${port}`,
    get mode() {
      return mode;
    },
    stats: () => ({ ...counters, open: links.size }),
    pass: () => {
      mode = 'pass';
    },
    reset: () => {
      for (const link of [...links]) {
        counters.reset++;
        links.delete(link);
        resetSocket(link.client);
        resetSocket(link.upstream);
      }
    },
    blackhole: () => {
      mode = 'blackhole';
      for (const link of links) link.blackholed = true;
    },
    refuse: () => {
      mode = 'refuse';
    },
    waitForAccepted: (count, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (counters.accepted >= count) finish();
          else if (closed) finish(new Error('fault proxy closed'));
        };
        const finish = (error?: Error): void => {
          clearTimeout(timer);
          acceptedWaiters.delete(check);
          if (error) reject(error);
          else resolve();
        };
        const timer = setTimeout(
          () => finish(new Error(`fault proxy: ${counters.accepted} of ${count} connections within ${timeoutMs} ms`)),
          timeoutMs,
        );
        acceptedWaiters.add(check);
        check();
      }),
    close,
  };
}
