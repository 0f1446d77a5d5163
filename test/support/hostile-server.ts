/**
 * A scripted, malicious SIP-over-WebSocket server for the hostile-peer suite (test/hostile): a registrar that grants
 * absurd expiries, a server that flaps, a caller that transfers us to premium numbers, a flood of INVITEs, payloads
 * built to be slow to parse. It plays whatever the test scripts; everything else gets a plain, valid answer.
 *
 * Loopback only (127.0.0.1), bounded in time (it closes itself after `lifetimeMs`) and in count (connections beyond
 * `maxConnections` are refused, records beyond `maxRecords` are counted but not kept).
 *
 * @example
 * ```ts
 * const server = await startHostileServer();
 * server.onRequest('REGISTER', (request) => server.reply(request, 200, { contactExpires: 2 ** 53 }));
 * const client = createSipClient({ server: server.url, uri: 'sip:alice@hostile.test', webSocket: WebSocket, register: true });
 * await client.start();
 * await sleep(3_000);
 * server.requests('REGISTER').length; // REGISTERs received in 3 s
 * await server.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocketServer, type WebSocket } from 'ws';

/** The domain the scripted server speaks for. */
export const HOSTILE_DOMAIN = 'hostile.test';

const CRLF = '\r\n';
const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  r: 'refer-to',
  b: 'referred-by',
  e: 'content-encoding',
  s: 'subject',
  o: 'event',
  x: 'session-expires',
  u: 'allow-events',
};

/** One WebSocket connection the server accepted. Times are ms since the server started. */
export interface ConnectionRecord {
  readonly id: number;
  readonly openedAt: number;
  closedAt?: number;
  /** The close code as the server saw it (1009: the client refused a message too big). */
  closeCode?: number;
  closeReason?: string;
  /** The request path and query of the upgrade, as the client sent it. */
  readonly url: string;
  /** The HTTP headers of the upgrade (an `authorization` here means the client sent URL credentials). */
  readonly headers: IncomingHttpHeaders;
  readonly protocol: string;
}

/** A SIP message received from the client, parsed loosely (the harness must read anything, and never throw). */
export interface ReceivedMessage {
  /** ms since the server started. */
  readonly at: number;
  readonly connection: number;
  readonly raw: string;
  readonly kind: 'request' | 'response' | 'keepalive' | 'garbage';
  /** The request's method, or the CSeq method of a response. */
  readonly method?: string;
  /** Request-URI of a request. */
  readonly ruri?: string;
  readonly status?: number;
  readonly reason?: string;
  /** Header values by lower-case name (compact forms expanded), in order; one entry per header line. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly callId?: string;
  readonly cseq?: { seq: number; method: string };
  readonly body: string;
  /** The first value of a header, by any case of its name. */
  header(name: string): string | undefined;
}

/** What {@link HostileServer.reply} puts into a response. */
export interface ReplyOptions {
  /** Reason phrase, sent as given (control characters included). Default: the usual one for the code. */
  reason?: string;
  /** Extra header lines, name to value; an array gives one line per value. Sent as given. */
  headers?: Record<string, string | number | readonly (string | number)[]>;
  /** Adds `Contact: <the request's Contact URI>;expires=<value>` (a REGISTER's granted expiry), sent as given. */
  contactExpires?: number | string;
  /** To tag to add when the request's To has none; default a random one (none on 100). */
  toTag?: string;
  body?: string;
  contentType?: string;
  /** Replace the echoed Via lines (e.g. to send 100 of them). */
  vias?: readonly string[];
}

/** A request handler: answer with `server.reply(...)`, send anything, or nothing at all. */
export type RequestHandler = (request: ReceivedMessage, server: HostileServer) => void;

/** Options of {@link startHostileServer}. */
export interface HostileServerOptions {
  /** The server closes itself (and every connection) after this long. Default 60 s. */
  lifetimeMs?: number;
  /** Connections beyond this are refused at once. Default 5,000. */
  maxConnections?: number;
  /** Messages beyond this are counted, not kept. Default 100,000. */
  maxRecords?: number;
  /** Accept each WebSocket and close it at once (a flapping server). */
  closeOnOpen?: boolean;
  /** Answer CRLF keep-alive pings with a CRLF pong. Default true. */
  answerKeepAlive?: boolean;
}

