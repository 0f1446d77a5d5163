import type { Observable } from 'rxjs';
import { Grammar, URI, type UserAgentOptions } from 'sip.js';
import type { InspectionEvent, Observer } from 'xstate';
import { DEFAULT_RECONNECT_POLICY, type BackoffPolicy } from '../machines/backoff';
import { SipConfigError } from './errors';
import { LOG_LEVELS, type SipLogLevel, type SipLogSink } from './logger';
import type { WebSocketConstructor } from './sip/websocket-transport';
import { isUnansweredTimeoutSec, MAX_UNANSWERED_TIMEOUT_SEC } from './call-options';
import type { TransferDecider } from './call';

/**
 * How the transport reconnects after a failed attempt or a lost connection. Every field is optional.
 *
 * @example
 * ```ts
 * createSipClient({ ..., reconnect: { initialDelayMs: 1_000, maxAttempts: 10 } });
 * ```
 */
export interface ReconnectOptions {
  /** Delay before the first reconnection attempt, in ms. Default 500. */
  initialDelayMs?: number;
  /** Longest delay between attempts, in ms. Default 30 000. */
  maxDelayMs?: number;
  /** Each delay is the previous one times this. Default 2. */
  multiplier?: number;
  /** Fraction of each delay that is randomised, 0 to 1. Default 0.5. */
  jitter?: number;
  /** Attempts before the transport gives up and is 'failed'. Default `Infinity`. */
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
  /** User name for digest authentication. */
  authorizationUsername?: string;
  /** Password for digest authentication; needs `authorizationUsername`. Never logged, never in any state. */
  authorizationPassword?: string;
  /** Seconds asked for in REGISTER: a positive integer. Default 600. The server may grant less. */
  expires?: number;
  /** `true`: register as soon as started, and stay registered. Default `false`. */
  register?: boolean;
  /**
   * The WebSocket constructor. Default `globalThis.WebSocket`. Node 20 has none that works with SIP: pass the `ws`
   * package's (`import WebSocket from 'ws'`).
   */
  webSocket?: WebSocketConstructor;
  /** Passed to XState's `createActor` as its `inspect` option: sees every event and snapshot of every machine. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Lowest level written to the log. Default `'warn'`. */
  logLevel?: SipLogLevel;
  /** Where log lines go. Default `console`. */
  logger?: SipLogSink;
  /** Reconnection backoff; `false`: a failed or lost connection is final ('failed'). */
  reconnect?: ReconnectOptions | false;
  /** Seconds between keep-alive pings (CRLF, RFC 5626) while connected; 0 turns them off. Default 30. */
  keepAliveIntervalSec?: number;
  /**
   * Wait a random 0..connectJitterMs before the first connection attempt after `start()`, so that many clients
   * started together (a Node service, a fleet of tabs) do not hit the server in one burst. Default 0.
   */
  connectJitterMs?: number;
  /**
   * Where connectivity comes from. While `online$` says false no connection attempt is spent; when it says true
   * again the client tries at once. Default: the browser's `online`/`offline` events where there are any
   * (`navigator.onLine`), none in Node.
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
   * owns are refused here with a SipConfigError saying what to use instead.
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
   * `true` (default): the first client installs sipstate's fast SIP parser into sip.js, for the whole process or page
   * (sip.js used directly included); it gives the same results as sip.js's own, several times faster. `false`: this
   * client does not install it (one installed by another client stays). See `activeParser()` and the README's
   * "Fast parser".
   *
   * @example
   * ```ts
   * createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', fastParser: false });
   * ```
   */
  fastParser?: boolean;
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
  media?: 'auto' | 'browser' | 'signaling';
  /**
   * Seconds an outgoing call may ring before it is cancelled, and an incoming one before it is rejected (480): above 0,
   * at most 3,600. Default 60.
   */
  unansweredTimeoutSec?: number;
  /** How `sendDtmf` sends by default. Default `auto` (RFC 4733 when the media handler can, else SIP INFO). */
  dtmf?: 'auto' | 'rfc4733' | 'info';
  /**
   * Browser media only: STUN/TURN servers for ICE, each `{ urls, username?, credential? }` with `urls` a `stun:`,
   * `stuns:`, `turn:` or `turns:` URL or a non-empty array of them. Default: sip.js's (a public Google STUN server);
   * `[]` uses host candidates only (a LAN, or tests).
   */
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
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
  authorizationHa1: 'use the `authorizationPassword` option (sipstate keeps credentials out of its state)',
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
  /** Emits whether the network is available; its current value first, where it has one. */
  online$: Observable<boolean>;
}

