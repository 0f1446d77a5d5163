import { SipError, type SipErrorKind } from '../errors';
import type { RegistrationState, TabCall, TransportState, UserAgentState } from '../state';

/**
 * The messages the tabs of a shared registration exchange over their BroadcastChannel, and their validation.
 *
 * Any script of the origin can post on the channel, so what arrives is hostile until `parseTabMessage` has checked
 * its shape and bounded every string and list: anything else is dropped. States travel as plain data (a SipError as
 * its kind, message and details) and are rebuilt here.
 */

/**
 * What the shared tabs want of the leader, the strongest last: the leader applies it when it takes office.
 *
 * @example
 * ```ts
 * const intent: TabIntent = 'registered'; // a new leader registers
 * ```
 */
export type TabIntent = 'stopped' | 'started' | 'registered';

/**
 * The lifecycle commands a follower forwards to the leader.
 *
 * @example
 * ```ts
 * const command: TabCommand = 'register';
 * ```
 */
export type TabCommand = 'start' | 'register' | 'unregister' | 'stop' | 'reconnect';

/**
 * The leader's state as it goes to the followers.
 *
 * @example
 * ```ts
 * const snapshot: TabSnapshot = {
 *   transport: { status: 'disconnected' },
 *   userAgent: { status: 'stopped' },
 *   registration: { status: 'unregistered' },
 *   intent: 'stopped',
 *   calls: [],
 * };
 * ```
 */
export interface TabSnapshot {
  transport: TransportState;
  userAgent: UserAgentState;
  registration: RegistrationState;
  intent: TabIntent;
  calls: readonly TabCall[];
}

/**
 * A message on the channel. `from` is the sending tab's id; `to`, when there, the only tab meant to act on it.
 *
 * - `hello`: a tab joined (or lost its leader) and asks the leader for its state.
 * - `state`: the leader's state, sent on each change and in answer to `hello`.
 * - `command`: a follower's lifecycle command for the leader, `id` to match the `result`.
 * - `result`: the leader's verdict on a forwarded command: `error` when it rejected.
 *
 * @example
 * ```ts
 * const message: TabMessage = { type: 'hello', from: 'tab-1' };
 * ```
 */
export type TabMessage =
  | { type: 'hello'; from: string }
  | { type: 'state'; from: string; state: TabSnapshot }
  | { type: 'command'; from: string; to: string; id: number; command: TabCommand }
  | { type: 'result'; from: string; to: string; id: number; error?: SipError };

/**
 * Most calls a `state` lists (the leader's `calls.maxIncoming` tops at 100; the rest are left out).
 *
 * @example
 * ```ts
 * calls.slice(0, MAX_TAB_CALLS);
 * ```
 */
export const MAX_TAB_CALLS = 16;
/** Longest tab id. */
const MAX_ID = 64;
/** Longest server URL or remote URI. */
const MAX_URI = 2_048;
/** Longest error message. */
const MAX_TEXT = 1_000;

const TAB_ID = /^[\w-]{1,64}$/;
const INTENTS: Record<TabIntent, true> = { stopped: true, started: true, registered: true };
const COMMANDS: Record<TabCommand, true> = {
  start: true,
  register: true,
  unregister: true,
  stop: true,
  reconnect: true,
};
const ERROR_KINDS: Record<SipErrorKind, true> = {
  auth: true,
  rejected: true,
  timeout: true,
  transport: true,
  config: true,
  cancelled: true,
};
const CALL_STATUSES: Record<TabCall['status'], true> = {
  dialing: true,
  ringing: true,
  'early-media': true,
  answering: true,
  active: true,
  ending: true,
  ended: true,
};

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 1_000_000;
}

/** Epoch ms, or 0 where the machine had nothing: finite and not absurd. */
function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < 1e14;
}

function isTabId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID && TAB_ID.test(value);
}

function has<K extends string>(table: Record<K, true>, value: unknown): value is K {
  return typeof value === 'string' && Object.hasOwn(table, value);
}

