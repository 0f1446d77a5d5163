import { EmitterImpl, TransportState, type Emitter, type Transport } from 'sip.js';
import { SipError } from '../errors';
import type { Logger } from '../logger';

/** The part of the WebSocket API sipstate uses: browsers' `WebSocket` and the `ws` package both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `(await import('ws')).WebSocket` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

const OPEN = 1;
const CRLF_PONG = /^(\r\n)+$/;
/** How long a polite close may take before the socket is dropped. */
const CLOSE_GRACE_MS = 2_000;

const ignore = (): void => {};

/**
 * sip.js's `Transport`, implemented by sipstate so that the transport machine, not sip.js, decides when and where to
 * connect. sip.js's own web transport uses the global WebSocket, connects to one fixed server and reconnects on its
 * own terms; this one opens a socket only when the machine asks (`open`), to the server the machine chose, with the
 * WebSocket constructor from the options, and reports a lost connection instead of acting on it.
 *
 * The sip.js-facing `connect()`/`disconnect()`/`dispose()` do not open or close anything: sip.js calls them from
 * `UserAgent.start()`/`stop()`, and the machines own the socket's lifecycle.
 */
export class SipWebSocketTransport implements Transport {
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;

  private currentState: TransportState = TransportState.Disconnected;
  private readonly stateEmitter = new EmitterImpl<TransportState>();
  private socket: WebSocketLike | undefined;
  private server: string | undefined;
  private readonly lostListeners = new Set<(error: SipError) => void>();
  private readonly pongWaiters = new Set<() => void>();

  constructor(
    private readonly webSocket: WebSocketConstructor,
    private readonly logger: Logger,
  ) {}

  // ---- sip.js's Transport interface ----

  get protocol(): string {
    return this.server?.startsWith('wss:') ? 'WSS' : 'WS';
  }

  get state(): TransportState {
    return this.currentState;
  }

  get stateChange(): Emitter<TransportState> {
    return this.stateEmitter;
  }

  /** sip.js calls this from `UserAgent.start()`: sipstate has already connected by then. */
  connect(): Promise<void> {
    return this.isConnected()
      ? Promise.resolve()
      : Promise.reject(new SipError('transport', 'Not connected: sipstate opens the connection itself'));
  }

  /** sip.js calls this from `UserAgent.stop()`: the transport machine closes the socket, not sip.js. */
  disconnect(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }

  isConnected(): boolean {
    return this.currentState === TransportState.Connected;
  }

  send(message: string): Promise<void> {
    const socket = this.socket;
    if (!socket || this.currentState !== TransportState.Connected || socket.readyState !== OPEN) {
      return Promise.reject(new SipError('transport', 'Not connected'));
    }
    try {
      socket.send(message);
    } catch (error) {
      return Promise.reject(new SipError('transport', 'WebSocket send failed', { cause: error }));
    }
    this.logger.debug(() => `sent to ${this.server}:\n${message}`);
    return Promise.resolve();
  }

  // ---- what sipstate's actors use ----

  /** The server of the socket that is open or opening. */
  get currentServer(): string | undefined {
    return this.server;
  }