/** Options after validation, with defaults filled in. Credentials stay here and in sip.js, never in a machine. */
export interface ResolvedOptions {
  servers: readonly string[];
  /** The address of record, normalised to a string; absent for an anonymous client. */
  uri?: string;
  authorizationUsername?: string;
  authorizationPassword?: string;
  expires: number;
  register: boolean;
  webSocket: WebSocketConstructor;
  inspect?: SipClientOptions['inspect'];
  logLevel: SipLogLevel;
  logger: SipLogSink;
  reconnect: BackoffPolicy | false;
  keepAliveIntervalMs: number;
  fastParser: boolean;
  connectJitterMs: number;
  network?: NetworkOptions;
  sipOptions: SipUserAgentOptions;
  calls: {
    media: 'auto' | 'browser' | 'signaling';
    unansweredTimeoutMs: number;
    dtmf: 'auto' | 'rfc4733' | 'info';
    iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
    /** Most live incoming calls (0..100); INVITEs beyond it get 486. */
    maxIncoming: number;
    /** Who decides on a transfer asked by the peer; undefined: every REFER is declined. */
    acceptTransfer?: TransferDecider;
  };
}

const KNOWN_OPTIONS = new Set<string>([
  'server',
  'uri',
  'authorizationUsername',
  'authorizationPassword',
  'expires',
  'register',
  'webSocket',
  'inspect',
  'logLevel',
  'logger',
  'reconnect',
  'keepAliveIntervalSec',
  'fastParser',
  'connectJitterMs',
  'network',
  'sipOptions',
  'calls',
]);

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

function validateServer(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SipConfigError(field, `must be a ws:// or wss:// URL, got ${describe(value)}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SipConfigError(field, `must be a ws:// or wss:// URL, got ${describe(value)}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SipConfigError(field, `must be a ws:// or wss:// URL, got ${describe(value)}`);
  }
  if (!url.hostname) throw new SipConfigError(field, `has no host: ${describe(value)}`);
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

function positiveNumber(value: unknown, field: string, { integer = false, allowZero = false, allowInfinity = false } = {}): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (allowInfinity ? true : Number.isFinite(value)) &&
    (allowZero ? value >= 0 : value > 0) &&
    (!integer || value === Infinity || Number.isInteger(value));
  if (!ok) {
    const what = integer ? 'integer' : 'number';
    throw new SipConfigError(field, `must be a ${allowZero ? 'non-negative' : 'positive'} ${what}, got ${describe(value)}`);
  }
  return value as number;
}

function validateReconnect(value: unknown): BackoffPolicy | false {
  if (value === undefined) return { ...DEFAULT_RECONNECT_POLICY };
  if (value === false) return false;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SipConfigError('reconnect', `must be an object or false, got ${describe(value)}`);
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in DEFAULT_RECONNECT_POLICY)) throw new SipConfigError(`reconnect.${key}`, 'is not a known option');
  }
  const pick = (key: keyof BackoffPolicy): unknown => (given[key] === undefined ? DEFAULT_RECONNECT_POLICY[key] : given[key]);
  const policy: BackoffPolicy = {
    initialDelayMs: positiveNumber(pick('initialDelayMs'), 'reconnect.initialDelayMs', { allowZero: true }),
    maxDelayMs: positiveNumber(pick('maxDelayMs'), 'reconnect.maxDelayMs', { allowZero: true }),
    multiplier: positiveNumber(pick('multiplier'), 'reconnect.multiplier'),
    jitter: positiveNumber(pick('jitter'), 'reconnect.jitter', { allowZero: true }),
    maxAttempts: positiveNumber(pick('maxAttempts'), 'reconnect.maxAttempts', { integer: true, allowInfinity: true }),
  };
  if (policy.jitter > 1) throw new SipConfigError('reconnect.jitter', `must be between 0 and 1, got ${policy.jitter}`);
  if (policy.multiplier < 1) throw new SipConfigError('reconnect.multiplier', `must be at least 1, got ${policy.multiplier}`);
  return policy;
}

/**
 * Validates the options of `createSipClient` and fills in defaults. Throws {@link SipConfigError} naming the first
 * field that is wrong. Touches nothing outside its arguments.
 */
