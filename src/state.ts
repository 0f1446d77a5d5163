import {
  registrationStatusOf,
  type RegistrationSnapshot,
  type RegistrationStatus,
} from '../machines/registration.machine';
import {
  reconnectPhaseOf,
  transportStatusOf,
  type ReconnectPhase,
  type TransportSnapshot,
  type TransportStatus,
} from '../machines/transport.machine';
import { userAgentStatusOf, type UserAgentSnapshot, type UserAgentStatus } from '../machines/user-agent.machine';
import { SipError } from './errors';

export type { ReconnectPhase, RegistrationStatus, TransportStatus, UserAgentStatus };

/**
 * The WebSocket connection, as `client.transport$` emits it: a union discriminated by `status` (and, while
 * `reconnecting`, by `phase`), so the fields a status guarantees are there without `!` once you have checked it.
 *
 * - `disconnected`: not started, or stopped.
 * - `connecting`: the first connection of a `start()` is being opened.
 * - `connected`: up.
 * - `reconnecting`: the connection failed or was lost and is being recovered; `phase` says how: `waiting` until
 *   `retryAt` for the next attempt, `attempting` (a connection is being opened now), or `offline` (waiting for the
 *   platform to report the network back; no attempt is spent meanwhile).
 * - `failed`: `reconnect.maxAttempts` are spent (or `reconnect: false`); it stays so, with the last `error`, until
 *   `reconnect()` (one attempt at once), `start()` (attempts start over) or `stop()`.
 *
 * @example
 * ```ts
 * client.transport$.subscribe((transport) => {
 *   if (transport.status === 'reconnecting' && transport.phase === 'waiting') {
 *     console.log(`attempt ${transport.attempt} in ${transport.retryAt - Date.now()} ms: ${transport.error.message}`);
 *   }
 *   if (transport.status === 'failed') console.log('gave up:', transport.error.message);
 * });
 * ```
 */
export type TransportState =
  | TransportDisconnected
  | TransportConnecting
  | TransportConnected
  | TransportReconnecting
  | TransportFailed;

/**
 * `transport$` while not started, or stopped.
 *
 * @example
 * ```ts
 * const disconnected: TransportDisconnected = { status: 'disconnected' };
 * ```
 */
export interface TransportDisconnected {
  status: 'disconnected';
}

/**
 * `transport$` while the first connection of a `start()` is being opened.
 *
 * @example
 * ```ts
 * if (transport.status === 'connecting') console.log('connecting to', transport.server);
 * ```
 */
export interface TransportConnecting {
  status: 'connecting';
  /** The server being tried (its URL with any secret redacted). */
  server: string;
  /** Always 0: the first attempt. */
  attempt: number;
}

/**
 * `transport$` while connected.
 *
 * @example
 * ```ts
 * if (transport.status === 'connected') console.log('connected to', transport.server);
 * ```
 */
export interface TransportConnected {
  status: 'connected';
  /** The server in use. */
  server: string;
}

/**
 * `transport$` while recovering a connection that failed or was lost; `phase` says what it is doing.
 *
 * @example
 * ```ts
 * if (transport.status === 'reconnecting' && transport.phase === 'waiting') {
 *   console.log(`next try in ${transport.retryAt - Date.now()} ms`);
 * }
 * ```
 */
export type TransportReconnecting =
  | {
      status: 'reconnecting';
      /** Waiting for the next attempt, due at `retryAt`. */
      phase: 'waiting';
      /** When the next attempt starts, epoch ms. */
      retryAt: number;
      /**
       * Reconnection attempts since the connection was last stable (stayed up 10 s, `STABLE_CONNECTION_MS`),
       * counting the one that starts at `retryAt`. Connecting alone does not reset it: against a server that accepts
       * connections and drops them, each reconnection counts, the delays keep growing, and `reconnect.maxAttempts`
       * applies.
       */
      attempt: number;
      /** The server the next attempt goes to. */
      server: string;
      /** Why the last attempt failed or the connection was lost. */
      error: SipError;
    }
  | {
      status: 'reconnecting';
      /** Opening a connection now. */
      phase: 'attempting';
      /** Reconnection attempts since the connection was last stable, this one included. */
      attempt: number;
      /** The server being tried. */
      server: string;
      /** Why the attempt before failed or the connection was lost; absent when the network coming back started it. */
      error?: SipError;
    }
  | {
      status: 'reconnecting';
      /** The platform reports no network: nothing is tried (and no attempt spent) until it is back. */
      phase: 'offline';
      /** Reconnection attempts since the connection was last stable (none is spent while offline). */
      attempt: number;
      /** The server the next attempt goes to. */
      server: string;
      /** Why the last attempt failed or the connection was lost; absent when `start()` found the network down. */
      error?: SipError;
    };