/**
 * A call the scripted server places to the registered client (a minimal UAC over the client's own socket): the
 * INVITE goes to the Contact the client registered; 2xx and non-2xx are ACKed; REFER and BYE go in the dialog with
 * the client's tag, its Contact as the target, the route set and an increasing CSeq.
 */
export interface ServerCall {
  readonly callId: string;
  readonly fromTag: string;
  /** Every response the client sent to any request of this call, in order. */
  readonly responses: readonly ReceivedMessage[];
  /** The final response to the INVITE, when it has come. */
  readonly final: ReceivedMessage | undefined;
  /** Resolves with the first response (to the INVITE) that matches, or rejects after `timeoutMs`. */
  response(match: number | ((response: ReceivedMessage) => boolean), timeoutMs?: number): Promise<ReceivedMessage>;
  /** Sends an in-dialog REFER (needs a 2xx to the INVITE first); resolves with its final response, or rejects after `timeoutMs`. */
  refer(referTo: string, options?: { headers?: Record<string, string>; timeoutMs?: number }): Promise<ReceivedMessage>;
  /** Sends the REFER without waiting; returns its CSeq. */
  sendRefer(referTo: string, options?: { headers?: Record<string, string> }): number;
  /** Final response to the in-dialog request with this CSeq, or rejects after `timeoutMs`. */
  finalFor(cseq: number, timeoutMs?: number): Promise<ReceivedMessage>;
  /** BYE in the dialog; resolves with its final response. */
  bye(timeoutMs?: number): Promise<ReceivedMessage>;
  /** CANCEL of the INVITE (before a final response). */
  cancel(): void;
}

/** Options of {@link HostileServer.invite}. */
export interface InviteOptions {
  /** The caller (From). Default `sip:caller@hostile.test`. */
  from?: string;
  /** Request-URI; default the Contact URI of the client's last REGISTER. */
  ruri?: string;
  /** To; default the AOR of the client's last REGISTER. */
  to?: string;
  sdp?: string;
  headers?: Record<string, string>;
}

/** A valid SDP offer (PCMU on a discard port); the signaling-only media handler answers it. */
export const SDP_OFFER = [
  'v=0',
  'o=hostile 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join(CRLF);

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  423: 'Interval Too Brief',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

const token = (bytes = 6): string => randomBytes(bytes).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Parses a SIP message loosely: never throws, whatever the input. */
export function parseSip(raw: string, at = 0, connection = 0): ReceivedMessage {
  const headers = new Map<string, string[]>();
  const header = (name: string): string | undefined => headers.get(name.toLowerCase())?.[0];
  const base = { at, connection, raw, headers, header };
  if (/^(\r\n)+$/.test(raw)) return { ...base, kind: 'keepalive', body: '' };
  const split = raw.indexOf(CRLF + CRLF);
  const head = split >= 0 ? raw.slice(0, split) : raw;
  const body = split >= 0 ? raw.slice(split + 4) : '';
  const lines = head.split(CRLF);
  const first = lines.shift() ?? '';
  // Unfold continuation lines into the header before them.
  const unfolded: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else unfolded.push(line);
  }
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[rawName] ?? rawName;
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const callId = header('call-id');
  const cseqMatch = /^(\d+)\s+(\S+)/.exec(header('cseq') ?? '');
  const cseq = cseqMatch ? { seq: Number(cseqMatch[1]), method: cseqMatch[2]!.toUpperCase() } : undefined;
  const ids = { ...(callId !== undefined && { callId }), ...(cseq && { cseq }) };
  const status = /^SIP\/2\.0 (\d{3})(?: (.*))?$/.exec(first);
  if (status) {
    return {
      ...base,
      ...ids,
      kind: 'response',
      status: Number(status[1]),
      reason: status[2] ?? '',
      ...(cseq && { method: cseq.method }),
      body,
    };
  }
  const request = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(first);
  if (request) return { ...base, ...ids, kind: 'request', method: request[1]!.toUpperCase(), ruri: request[2]!, body };
  return { ...base, ...ids, kind: 'garbage', body };
}

