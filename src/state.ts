import { registrationStatusOf, type RegistrationSnapshot, type RegistrationStatus } from '../machines/registration.machine';
import { transportStatusOf, type TransportSnapshot, type TransportStatus } from '../machines/transport.machine';
import { userAgentStatusOf, type UserAgentSnapshot, type UserAgentStatus } from '../machines/user-agent.machine';
import type { SipError } from './errors';

export type { RegistrationStatus, TransportStatus, UserAgentStatus };

/**
 * The WebSocket connection, as `client.transport$` emits it.
 *
 * @example
 * ```ts
 * client.transport$.subscribe(({ status, attempt, retryAt }) => {
 *   if (status === 'reconnecting' && retryAt) console.log(`attempt ${attempt} in ${retryAt - Date.now()} ms`);
 * });
 * ```
 */
export interface TransportState {
  status: TransportStatus;
  /** The server in use, being tried, or to be tried next. Absent while disconnected. */
  server?: string;
  /**
   * Reconnection attempts since the connection was last stable (stayed up 10 s, `STABLE_CONNECTION_MS`): 0 while
   * connected and on the first attempt. Connecting alone does not reset it: against a server that accepts connections
   * and drops them, each reconnection counts, the delays keep growing, and `reconnect.maxAttempts` applies.
   */
  attempt: number;
  /** While waiting to reconnect: when the next attempt starts, epoch ms. */
  retryAt?: number;
  /** While reconnecting or failed: why the last attempt failed or the connection was lost. */
  error?: SipError;
}

/**
 * The SIP user agent, as `client.userAgent$` emits it.
 *
 * @example
 * ```ts
 * client.userAgent$.subscribe(({ status, error }) => console.log(status, error?.message));
 * ```
 */
export interface UserAgentState {
  status: UserAgentStatus;
  /** When stopped after a start that failed: why. */
  error?: SipError;
}

/**
 * Registration with the registrar, as `client.registration$` emits it.
 *
 * @example
 * ```ts
 * client.registration$.subscribe(({ status, expiresAt }) => {
 *   if (status === 'registered') console.log('bound until', new Date(expiresAt!));
 * });
 * ```
 */
export interface RegistrationState {
  status: RegistrationStatus;
  /** Seconds the registrar granted, while a binding stands (registered, or retrying a refresh before it lapses). */
  expires?: number;
  /** When that binding lapses, epoch ms. */
  expiresAt?: number;
  /** While registered: when the next refresh goes out, epoch ms. */
  refreshAt?: number;
  /** While retrying: failed attempts in a row. */
  attempt?: number;
  /** While retrying: when the next attempt goes out, epoch ms. */
  retryAt?: number;
  /** While retrying or failed: what went wrong. */
  error?: SipError;
}

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
}

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
export interface IdentityState {
  anonymous: boolean;
  /** The address of record, when not anonymous. */
  uri?: string;
}

/** Reads the public transport state off a transport machine snapshot. */
export function selectTransportState(snapshot: TransportSnapshot): TransportState {
  const status = transportStatusOf(snapshot);
  const { context } = snapshot;
  // While connected the count is kept (only a stable connection resets the backoff), but shown as 0: nothing is being
  // retried.
  const state: TransportState = { status, attempt: status === 'connected' ? 0 : context.attempt };
  if (status !== 'disconnected') state.server = context.servers[context.serverIndex];
  if (status === 'reconnecting' && context.retryAt !== undefined) state.retryAt = context.retryAt;
  if ((status === 'reconnecting' || status === 'failed') && context.error) state.error = context.error;
  return state;
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
  const state: RegistrationState = { status };
  if ((status === 'registered' || status === 'retrying') && context.expiresAt !== undefined) {
    state.expires = context.grantedExpires;
    state.expiresAt = context.expiresAt;
  }
  if (status === 'registered' && context.expiresAt !== undefined && context.refreshDelayMs !== undefined && context.grantedExpires !== undefined) {
    // The refresh timer started when the binding was recorded: expiresAt - granted + delay.
    state.refreshAt = context.expiresAt - context.grantedExpires * 1000 + context.refreshDelayMs;
  }
  if (status === 'retrying') {
    state.attempt = context.attempt;
    if (context.retryAt !== undefined) state.retryAt = context.retryAt;
  }
  if ((status === 'retrying' || status === 'failed') && context.error) state.error = context.error;
  return state;
}

/** Shallow equality of two state objects (their fields are primitives or shared error instances). */
export function sameState<T extends object>(a: T, b: T): boolean {
  const keysA = Object.keys(a) as (keyof T)[];
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => a[key] === b[key]);
}