/**
 * `transport$` once reconnection gave up (`reconnect.maxAttempts` spent, or `reconnect: false`). It stays so until
 * `reconnect()`, `start()` or `stop()`.
 *
 * @example
 * ```ts
 * if (transport.status === 'failed') console.log(`gave up after ${transport.attempt} attempts:`, transport.error.message);
 * ```
 */
export interface TransportFailed {
  status: 'failed';
  /** Why the last attempt failed. */
  error: SipError;
  /** The server the next attempt (after `reconnect()`) goes to. */
  server: string;
  /** Reconnection attempts spent since the connection was last stable. */
  attempt: number;
}

/**
 * The SIP user agent, as `client.userAgent$` emits it.
 *
 * `stopped` carries `error` after a start that failed: then `start()` rejected with that error and, when the
 * transport is `failed`, `reconnect()` starts the user agent again with one connection attempt at once.
 *
 * @example
 * ```ts
 * client.userAgent$.subscribe((userAgent) => {
 *   if (userAgent.status === 'stopped' && userAgent.error) console.log('start failed:', userAgent.error.message);
 * });
 * ```
 */
export type UserAgentState =
  | {
      status: 'stopped';
      /** When stopped after a start that failed: why. */
      error?: SipError;
    }
  | { status: 'starting' }
  | { status: 'started' }
  | { status: 'stopping' };

/**
 * Registration with the registrar, as `client.registration$` emits it: a union discriminated by `status`.
 *
 * - `unregistered`: no binding. `error` says why, when registration was wanted and could not happen (the start
 *   failed: the transport's error).
 * - `registering`: a REGISTER is on its way, or waits for the connection. `error` is there while the connection it
 *   waits for has failed for good (transport$ `failed`, `reconnect.maxAttempts` spent): the transport's error. It
 *   registers again by itself once `reconnect()` brings the connection back.
 * - `registered`: bound; `expires`, `expiresAt` and `refreshAt` are always there.
 * - `retrying`: an attempt failed and will be retried at `retryAt`; `expires`/`expiresAt` while the binding of a
 *   failed refresh still stands.
 * - `unregistering`: REGISTER with expires 0 on its way.
 * - `failed`: the registrar refused for good (`error`); `register()` tries again.
 *
 * @example
 * ```ts
 * client.registration$.subscribe((registration) => {
 *   if (registration.status === 'registered') console.log('bound until', new Date(registration.expiresAt));
 *   if (registration.status === 'retrying') console.log(`retry in ${registration.retryAt - Date.now()} ms`);
 * });
 * ```
 */
export type RegistrationState =
  | {
      status: 'unregistered';
      /** Why it is not registered, when registration was wanted: the failure that ended the start. */
      error?: SipError;
    }
  | {
      status: 'registering';
      /**
       * Why it is not registered yet, when the connection it waits for failed for good (transport$ `failed`): the
       * transport's error. Absent while a REGISTER is on its way or the connection is being recovered.
       */
      error?: SipError;
    }
  | {
      status: 'registered';
      /** Seconds the registrar granted. */
      expires: number;
      /** When the binding lapses, epoch ms. */
      expiresAt: number;
      /** When the next refresh goes out, epoch ms. */
      refreshAt: number;
    }
  | {
      status: 'retrying';
      /** Failed attempts in a row. */
      attempt: number;
      /** When the next attempt goes out, epoch ms. */
      retryAt: number;
      /** What went wrong. */
      error: SipError;
      /** Seconds granted by the binding that still stands (a refresh failed before it lapsed). */
      expires?: number;
      /** When that binding lapses, epoch ms. */
      expiresAt?: number;
    }
  | { status: 'unregistering' }
  | {
      status: 'failed';
      /** Why the registrar's answer ended registration. */
      error: SipError;
    };

/**
 * All three together, as `client.state$` emits and `client.getState()` returns.
 *
 * @example
 * ```ts
 * const { transport, userAgent, registration } = client.getState();
 * ```
 */
export interface SipClientState {
  transport: TransportState;
  userAgent: UserAgentState;
  registration: RegistrationState;
  /** Who this client is; fixed for its life. */
  identity: IdentityState;
  /** This tab's part in a registration shared by the tabs (`tabs: 'shared'`); always `leader` with `tabs: 'each'`. */
  tab: TabState;
}

/**
 * This tab's part in a registration shared by the tabs of one origin (`tabs: 'shared'`), discriminated by `role`.
 *
 * - `leader`: this tab holds the connection and the registration (always so with `tabs: 'each'`, the default: every
 *   tab is its own leader). Calls and messages go out from here and incoming calls ring here.
 * - `follower`: another tab holds them; transport$, userAgent$ and registration$ mirror that tab's, and `leaderCalls`
 *   lists the calls in progress there (read-only: they ring and are answered in the leader tab). `call()` and
 *   `message()` are refused here (kind `transport`); `takeOver()` makes this tab the leader.
 *
 * @example
 * ```ts
 * client.state$.subscribe(({ tab }) => {
 *   if (tab.role === 'follower' && tab.leaderCalls.some((call) => call.status === 'ringing')) showRingingElsewhere();
 * });
 * ```
 */