/** The URI inside `<...>` of a name-addr (or the value up to its first `;` when there are no brackets). */
export function uriOf(nameAddr: string | undefined): string | undefined {
  if (nameAddr === undefined) return undefined;
  const bracketed = /<([^>]*)>/.exec(nameAddr);
  return bracketed ? bracketed[1] : nameAddr.split(';')[0]!.trim();
}

/** The expiry a REGISTER asks for: its Contact's `expires` param, else its Expires header. */
export function askedExpires(register: ReceivedMessage): string | undefined {
  const contact = register.header('contact');
  const param = contact ? /;\s*expires\s*=\s*([^;,\s]+)/i.exec(contact.replace(/<[^>]*>/g, ''))?.[1] : undefined;
  return param ?? register.header('expires');
}

/**
 * The scripted server. Made by {@link startHostileServer}.
 */
export class HostileServer {
  /** Every connection, in the order they opened. */
  readonly connections: ConnectionRecord[] = [];
  /** Every message received (up to `maxRecords`). */
  readonly received: ReceivedMessage[] = [];
  /** Messages received, all of them (including those not kept). */
  receivedCount = 0;
  /** Messages sent with {@link send} or the helpers. */
  sentCount = 0;
  /** Connections refused because `maxConnections` was reached. */
  refusedConnections = 0;