export function resolveOptions(options: SipClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new SipConfigError('options', `must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new SipConfigError(key, 'is not a known option');
  }

  const rawServer: unknown = options.server;
  let servers: string[];
  if (Array.isArray(rawServer)) {
    if (rawServer.length === 0) throw new SipConfigError('server', 'must not be an empty list');
    servers = rawServer.map((entry, index) => validateServer(entry, `server[${index}]`));
  } else {
    servers = [validateServer(rawServer, 'server')];
  }

  const uri = validateUri(options.uri);

  const { authorizationUsername, authorizationPassword } = options;
  if (authorizationUsername !== undefined && (typeof authorizationUsername !== 'string' || authorizationUsername === '')) {
    throw new SipConfigError('authorizationUsername', 'must be a non-empty string');
  }
  if (authorizationPassword !== undefined) {
    // The message never echoes the value: it is a secret.
    if (typeof authorizationPassword !== 'string') throw new SipConfigError('authorizationPassword', 'must be a string');
    if (authorizationUsername === undefined) {
      throw new SipConfigError('authorizationPassword', 'needs `authorizationUsername` as well');
    }
  }

  const expires = options.expires === undefined ? 600 : positiveNumber(options.expires, 'expires', { integer: true });

  if (options.register !== undefined && typeof options.register !== 'boolean') {
    throw new SipConfigError('register', `must be true or false, got ${describe(options.register)}`);
  }
  if (options.register === true && uri === undefined) {
    throw new SipConfigError('uri', 'is needed to register (`register: true`); an anonymous client cannot register');
  }

  const logLevel = options.logLevel ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new SipConfigError('logLevel', `must be one of ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')}, got ${describe(logLevel)}`);
  }

  const logger = options.logger ?? console;
  if (typeof logger !== 'object' || logger === null || LOG_LEVELS.some((level) => typeof logger[level] !== 'function')) {
    throw new SipConfigError('logger', 'must have debug, log, warn and error methods');
  }

  let webSocket: WebSocketConstructor;
  if (options.webSocket !== undefined) {
    if (!isConstructor(options.webSocket)) {
      throw new SipConfigError('webSocket', `must be a WebSocket constructor, got ${describe(options.webSocket)}`);
    }
    webSocket = options.webSocket;
  } else {
    const global = (globalThis as { WebSocket?: unknown }).WebSocket;
    if (!isConstructor(global)) {
      throw new SipConfigError(
        'webSocket',
        "is required here: this platform has no global WebSocket (in Node, pass the `ws` package's WebSocket)",
      );
    }
    webSocket = global;
  }

  const inspect = options.inspect;
  if (inspect !== undefined && typeof inspect !== 'function' && (typeof inspect !== 'object' || inspect === null)) {
    throw new SipConfigError('inspect', `must be a function or an observer, got ${describe(inspect)}`);
  }

  const reconnect = validateReconnect(options.reconnect);
  const keepAliveIntervalSec =
    options.keepAliveIntervalSec === undefined
      ? 30
      : positiveNumber(options.keepAliveIntervalSec, 'keepAliveIntervalSec', { allowZero: true });

  if (options.fastParser !== undefined && typeof options.fastParser !== 'boolean') {
    throw new SipConfigError('fastParser', `must be true or false, got ${describe(options.fastParser)}`);
  }

  const connectJitterMs =
    options.connectJitterMs === undefined ? 0 : positiveNumber(options.connectJitterMs, 'connectJitterMs', { allowZero: true });

  const network = options.network;
  if (
    network !== undefined &&
    (typeof network !== 'object' || network === null || typeof (network.online$ as { subscribe?: unknown })?.subscribe !== 'function')
  ) {
    throw new SipConfigError('network', 'must be an object with an `online$` observable');
  }

  const sipOptions = options.sipOptions ?? {};
  if (typeof sipOptions !== 'object' || sipOptions === null || Array.isArray(sipOptions)) {
    throw new SipConfigError('sipOptions', `must be an object of sip.js UserAgentOptions, got ${describe(sipOptions)}`);
  }
  for (const key of Object.keys(sipOptions)) {
    if (key in OWNED_SIP_OPTIONS) {
      throw new SipConfigError(
        `sipOptions.${key}`,
        `is owned by sipstate: ${OWNED_SIP_OPTIONS[key as keyof typeof OWNED_SIP_OPTIONS]}`,
      );
    }
  }
  const calls = validateCalls(options.calls);

  return {
    servers,
    ...(uri !== undefined && { uri }),
    ...(authorizationUsername !== undefined && { authorizationUsername }),
    ...(authorizationPassword !== undefined && { authorizationPassword }),
    expires,
    register: options.register ?? false,
    webSocket,
    ...(inspect !== undefined && { inspect }),
    logLevel,
    logger,
    reconnect,
    keepAliveIntervalMs: keepAliveIntervalSec * 1000,
    fastParser: options.fastParser ?? true,
    connectJitterMs,
    ...(network !== undefined && { network }),
    sipOptions,
    calls,
  };
}

