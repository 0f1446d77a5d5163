import { EmitterImpl, TransportState, type Emitter, type Transport } from 'sip.js';
import { SipError } from '../errors';
import { sipMessageLine, type Logger } from '../logger';
import { escapeControl, redactUrl } from '../redact';
import { checkMessageShape } from './message-guard';
import { buildTraceEntry, type SipTraceEntry, type SipTraceSink } from './trace';

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

/**
 * A WebSocket constructor: `globalThis.WebSocket` in browsers, `(await import('ws')).WebSocket` in Node. sipstate
 * calls it as `new WebSocket(url, 'sip', { maxPayload })`: the `ws` package then refuses any message larger than
 * `maxMessageBytes` before buffering it, and browsers ignore the third argument (Web IDL drops extra arguments).
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * const webSocket: WebSocketConstructor = WebSocket; // or globalThis.WebSocket in a browser
 * ```
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { maxPayload?: number },
) => unknown;

/**
 * The default largest incoming message, in bytes (64 KiB): far above any SIP message sipstate expects (a REGISTER 200
 * with a few Contacts is under 1 KB; an INVITE with SDP a few KB), far below `ws`'s own default of 100 MiB.
 *
 * @example
 * ```ts
 * new SipWebSocketTransport(WebSocket, logger, { maxMessageBytes: 4 * DEFAULT_MAX_MESSAGE_BYTES });
 * ```
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/**
 * After the first dropped message is logged, further drops are counted and logged as one line at most this often
 * (and when the connection ends), so that a flood of bad messages does not flood the log.
 *
 * @example
 * ```ts
 * // A flood of 10,000 bad messages in 3 s logs two lines: the first drop, then the count when the socket closes.
 * // A monitor reading the log sees at most this many drop lines an hour per client:
 * const dropLinesPerHour = 1 + 3_600_000 / DROPPED_MESSAGE_LOG_INTERVAL_MS;
 * ```
 */
export const DROPPED_MESSAGE_LOG_INTERVAL_MS = 10_000;