/**
 * A SipError as data: its kind, message and the details that are numbers or short text.
 *
 * @example
 * ```ts
 * errorToWire(new SipError('rejected', '404 Not Found', { code: 404 })); // { kind: 'rejected', message: ..., code: 404 }
 * ```
 */
export function errorToWire(error: SipError): Fields {
  const wire: Fields = { kind: error.kind, message: error.message.slice(0, MAX_TEXT) };
  if (error.code !== undefined) wire.code = error.code;
  if (error.reason !== undefined) wire.reason = error.reason.slice(0, MAX_TEXT);
  if (error.retryAfter !== undefined) wire.retryAfter = error.retryAfter;
  return wire;
}

function errorFromWire(value: unknown): SipError | undefined {
  if (!isFields(value) || !has(ERROR_KINDS, value.kind) || !isText(value.message, MAX_TEXT)) return undefined;
  const { code, reason, retryAfter } = value;
  if (code !== undefined && !(isCount(code) && code <= 699)) return undefined;
  if (reason !== undefined && !isText(reason, MAX_TEXT)) return undefined;
  if (retryAfter !== undefined && !isCount(retryAfter)) return undefined;
  return new SipError(value.kind, value.message, {
    ...(code !== undefined && { code }),
    ...(reason !== undefined && { reason }),
    ...(retryAfter !== undefined && { retryAfter }),
  });
}

/** Copies a state with its errors turned to data (structured clone would lose a SipError's kind). */
function stateToWire(state: object): Fields {
  const wire: Fields = {};
  for (const [key, value] of Object.entries(state)) wire[key] = value instanceof SipError ? errorToWire(value) : value;
  return wire;
}

/** An optional error field: absent, or a valid error (`null` means invalid). */
function optionalError(value: unknown): SipError | undefined | null {
  if (value === undefined) return undefined;
  return errorFromWire(value) ?? null;
}

function transportFromWire(value: unknown): TransportState | undefined {
  if (!isFields(value)) return undefined;
  const { status, server, attempt } = value;
  if (status === 'disconnected') return { status };
  if (!isText(server, MAX_URI)) return undefined;
  if (status === 'connected') return { status, server };
  if (!isCount(attempt)) return undefined;
  if (status === 'connecting') return { status, server, attempt };
  if (status === 'failed') {
    const error = errorFromWire(value.error);
    return error && { status, error, server, attempt };
  }
  if (status !== 'reconnecting') return undefined;
  if (value.phase === 'waiting') {
    const error = errorFromWire(value.error);
    return error && isTime(value.retryAt)
      ? { status, phase: 'waiting', retryAt: value.retryAt, attempt, server, error }
      : undefined;
  }
  if (value.phase !== 'attempting' && value.phase !== 'offline') return undefined;
  const error = optionalError(value.error);
  if (error === null) return undefined;
  return error
    ? { status, phase: value.phase, attempt, server, error }
    : { status, phase: value.phase, attempt, server };
}

function userAgentFromWire(value: unknown): UserAgentState | undefined {
  if (!isFields(value)) return undefined;
  const { status } = value;
  if (status === 'starting' || status === 'started' || status === 'stopping') return { status };
  if (status !== 'stopped') return undefined;
  const error = optionalError(value.error);
  if (error === null) return undefined;
  return error ? { status, error } : { status };
}

