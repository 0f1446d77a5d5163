import { isObservable, Observable, type InteropObservable, type Subscribable } from 'rxjs';
import { Grammar, URI, type UserAgentOptions } from 'sip.js';
import type { InspectionEvent, Observer } from 'xstate';
import { DEFAULT_RECONNECT_POLICY, type BackoffPolicy } from '../machines/backoff';
import { SipConfigError } from './errors';
import { isSafeHeaderValue } from './header-values';
import { LOG_LEVELS, normalizeLogLevel, type SipLogLevel, type SipLogSink } from './logger';
import { redactUrl } from './redact';
import { BUNDLED_FAST_PARSER } from './bundled-fast-parser';
import { resolveFastParser, type FastParser, type InstallableFastParser } from './sip-parser';
import { DEFAULT_MAX_MESSAGE_BYTES, type WebSocketConstructor } from './sip/websocket-transport';
import {
  DTMF_METHODS,
  isDtmfMethod,
  isUnansweredTimeoutSec,
  MAX_UNANSWERED_TIMEOUT_SEC,
  unknownKey,
  type OptionKeys,
} from './call-options';
import type { DtmfMethod, TransferDecider } from './call';

/**
 * How the transport reconnects after a failed attempt or a lost connection. Every field is optional.
 *
 * @example
 * ```ts
 * createSipClient({ ..., reconnect: { initialDelayMs: 1_000, maxAttempts: 10 } });
 * ```
 */
export interface ReconnectOptions {
  /**
   * Delay before the first reconnection attempt, in ms: 0 to 3,600,000 (an hour). Default 500. Whatever it says, no
   * delay is shorter than the transport machine's floor (`MIN_RECONNECT_DELAY_MS`, 250 ms).
   */
  initialDelayMs?: number;
  /** Longest delay between attempts, in ms: 0 to 3,600,000 (an hour). Default 30 000. */
  maxDelayMs?: number;
  /** Each delay is the previous one times this: 1 to 10. Default 2. */
  multiplier?: number;
  /** Fraction of each delay that is randomised, 0 to 1. Default 0.5. */
  jitter?: number;
  /** Attempts before the transport gives up and is 'failed': an integer from 1 to 1,000,000, or `Infinity` (default). */
  maxAttempts?: number;
}

/**
 * Options of {@link createSipClient}. Only `server` is required; without `uri` the client is anonymous (it can start,
 * call and send messages, but not register or be reached).
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 *
 * const options: SipClientOptions = {
 *   server: 'wss://sip.example.com:8443',
 *   uri: 'sip:alice@example.com',
 *   authorizationUsername: 'alice',
 *   authorizationPassword: process.env.SIP_PASSWORD,
 *   register: true,
 *   webSocket: WebSocket,
 * };
 * ```
 */
