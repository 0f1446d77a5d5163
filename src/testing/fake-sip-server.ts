import type { WebSocketLike } from '../sip/websocket-transport';
import { md5 } from './md5';
import {
  addressParams,
  addressUri,
  cseqOf,
  digestParams,
  header,
  headers,
  parseSip,
  respond,
  type SipText,
  uriUser,
  writeSip,
} from './sip-text';

/**
 * Options of {@link createFakeSipServer}.
 *
 * @example
 * ```ts
 * const options: FakeSipServerOptions = { users: { alice: 'secret', bob: 'hunter2' }, domain: 'example.test' };
 * ```
 */
export interface FakeSipServerOptions {
  /** The users who may register, and their passwords: `{ alice: 'secret' }`. */
  users: Readonly<Record<string, string>>;
  /** The users' SIP domain, also the digest realm. Default `'fake.test'`. */
  domain?: string;
}

/**
 * A binding the fake registrar holds: registered, not yet removed (expires 0) nor lost with its connection.
 *
 * @example
 * ```ts
 * const [binding]: readonly FakeRegistration[] = fake.registrations; // { user: 'alice', contact: 'sip:...', expires: 600 }
 * ```
 */
export interface FakeRegistration {
  /** The registered user (the REGISTER's To user). */
  readonly user: string;
  /** The Contact URI the client registered, where the fake sends its INVITEs and MESSAGEs. */
  readonly contact: string;
  /** The expiry the fake granted, in seconds (the Contact's `expires`, else the Expires header, else 3,600). */
  readonly expires: number;
}

/**
 * Where a call the fake placed stands.
 *
 * @example
 * ```ts
 * const status: FakeCallStatus = fake.ring('alice').status; // 'ringing'
 * ```
 */
export type FakeCallStatus = 'ringing' | 'active' | 'ended';

/**
 * An incoming call the fake placed with {@link FakeSipServer.ring}: what the client answered, and the fake's side of
 * the call. Its promises never reject.
 *
 * @example
 * ```ts
 * const call = fake.ring('alice', { from: 'bob' });
 * await call.answered(); // 200 once the app answered (the fake ACKs it), or 486, 603, 480...
 * await call.hangup(); // BYE from the caller: 200
 * ```
 */
export interface FakeCall {
  /** The call's Call-ID. */
  readonly callId: string;
  /** Every status the client answered the INVITE with, in order (100, 180, then 200 or a failure). */
  readonly responses: readonly number[];
  readonly status: FakeCallStatus;
  /**
   * Who ended it, once ended: `client` (the app hung up: BYE), `caller` (the fake: BYE, or CANCEL before the answer),
   * `rejected` (the INVITE got a final failure, e.g. 486 or 603), `unreachable` (no registration, or the connection
   * closed).
   */
  readonly endedBy: 'client' | 'caller' | 'rejected' | 'unreachable' | undefined;
  /** Resolves with the INVITE's final status: 200 when answered, else the failure (480 when nobody is registered). */
  answered(): Promise<number>;
  /** Resolves once the call has ended, whoever ended it. */
  ended(): Promise<void>;
  /**
   * The caller hangs up: BYE once answered, CANCEL while ringing. Resolves with the status the client answered it
   * with (200), or 481 when the call has already ended. A BYE that overtakes the client's own handling of its answer
   * still ends its call 'remote-hangup'.
   */
  hangup(): Promise<number>;
}

/**
 * A WebSocket the fake hands out: what sipstate's transport uses of the WebSocket API.
 *
 * @example
 * ```ts
 * const socket: FakeWebSocketInstance = new fake.WebSocket(fake.url, 'sip');
 * socket.onopen = () => socket.send('\r\n\r\n'); // the fake answers a keep-alive with '\r\n'
 * ```
 */
export interface FakeWebSocketInstance extends WebSocketLike {
  readonly url: string;
  readonly protocol: string;
}

/**
 * The fake's WebSocket constructor, called as sipstate calls it: `new WebSocket(url, 'sip', { maxPayload })`.
 * Connections to the fake's `url` open asynchronously; any other URL fails (close code 1006).
 *
 * @example
 * ```ts
 * const webSocket: FakeWebSocketConstructor = fake.WebSocket;
 * createSipClient({ server: fake.url, webSocket });
 * ```
 */