  /**
   * Opens a WebSocket to `server` (subprotocol `sip`), dropping any socket left from before. Resolves when open;
   * rejects with a SipError of kind `transport` when it closes first, or `cancelled` when `signal` aborts.
   */
  open(server: string, signal?: AbortSignal): Promise<void> {
    this.abandon();
    return new Promise<void>((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = new this.webSocket(server, 'sip') as WebSocketLike;
        socket.binaryType = 'arraybuffer';
      } catch (error) {
        reject(new SipError('transport', `Could not open a WebSocket to ${server}`, { cause: error }));
        return;
      }
      this.socket = socket;
      this.server = server;
      this.transition(TransportState.Connecting);
      const onAbort = (): void => {
        if (this.socket !== socket) return;
        this.abandon();
        reject(new SipError('cancelled', `Connecting to ${server} was abandoned`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.onerror = ignore; // a close event always follows; it carries the code
      socket.onopen = () => {
        signal?.removeEventListener('abort', onAbort);
        if (this.socket !== socket) return;
        this.logger.log(`connected to ${server}`);
        this.transition(TransportState.Connected);
        resolve();
      };
      socket.onclose = (event) => {
        signal?.removeEventListener('abort', onAbort);
        if (this.socket !== socket) return;
        const wasOpen = this.currentState === TransportState.Connected;
        this.detach();
        const error = new SipError(
          'transport',
          wasOpen
            ? `WebSocket to ${server} closed (code ${event.code})`
            : `WebSocket to ${server} failed to open (code ${event.code})`,
          event.reason ? { reason: event.reason } : {},
        );
        this.transition(TransportState.Disconnected, error);
        if (wasOpen) {
          this.logger.warn(error.message);
          for (const listener of [...this.lostListeners]) listener(error);
        } else {
          reject(error);
        }
      };
      socket.onmessage = (event) => this.receive(socket, event.data);
    });
  }

  /** Closes the socket politely; resolves once it is closed (or dropped after a grace period). */
  close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        if (this.socket === socket) {
          this.detach();
          this.transition(TransportState.Disconnected);
        }
        resolve();
      };
      const timer = setTimeout(() => {
        this.logger.warn(`WebSocket to ${this.server} did not close within ${CLOSE_GRACE_MS} ms; dropped it`);
        terminate(socket);
        finish();
      }, CLOSE_GRACE_MS);
      socket.onclose = finish;
      this.transition(TransportState.Disconnecting);
      try {
        socket.close(1000);
      } catch {
        finish();
      }
    });
  }

  /**
   * Drops the socket at once, without reporting it as lost (the caller already knows). A close frame goes out, but
   * nothing waits for the answer: on a dead or black-holed connection `ws` would otherwise hold the socket and a timer
   * for its 30 s closing handshake, thousands of them in a service with thousands of clients.
   */
  abandon(): void {
    const socket = this.socket;
    if (!socket) return;
    this.detach();
    try {
      socket.close(1000);
    } catch {
      // closing already
    }
    terminate(socket);
    this.transition(TransportState.Disconnected);
  }

  /**
   * RFC 5626 keep-alive: sends a double CRLF and resolves when the server answers with a CRLF pong (or any other
   * message, which proves the connection alive just as well).
   */
  ping(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.pongWaiters.delete(done);
        resolve();
      };
      signal?.addEventListener('abort', () => this.pongWaiters.delete(done), { once: true });
      this.pongWaiters.add(done);
      const socket = this.socket;
      if (!socket || socket.readyState !== OPEN) {
        this.pongWaiters.delete(done);
        reject(new SipError('transport', 'Not connected'));
        return;
      }
      try {
        socket.send('\r\n\r\n');
      } catch (error) {
        this.pongWaiters.delete(done);
        reject(new SipError('transport', 'Keep-alive send failed', { cause: error }));
      }
    });
  }

  /** Calls `listener` when an open connection closes without being asked to. Returns the unsubscribe function. */
  onLost(listener: (error: SipError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  private receive(socket: WebSocketLike, data: unknown): void {
    if (this.socket !== socket) return;
    const text =
      typeof data === 'string'
        ? data
        : data instanceof ArrayBuffer
          ? new TextDecoder().decode(new Uint8Array(data))
          : ArrayBuffer.isView(data)
            ? new TextDecoder().decode(data)
            : String(data);
    for (const waiter of [...this.pongWaiters]) waiter();
    if (CRLF_PONG.test(text)) return;
    this.logger.debug(() => `received from ${this.server}:\n${text}`);
    if (this.currentState !== TransportState.Connected) return;
    try {
      this.onMessage?.(text);
    } catch (error) {
      // sip.js throws on some malformed input; one bad message must not take the process down.
      this.logger.error(`sip.js failed to handle an incoming message: ${(error as Error)?.message ?? error}`);
    }
  }

  private detach(): void {
    const socket = this.socket;
    if (!socket) return;
    // No-ops rather than null: `ws` emits 'error' as an EventEmitter event, fatal without a listener.
    socket.onopen = ignore;
    socket.onclose = ignore;
    socket.onerror = ignore;
    socket.onmessage = ignore;
    this.socket = undefined;
  }

  private transition(state: TransportState, error?: Error): void {
    if (this.currentState === state) return;
    const previous = this.currentState;
    this.currentState = state;
    this.stateEmitter.emit(state);
    // sip.js's UserAgent hooks these; it only acts on them through its delegate.
    if (state === TransportState.Connected) this.onConnect?.();
    if (state === TransportState.Disconnected && previous === TransportState.Connected) this.onDisconnect?.(error);
  }
}

/** Destroys the underlying socket where the WebSocket can (`ws`); browsers close on their own. */
function terminate(socket: WebSocketLike): void {
  const withTerminate = socket as WebSocketLike & { terminate?: () => void };
  try {
    if (typeof withTerminate.terminate === 'function') withTerminate.terminate();
  } catch {
    // already closed
  }
}