export interface SipClientOptions {
  /** WebSocket URL of the SIP server (`ws://` or `wss://`), or several, tried in order. */
  server: string | readonly string[];
  /**
   * The address of record, e.g. `sip:alice@example.com`, as a string or a sip.js `URI`
   * (`UserAgent.makeURI('sip:alice@example.com')`). Leave it out for an anonymous client.
   */
  uri?: string | URI;
  /**
   * User name for digest authentication. `undefined` is the same as leaving it out (so `process.env.SIP_USER` fits
   * under `exactOptionalPropertyTypes`).
   */
  authorizationUsername?: string | undefined;
  /**
   * Password for digest authentication; needs `authorizationUsername`. Never logged, never in any state. `undefined`
   * is the same as leaving it out (`authorizationPassword: process.env.SIP_PASSWORD` compiles under
   * `exactOptionalPropertyTypes`).
   */
  authorizationPassword?: string | undefined;
  /**
   * The digest HA1 in place of the password: `md5(username:realm:password)` as 32 hex digits, so the password itself
   * need not be on the device. Needs `authorizationUsername`; not with `authorizationPassword`. Never logged, never in
   * any state. `undefined` is the same as leaving it out.
   *
   * @example
   * ```ts
   * createSipClient({ ..., authorizationUsername: 'alice', authorizationHa1: '8b1a9953c4611296a827abf8c47804d7' });
   * ```
   */
  authorizationHa1?: string | undefined;
  /**
   * Credentials asked for when a server challenges (401 or 407), for REGISTER, INVITE, MESSAGE and in-dialog requests
   * alike: a function given the challenge (`realm`, `method`, `attempt`, `status`) that returns, or resolves to,
   * `{ username, password }` or `{ username, ha1 }`. Asked again on every challenge, so a password or token rotated at
   * the server is used by the next request without a new client. What it returns is checked (strings without CR, LF
   * or NUL; `username` 1 to 256 characters without `"` or `\`; `password` 1 to 8,192 characters; `ha1` 32 hex digits)
   * and kept only until that challenge is answered: never in any state, log or trace. A provider that throws,
   * rejects, returns anything else or takes longer than `timeouts.register` leaves the challenge unanswered: the
   * request fails with kind `auth` (a registration ends 'failed'), and the message says the provider failed, never
   * what it returned. Replaces `authorizationUsername`, `authorizationPassword` and `authorizationHa1`.
   *
   * @example
   * ```ts
   * createSipClient({
   *   server: 'wss://sip.example.com',
   *   uri: 'sip:alice@example.com',
   *   credentials: async ({ realm }) => ({ username: 'alice', password: await fetchSipToken(realm) }),
   * });
   * ```
   */
  credentials?: CredentialsProvider;
  /** Seconds asked for in REGISTER: an integer from 1 to 86,400 (a day). Default 600. The server may grant less. */
  expires?: number;
  /** `true`: register as soon as started, and stay registered. Default `false`. */
  register?: boolean;
  /**
   * The WebSocket constructor. Default `globalThis.WebSocket`. Node 20 has none that works with SIP: pass the `ws`
   * package's (`import WebSocket from 'ws'`).
   */
  webSocket?: WebSocketConstructor;
  /**
   * Passed to XState's `createActor` as its `inspect` option: sees every event and snapshot of every machine. An
   * inspector that throws is logged once (at `error`) and otherwise ignored: it cannot stop a machine.
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Lowest level written to the log: `'debug'` (every SIP message, credentials masked), `'info'`, `'warn'`,
   * `'error'`, or `'silent'` (nothing). Default `'warn'`. `'log'` is accepted as the former name of `'info'`.
   */
  logLevel?: SipLogLevel;
  /**
   * Where log lines go: any object with `debug`, `info`, `warn` and `error` methods (`console`, pino, winston, ...);
   * one with `log` in place of `info` works too. Default `console` (when left out; `null` is refused). Lines carry no
   * credentials: Authorization-like header values are masked and URLs lose their user-info and query values.
   */
  logger?: SipLogSink;
  /** Reconnection backoff; `false`: a failed or lost connection is final ('failed'). */
  reconnect?: ReconnectOptions | false;
  /**
   * This client's instance id (RFC 5626 4.1): a UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits) sent as the
   * `+sip.instance="<urn:uuid:...>"` of REGISTER's Contact beside `reg-id=1`, so the registrar replaces this
   * instance's old binding instead of adding one. Default: a UUID generated once per client and kept for its life.
   * Give the same id again (say, one kept in your own storage) to have a restarted app replace its binding.
   *
   * @example
   * ```ts
   * createSipClient({ server, uri, webSocket: WebSocket, instanceId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301' });
   * ```
   */
  instanceId?: string;
  /**
   * Where a generated `instanceId` is kept, so that a restarted client (a reloaded tab) reuses it and the registrar
   * replaces its old binding: any object with Web Storage's `getItem` and `setItem` (`sessionStorage`,
   * `localStorage`, or your own), read and written under the key `sipstate.instanceId`; `false`: keep nothing.
   * Default `globalThis.sessionStorage` where there is one (browsers: one id per tab, kept across reloads, so two
   * tabs do not evict each other's binding), else nothing. A storage that throws, or holds something that is not a
   * UUID, is as if absent. Ignored when `instanceId` is given.
   *
   * @example
   * ```ts
   * createSipClient({ server, uri, webSocket: WebSocket, instanceIdStorage: localStorage }); // one id per browser
   * ```
   */
  instanceIdStorage?: InstanceIdStorage | false;
  /**
   * Seconds between keep-alive pings (CRLF, RFC 5626) while connected: 1 to 3,600, or 0 to turn them off. Default 30.
   */
  keepAliveIntervalSec?: number;
  /**
   * Wait a random 0..connectJitterMs before the first connection attempt after `start()`, so that many clients
   * started together (a Node service, a fleet of tabs) do not hit the server in one burst: 0 to 600,000 (ten
   * minutes). Default 0.
   */
  connectJitterMs?: number;
  /**
   * Deadlines of the commands, in ms (see {@link Timeouts}): each an integer from 100 to 600,000; a field left out
   * takes its default (`DEFAULT_TIMEOUTS`).
   *
   * @example
   * ```ts
   * createSipClient({ server, uri, webSocket: WebSocket, timeouts: { register: 5_000, message: 8_000 } });
   * ```
   */
  timeouts?: Timeouts;
  /**
   * Largest SIP message accepted from the server, in bytes: an integer from 1,024 to 16,777,216 (16 MiB). Default
   * 65,536. Enforced before anything is parsed (the `ws` package's `maxPayload` in Node, a length check in browsers):
   * a larger message never reaches the parser, so a hostile server cannot make it block the event loop or fill the
   * heap. Raise it only for servers that really send larger messages (big SDP, long NOTIFY bodies).
   *
   * @example
   * ```ts
   * createSipClient({ ..., maxMessageBytes: 256 * 1024 });
   * ```
   */
  maxMessageBytes?: number;
  /**
   * Where connectivity comes from. While `online$` says false no connection attempt is spent; when it says true
   * again the client tries at once. Default: the browser's `online`/`offline` events where there are any
   * (`navigator.onLine`), none in Node. `online$` is an RxJS Observable, or an interop observable (an object with a
   * `[Symbol.observable]()` or `'@@observable'` method, as RxJS's `from()` accepts); anything else, a Svelte store
   * included (it has `subscribe` but is no Observable), is refused with a SipConfigError.
   *
   * @example
   * ```ts
   * createSipClient({ ..., network: { online$: myConnectivity$ } });
   * ```
   */
  network?: NetworkOptions;
  /**
   * Other sip.js `UserAgentOptions`, passed through as they are (displayName, userAgentString, contactName,
   * contactParams, viaHost, sessionDescriptionHandlerFactoryOptions, hackIpInContact, ...). The options sipstate
   * owns are refused here with a SipConfigError saying what to use instead, and so is any text that would go into a
   * SIP header (userAgentString, displayName, contactName, viaHost, contactParams, ...) holding a CR, LF or NUL.
   *
   * @example
   * ```ts
   * createSipClient({ ..., sipOptions: { displayName: 'Alice', userAgentString: 'my-phone/1.0' } });
   * ```
   */
  sipOptions?: SipUserAgentOptions;
  /** Defaults for calls (media handler, timeout, DTMF). */
  calls?: CallDefaults;
  /**
   * How the tabs of one origin that create a client for the same `uri` share the connection and the registration.
   * `'each'` (default): each tab has its own, as any other client. `'shared'`: the tabs elect one leader (Web Locks),
   * which holds the one connection and registration; the others mirror its transport$, userAgent$ and registration$
   * (BroadcastChannel), forward their lifecycle commands to it, and one of them takes over when it closes. Needs a
   * `uri`. Where Web Locks or BroadcastChannel are missing (Node, old browsers) it is `'each'`, said once at warn.
   * See README "Several tabs".
   *
   * @example
   * ```ts
   * const client = createSipClient({ server, uri, tabs: 'shared' });
   * client.state$.subscribe(({ tab }) => console.log(tab.role)); // 'leader' in one tab, 'follower' in the others
   * ```
   */
  tabs?: TabsMode;
  /**
   * sipstate's fast SIP parser, installed by the first client that asks for it into sip.js, for the whole process or
   * page (sip.js used directly included); it gives the same results as sip.js's own, several times faster. `true`:
   * install it; the default in Node. sipstate's browser build (which bundlers pick) leaves it out: there pass the
   * parser itself, `fastParser` from `sipstate/fast-parser` (works in every build), and `true` is a SipConfigError.
   * `false`: this client does not install it (one installed by another client stays). See `activeParser()` and the
   * README's "Fast parser".
   *
   * @example
   * ```ts
   * import { fastParser } from 'sipstate/fast-parser';
   * createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', fastParser });
   * ```
   */
  fastParser?: boolean | FastParser;
}

/**
 * The media handler of a client's calls: `browser` is sip.js's WebRTC handler (getUserMedia, RTCPeerConnection);
 * `signaling` is sipstate's signaling-only handler (valid SDP, no RTP: bots, tests, load); `auto` picks `browser` where
 * `RTCPeerConnection` and `MediaStream` exist, else `signaling`.
 *
 * @example
 * ```ts
 * const media: MediaMode = typeof window === 'undefined' ? 'signaling' : 'auto';
 * createSipClient({ ..., calls: { media } });
 * ```
 */
export type MediaMode = 'auto' | 'browser' | 'signaling';