export type TabState = { role: 'leader' } | { role: 'follower'; leaderCalls: readonly TabCall[] };

/**
 * A call in progress in the leader tab, as a follower sees it (`tab.leaderCalls`): what it is, not a handle on it.
 *
 * @example
 * ```ts
 * const ringing: TabCall = { id: 'c1', direction: 'incoming', status: 'ringing', remote: 'sip:bob@example.com' };
 * ```
 */
export interface TabCall {
  /** The call's id in the leader tab. */
  id: string;
  direction: 'incoming' | 'outgoing';
  status: 'dialing' | 'ringing' | 'early-media' | 'answering' | 'active' | 'ending' | 'ended';
  /** The other end's URI. */
  remote: string;
}

/**
 * The tab state of a client that is its own leader (`tabs: 'each'`, or the leader of shared tabs): one frozen object.
 *
 * @example
 * ```ts
 * client.getState().tab === LEADER_TAB; // true with tabs: 'each'
 * ```
 */
export const LEADER_TAB: TabState = Object.freeze({ role: 'leader' });

/**
 * Who the client is: its address of record, or anonymous (created without `uri`: it can call and send messages but
 * cannot register, and nothing reaches it).
 *
 * @example
 * ```ts
 * const { identity } = client.getState();
 * label.textContent = identity.anonymous ? 'anonymous' : identity.uri;
 * ```
 */
export type IdentityState =
  | { anonymous: true }
  | {
      anonymous: false;
      /** The address of record. */
      uri: string;
    };

// Fallbacks for fields the machines always set in these states (see their docs); shared, so that `sameState` holds.
let unknownTransportError: SipError | undefined;
let unknownRegistrationError: SipError | undefined;

/** Reads the public transport state off a transport machine snapshot. */
export function selectTransportState(snapshot: TransportSnapshot): TransportState {
  const status = transportStatusOf(snapshot);
  const { context } = snapshot;
  if (status === 'disconnected') return { status };
  const server = context.servers[context.serverIndex] ?? '';
  const { attempt, error } = context;
  switch (status) {
    case 'connected':
      return { status, server };
    case 'connecting':
      return { status, server, attempt };
    case 'failed':
      unknownTransportError ??= new SipError('transport', 'Connection failed');
      return { status, error: error ?? unknownTransportError, server, attempt };
    case 'reconnecting': {
      const phase = reconnectPhaseOf(snapshot) ?? 'attempting';
      if (phase === 'waiting' && context.retryAt !== undefined && error) {
        return { status, phase, retryAt: context.retryAt, attempt, server, error };
      }
      const state: TransportReconnecting = {
        status,
        phase: phase === 'offline' ? 'offline' : 'attempting',
        attempt,
        server,
      };
      if (error) state.error = error;
      return state;
    }
  }
}

/** Reads the public user agent state off a user agent machine snapshot. */
export function selectUserAgentState(snapshot: UserAgentSnapshot): UserAgentState {
  const status = userAgentStatusOf(snapshot);
  const error = snapshot.context.error;
  return status === 'stopped' && error ? { status, error } : { status };
}

/** Reads the public registration state off a registration machine snapshot. */
export function selectRegistrationState(snapshot: RegistrationSnapshot): RegistrationState {
  const status = registrationStatusOf(snapshot);
  const { context } = snapshot;
  unknownRegistrationError ??= new SipError('rejected', 'Registration failed');
  const error = context.error ?? unknownRegistrationError;
  switch (status) {
    case 'registering':
      return context.linkError ? { status, error: context.linkError } : { status };
    case 'unregistering':
      return { status };
    case 'unregistered':
      return context.error ? { status, error: context.error } : { status };
    case 'failed':
      return { status, error };
    case 'registered': {
      // recordBinding sets all three on the way in (PAGE_HIDDEN may bring refreshAt forward later).
      const expires = context.grantedExpires ?? 0;
      const expiresAt = context.expiresAt ?? 0;
      const refreshAt = context.refreshAt ?? expiresAt - expires * 1000 + (context.refreshDelayMs ?? 0);
      return { status, expires, expiresAt, refreshAt };
    }
    case 'retrying': {
      // scheduleRetry sets retryAt and the error on the way in.
      const state: RegistrationState = { status, attempt: context.attempt, retryAt: context.retryAt ?? 0, error };
      if (context.expiresAt !== undefined && context.grantedExpires !== undefined) {
        state.expires = context.grantedExpires;
        state.expiresAt = context.expiresAt;
      }
      return state;
    }
  }
}

/** Shallow equality of two state objects (their fields are primitives or shared error instances). */
export function sameState<T extends object>(a: T, b: T): boolean {
  if (a === b) return true;
  const keysA = Object.keys(a) as (keyof T)[];
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => a[key] === b[key]);
}