/** Most incoming calls a client lets ring or talk at once, whatever `calls.maxIncoming` says. */
const MAX_INCOMING_LIMIT = 100;
const DEFAULT_MAX_INCOMING = 4;
const CALL_KEYS = new Set(['media', 'unansweredTimeoutSec', 'dtmf', 'iceServers', 'maxIncoming', 'acceptTransfer']);
const ICE_SERVER_KEYS = new Set(['urls', 'username', 'credential']);
const ICE_URL = /^(?:stuns?|turns?):\S+$/i;

function validateIceServers(value: unknown): NonNullable<CallDefaults['iceServers']> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new SipConfigError('calls.iceServers', `must be an array, got ${describe(value)}`);
  return value.map((entry: unknown, index) => {
    const field = `calls.iceServers[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new SipConfigError(field, `must be an object { urls, username?, credential? }, got ${describe(entry)}`);
    }
    const server = entry as Record<string, unknown>;
    for (const key of Object.keys(server)) {
      if (!ICE_SERVER_KEYS.has(key)) throw new SipConfigError(`${field}.${key}`, 'is not a known option');
    }
    const urls = Object.hasOwn(server, 'urls') ? server.urls : undefined;
    // URLs are not echoed: a TURN URL may carry a token in its query.
    const isIceUrl = (url: unknown): url is string => typeof url === 'string' && ICE_URL.test(url);
    if (Array.isArray(urls) ? urls.length === 0 || !urls.every(isIceUrl) : !isIceUrl(urls)) {
      throw new SipConfigError(`${field}.urls`, 'must be a stun:, stuns:, turn: or turns: URL, or a non-empty array of them');
    }
    const copy: { urls: string | string[]; username?: string; credential?: string } = {
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

function validateCalls(value: unknown): ResolvedOptions['calls'] {
  if (value === undefined) {
    return { media: 'auto', unansweredTimeoutMs: 60_000, dtmf: 'auto', maxIncoming: DEFAULT_MAX_INCOMING };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SipConfigError('calls', `must be an object, got ${describe(value)}`);
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!CALL_KEYS.has(key)) throw new SipConfigError(`calls.${key}`, 'is not a known option');
  }
  // Own properties only: nothing inherited from a prototype is taken for an option.
  const pick = (key: string): unknown => (Object.hasOwn(given, key) ? given[key] : undefined);
  const media = pick('media') ?? 'auto';
  if (media !== 'auto' && media !== 'browser' && media !== 'signaling') {
    throw new SipConfigError('calls.media', `must be 'auto', 'browser' or 'signaling', got ${describe(media)}`);
  }
  const dtmf = pick('dtmf') ?? 'auto';
  if (dtmf !== 'auto' && dtmf !== 'rfc4733' && dtmf !== 'info') {
    throw new SipConfigError('calls.dtmf', `must be 'auto', 'rfc4733' or 'info', got ${describe(dtmf)}`);
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
  if (typeof maxIncoming !== 'number' || !Number.isInteger(maxIncoming) || maxIncoming < 0 || maxIncoming > MAX_INCOMING_LIMIT) {
    throw new SipConfigError('calls.maxIncoming', `must be an integer from 0 to ${MAX_INCOMING_LIMIT}, got ${describe(maxIncoming)}`);
  }
  const acceptTransfer = pick('acceptTransfer');
  if (acceptTransfer !== undefined && typeof acceptTransfer !== 'function') {
    throw new SipConfigError('calls.acceptTransfer', `must be a function ({ call, target, referredBy }) => boolean, got ${describe(acceptTransfer)}`);
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