/**
 * One STUN or TURN server for ICE (browser media only), as `RTCIceServer` takes it: `urls` a `stun:`, `stuns:`, `turn:`
 * or `turns:` URL or a non-empty array of them; `username` and `credential` for TURN.
 *
 * @example
 * ```ts
 * const turn: IceServer = { urls: 'turns:turn.example.com:443', username: 'alice', credential: token };
 * createSipClient({ ..., calls: { iceServers: [{ urls: 'stun:stun.example.com' }, turn] } });
 * ```
 */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * How calls are made, for every call of a client.
 *
 * @example
 * ```ts
 * createSipClient({
 *   ...,
 *   calls: {
 *     media: 'signaling',
 *     unansweredTimeoutSec: 30,
 *     dtmf: 'info',
 *     maxIncoming: 2,
 *     acceptTransfer: ({ target }) => target.endsWith('@example.com'),
 *   },
 * });
 * ```
 */
export interface CallDefaults {
  /**
   * The media handler: `browser` is sip.js's WebRTC handler (getUserMedia, RTCPeerConnection); `signaling` is
   * sipstate's signaling-only handler (valid SDP, no RTP: bots, tests, load); `auto` (default) picks `browser` where
   * `RTCPeerConnection` and `MediaStream` exist, else `signaling`.
   */
  media?: MediaMode;
  /**
   * Seconds an outgoing call may ring before it is cancelled, and an incoming one before it is rejected (480): above 0,
   * at most 3,600. Default 60.
   */
  unansweredTimeoutSec?: number;
  /** How `sendDtmf` sends by default. Default `auto` (RFC 4733 when the media handler can, else SIP INFO). */
  dtmf?: DtmfMethod;
  /**
   * Browser media only: STUN/TURN servers for ICE, each `{ urls, username?, credential? }` with `urls` a `stun:`,
   * `stuns:`, `turn:` or `turns:` URL or a non-empty array of them. Default: sip.js's (a public Google STUN server);
   * `[]` uses host candidates only (a LAN, or tests).
   */
  iceServers?: IceServer[];
  /**
   * Most incoming calls that may be live (not yet ended) at once: an integer 0..100, default 4. An INVITE beyond it is
   * answered 486 Busy Here at once, and no Call is created for it (nothing on `incomingCalls$` or `calls$`). 0 refuses
   * every incoming call. Outgoing calls do not count.
   */
  maxIncoming?: number;
  /**
   * Decides whether a blind transfer asked by the peer (a REFER) is followed. Without it every REFER is declined (603).
   * Called with the Call being transferred, the target (a plain `sip:`/`sips:` URI rebuilt from the Refer-To's user,
   * host and port) and the Referred-By URI when there is a clean one. Only `true` (or a promise of `true`) within 10 s
   * follows it: sipstate then answers 202 and places a new outgoing call to the target, as `client.call(target)` does.
   * Anything else (false, a throw, a rejection, no answer in 10 s) declines it with 603. A Refer-To with headers, CR/LF
   * or another scheme is declined without asking; one REFER per call is put to this function, later ones are declined.
   */
  acceptTransfer?: TransferDecider;
}

/** sip.js `UserAgentOptions` that sipstate owns, with what to use instead. */
const OWNED_SIP_OPTIONS = {
  uri: 'use the `uri` option',
  authorizationUsername: 'use the `authorizationUsername` option',
  authorizationPassword: 'use the `authorizationPassword` option',
  authorizationHa1: 'use the `authorizationHa1` option',
  transportOptions: 'use the `server` option (and `webSocket`)',
  transportConstructor: 'sipstate supplies its own transport; use `server` and `webSocket`',
  reconnectionAttempts: 'use the `reconnect` option',
  reconnectionDelay: 'use the `reconnect` option',
  delegate: "use the client's streams and methods instead of a delegate",
  logLevel: 'use the `logLevel` option',
  logBuiltinEnabled: 'use the `logger` option',
  logConnector: 'use the `logger` option',
} as const;

/** The sip.js `UserAgentOptions` that `sipOptions` accepts: all but those sipstate owns. */
export type SipUserAgentOptions = Omit<UserAgentOptions, keyof typeof OWNED_SIP_OPTIONS>;

/**
 * Connectivity as the platform reports it.
 *
 * @example
 * ```ts
 * const online$ = new BehaviorSubject(true);
 * createSipClient({ ..., network: { online$ } });
 * online$.next(false); // no reconnection attempts until true again
 * ```
 */
export interface NetworkOptions {
  /**
   * Emits whether the network is available; its current value first, where it has one. An RxJS Observable, or an
   * interop observable: an object whose `[Symbol.observable]()` (or `'@@observable'`) method returns something with
   * `subscribe(observer)`, as RxJS's `from()` accepts.
   */
  online$: OnlineSource;
}

/**
 * What `network.online$` may be: an RxJS Observable or an interop observable (`[Symbol.observable]()` or
 * `'@@observable'`, as RxJS's `from()` accepts). A Svelte store is neither: wrap it (`new Observable((s) =>
 * store.subscribe((v) => s.next(v)))`).
 *
 * @example
 * ```ts
 * const subject = new BehaviorSubject(true);
 * const online$: OnlineSource = subject;                             // an RxJS Observable
 * const interop: OnlineSource = { '@@observable': () => subject };   // an interop observable
 * ```
 */
export type OnlineSource =
  | Observable<boolean>
  | InteropObservable<boolean>
  | { '@@observable'(): Subscribable<boolean> };

/**
 * The `tabs` option: `'each'` (every tab its own connection and registration) or `'shared'` (one for the tabs).
 *
 * @example
 * ```ts
 * const mode: TabsMode = 'shared';
 * ```
 */
export type TabsMode = 'each' | 'shared';

/**
 * Where `createSipClient` keeps a generated instance id (the `instanceIdStorage` option): Web Storage's shape, so
 * `sessionStorage` and `localStorage` fit as they are.
 *
 * @example
 * ```ts
 * const memory = new Map<string, string>();
 * const storage: InstanceIdStorage = { getItem: (key) => memory.get(key) ?? null, setItem: (key, value) => memory.set(key, value) };
 * ```
 */
export interface InstanceIdStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * What a {@link CredentialsProvider} is told about a digest challenge. Its text comes from the server: bounded (a realm
 * of at most 256 characters, without CR, LF or NUL) but not trusted.
 *
 * @example
 * ```ts
 * const challenge: CredentialsChallenge = { realm: 'example.com', method: 'REGISTER', attempt: 1, status: 401 };
 * ```
 */
export interface CredentialsChallenge {
  /** The digest realm the server asks credentials for. */
  readonly realm: string;
  /** The method of the request challenged: `REGISTER`, `INVITE`, `MESSAGE`, `BYE`, ... */
  readonly method: string;
  /** 1 for the first challenge to a request; 2 when the server challenges the answered request again (a stale nonce). */
  readonly attempt: number;
  /** 401 (a registrar or user agent asks) or 407 (a proxy asks). */
  readonly status: 401 | 407;
}

