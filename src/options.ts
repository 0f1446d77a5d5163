import { Grammar } from 'sip.js';
import type { InspectionEvent, Observer } from 'xstate';
import { DEFAULT_RECONNECT_POLICY, type BackoffPolicy } from '../machines/backoff';
import { SipConfigError } from './errors';
import { LOG_LEVELS, type SipLogLevel, type SipLogSink } from './logger';
import type { WebSocketConstructor } from './sip/websocket-transport';

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
 * Options of {@link createSipClient}. Only `server` and `uri` are required.
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
  /** The address of record, e.g. `sip:alice@example.com`. */
  uri: string;
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

/** Options after validation, with defaults filled in. Credentials stay here and in sip.js, never in a machine. */
export interface ResolvedOptions {
  servers: readonly string[];
  uri: string;
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

function validateUri(value: unknown): string {
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

  return {
    servers,
    uri,
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
  };
}