  private readonly started = performance.now();
  private readonly sockets = new Map<number, WebSocket>();
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly listeners = new Set<() => void>();
  private readonly callWatchers = new Map<string, (message: ReceivedMessage) => void>();
  private readonly lifetime: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    private readonly options: Required<HostileServerOptions>,
  ) {
    this.lifetime = setTimeout(() => void this.close(), options.lifetimeMs);
    this.lifetime.unref();
    wss.on('connection', (socket, request) => this.accept(socket, request.url ?? '/', request.headers));
  }

  /** `ws://127.0.0.1:<port>` */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** ms since the server started. */
  now(): number {
    return performance.now() - this.started;
  }

  /** Requests received, optionally of one method. */
  requests(method?: string): ReceivedMessage[] {
    return this.received.filter(
      (m) => m.kind === 'request' && (method === undefined || m.method === method.toUpperCase()),
    );
  }

  /** Responses received, optionally for one CSeq method. */
  responses(method?: string): ReceivedMessage[] {
    return this.received.filter(
      (m) => m.kind === 'response' && (method === undefined || m.method === method.toUpperCase()),
    );
  }

  /** The connection most recently opened and still open (not closing). */
  get openConnection(): ConnectionRecord | undefined {
    return [...this.connections]
      .reverse()
      .find((c) => c.closedAt === undefined && this.sockets.get(c.id)?.readyState === 1);
  }

  /** The Contact URI and AOR of the client's last REGISTER (what a caller would reach it by). */
  registeredContact(): { contact: string; aor: string } | undefined {
    const register = this.requests('REGISTER').at(-1);
    const contact = uriOf(register?.header('contact'));
    const aor = uriOf(register?.header('to'));
    return contact && aor ? { contact, aor } : undefined;
  }

  /**
   * Scripts the answer to every request of `method` (`'*'`: any method without its own script). The handler
   * replaces the default one: answer with {@link reply}, or send nothing.
   */
  onRequest(method: string, handler: RequestHandler): void {
    this.handlers.set(method.toUpperCase(), handler);
  }

  /** Sends raw text or bytes to a connection (default: the open one). Returns false when there is none. */
  send(raw: string | Buffer, connection?: number): boolean {
    const id = connection ?? this.openConnection?.id;
    const socket = id === undefined ? undefined : this.sockets.get(id);
    if (socket?.readyState !== 1) return false;
    socket.send(raw);
    this.sentCount++;
    return true;
  }

  /** Drops a connection (default: the open one) without a close handshake, as a crashing server would. */
  drop(connection?: number): boolean {
    const id = connection ?? this.openConnection?.id;
    const socket = id === undefined ? undefined : this.sockets.get(id);
    socket?.terminate();
    return socket !== undefined;
  }

  /**
   * Builds a response to `request` (Via, From, To with a tag, Call-ID and CSeq echoed) and sends it on the
   * connection the request came on. Returns the raw text.
   */
  reply(request: ReceivedMessage, status: number, options: ReplyOptions = {}): string {
    const raw = buildResponse(request, status, options);
    this.send(raw, request.connection);
    return raw;
  }

  /**
   * Answers `request` with a digest challenge: 401 with WWW-Authenticate (or 407 with Proxy-Authenticate), qop=auth,
   * a fresh nonce unless one is given.
   */
  challenge(request: ReceivedMessage, options: { realm?: string; nonce?: string; proxy?: boolean } = {}): string {
    const value = `Digest realm="${options.realm ?? HOSTILE_DOMAIN}", nonce="${options.nonce ?? token(12)}", qop="auth", algorithm=MD5`;
    return this.reply(request, options.proxy ? 407 : 401, {
      headers: { [options.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate']: value },
    });
  }

  /** Places a call to the registered client (see {@link ServerCall}). */
  invite(options: InviteOptions = {}): ServerCall {
    return new UacCall(this, options);
  }

  /**
   * Resolves with the first non-undefined value of `probe`, checked now, on every message and connection event, and
   * every 25 ms; rejects after `timeoutMs` naming `what`.
   */
  waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        let value: T | undefined | false;
        try {
          value = probe();
        } catch (error) {
          finish();
          reject(error);
          return true;
        }
        if (value === undefined || value === false) return false;
        finish();
        resolve(value);
        return true;
      };
      const finish = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.listeners.delete(listener);
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`hostile server: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 25);
      this.listeners.add(listener);
      check();
    });
  }

  /** Resolves once `count` requests of `method` have come, with them. */
  waitForRequests(method: string, count: number, timeoutMs = 5_000): Promise<ReceivedMessage[]> {
    return this.waitFor(
      () => {
        const found = this.requests(method);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
      `${count} ${method}`,
    );
  }

  /**
   * Sends an OPTIONS to the client (on `connection`, default the open one) and returns its Call-ID, or undefined when
   * there is no open connection. Its answer means everything sent before it on that connection has been handled.
   */
  sendProbe(connection?: number): string | undefined {
    const target = this.registeredContact();
    const callId = `probe-${token()}@hostile.invalid`;
    const raw = buildRequest({
      method: 'OPTIONS',
      ruri: target?.contact ?? `sip:probe@${HOSTILE_DOMAIN}`,
      from: `<sip:prober@${HOSTILE_DOMAIN}>;tag=${token()}`,
      to: `<${target?.aor ?? `sip:probe@${HOSTILE_DOMAIN}`}>`,
      callId,
      cseq: 1,
    });
    return this.send(raw, connection) ? callId : undefined;
  }

  /** The answer to the probe with this Call-ID, if it has come. */
  probeAnswer(callId: string): ReceivedMessage | undefined {
    return this.received.find((m) => m.kind === 'response' && m.callId === callId);
  }

  /** Sends a probe (see {@link sendProbe}) and resolves with its answer; rejects after `timeoutMs`. */
  async probe(timeoutMs = 5_000, connection?: number): Promise<ReceivedMessage> {
    const callId = this.sendProbe(connection);
    if (callId === undefined) throw new Error('hostile server: no open connection to probe');
    return this.waitFor(() => this.probeAnswer(callId), timeoutMs, 'the answer to an OPTIONS probe');
  }

  /** Calls `listener` with every message received with this Call-ID (one listener per Call-ID). */
  watchCallId(callId: string, listener: (message: ReceivedMessage) => void): void {
    this.callWatchers.set(callId, listener);
  }

  /** Closes every connection and the server. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.lifetime);
      this.callWatchers.clear();
      for (const socket of this.sockets.values()) socket.terminate();
      await new Promise<void>((done) => this.wss.close(() => done()));
    })();
    return this.closing;
  }

  private accept(socket: WebSocket, url: string, headers: IncomingHttpHeaders): void {
    if (this.closing || this.connections.length >= this.options.maxConnections) {
      this.refusedConnections++;
      socket.terminate();
      return;
    }
    const record: ConnectionRecord = {
      id: this.connections.length + 1,
      openedAt: this.now(),
      url,
      headers,
      protocol: socket.protocol,
    };
    this.connections.push(record);
    this.sockets.set(record.id, socket);
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      record.closedAt = this.now();
      record.closeCode = code;
      record.closeReason = reason.toString();
      this.sockets.delete(record.id);
      this.notify();
    });
    socket.on('message', (data) => this.receive(record.id, data.toString()));
    if (this.options.closeOnOpen) socket.close(1000);
    this.notify();
  }

  private receive(connection: number, raw: string): void {
    this.receivedCount++;
    const message = parseSip(raw, this.now(), connection);
    if (this.received.length < this.options.maxRecords) this.received.push(message);
    if (message.kind === 'keepalive' && this.options.answerKeepAlive) this.send(CRLF, connection);
    if (message.callId !== undefined) this.callWatchers.get(message.callId)?.(message);
    if (message.kind === 'request') {
      const handler = this.handlers.get(message.method!) ?? this.handlers.get('*') ?? defaultHandler;
      try {
        handler(message, this);
      } catch (error) {
        // A broken script must show up in the test, not vanish.
        console.error('hostile server: request handler threw', error);
      }
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** The answers of a plain, valid server: what a request gets when the test scripted nothing for its method. */
function defaultHandler(request: ReceivedMessage, server: HostileServer): void {
  switch (request.method) {
    case 'REGISTER': {
      const asked = askedExpires(request) ?? '600';
      server.reply(request, 200, Number(asked) > 0 ? { contactExpires: asked } : {});
      return;
    }
    case 'ACK':
      return;
    case 'INVITE':
      // Nobody to reach here: busy. (The client ACKs it; a transfer or call it places ends at once.)
      server.reply(request, 100);
      server.reply(request, 486);
      return;
    default:
      server.reply(request, 200);
  }
}

/** Starts a scripted server on 127.0.0.1 on a free port, subprotocol 'sip'. */
export async function startHostileServer(options: HostileServerOptions = {}): Promise<HostileServer> {
  const resolved: Required<HostileServerOptions> = {
    lifetimeMs: options.lifetimeMs ?? 60_000,
    maxConnections: options.maxConnections ?? 5_000,
    maxRecords: options.maxRecords ?? 100_000,
    closeOnOpen: options.closeOnOpen ?? false,
    answerKeepAlive: options.answerKeepAlive ?? true,
  };
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('hostile server: no port');
  return new HostileServer(wss, address.port, resolved);
}

// ---- building messages ----

/** A response to `request`, echoing Via, From, To (with a tag), Call-ID and CSeq. */
export function buildResponse(request: ReceivedMessage, status: number, options: ReplyOptions = {}): string {
  const reason = options.reason ?? REASONS[status] ?? 'Unknown';
  const to = request.header('to') ?? '';
  const tag = status === 100 || /;\s*tag=/i.test(to) ? '' : `;tag=${options.toTag ?? token()}`;
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const via of options.vias ?? request.headers.get('via') ?? []) lines.push(`Via: ${via}`);
  lines.push(
    `From: ${request.header('from') ?? ''}`,
    `To: ${to}${tag}`,
    `Call-ID: ${request.callId ?? ''}`,
    `CSeq: ${request.header('cseq') ?? ''}`,
  );
  if (options.contactExpires !== undefined) {
    lines.push(
      `Contact: <${uriOf(request.header('contact')) ?? `sip:nobody@${HOSTILE_DOMAIN}`}>;expires=${options.contactExpires}`,
    );
  }
  if (status >= 200 && status < 300 && (request.method === 'INVITE' || request.method === 'REFER')) {
    lines.push(`Contact: <sip:server@${HOSTILE_DOMAIN};transport=ws>`);
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
  }
  const body = options.body ?? '';
  if (body) lines.push(`Content-Type: ${options.contentType ?? 'text/plain'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join(CRLF);
}

/** The parts of a request {@link buildRequest} puts together. */
export interface RequestParts {
  method: string;
  ruri: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  /** Default a fresh `SIP/2.0/WS hostile.invalid;branch=z9hG4bK...`. */
  via?: string;
  routes?: readonly string[];
  contact?: string;
  headers?: Record<string, string | number | readonly (string | number)[]>;
  body?: string;
  contentType?: string;
}

/** A request, with Max-Forwards and Content-Length. Header values are sent as given. */
export function buildRequest(parts: RequestParts): string {
  const lines = [
    `${parts.method} ${parts.ruri} SIP/2.0`,
    `Via: ${parts.via ?? `SIP/2.0/WS hostile.invalid;branch=z9hG4bK${token()}`}`,
    'Max-Forwards: 70',
    ...(parts.routes ?? []).map((route) => `Route: ${route}`),
    `From: ${parts.from}`,
    `To: ${parts.to}`,
    `Call-ID: ${parts.callId}`,
    `CSeq: ${parts.cseq} ${parts.method}`,
  ];
  if (parts.contact) lines.push(`Contact: ${parts.contact}`);
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
  }
  const body = parts.body ?? '';
  if (body) lines.push(`Content-Type: ${parts.contentType ?? 'text/plain'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join(CRLF);
}

class UacCall implements ServerCall {
  readonly callId = `call-${token()}@hostile.invalid`;
  readonly fromTag = token();
  readonly responses: ReceivedMessage[] = [];
  final: ReceivedMessage | undefined;

  private readonly from: string;
  private readonly to: string;
  private readonly ruri: string;
  private readonly inviteVia: string;
  private readonly connection: number | undefined;
  private cseq = 1;
  private remoteTag: string | undefined;
  private remoteTarget: string | undefined;
  private routeSet: string[] = [];

  constructor(
    private readonly server: HostileServer,
    options: InviteOptions,
  ) {
    const registered = server.registeredContact();
    this.ruri = options.ruri ?? registered?.contact ?? `sip:alice@${HOSTILE_DOMAIN}`;
    this.to = `<${options.to ?? registered?.aor ?? `sip:alice@${HOSTILE_DOMAIN}`}>`;
    this.from = `<${options.from ?? `sip:caller@${HOSTILE_DOMAIN}`}>;tag=${this.fromTag}`;
    this.inviteVia = `SIP/2.0/WS hostile.invalid;branch=z9hG4bK${token()}`;
    this.connection = server.openConnection?.id;
    server.watchCallId(this.callId, (message) => this.collect(message));
    server.send(
      buildRequest({
        method: 'INVITE',
        ruri: this.ruri,
        via: this.inviteVia,
        from: this.from,
        to: this.to,
        callId: this.callId,
        cseq: this.cseq,
        contact: `<sip:caller@hostile.invalid;transport=ws>`,
        ...(options.headers && { headers: options.headers }),
        body: options.sdp ?? SDP_OFFER,
        contentType: 'application/sdp',
      }),
      this.connection,
    );
  }

  /** Keeps each response of this call, and ACKs the INVITE's final response (2xx and non-2xx alike). */
  private collect(message: ReceivedMessage): void {
    if (message.kind !== 'response') return;
    this.responses.push(message);
    const isInviteFinal = message.cseq?.method === 'INVITE' && message.cseq.seq === 1 && message.status! >= 200;
    if (!isInviteFinal) return;
    // sip.js retransmits a 2xx until it is ACKed: ACK every copy, but take the dialog from the first.
    if (!this.final) {
      this.final = message;
      this.remoteTag = /;\s*tag=([^;\s]+)/i.exec(message.header('to') ?? '')?.[1];
      if (message.status! < 300) {
        this.remoteTarget = uriOf(message.header('contact'));
        // The route set is the Record-Route list in reverse (RFC 3261 12.1.2).
        this.routeSet = (message.headers.get('record-route') ?? [])
          .flatMap((value) => value.split(/,(?=\s*<)/))
          .map((value) => value.trim())
          .reverse();
      }
    }
    if (message.status! < 300)
      this.ack(`SIP/2.0/WS hostile.invalid;branch=z9hG4bK${token()}`, this.remoteTarget ?? this.ruri, this.routeSet);
    // A non-2xx is ACKed in the INVITE's own transaction (same branch, same Request-URI).
    else this.ack(this.inviteVia, this.ruri, []);
  }

  private ack(via: string, ruri: string, routes: readonly string[]): void {
    this.server.send(
      buildRequest({
        method: 'ACK',
        ruri,
        via,
        routes,
        from: this.from,
        to: this.toWithTag(),
        callId: this.callId,
        cseq: 1,
      }),
      this.connection,
    );
  }

  private toWithTag(): string {
    return this.remoteTag ? `${this.to};tag=${this.remoteTag}` : this.to;
  }

  response(match: number | ((response: ReceivedMessage) => boolean), timeoutMs = 5_000): Promise<ReceivedMessage> {
    const test = typeof match === 'number' ? (r: ReceivedMessage) => r.status === match : match;
    return this.server.waitFor(
      () => this.responses.find((r) => r.cseq?.method === 'INVITE' && test(r)),
      timeoutMs,
      `a response to INVITE ${typeof match === 'number' ? match : '(matching)'}`,
    );
  }

  sendRefer(referTo: string, options: { headers?: Record<string, string> } = {}): number {
    return this.inDialog('REFER', {
      'Refer-To': referTo,
      'Referred-By': `<sip:caller@${HOSTILE_DOMAIN}>`,
      ...options.headers,
    });
  }

  refer(
    referTo: string,
    options: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<ReceivedMessage> {
    return this.finalFor(this.sendRefer(referTo, options), options.timeoutMs);
  }

  finalFor(cseq: number, timeoutMs = 5_000): Promise<ReceivedMessage> {
    return this.server.waitFor(
      () => this.responses.find((r) => r.cseq?.seq === cseq && r.cseq.method !== 'INVITE' && r.status! >= 200),
      timeoutMs,
      `the final response to CSeq ${cseq}`,
    );
  }

  bye(timeoutMs = 5_000): Promise<ReceivedMessage> {
    return this.finalFor(this.inDialog('BYE', {}), timeoutMs);
  }

  cancel(): void {
    this.server.send(
      buildRequest({
        method: 'CANCEL',
        ruri: this.ruri,
        via: this.inviteVia,
        from: this.from,
        to: this.to,
        callId: this.callId,
        cseq: 1,
      }),
      this.connection,
    );
  }

  private inDialog(method: string, headers: Record<string, string>): number {
    if (!this.final || this.final.status! >= 300 || !this.remoteTarget) {
      throw new Error(
        `hostile server: ${method} needs an answered call (final response: ${this.final?.status ?? 'none'})`,
      );
    }
    this.cseq++;
    this.server.send(
      buildRequest({
        method,
        ruri: this.remoteTarget,
        routes: this.routeSet,
        from: this.from,
        to: this.toWithTag(),
        callId: this.callId,
        cseq: this.cseq,
        contact: `<sip:caller@hostile.invalid;transport=ws>`,
        headers,
      }),
      this.connection,
    );
    return this.cseq;
  }
}

// ---- the issue's hostile payloads ----

/** Where a payload request is addressed: the client's registered Contact and AOR (see `registeredContact()`). */
export interface PayloadTarget {
  contact: string;
  aor: string;
}

function payloadRequest(target: PayloadTarget, method: string, extraLines: readonly string[], body = ''): string {
  const lines = [
    `${method} ${target.contact} SIP/2.0`,
    `Via: SIP/2.0/WS hostile.invalid;branch=z9hG4bK${token()}`,
    'Max-Forwards: 70',
    `From: <sip:attacker@${HOSTILE_DOMAIN}>;tag=${token()}`,
    `To: <${target.aor}>`,
    `Call-ID: payload-${token()}@hostile.invalid`,
    `CSeq: 1 ${method}`,
    ...extraLines,
  ];
  if (body) lines.push('Content-Type: text/plain');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join(CRLF);
}

/** The issue's hostile payloads, built for a registered client. */
export const payloads = {
  /** A MESSAGE with a body of `bytes` (default 2 MB). */
  bigMessage(target: PayloadTarget, bytes = 2 * 1024 * 1024): string {
    return payloadRequest(target, 'MESSAGE', [], 'x'.repeat(bytes));
  },
  /** A MESSAGE with `count` header lines without a colon (`lineLength` characters each, 8 by default: 10 bytes a line). */
  colonlessLines(target: PayloadTarget, count: number, lineLength = 8): string {
    const line = 'a'.repeat(lineLength);
    return payloadRequest(
      target,
      'MESSAGE',
      Array.from({ length: count }, () => line),
      'hello',
    );
  },
  /** A MESSAGE whose Contact has `count` entries (`<sip:cN@h>`, one header line). */
  manyContacts(target: PayloadTarget, count: number): string {
    const entries = Array.from({ length: count }, (_, i) => `<sip:c${i}@h>`).join(',');
    return payloadRequest(target, 'MESSAGE', [`Contact: ${entries}`], 'hello');
  },
  /** An unsolicited 200 to REGISTER carrying `count` Via lines. */
  manyVias(target: PayloadTarget, count = 100): string {
    const lines = ['SIP/2.0 200 OK'];
    for (let i = 0; i < count; i++)
      lines.push(`Via: SIP/2.0/WS proxy${i}.hostile.invalid;branch=z9hG4bK${token(4)}${i}`);
    lines.push(
      `From: <${target.aor}>;tag=${token()}`,
      `To: <${target.aor}>;tag=${token()}`,
      `Call-ID: vias-${token()}@hostile.invalid`,
      'CSeq: 1 REGISTER',
      `Contact: <${target.contact}>;expires=600`,
      'Content-Length: 0',
      '',
      '',
    );
    return lines.join(CRLF);
  },
  /** A reason phrase that retitles the terminal, clears it, returns the carriage and forges a line. */
  terminalReason:
    'OK \u001b]0;pwned\u0007\u001b[2J\rFORGED 2099-01-01T00:00:00.000Z  watch        all good\u0085\u009b2J\u007f',
};

// ---- measuring ----

let gc: (() => void) | undefined;
/** Forces a full garbage collection (through V8's flag, set at run time). */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

/** What {@link measure} saw while its function ran. */
export interface Measurement<T> {
  value: T;
  /** The longest the event loop was blocked, ms (perf_hooks.monitorEventLoopDelay, max). */
  maxEventLoopDelayMs: number;
  /** Heap used after a full GC, minus before, bytes: what stayed. */
  retainedHeapBytes: number;
  /** Heap used right after (no GC), minus before: what stayed plus the garbage not yet collected. */
  heapGrowthBytes: number;
  /** Heap committed by V8 right after (no GC), minus before: grows when the work needed more heap at some point. */
  committedHeapGrowthBytes: number;
  elapsedMs: number;
}

/** Runs `work`, measuring the event loop's longest block and the heap's growth. */
export async function measure<T>(work: () => Promise<T>): Promise<Measurement<T>> {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const committedBefore = getHeapStatistics().total_heap_size;
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const start = performance.now();
  // Let the histogram take a first sample before the work starts.
  await sleep(20);
  let value: T;
  try {
    value = await work();
  } finally {
    histogram.disable();
  }
  const elapsedMs = performance.now() - start;
  const after = process.memoryUsage().heapUsed;
  const committedAfter = getHeapStatistics().total_heap_size;
  collectGarbage();
  const retained = process.memoryUsage().heapUsed;
  return {
    value,
    maxEventLoopDelayMs: histogram.max / 1e6,
    retainedHeapBytes: retained - before,
    heapGrowthBytes: after - before,
    committedHeapGrowthBytes: committedAfter - committedBefore,
    elapsedMs,
  };
}

/** Resolves after `ms`. */
export { sleep };