/**
 * The answer to a digest challenge: a user name with the password, or with the HA1 (`md5(username:realm:password)`,
 * 32 hex digits) in its place.
 *
 * @example
 * ```ts
 * const withPassword: Credentials = { username: 'alice', password: 'token-from-my-backend' };
 * const withHa1: Credentials = { username: 'alice', ha1: '8b1a9953c4611296a827abf8c47804d7' };
 * ```
 */
export type Credentials = { username: string; password: string } | { username: string; ha1: string };

/**
 * The `credentials` option: asked on each digest challenge, it returns (or resolves to) the {@link Credentials} to
 * answer it with.
 *
 * @example
 * ```ts
 * const credentials: CredentialsProvider = async ({ realm, attempt }) => {
 *   const { token } = await fetch(`/sip-token?realm=${encodeURIComponent(realm)}&fresh=${attempt > 1}`).then((r) => r.json());
 *   return { username: 'alice', password: token };
 * };
 * ```
 */
export type CredentialsProvider = (challenge: CredentialsChallenge) => Credentials | PromiseLike<Credentials>;

/**
 * How long each command may wait, in milliseconds. Every field is optional: the defaults ({@link DEFAULT_TIMEOUTS})
 * are short enough for a UI, where sip.js would wait 32 s (Timer F) for a request nobody answers.
 *
 * @example
 * ```ts
 * const timeouts: Timeouts = { connect: 5_000, register: 8_000, unregister: 3_000, message: 8_000, stop: 10_000 };
 * ```
 */
export interface Timeouts {
  /** One connection attempt that has not opened: it counts as failed (kind `timeout`), then the reconnect backoff. */
  connect?: number;
  /**
   * A REGISTER (or refresh) with no final response: its transaction is ended and the registration goes 'retrying'
   * with kind `timeout`, so `register()` rejects with kind `timeout`.
   */
  register?: number;
  /** An unregister with no final response: it ends 'unregistered' all the same (the binding lapses on the server). */
  unregister?: number;
  /** A MESSAGE with no final response: `message()` rejects with kind `timeout` and its transaction is ended. */
  message?: number;
  /** `stop()` as a whole (unregister, stop the user agent, disconnect): it settles within this. */
  stop?: number;
}

/**
 * The default of each {@link Timeouts} field, in ms: `stop` is the bound of its steps together (unregister 5 s, then
 * stopping the user agent and closing the socket).
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMEOUTS } from 'sipstate';
 * DEFAULT_TIMEOUTS.register; // 10_000
 * ```
 */
export const DEFAULT_TIMEOUTS: Readonly<Required<Timeouts>> = Object.freeze({
  connect: 10_000,
  register: 10_000,
  unregister: 5_000,
  message: 10_000,
  stop: 12_000,
});

const TIMEOUT_RANGE: NumberRange = { min: 100, max: 600_000, integer: true, unit: 'ms' };
const TIMEOUT_KEYS = {
  connect: true,
  register: true,
  unregister: true,
  message: true,
  stop: true,
} satisfies OptionKeys<Timeouts>;

/**
 * `calls` after validation: `media`, `dtmf` and `maxIncoming` with their defaults filled in, the timeout in ms;
 * `iceServers` and `acceptTransfer` as given (undefined: sip.js's STUN server; every REFER declined).
 */
export type ResolvedCallDefaults = Required<Pick<CallDefaults, 'media' | 'dtmf' | 'maxIncoming'>> &
  Pick<CallDefaults, 'iceServers' | 'acceptTransfer'> & { unansweredTimeoutMs: number };

/**
 * Options after validation, with defaults filled in. Credentials stay here and in sip.js, never in a machine. The
 * options that keep their type only lose their `?`; the others are listed with what validation made of them.
 */
export interface ResolvedOptions
  extends Required<
    Pick<
      SipClientOptions,
      'expires' | 'register' | 'webSocket' | 'logger' | 'connectJitterMs' | 'maxMessageBytes' | 'sipOptions'
    >
  > {
  servers: readonly string[];
  /** The fast parser to install, or undefined for sip.js's own (see `resolveFastParser`). */
  fastParser: InstallableFastParser | undefined;
  /** The address of record, normalised to a string; absent for an anonymous client. */
  uri?: string;
  /** Absent when not given (or given as undefined). */
  authorizationUsername?: string;
  authorizationPassword?: string;
  authorizationHa1?: string;
  credentials?: CredentialsProvider;
  inspect?: SipClientOptions['inspect'];
  /** `'log'` is normalised to `'info'`. */
  logLevel: Exclude<SipLogLevel, 'log'>;
  reconnect: BackoffPolicy | false;
  keepAliveIntervalMs: number;
  /** The RFC 5626 instance id (a lower-case UUID): the option's, else generated for this client. */
  instanceId: string;
  /** Every deadline, in ms, defaults filled in. */
  timeouts: Required<Timeouts>;
  /** `network.online$` converted once to an RxJS Observable. */
  network?: { online$: Observable<boolean> };
  calls: ResolvedCallDefaults;
  tabs: TabsMode;
}

// The transport enforces the limit; its default lives there, with the transport.
export { DEFAULT_MAX_MESSAGE_BYTES };

/** The options `createSipClient` knows: the compiler fails when one of SipClientOptions is missing here, or one too many. */
const KNOWN_OPTIONS = {
  server: true,
  uri: true,
  authorizationUsername: true,
  authorizationPassword: true,
  authorizationHa1: true,
  credentials: true,
  expires: true,
  register: true,
  webSocket: true,
  inspect: true,
  logLevel: true,
  logger: true,
  reconnect: true,
  instanceId: true,
  instanceIdStorage: true,
  keepAliveIntervalSec: true,
  fastParser: true,
  connectJitterMs: true,
  timeouts: true,
  maxMessageBytes: true,
  network: true,
  sipOptions: true,
  calls: true,
  tabs: true,
} satisfies OptionKeys<SipClientOptions>;

/** A digest HA1: an MD5 digest in hex. */
const HA1 = /^[0-9a-f]{32}$/i;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The key a generated instance id is kept under in `instanceIdStorage`. */
const INSTANCE_ID_KEY = 'sipstate.instanceId';

/** `globalThis.WebSocket`; undefined where reading it throws (a server that guards browser globals with getters). */
function globalWebSocket(): unknown {
  try {
    return (globalThis as { WebSocket?: unknown }).WebSocket;
  } catch {
    return undefined;
  }
}