/** How much of a dropped message's first line its warning shows (escaped). */
const PREVIEW_CHARACTERS = 40;

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
  private readonly maxMessageBytes: number;
  private readonly trace: SipTraceSink | undefined;
  // Dropped messages not logged yet, and when the last warning about them went out.
  private unloggedDrops = 0;
  private firstUnloggedDropAt = 0;
  private lastDropLoggedAt = Number.NEGATIVE_INFINITY;
  private latestDrop = '';

  /**
   * @param webSocket the WebSocket constructor to open sockets with
   * @param logger where the transport's lines go
   * @param limits `maxMessageBytes`: larger incoming messages are dropped before they are decoded or parsed;
   *   `trace`: where each SIP message sent and received goes as a {@link SipTraceEntry} (`client.sipTrace$`)
   */
  constructor(
    private readonly webSocket: WebSocketConstructor,
    private readonly logger: Logger,
    { maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES, trace }: { maxMessageBytes?: number; trace?: SipTraceSink } = {},
  ) {
    this.maxMessageBytes = maxMessageBytes;
    this.trace = trace;
  }

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
    this.traced('sent', message);
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
    // What errors and log lines show: user-info and query values (passwords, tokens) masked.
    const shown = redactUrl(server);
    return new Promise<void>((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        // `ws` closes the connection (1009) on a larger frame before buffering it; browsers ignore the argument.
        socket = new this.webSocket(server, 'sip', { maxPayload: this.maxMessageBytes }) as WebSocketLike;
        socket.binaryType = 'arraybuffer';
      } catch (error) {
        // The constructor's own message may quote the URL (`ws`: "Invalid URL: ws://user:password@..."): not kept.
        reject(
          new SipError('transport', `Could not open a WebSocket to ${shown}`, {
            cause: scrubbedError(error, server, shown),
          }),
        );
        return;
      }
      this.socket = socket;
      this.server = server;
      this.transition(TransportState.Connecting);
      const onAbort = (): void => {
        if (this.socket !== socket) return;
        this.abandon();
        reject(new SipError('cancelled', `Connecting to ${shown} was abandoned`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // A close event always follows an error and carries the code; the error only says whether `ws` refused a
      // message over maxPayload (it then sends close 1009, but its own close event says 1006).
      let refusedOversized = false;
      socket.onerror = (event) => {
        if (isOversizedMessageError(event)) refusedOversized = true;
      };
      socket.onopen = () => {
        signal?.removeEventListener('abort', onAbort);
        if (this.socket !== socket) return;
        this.logger.log(`connected to ${shown}`);
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
          (wasOpen
            ? `WebSocket to ${shown} closed (code ${describeCloseCode(event.code)})`
            : `WebSocket to ${shown} failed to open (code ${describeCloseCode(event.code)})`) +
            (refusedOversized
              ? `: an incoming message was over maxMessageBytes (${this.maxMessageBytes}), so the connection was closed with 1009`
              : ''),
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
        this.logger.warn(`WebSocket to ${this.shownServer()} did not close within ${CLOSE_GRACE_MS} ms; dropped it`);
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

  /**
   * Everything that arrives passes here. In order: any frame proves the connection alive (pong waiters); a message
   * over `maxMessageBytes` is dropped before it is decoded; a CRLF pong ends here; a message whose shape is out of
   * bounds (message-guard.ts) is dropped before sip.js's parser, which is quadratic on such input, can see it.
   */
  private receive(socket: WebSocketLike, data: unknown): void {
    if (this.socket !== socket) return;
    for (const waiter of [...this.pongWaiters]) waiter();
    const text = this.decodeWithinLimit(data);
    if (text === undefined || CRLF_PONG.test(text)) return;
    const violation = checkMessageShape(text);
    if (violation !== undefined) {
      this.dropped(violation, text);
      return;
    }
    this.traced('received', text);
    if (this.currentState !== TransportState.Connected) return;
    try {
      this.onMessage?.(text);
    } catch (error) {
      // sip.js throws on some malformed input; one bad message must not take the process down.
      this.logger.error(`sip.js failed to handle an incoming message: ${(error as Error)?.message ?? error}`);
    }
  }

  /** The message as text, or undefined when it was dropped (too large, or neither text nor binary). */
  private decodeWithinLimit(data: unknown): string | undefined {
    const limit = this.maxMessageBytes;
    if (typeof data === 'string') {
      // A UTF-16 code unit is at least one UTF-8 byte: the length alone rejects most oversized strings.
      if (data.length > limit)
        return this.dropped(`at least ${data.length} bytes, over maxMessageBytes (${limit})`, data);
      if (data.length * 3 > limit && utf8LengthExceeds(data, limit)) {
        return this.dropped(`over maxMessageBytes (${limit}) bytes in UTF-8`, data);
      }
      return data;
    }
    const bytes =
      data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]'
        ? new Uint8Array(data as ArrayBuffer)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : undefined;
    if (bytes === undefined) return this.dropped('neither text nor binary data');
    if (bytes.byteLength > limit) {
      return this.dropped(
        `${bytes.byteLength} bytes, over maxMessageBytes (${limit})`,
        new TextDecoder().decode(bytes.subarray(0, PREVIEW_CHARACTERS)),
      );
    }
    return new TextDecoder().decode(bytes);
  }

  /**
   * Reports a dropped message: the first at once, then the count of those that follow at most once per
   * DROPPED_MESSAGE_LOG_INTERVAL_MS (and when the socket goes). Shows only the start of its first line, escaped.
   */
  private dropped(reason: string, text?: string): undefined {
    const now = Date.now();
    if (this.unloggedDrops === 0) this.firstUnloggedDropAt = now;
    this.unloggedDrops += 1;
    this.latestDrop = `${reason}${text === undefined ? '' : `; starts ${preview(text)}`}`;
    // A clock that went back does not silence the log.
    if (now >= this.lastDropLoggedAt && now - this.lastDropLoggedAt < DROPPED_MESSAGE_LOG_INTERVAL_MS) return undefined;
    this.lastDropLoggedAt = now;
    this.logDrops();
    return undefined;
  }

  private logDrops(): void {
    const count = this.unloggedDrops;
    if (count === 0) return;
    this.unloggedDrops = 0;
    const from = this.shownServer();
    if (count === 1) {
      this.logger.warn(`dropped an incoming message from ${from}: ${this.latestDrop}`);
    } else {
      const seconds = Math.max(0, Math.round((Date.now() - this.firstUnloggedDropAt) / 1000));
      this.logger.warn(
        `dropped ${count} incoming messages from ${from} in ${seconds} s; the latest: ${this.latestDrop}`,
      );
    }
  }

  /**
   * A SIP message that went out or came in (never a CRLF ping or pong, never a dropped message): one trace entry,
   * built only when someone needs it (a `sipTrace$` subscriber, or the logger at debug) and shared by both.
   */
  private traced(direction: SipTraceEntry['direction'], message: string): void {
    let entry: SipTraceEntry | undefined;
    // Built in this tick either way: its `at` is the moment of sending or receiving.
    const build = (): SipTraceEntry => (entry ??= buildTraceEntry(direction, message));
    if (this.trace?.observed) this.trace.next(build());
    this.logger.debug(() => sipMessageLine(build(), this.shownServer()));
  }

  private shownServer(): string {
    return this.server === undefined ? 'no server' : redactUrl(this.server);
  }

  private detach(): void {
    const socket = this.socket;
    if (!socket) return;
    this.logDrops(); // the count a flood left unreported
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

/** Whether a WebSocket error event is `ws` refusing a message over its `maxPayload` (error codes since ws 8). */
function isOversizedMessageError(event: unknown): boolean {
  const code = (event as { error?: { code?: unknown } } | null)?.error?.code;
  return code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH';
}

/** A close code with what it means when it is the one sipstate's limits cause. */
function describeCloseCode(code: number): string {
  // 1009: `ws` refused a message over maxMessageBytes (or the server refused one of ours as too big).
  return code === 1009 ? '1009, message too big' : String(code);
}

/** The start of a message's first line, escaped for a log line. */
function preview(text: string): string {
  const head = text.slice(0, PREVIEW_CHARACTERS);
  const firstLine = head.split(/[\r\n]/, 1)[0] ?? '';
  const truncated = firstLine.length < text.length && firstLine.length === head.length;
  return `"${escapeControl(firstLine)}${truncated ? '…' : ''}"`;
}

/** Whether `text` takes more than `limit` bytes in UTF-8, counted without encoding it (stops once over). */
function utf8LengthExceeds(text: string, limit: number): boolean {
  let bytes = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair
      index += 1;
    } else bytes += 3; // the rest of the BMP; a lone surrogate becomes U+FFFD, also 3 bytes
    if (bytes > limit) return true;
  }
  return false;
}

/**
 * An error to keep as a cause without the secrets of the URL it may quote (`ws`: "Invalid URL: <the URL>"): same
 * name, the URL replaced by its redacted form; when a secret part is still in it (the URL written another way), the
 * message is withheld. The original's stack is not kept (it repeats the message).
 */
function scrubbedError(error: unknown, server: string, shown: string): Error {
  const name = error instanceof Error ? error.name : 'Error';
  let message = error instanceof Error ? error.message : String(error);
  const forms = new Set([server, server.trim()]);
  try {
    forms.add(new URL(server.trim()).href);
  } catch {
    // not a URL: only the forms above can appear
  }
  for (const form of forms) if (form) message = message.split(form).join(shown);
  if (secretParts(server).some((secret) => message.includes(secret))) {
    message = 'the WebSocket constructor threw; its message quoted the server URL and is withheld';
  }
  const scrubbed = new Error(message);
  scrubbed.name = name;
  return scrubbed;
}

/** The parts of a URL that redactUrl masks (user-info, password, query values), as written and percent-decoded. */
function secretParts(server: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)[^?#]*(?:\?([^#]*))?/i.exec(server.trim());
  if (!match) return [];
  const authority = match[1] ?? '';
  const at = authority.lastIndexOf('@');
  const userInfo = at >= 0 ? authority.slice(0, at) : '';
  const colon = userInfo.indexOf(':');
  const parts = [userInfo, colon >= 0 ? userInfo.slice(colon + 1) : ''];
  for (const pair of (match[2] ?? '').split('&')) {
    const eq = pair.indexOf('=');
    if (eq >= 0) parts.push(pair.slice(eq + 1));
  }
  const decoded = parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  return [...new Set([...parts, ...decoded])].filter((part) => part !== '');
}