function registrationFromWire(value: unknown): RegistrationState | undefined {
  if (!isFields(value)) return undefined;
  const { status } = value;
  switch (status) {
    case 'unregistering':
      return { status };
    case 'unregistered':
    case 'registering': {
      const error = optionalError(value.error);
      if (error === null) return undefined;
      return error ? { status, error } : { status };
    }
    case 'failed': {
      const error = errorFromWire(value.error);
      return error && { status, error };
    }
    case 'registered': {
      const { expires, expiresAt, refreshAt } = value;
      return isCount(expires) && isTime(expiresAt) && isTime(refreshAt)
        ? { status, expires, expiresAt, refreshAt }
        : undefined;
    }
    case 'retrying': {
      const error = errorFromWire(value.error);
      const { attempt, retryAt, expires, expiresAt } = value;
      if (!error || !isCount(attempt) || !isTime(retryAt)) return undefined;
      const state: RegistrationState = { status, attempt, retryAt, error };
      if (isCount(expires) && isTime(expiresAt)) {
        state.expires = expires;
        state.expiresAt = expiresAt;
      }
      return state;
    }
    default:
      return undefined;
  }
}

function callFromWire(value: unknown): TabCall | undefined {
  if (!isFields(value)) return undefined;
  const { id, direction, status, remote } = value;
  if (!isText(id, MAX_ID) || !isText(remote, MAX_URI) || !has(CALL_STATUSES, status)) return undefined;
  if (direction !== 'incoming' && direction !== 'outgoing') return undefined;
  return Object.freeze({ id, direction, status, remote });
}

function snapshotFromWire(value: unknown): TabSnapshot | undefined {
  if (!isFields(value) || !has(INTENTS, value.intent)) return undefined;
  const transport = transportFromWire(value.transport);
  const userAgent = userAgentFromWire(value.userAgent);
  const registration = registrationFromWire(value.registration);
  const { calls } = value;
  if (!transport || !userAgent || !registration || !Array.isArray(calls) || calls.length > MAX_TAB_CALLS) {
    return undefined;
  }
  const tabCalls: TabCall[] = [];
  for (const call of calls) {
    const parsed = callFromWire(call);
    if (!parsed) return undefined;
    tabCalls.push(parsed);
  }
  return { transport, userAgent, registration, intent: value.intent, calls: Object.freeze(tabCalls) };
}

/**
 * A message as it goes on the channel: plain data, errors included.
 *
 * @example
 * ```ts
 * channel.postMessage(toWire({ type: 'hello', from: tabId }));
 * ```
 */
export function toWire(message: TabMessage): Fields {
  switch (message.type) {
    case 'hello':
    case 'command':
      return { ...message };
    case 'result':
      return message.error ? { ...message, error: errorToWire(message.error) } : { ...message };
    case 'state': {
      const { transport, userAgent, registration, intent, calls } = message.state;
      return {
        type: 'state',
        from: message.from,
        state: {
          transport: stateToWire(transport),
          userAgent: stateToWire(userAgent),
          registration: stateToWire(registration),
          intent,
          calls: calls.slice(0, MAX_TAB_CALLS).map((call) => ({ ...call, remote: call.remote.slice(0, MAX_URI) })),
        },
      };
    }
  }
}

/**
 * What arrived on the channel, checked: a {@link TabMessage} with every field of the right type and size, or
 * `undefined` for anything else (which the caller drops).
 *
 * @example
 * ```ts
 * channel.onmessage = (event) => {
 *   const message = parseTabMessage(event.data);
 *   if (message) handle(message);
 * };
 * ```
 */
export function parseTabMessage(data: unknown): TabMessage | undefined {
  if (!isFields(data) || !isTabId(data.from)) return undefined;
  const { from } = data;
  switch (data.type) {
    case 'hello':
      return { type: 'hello', from };
    case 'state': {
      const state = snapshotFromWire(data.state);
      return state && { type: 'state', from, state };
    }
    case 'command':
      return isTabId(data.to) && isCount(data.id) && has(COMMANDS, data.command)
        ? { type: 'command', from, to: data.to, id: data.id, command: data.command }
        : undefined;
    case 'result': {
      if (!isTabId(data.to) || !isCount(data.id)) return undefined;
      if (data.error === undefined) return { type: 'result', from, to: data.to, id: data.id };
      const error = errorFromWire(data.error);
      return error && { type: 'result', from, to: data.to, id: data.id, error };
    }
    default:
      return undefined;
  }
}