/** The `instanceIdStorage` option checked; its default is the platform's `sessionStorage`, when there is one. */
function validateInstanceIdStorage(value: unknown): InstanceIdStorage | undefined {
  if (value === false) return undefined;
  if (value === undefined) {
    try {
      const session = (globalThis as { sessionStorage?: unknown }).sessionStorage;
      return isInstanceIdStorage(session) ? session : undefined;
    } catch {
      // Reading sessionStorage throws where storage is blocked (sandboxed frames, some privacy settings).
      return undefined;
    }
  }
  if (!isInstanceIdStorage(value)) {
    throw new SipConfigError(
      'instanceIdStorage',
      `must have getItem and setItem methods, or be false, got ${describe(value)}`,
    );
  }
  return value;
}

function isInstanceIdStorage(value: unknown): value is InstanceIdStorage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as InstanceIdStorage).getItem === 'function' &&
    typeof (value as InstanceIdStorage).setItem === 'function'
  );
}

/** The id kept in `storage` when it is a UUID, else a new one, kept there. A storage that throws keeps nothing. */
function keptInstanceId(storage: InstanceIdStorage | undefined): string {
  if (storage !== undefined) {
    try {
      const kept = storage.getItem(INSTANCE_ID_KEY);
      if (typeof kept === 'string' && UUID.test(kept)) return kept.toLowerCase();
    } catch {
      // unreadable: a new id, kept if the storage takes it
    }
  }
  const created = newInstanceId();
  try {
    storage?.setItem(INSTANCE_ID_KEY, created);
  } catch {
    // full or blocked: this client keeps the id for its life all the same
  }
  return created;
}

/** The `instanceId` option checked (36 characters in UUID form: nothing else reaches a header), else a kept or new UUID. */
function validateInstanceId(value: unknown, storage: InstanceIdStorage | undefined): string {
  if (value === undefined) return keptInstanceId(storage);
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new SipConfigError(
      'instanceId',
      `must be a UUID (36 characters: hex digits grouped 8-4-4-4-12), got ${typeof value === 'string' ? `a string of ${value.length} characters` : describe(value)}`,
    );
  }
  return value.toLowerCase();
}

/**
 * A new random (version 4) UUID: `crypto.randomUUID` where the platform has it (browsers on secure origins, Node
 * 19+), else built from `crypto.getRandomValues`, else from `Math.random` (an instance id needs to be unique, not
 * secret).
 *
 * @example
 * ```ts
 * newInstanceId(); // '3f2504e0-4f89-41d3-9a0c-0305e82c3301'
 * ```
 */
export function newInstanceId(): string {
  const crypto = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof crypto?.getRandomValues === 'function') crypto.getRandomValues(bytes);
  else for (let index = 0; index < 16; index++) bytes[index] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `'a', 'b' or 'c'`: the keys of a list of allowed values, for an error message. */
function choices(allowed: object): string {
  const quoted = Object.keys(allowed).map((value) => `'${value}'`);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function isConstructor(value: unknown): value is WebSocketConstructor {
  // Arrow functions and methods have no prototype and cannot be called with `new`.
  return typeof value === 'function' && typeof (value as { prototype?: unknown }).prototype === 'object';
}

/** `value` as a config error may show it: a URL without its user-info and query values, never the raw string. */
function describeUrl(value: unknown): string {
  if (typeof value !== 'string') return describe(value);
  const shown = redactUrl(value);
  // Not scheme://-shaped: where a secret would sit cannot be told, so none of it is shown.
  return shown === '[unparsable URL]'
    ? 'a string that is no URL (not shown: it may hold a secret)'
    : JSON.stringify(shown);
}

function validateServer(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SipConfigError(field, `must be a ws:// or wss:// URL, got ${describe(value)}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SipConfigError(field, `must be a ws:// or wss:// URL, got ${describeUrl(value)}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SipConfigError(field, `must be a ws:// or wss:// URL, got ${describeUrl(value)}`);
  }
  if (!url.hostname) throw new SipConfigError(field, `has no host: ${describeUrl(value)}`);
  return value;
}

function validateUri(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof URI) value = value.toString();
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SipConfigError('uri', `must be a SIP URI such as "sip:alice@example.com", got ${describe(value)}`);
  }
  const parsed = Grammar.URIParse(value);
  if (!parsed || (parsed.scheme !== 'sip' && parsed.scheme !== 'sips') || !parsed.host) {
    throw new SipConfigError('uri', `must be a SIP URI such as "sip:alice@example.com", got ${describe(value)}`);
  }
  return value;
}

/** Bounds of a numeric option: `min..max`, optionally 0 as well (an "off" value below `min`), `Infinity`, integers. */
interface NumberRange {
  min: number;
  max: number;
  integer?: boolean;
  /** 0 is accepted besides `min..max` (e.g. keep-alive off). */
  orZero?: boolean;
  /** `Infinity` is accepted besides `min..max` (e.g. never give up). */
  orInfinity?: boolean;
  unit?: string;
}