export type FakeWebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { maxPayload?: number },
) => FakeWebSocketInstance;

/**
 * A SIP registrar and caller in memory, for an application's own tests: no network, no SIP server. See
 * {@link createFakeSipServer}.
 *
 * @example
 * ```ts
 * const fake = await createFakeSipServer({ users: { alice: 'secret' } });
 * const client = createSipClient({ server: fake.url, webSocket: fake.WebSocket, uri: `sip:alice@${fake.domain}`,
 *   authorizationUsername: 'alice', authorizationPassword: 'secret', calls: { media: 'signaling' } });
 * await client.register();
 * fake.registrations; // [{ user: 'alice', contact: 'sip:...@....invalid;transport=ws', expires: 600 }]
 * ```
 */
export interface FakeSipServer {
  /** The server URL to give `createSipClient` (`server`). Never dialled: only {@link FakeSipServer.WebSocket} opens it. */
  readonly url: string;
  /** The WebSocket constructor to give `createSipClient` (`webSocket`). */
  readonly WebSocket: FakeWebSocketConstructor;
  /** The users' SIP domain: `sip:alice@${fake.domain}`. */
  readonly domain: string;
  /** The bindings held now, oldest first (a new array each read). */
  readonly registrations: readonly FakeRegistration[];
  /** The MESSAGEs clients sent to the fake (each answered 200), oldest first (a new array each read). */
  readonly receivedMessages: readonly { from: string; to: string; body: string; contentType: string }[];
  /**
   * The next REGISTER (whatever its credentials) gets `code` (300-699), with a Retry-After header when `retryAfter`
   * (seconds) is given. Calls queue: two calls fail the next two REGISTERs.
   */
  failNextRegister(code: number, options?: { retryAfter?: number }): void;
  /** Every open connection drops as if the network failed (close code 1006); their bindings go with them. */
  dropConnections(): void;
  /**
   * Sends an INVITE (with a minimal SDP audio offer) to the newest binding of `user`. `from` is the caller: a SIP URI,
   * `bob@example.com`, or `bob` in the fake's domain (default `caller`).
   */
  ring(user: string, options?: { from?: string; displayName?: string }): FakeCall;
  /**
   * Sends a MESSAGE to the newest binding of `user`. Resolves with the status the client answered (200), 480 when
   * `user` has no binding, 408 when the connection closed before an answer.
   */
  sendMessage(user: string, message: { from?: string; body: string; contentType?: string }): Promise<number>;
  /** Drops every connection and refuses new ones. */
  close(): Promise<void>;
}

/** A connection as the server sees it. */
interface Connection {
  /** The server's side of the socket: a message to the client, a drop. */
  readonly socket: { deliver(text: string): void; drop(): void };
  open: boolean;
}

interface Binding extends FakeRegistration {
  readonly connection: Connection;
  /** The Contact's parameters other than expires (`;transport=ws` stays in the URI), echoed in the 200. */
  readonly params: string;
}