function rangeText({ min, max, integer, orZero, orInfinity, unit }: NumberRange): string {
  const range = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}${unit ? ` ${unit}` : ''}`;
  if (orZero) return `0 or ${range}`;
  if (orInfinity) return `${range}, or Infinity`;
  return range;
}

/**
 * `value` when it is a number inside `range`; else a SipConfigError whose message gives the allowed range. Upper
 * bounds matter: a delay above 2^31-1 ms fires at once in setTimeout, and a huge `expires` goes on the wire as `1e+21`.
 */
function numberInRange(value: unknown, field: string, range: NumberRange): number {
  const ok =
    typeof value === 'number' &&
    ((range.orInfinity === true && value === Infinity) ||
      (range.orZero === true && value === 0) ||
      (value >= range.min && value <= range.max && (!range.integer || Number.isInteger(value))));
  if (!ok) throw new SipConfigError(field, `must be ${rangeText(range)}, got ${describe(value)}`);
  return value;
}

/** The value of an own property, `undefined` when absent: nothing read from a (possibly polluted) prototype. */
function own(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

const HOUR_MS = 3_600_000;

// Keyed by the public options (a key of ReconnectOptions missing here, or one too many, fails to compile); `pick`
// below reads DEFAULT_RECONNECT_POLICY with the same keys and returns a BackoffPolicy, which ties the machine's policy
// to them too.
const RECONNECT_RANGES = {
  initialDelayMs: { min: 0, max: HOUR_MS, unit: 'ms' },
  maxDelayMs: { min: 0, max: HOUR_MS, unit: 'ms' },
  multiplier: { min: 1, max: 10 },
  jitter: { min: 0, max: 1 },
  maxAttempts: { min: 1, max: 1_000_000, integer: true, orInfinity: true },
} satisfies Record<keyof ReconnectOptions, NumberRange>;

function validateReconnect(value: unknown): BackoffPolicy | false {
  if (value === undefined) return { ...DEFAULT_RECONNECT_POLICY };
  if (value === false) return false;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SipConfigError('reconnect', `must be an object or false, got ${describe(value)}`);
  }
  const unknown = unknownKey(value, RECONNECT_RANGES);
  if (unknown !== undefined) throw new SipConfigError(`reconnect.${unknown}`, 'is not a known option');
  const pick = (key: keyof ReconnectOptions): number => {
    const given = own(value, key);
    return given === undefined
      ? DEFAULT_RECONNECT_POLICY[key]
      : numberInRange(given, `reconnect.${key}`, RECONNECT_RANGES[key]);
  };
  return {
    initialDelayMs: pick('initialDelayMs'),
    maxDelayMs: pick('maxDelayMs'),
    multiplier: pick('multiplier'),
    jitter: pick('jitter'),
    maxAttempts: pick('maxAttempts'),
  };
}

function validateTimeouts(value: unknown): Required<Timeouts> {
  if (value === undefined) return { ...DEFAULT_TIMEOUTS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SipConfigError('timeouts', `must be an object, got ${describe(value)}`);
  }
  const unknown = unknownKey(value, TIMEOUT_KEYS);
  if (unknown !== undefined) throw new SipConfigError(`timeouts.${unknown}`, 'is not a known option');
  const pick = (key: keyof Timeouts): number => {
    const given = own(value, key);
    return given === undefined ? DEFAULT_TIMEOUTS[key] : numberInRange(given, `timeouts.${key}`, TIMEOUT_RANGE);
  };
  return {
    connect: pick('connect'),
    register: pick('register'),
    unregister: pick('unregister'),
    message: pick('message'),
    stop: pick('stop'),
  };
}

/** The key an interop observable has its method under (`Symbol.observable`), and the string one RxJS falls back to. */
function interopKeys(): (string | symbol)[] {
  const symbol = (Symbol as { observable?: unknown }).observable;
  return typeof symbol === 'symbol' ? [symbol, '@@observable'] : ['@@observable'];
}

const NETWORK_KEYS = { online$: true } satisfies OptionKeys<NetworkOptions>;

/**
 * `network.online$` as an RxJS Observable, converted once. Only an Observable or an interop observable passes: a
 * Svelte store (`subscribe` but no `pipe`) or any other `subscribe`-able thing would fail later, inside a running
 * machine, where nobody could catch it.
 */
function validateNetwork(value: unknown): { online$: Observable<boolean> } | undefined {
  if (value === undefined) return undefined;
  const expected = 'must be an object with an `online$` Observable';
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SipConfigError('network', expected);
  const unknown = unknownKey(value, NETWORK_KEYS);
  if (unknown !== undefined) throw new SipConfigError(`network.${unknown}`, 'is not a known option');
  const online$ = own(value, 'online$');
  if (typeof online$ !== 'object' && typeof online$ !== 'function') throw new SipConfigError('network', expected);
  if (online$ === null) throw new SipConfigError('network', expected);
  // This RxJS's own Observable is taken as it is; another copy's (it passes isObservable) through its subscribe.
  if (isObservable(online$)) {
    const observable = online$ as Observable<boolean>;
    return { online$: observable instanceof Observable ? observable : adopt(() => observable) };
  }
  const source = online$ as Record<string | symbol, unknown>;
  const key = interopKeys().find((candidate) => typeof source[candidate] === 'function');
  if (key === undefined) {
    throw new SipConfigError(
      'network.online$',
      `must be an RxJS Observable or an interop observable (a Svelte store is neither: wrap it), got ${describe(online$)}`,
    );
  }
  const method = source[key] as () => Subscribable<boolean>;
  return { online$: adopt(() => method.call(online$)) };
}

/**
 * An Observable of this RxJS that subscribes to what `open()` gives on each subscription (what RxJS's `from()` does with
 * an interop or foreign observable; `from` itself would bring its converters for promises, iterables and streams,
 * ~2 kB gzipped in a page, for this one use). A throwing `open` or `subscribe` errors the subscriber.
 */
function adopt(open: () => Subscribable<boolean>): Observable<boolean> {
  return new Observable<boolean>((subscriber) => open().subscribe(subscriber));
}

/** sip.js options that configure the media handler: their text never goes into a SIP header. */
const MEDIA_SIP_OPTIONS = new Set(['sessionDescriptionHandlerFactory', 'sessionDescriptionHandlerFactoryOptions']);

/**
 * Refuses any text in `sipOptions` that would end a SIP header line early: CR, LF or NUL in a string option
 * (userAgentString, displayName, contactName, viaHost, instanceId, hackIpInContact, ...), in a list of strings
 * (preloadedRouteSet, sipExtensionExtraSupported) or in an object's keys and values (contactParams). Checked for every
 * field, not a list of known ones, so a field sip.js adds later is covered too.
 */
function validateSipHeaderText(sipOptions: object): void {
  for (const [key, value] of Object.entries(sipOptions)) {
    if (MEDIA_SIP_OPTIONS.has(key)) continue;
    const field = `sipOptions.${key}`;
    const refuse = (where: string): never => {
      throw new SipConfigError(where, 'must not hold CR, LF or NUL (it goes into a SIP header)');
    };
    if (typeof value === 'string') {
      if (!isSafeHeaderValue(value)) refuse(field);
    } else if (Array.isArray(value)) {
      value.forEach((entry, index) => {
        if (typeof entry === 'string' && !isSafeHeaderValue(entry)) refuse(`${field}[${index}]`);
      });
    } else if (typeof value === 'object' && value !== null && !(value instanceof URI)) {
      for (const [name, entry] of Object.entries(value)) {
        if (!isSafeHeaderValue(name)) refuse(`${field} (a key)`);
        if (typeof entry === 'string' && !isSafeHeaderValue(entry)) refuse(`${field}.${name}`);
      }
    }
  }
}

function validateSipOptions(value: unknown): SipUserAgentOptions {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SipConfigError('sipOptions', `must be an object of sip.js UserAgentOptions, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(OWNED_SIP_OPTIONS, key)) {
      throw new SipConfigError(
        `sipOptions.${key}`,
        `is owned by sipstate: ${OWNED_SIP_OPTIONS[key as keyof typeof OWNED_SIP_OPTIONS]}`,
      );
    }
  }
  validateSipHeaderText(value);
  return value as SipUserAgentOptions;
}

/**
 * Validates the options of `createSipClient` and fills in defaults. Throws {@link SipConfigError} naming the first
 * field that is wrong; its message never shows a password, nor a URL's user-info or query values. Only own properties
 * count: nothing is read from a prototype. Touches nothing outside its arguments.
 *
 * @example
 * ```ts
 * resolveOptions({ server: 'wss://sip.example.com', webSocket: WebSocket }).expires; // 600
 * ```
 */