/** What waits for the client's response to a request the fake sent. */
interface Pending {
  readonly connection: Connection;
  onResponse(response: SipText): void;
  /** The connection closed before the final response. */
  onLost(): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Runs `fn` after the current task's synchronous code, as a socket event would come: later, never inside `send`. */
const later = (fn: () => void): void => {
  // A microtask, not a timer: fake timers (vi.useFakeTimers) do not hold the fake's messages back.
  Promise.resolve().then(fn, () => {});
};

let serverCount = 0;

/**
 * Creates a fake SIP server in memory for tests of an application built on sipstate: a registrar with digest
 * authentication (401 with an MD5 `qop=auth` challenge, 200 with the granted expiry, 403 for a wrong password), and a
 * caller that rings and messages registered users. It speaks real SIP over a fake WebSocket, so the client under test
 * runs all of its code: sip.js, the machines, the streams. It uses no Node API: it runs in Node, jsdom, happy-dom and
 * browser test runners. It does not expire bindings by time.
 *
 * Clients' outgoing calls reach nobody (480); their MESSAGEs get 200 and land in `receivedMessages`.
 *
 * @example
 * ```ts
 * import { createSipClient } from 'sipstate';
 * import { createFakeSipServer } from 'sipstate/testing';
 *
 * const fake = await createFakeSipServer({ users: { alice: 'secret' } });
 * const client = createSipClient({
 *   server: fake.url,
 *   webSocket: fake.WebSocket,
 *   uri: `sip:alice@${fake.domain}`,
 *   authorizationUsername: 'alice',
 *   authorizationPassword: 'secret',
 *   calls: { media: 'signaling' },
 * });
 * client.incomingCalls$.subscribe((call) => call.answer());
 * await client.register();
 * const call = fake.ring('alice', { from: 'bob' });
 * await call.answered(); // 200
 * await fake.close();
 * ```
 */
export async function createFakeSipServer(options: FakeSipServerOptions): Promise<FakeSipServer> {
  const users = { ...options.users };
  const domain = options.domain ?? 'fake.test';
  const host = `sipstate-fake-${++serverCount}.invalid`;
  const url = `ws://${host}/`;
  const connections = new Set<Connection>();
  const bindings: Binding[] = [];
  const pending = new Map<string, Pending>();
  const failures: { code: number; retryAfter?: number }[] = [];
  const nonces = new Set<string>();
  const receivedMessages: { from: string; to: string; body: string; contentType: string }[] = [];
  let closed = false;
  let counter = 0;
  const next = (prefix: string): string => `${prefix}${++counter}`;

  const sendTo = (connection: Connection, text: string): void => {
    if (connection.open) later(() => connection.socket.deliver(text));
  };

  const lose = (connection: Connection): void => {
    connection.open = false;
    connections.delete(connection);
    for (let i = bindings.length - 1; i >= 0; i--) if (bindings[i]?.connection === connection) bindings.splice(i, 1);
    for (const [key, waiter] of [...pending]) {
      if (waiter.connection !== connection) continue;
      pending.delete(key);
      waiter.onLost();
    }
  };

  class FakeSocket implements FakeWebSocketInstance {
    static readonly CONNECTING = CONNECTING;
    static readonly OPEN = OPEN;
    static readonly CLOSING = CLOSING;
    static readonly CLOSED = CLOSED;
    readyState = CONNECTING;
    binaryType = 'blob';
    protocol = '';
    onopen: ((event: unknown) => void) | null = null;
    onclose: ((event: { code: number; reason?: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    readonly url: string;
    private readonly connection: Connection = { socket: this, open: false };

    constructor(address: string, protocols?: string | string[], _options?: { maxPayload?: number }) {
      this.url = address;
      const accepted = !closed && sameUrl(address, url);
      later(() => {
        if (this.readyState !== CONNECTING) return;
        if (!accepted) {
          this.finish(1006, '');
          return;
        }
        this.readyState = OPEN;
        this.protocol = (Array.isArray(protocols) ? protocols[0] : protocols) ?? '';
        this.connection.open = true;
        connections.add(this.connection);
        this.onopen?.({ type: 'open' });
      });
    }

    send(data: string): void {
      if (this.readyState !== OPEN) throw new Error('WebSocket is not open');
      const text = String(data);
      later(() => {
        if (this.connection.open) receive(this.connection, text);
      });
    }

    close(code = 1000, reason = ''): void {
      if (this.readyState === CLOSING || this.readyState === CLOSED) return;
      this.readyState = CLOSING;
      lose(this.connection);
      later(() => this.finish(code, reason));
    }

    /** The server's side: a message arrives at the client. */
    deliver(text: string): void {
      if (this.readyState === OPEN) this.onmessage?.({ data: text });
    }

    /** The server's side: the connection drops without a close handshake. */
    drop(): void {
      if (this.readyState === CLOSED) return;
      this.readyState = CLOSING;
      lose(this.connection);
      later(() => this.finish(1006, ''));
    }

    private finish(code: number, reason: string): void {
      if (this.readyState === CLOSED) return;
      const failed = code === 1006;
      this.readyState = CLOSED;
      if (failed) this.onerror?.({ type: 'error' });
      this.onclose?.({ code, reason });
    }
  }

  const receive = (connection: Connection, text: string): void => {
    if (/^(\r\n)+$/.test(text)) {
      sendTo(connection, '\r\n'); // RFC 5626 pong
      return;
    }
    const message = parseSip(text);
    if (!message) return;
    if (message.status !== undefined) {
      const { seq, method } = cseqOf(message);
      const key = `${header(message, 'call-id')} ${seq} ${method}`;
      const waiter = pending.get(key);
      if (!waiter) return;
      if (message.status >= 200 && method !== 'INVITE') pending.delete(key);
      waiter.onResponse(message);
      return;
    }
    const tag = next('fake');
    switch (message.method) {
      case 'REGISTER':
        sendTo(connection, register(connection, message, tag));
        return;
      case 'ACK':
        return;
      case 'BYE': {
        const call = calls.get(header(message, 'call-id') ?? '');
        sendTo(connection, respond(message, call?.status === 'active' ? 200 : 481, tag));
        call?.end('client');
        return;
      }
      case 'OPTIONS':
        sendTo(connection, respond(message, 200, tag));
        return;
      case 'MESSAGE':
        receivedMessages.push({
          from: addressUri(header(message, 'from') ?? ''),
          to: addressUri(header(message, 'to') ?? ''),
          body: message.body,
          contentType: header(message, 'content-type') ?? '',
        });
        sendTo(connection, respond(message, 200, tag));
        return;
      case 'INVITE':
        sendTo(connection, respond(message, 480, tag));
        return;
      case 'CANCEL':
        sendTo(connection, respond(message, 481, tag));
        return;
      default:
        sendTo(connection, respond(message, 501, tag));
    }
  };

  const challenge = (request: SipText, tag: string): string => {
    const nonce = next(`nonce-${host}-`);
    nonces.add(nonce);
    return respond(request, 401, tag, [
      `WWW-Authenticate: Digest realm="${domain}", nonce="${nonce}", algorithm=MD5, qop="auth"`,
    ]);
  };

  const register = (connection: Connection, request: SipText, tag: string): string => {
    const failure = failures.shift();
    if (failure) {
      const extra = failure.retryAfter === undefined ? [] : [`Retry-After: ${failure.retryAfter}`];
      return respond(request, failure.code, tag, extra);
    }
    const authorization = header(request, 'authorization');
    if (!authorization) return challenge(request, tag);
    const digest = digestParams(authorization);
    if (!nonces.has(digest.nonce ?? '')) return challenge(request, tag);
    const user = uriUser(addressUri(header(request, 'to') ?? ''));
    const password = Object.hasOwn(users, digest.username ?? '') ? users[digest.username as string] : undefined;
    if (password === undefined || digest.username !== user || digest.realm !== domain) {
      return respond(request, 403, tag);
    }
    const ha1 = md5(`${digest.username}:${domain}:${password}`);
    const ha2 = md5(`REGISTER:${digest.uri}`);
    const expected =
      digest.qop === 'auth'
        ? md5(`${ha1}:${digest.nonce}:${digest.nc}:${digest.cnonce}:auth:${ha2}`)
        : md5(`${ha1}:${digest.nonce}:${ha2}`);
    if (digest.response !== expected) return respond(request, 403, tag);

    const expiresHeader = Number(header(request, 'expires') ?? 3600);
    for (const value of headers(request, 'contact').flatMap(splitContacts)) {
      if (value === '*') {
        for (let i = bindings.length - 1; i >= 0; i--) if (bindings[i]?.user === user) bindings.splice(i, 1);
        continue;
      }
      const contact = addressUri(value);
      const params = addressParams(value);
      const expires = Number(params.expires ?? expiresHeader);
      const kept = Object.entries(params)
        .filter(([key]) => key !== 'expires')
        .map(([key, param]) => (param === '' ? `;${key}` : `;${key}=${param}`))
        .join('');
      const existing = bindings.findIndex((binding) => binding.user === user && binding.contact === contact);
      if (existing >= 0) bindings.splice(existing, 1);
      if (Number.isFinite(expires) && expires > 0) {
        bindings.push({ user, contact, expires, connection, params: kept });
      }
    }
    const current = bindings
      .filter((binding) => binding.user === user)
      .map((binding) => `Contact: <${binding.contact}>${binding.params};expires=${binding.expires}`);
    return respond(request, 200, tag, current);
  };

  const newestBinding = (user: string): Binding | undefined =>
    [...bindings].reverse().find((binding) => binding.user === user && binding.connection.open);

  const fromAddress = (from: string | undefined): string => {
    const given = from ?? 'caller';
    if (/^sips?:/.test(given)) return given;
    return given.includes('@') ? `sip:${given}` : `sip:${given}@${domain}`;
  };

  const calls = new Map<string, CallRecord>();

  interface CallRecord {
    readonly handle: FakeCall;
    readonly status: FakeCallStatus;
    end(by: NonNullable<FakeCall['endedBy']>): void;
  }

  const ring = (user: string, { from, displayName }: { from?: string; displayName?: string } = {}): FakeCall => {
    const callId = `${next('call-')}@${host}`;
    const fromUri = fromAddress(from);
    const fromHeader = `${displayName ? `"${displayName.replace(/["\\\r\n]/g, '')}" ` : ''}<${fromUri}>;tag=${next('from')}`;
    const toUri = `sip:${user}@${domain}`;
    const inviteBranch = next('z9hG4bKfake');
    const responses: number[] = [];
    let status: FakeCallStatus = 'ringing';
    let endedBy: FakeCall['endedBy'];
    let finalStatus: number | undefined;
    let remoteTarget = '';
    let toHeader = `<${toUri}>`;
    let cseq = 1;
    let cancelling = false;
    const answerWaiters: ((code: number) => void)[] = [];
    const endWaiters: (() => void)[] = [];
    const binding = newestBinding(user);

    const settleAnswer = (code: number): void => {
      if (finalStatus !== undefined) return;
      finalStatus = code;
      for (const waiter of answerWaiters.splice(0)) waiter(code);
    };
    const end = (by: NonNullable<FakeCall['endedBy']>): void => {
      if (status === 'ended') return;
      status = 'ended';
      endedBy = by;
      pending.delete(`${callId} 1 INVITE`);
      calls.delete(callId);
      for (const waiter of endWaiters.splice(0)) waiter();
    };
    const inDialog = (method: string, seq: number, target: string, branch: string, to: string): string =>
      writeSip(`${method} ${target} SIP/2.0`, [
        `Via: SIP/2.0/WS ${host};branch=${branch}`,
        'Max-Forwards: 70',
        `From: ${fromHeader}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${seq} ${method}`,
      ]);

    const handle: FakeCall = {
      callId,
      get responses() {
        return [...responses];
      },
      get status() {
        return status;
      },
      get endedBy() {
        return endedBy;
      },
      answered: () =>
        finalStatus !== undefined
          ? Promise.resolve(finalStatus)
          : new Promise<number>((resolve) => answerWaiters.push(resolve)),
      ended: () => (status === 'ended' ? Promise.resolve() : new Promise<void>((resolve) => endWaiters.push(resolve))),
      hangup: () => {
        if (status === 'ended' || !binding) return Promise.resolve(481);
        const connection = binding.connection;
        const method = status === 'active' ? 'BYE' : 'CANCEL';
        const seq = method === 'BYE' ? ++cseq : 1;
        const request =
          method === 'BYE'
            ? inDialog('BYE', seq, remoteTarget, next('z9hG4bKfake'), toHeader)
            : inDialog('CANCEL', 1, binding.contact, inviteBranch, `<${toUri}>`);
        return new Promise<number>((resolve) => {
          pending.set(`${callId} ${seq} ${method}`, {
            connection,
            onResponse: (response) => {
              if ((response.status ?? 0) < 200) return;
              if (method === 'BYE') end('caller');
              resolve(response.status as number);
            },
            onLost: () => resolve(408),
          });
          if (method === 'CANCEL') cancelling = true;
          sendTo(connection, request);
        });
      },
    };

    if (!binding) {
      responses.push(480);
      settleAnswer(480);
      end('unreachable');
      return handle;
    }
    const connection = binding.connection;
    calls.set(callId, {
      handle,
      get status() {
        return status;
      },
      end,
    });
    pending.set(`${callId} 1 INVITE`, {
      connection,
      onResponse: (response) => {
        const code = response.status as number;
        if (finalStatus === undefined || code < 200) responses.push(code);
        if (code < 200) return;
        const to = header(response, 'to') ?? toHeader;
        if (code < 300) {
          toHeader = to;
          remoteTarget = addressUri(header(response, 'contact') ?? '') || binding.contact;
          // A 2xx is acknowledged end to end, a new transaction; a retransmitted 2xx gets the ACK again.
          sendTo(connection, inDialog('ACK', 1, remoteTarget, next('z9hG4bKfake'), toHeader));
          if (status === 'ringing') status = 'active';
        } else {
          // A failure is acknowledged inside the INVITE transaction: same branch, the response's To.
          sendTo(connection, inDialog('ACK', 1, binding.contact, inviteBranch, to));
          end(cancelling ? 'caller' : 'rejected');
        }
        settleAnswer(code);
      },
      onLost: () => {
        settleAnswer(408);
        end('unreachable');
      },
    });
    const sdp = [
      'v=0',
      `o=- ${counter} 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 9 RTP/AVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=sendrecv',
      '',
    ].join('\r\n');
    sendTo(
      connection,
      writeSip(
        `INVITE ${binding.contact} SIP/2.0`,
        [
          `Via: SIP/2.0/WS ${host};branch=${inviteBranch}`,
          'Max-Forwards: 70',
          `From: ${fromHeader}`,
          `To: <${toUri}>`,
          `Call-ID: ${callId}`,
          'CSeq: 1 INVITE',
          `Contact: <sip:${uriUser(fromUri) || 'caller'}@${host};transport=ws>`,
          'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE',
          'Content-Type: application/sdp',
        ],
        sdp,
      ),
    );
    return handle;
  };

  const sendMessage = (
    user: string,
    { from, body, contentType = 'text/plain' }: { from?: string; body: string; contentType?: string },
  ): Promise<number> => {
    const binding = newestBinding(user);
    if (!binding) return Promise.resolve(480);
    const callId = `${next('message-')}@${host}`;
    return new Promise<number>((resolve) => {
      pending.set(`${callId} 1 MESSAGE`, {
        connection: binding.connection,
        onResponse: (response) => {
          if ((response.status ?? 0) >= 200) resolve(response.status as number);
        },
        onLost: () => resolve(408),
      });
      sendTo(
        binding.connection,
        writeSip(
          `MESSAGE ${binding.contact} SIP/2.0`,
          [
            `Via: SIP/2.0/WS ${host};branch=${next('z9hG4bKfake')}`,
            'Max-Forwards: 70',
            `From: <${fromAddress(from)}>;tag=${next('from')}`,
            `To: <sip:${user}@${domain}>`,
            `Call-ID: ${callId}`,
            'CSeq: 1 MESSAGE',
            `Content-Type: ${contentType.replace(/[\r\n]/g, '')}`,
          ],
          body,
        ),
      );
    });
  };

  const dropConnections = (): void => {
    for (const connection of [...connections]) connection.socket.drop();
  };

  return {
    url,
    WebSocket: FakeSocket,
    domain,
    get registrations() {
      return bindings.map(({ user, contact, expires }) => ({ user, contact, expires }));
    },
    get receivedMessages() {
      return receivedMessages.map((message) => ({ ...message }));
    },
    failNextRegister(code, { retryAfter } = {}) {
      if (!Number.isInteger(code) || code < 300 || code > 699) {
        throw new RangeError(`failNextRegister: ${code} is not a final failure status (300-699)`);
      }
      if (retryAfter !== undefined && !(Number.isInteger(retryAfter) && retryAfter >= 0)) {
        throw new RangeError(`failNextRegister: retryAfter ${retryAfter} is not a whole number of seconds`);
      }
      failures.push(retryAfter === undefined ? { code } : { code, retryAfter });
    },
    dropConnections,
    ring,
    sendMessage,
    close() {
      closed = true;
      dropConnections();
      return Promise.resolve();
    },
  };
}

/** Splits a Contact header value into its entries (commas outside quotes and angle brackets). */
function splitContacts(value: string): string[] {
  const entries: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === '<') depth++;
    else if (!quoted && char === '>') depth--;
    else if (!quoted && depth === 0 && char === ',') {
      entries.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  entries.push(value.slice(start).trim());
  return entries.filter((entry) => entry !== '');
}

/** Whether two WebSocket URLs are the same (`ws://host` and `ws://host/` are). */
function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}