export function resolveOptions(options: SipClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new SipConfigError('options', `must be an object, got ${describe(options)}`);
  }
  const unknown = unknownKey(options, KNOWN_OPTIONS);
  if (unknown !== undefined) throw new SipConfigError(unknown, 'is not a known option');
  const option = (key: keyof SipClientOptions): unknown => own(options, key);

  const rawServer = option('server');
  let servers: string[];
  if (Array.isArray(rawServer)) {
    if (rawServer.length === 0) throw new SipConfigError('server', 'must not be an empty list');
    servers = rawServer.map((entry, index) => validateServer(entry, `server[${index}]`));
  } else {
    servers = [validateServer(rawServer, 'server')];
  }

  const uri = validateUri(option('uri'));

  const authorizationUsername = option('authorizationUsername');
  const authorizationPassword = option('authorizationPassword');
  const authorizationHa1 = option('authorizationHa1');
  if (
    authorizationUsername !== undefined &&
    (typeof authorizationUsername !== 'string' || authorizationUsername === '')
  ) {
    throw new SipConfigError('authorizationUsername', 'must be a non-empty string');
  }
  if (authorizationUsername !== undefined && !isSafeHeaderValue(authorizationUsername)) {
    throw new SipConfigError('authorizationUsername', 'must not hold CR, LF or NUL (it goes into a SIP header)');
  }
  if (authorizationPassword !== undefined) {
    // The message never echoes the value: it is a secret.
    if (typeof authorizationPassword !== 'string')
      throw new SipConfigError('authorizationPassword', 'must be a string');
    if (authorizationUsername === undefined) {
      throw new SipConfigError('authorizationPassword', 'needs `authorizationUsername` as well');
    }
  }
  if (authorizationHa1 !== undefined) {
    // Never echoed either: an HA1 is as good as the password for this realm.
    if (typeof authorizationHa1 !== 'string' || !HA1.test(authorizationHa1)) {
      throw new SipConfigError('authorizationHa1', 'must be 32 hex digits (md5 of username:realm:password)');
    }
    if (authorizationPassword !== undefined) {
      throw new SipConfigError('authorizationHa1', 'cannot be given with `authorizationPassword`: give one of them');
    }
    if (authorizationUsername === undefined) {
      throw new SipConfigError('authorizationHa1', 'needs `authorizationUsername` as well');
    }
  }
  const credentials = option('credentials');
  if (credentials !== undefined) {
    if (typeof credentials !== 'function') {
      throw new SipConfigError(
        'credentials',
        `must be a function (challenge) => { username, password } or { username, ha1 }, got ${describe(credentials)}`,
      );
    }
    if (authorizationUsername !== undefined || authorizationPassword !== undefined || authorizationHa1 !== undefined) {
      throw new SipConfigError(
        'credentials',
        'replaces `authorizationUsername`, `authorizationPassword` and `authorizationHa1`: give one or the other',
      );
    }
  }

  const givenExpires = option('expires');
  const expires =
    givenExpires === undefined
      ? 600
      : numberInRange(givenExpires, 'expires', { min: 1, max: 86_400, integer: true, unit: 'seconds' });

  const register = option('register');
  if (register !== undefined && typeof register !== 'boolean') {
    throw new SipConfigError('register', `must be true or false, got ${describe(register)}`);
  }
  if (register === true && uri === undefined) {
    throw new SipConfigError('uri', 'is needed to register (`register: true`); an anonymous client cannot register');
  }

  const logLevel = option('logLevel') ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel as SipLogLevel)) {
    throw new SipConfigError(
      'logLevel',
      `must be one of ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')}, got ${describe(logLevel)}`,
    );
  }

  // Only a missing logger means console: `null` is a mistake, not a wish for the default.
  const givenLogger = option('logger');
  const logger = givenLogger === undefined ? console : givenLogger;
  // Methods may come from a prototype (a class-based logger such as pino's or winston's), so they are looked up as
  // any call would look them up; the sink is only ever called, never read for configuration.
  const hasMethod = (name: string) => typeof (logger as Record<string, unknown>)[name] === 'function';
  if (
    typeof logger !== 'object' ||
    logger === null ||
    !['debug', 'warn', 'error'].every(hasMethod) ||
    !(hasMethod('info') || hasMethod('log'))
  ) {
    throw new SipConfigError(
      'logger',
      `must have debug, info, warn and error methods (\`log\` in place of \`info\` works too), got ${describe(logger)}`,
    );
  }

  let webSocket: WebSocketConstructor;
  const givenWebSocket = option('webSocket');
  if (givenWebSocket !== undefined) {
    if (!isConstructor(givenWebSocket)) {
      throw new SipConfigError('webSocket', `must be a WebSocket constructor, got ${describe(givenWebSocket)}`);
    }
    webSocket = givenWebSocket;
  } else {
    const global = globalWebSocket();
    if (!isConstructor(global)) {
      throw new SipConfigError(
        'webSocket',
        "is required here: this platform has no global WebSocket (in Node, pass the `ws` package's WebSocket)",
      );
    }
    webSocket = global;
  }

  const inspect = option('inspect') as SipClientOptions['inspect'];
  if (inspect !== undefined && typeof inspect !== 'function' && (typeof inspect !== 'object' || inspect === null)) {
    throw new SipConfigError('inspect', `must be a function or an observer, got ${describe(inspect)}`);
  }

  const reconnect = validateReconnect(option('reconnect'));
  const givenKeepAlive = option('keepAliveIntervalSec');
  const keepAliveIntervalSec =
    givenKeepAlive === undefined
      ? 30
      : numberInRange(givenKeepAlive, 'keepAliveIntervalSec', { min: 1, max: 3_600, orZero: true, unit: 'seconds' });

  const fastParser = resolveFastParser(option('fastParser'), BUNDLED_FAST_PARSER);

  const givenJitter = option('connectJitterMs');
  const connectJitterMs =
    givenJitter === undefined ? 0 : numberInRange(givenJitter, 'connectJitterMs', { min: 0, max: 600_000, unit: 'ms' });

  const givenMaxMessageBytes = option('maxMessageBytes');
  const maxMessageBytes =
    givenMaxMessageBytes === undefined
      ? DEFAULT_MAX_MESSAGE_BYTES
      : numberInRange(givenMaxMessageBytes, 'maxMessageBytes', {
          min: 1_024,
          max: 16_777_216,
          integer: true,
          unit: 'bytes',
        });

  const timeouts = validateTimeouts(option('timeouts'));
  const network = validateNetwork(option('network'));
  const sipOptions = validateSipOptions(option('sipOptions'));
  const calls = validateCalls(option('calls'));
  const tabs = option('tabs') ?? 'each';
  if (!(tabs === 'each' || tabs === 'shared')) {
    throw new SipConfigError('tabs', `must be 'each' or 'shared', got ${describe(tabs)}`);
  }
  if (tabs === 'shared' && uri === undefined) {
    throw new SipConfigError(
      'tabs',
      "'shared' needs a `uri`: the tabs share the registration of one address of record",
    );
  }
  // Last: a generated id is written to the storage only once every other option is known to be good.
  const instanceIdStorage = validateInstanceIdStorage(option('instanceIdStorage'));
  const instanceId = validateInstanceId(option('instanceId'), instanceIdStorage);

  return {
    servers,
    ...(uri !== undefined && { uri }),
    ...(authorizationUsername !== undefined && { authorizationUsername }),
    ...(authorizationPassword !== undefined && { authorizationPassword }),
    ...(authorizationHa1 !== undefined && { authorizationHa1: authorizationHa1.toLowerCase() }),
    ...(credentials !== undefined && { credentials: credentials as CredentialsProvider }),
    expires,
    register: register ?? false,
    webSocket,
    ...(inspect !== undefined && { inspect }),
    logLevel: normalizeLogLevel(logLevel as SipLogLevel),
    logger: logger as SipLogSink,
    reconnect,
    keepAliveIntervalMs: keepAliveIntervalSec * 1000,
    instanceId,
    fastParser,
    connectJitterMs,
    timeouts,
    maxMessageBytes,
    ...(network !== undefined && { network }),
    sipOptions,
    calls,
    tabs,
  };
}

/** Most incoming calls a client lets ring or talk at once, whatever `calls.maxIncoming` says. */
const MAX_INCOMING_LIMIT = 100;
const DEFAULT_MAX_INCOMING = 4;
const CALL_KEYS = {
  media: true,
  unansweredTimeoutSec: true,
  dtmf: true,
  iceServers: true,
  maxIncoming: true,
  acceptTransfer: true,
} satisfies OptionKeys<CallDefaults>;
const ICE_SERVER_KEYS = { urls: true, username: true, credential: true } satisfies OptionKeys<IceServer>;
const MEDIA_MODES = { auto: true, browser: true, signaling: true } satisfies Record<MediaMode, true>;
const isMediaMode = (value: unknown): value is MediaMode =>
  typeof value === 'string' && Object.hasOwn(MEDIA_MODES, value);
const ICE_URL = /^(?:stuns?|turns?):\S+$/i;

function validateIceServers(value: unknown): IceServer[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new SipConfigError('calls.iceServers', `must be an array, got ${describe(value)}`);
  return value.map((entry: unknown, index) => {
    const field = `calls.iceServers[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new SipConfigError(field, `must be an object { urls, username?, credential? }, got ${describe(entry)}`);
    }
    const server = entry as Record<string, unknown>;
    const unknown = unknownKey(server, ICE_SERVER_KEYS);
    if (unknown !== undefined) throw new SipConfigError(`${field}.${unknown}`, 'is not a known option');
    const urls = Object.hasOwn(server, 'urls') ? server.urls : undefined;
    // URLs are not echoed: a TURN URL may carry a token in its query.
    const isIceUrl = (url: unknown): url is string => typeof url === 'string' && ICE_URL.test(url);
    if (Array.isArray(urls) ? urls.length === 0 || !urls.every(isIceUrl) : !isIceUrl(urls)) {
      throw new SipConfigError(
        `${field}.urls`,
        'must be a stun:, stuns:, turn: or turns: URL, or a non-empty array of them',
      );
    }
    const copy: IceServer = {
      urls: Array.isArray(urls) ? [...(urls as string[])] : (urls as string),
    };
    for (const key of ['username', 'credential'] as const) {
      const given = Object.hasOwn(server, key) ? server[key] : undefined;
      if (given === undefined) continue;
      // Never echoed: the credential is a secret.
      if (typeof given !== 'string') throw new SipConfigError(`${field}.${key}`, 'must be a string');
      copy[key] = given;
    }
    return copy;
  });
}

function validateCalls(value: unknown): ResolvedCallDefaults {
  if (value === undefined) {
    return { media: 'auto', unansweredTimeoutMs: 60_000, dtmf: 'auto', maxIncoming: DEFAULT_MAX_INCOMING };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SipConfigError('calls', `must be an object, got ${describe(value)}`);
  }
  const given = value as Record<string, unknown>;
  const unknown = unknownKey(given, CALL_KEYS);
  if (unknown !== undefined) throw new SipConfigError(`calls.${unknown}`, 'is not a known option');
  // Own properties only: nothing inherited from a prototype is taken for an option.
  const pick = (key: keyof CallDefaults): unknown => (Object.hasOwn(given, key) ? given[key] : undefined);
  const media = pick('media') ?? 'auto';
  if (!isMediaMode(media)) {
    throw new SipConfigError('calls.media', `must be ${choices(MEDIA_MODES)}, got ${describe(media)}`);
  }
  const dtmf = pick('dtmf') ?? 'auto';
  if (!isDtmfMethod(dtmf)) {
    throw new SipConfigError('calls.dtmf', `must be ${choices(DTMF_METHODS)}, got ${describe(dtmf)}`);
  }
  const timeout = pick('unansweredTimeoutSec') ?? 60;
  if (!isUnansweredTimeoutSec(timeout)) {
    throw new SipConfigError(
      'calls.unansweredTimeoutSec',
      `must be a number of seconds above 0 and at most ${MAX_UNANSWERED_TIMEOUT_SEC}, got ${describe(timeout)}`,
    );
  }
  const iceServers = validateIceServers(pick('iceServers'));
  const maxIncoming = pick('maxIncoming') ?? DEFAULT_MAX_INCOMING;
  if (
    typeof maxIncoming !== 'number' ||
    !Number.isInteger(maxIncoming) ||
    maxIncoming < 0 ||
    maxIncoming > MAX_INCOMING_LIMIT
  ) {
    throw new SipConfigError(
      'calls.maxIncoming',
      `must be an integer from 0 to ${MAX_INCOMING_LIMIT}, got ${describe(maxIncoming)}`,
    );
  }
  const acceptTransfer = pick('acceptTransfer');
  if (acceptTransfer !== undefined && typeof acceptTransfer !== 'function') {
    throw new SipConfigError(
      'calls.acceptTransfer',
      `must be a function ({ call, target, referredBy }) => boolean, got ${describe(acceptTransfer)}`,
    );
  }
  return {
    media,
    unansweredTimeoutMs: timeout * 1000,
    dtmf,
    ...(iceServers !== undefined && { iceServers }),
    maxIncoming,
    ...(acceptTransfer !== undefined && { acceptTransfer: acceptTransfer as TransferDecider }),
  };
}
