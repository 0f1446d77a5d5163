import { assign, fromPromise, setup, stateIn, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { SipError } from './errors';
import { backoffDelay, backoffPolicyOr, DEFAULT_RECONNECT_POLICY, type BackoffPolicy } from './backoff';
import { clampDelay, durationOr } from './delay';
import { defaultMachineEnvironment, type MachineEnvironment } from './environment';

/**
 * The SIP-over-WebSocket connection: connecting, keeping it alive, and reconnecting with backoff and failover when it
 * drops or fails to open.
 *
 * The machine never touches a socket. Its side effects are these named actors, which `src/` supplies:
 * - `connectTransport` (promise, input `{ server, serverIndex }`): open a WebSocket to `servers[serverIndex]`; resolve
 *   when open. `server` is the entry as the machine holds it (sipstate gives the machine URLs with their secrets
 *   redacted, and opens the real one by index). Stopping the
 *   actor must abandon the attempt and close the socket.
 * - `disconnectTransport` (promise): close the open socket; resolve when closed.
 * - `releaseConnection` (action, on leaving `connected` for any reason): whatever the open connection held is let go
 *   (sipstate drops the socket and ends the transactions waiting on it).
 * - `sendKeepAlive` (promise): send a CRLF keep-alive ping (RFC 5626); resolve when the server answers.
 * - `sendOptionsKeepAlive` (promise): send an OPTIONS to the server; resolve on any response. Used where the server
 *   does not answer CRLF pings: a ping left unanswered is followed by an OPTIONS before the connection is declared
 *   dead, and a connection whose server answered the OPTIONS keeps using OPTIONS.
 *
 * Events the binding sends from outside (sipstate's runtime, or a test), rather than actors the machine runs: one
 * fewer actor per client each, and no event when nothing happens.
 * - `CONNECTION_LOST` (`error`): the open socket closed without being asked to. Heeded only while `connected`.
 * - `FLOW_TIMER` (`seconds`): the registrar set this connection's keep-alive interval (RFC 5626 Flow-Timer; `seconds`
 *   undefined: back to `keepAliveIntervalMs`). Heeded only while `connected`.
 * - `NETWORK_OFFLINE` / `NETWORK_ONLINE`: the platform's connectivity changed (the machine starts online). No attempt
 *   is spent while offline; coming back online tries at once.
 *
 * Two regions run side by side: `network` (`online`/`offline`) and `connection`.
 *
 * Backoff a flapping server cannot reset. A server that accepts the WebSocket and closes it at once must not get a
 * connection every few hundred ms forever, so:
 * - reaching `connected` does not reset the attempt counter; staying connected {@link STABLE_CONNECTION_MS} does
 *   (`connectionStable`, cancelled when the connection is left). Until then each drop is one more attempt: the delays
 *   keep growing, and `maxAttempts` (attempts since the connection was last stable) ends in `failed` when finite;
 * - every reconnect delay is at least {@link MIN_RECONNECT_DELAY_MS}, and the backoff grows from
 *   `max(initialDelayMs, MIN_RECONNECT_DELAY_MS)`, whatever the options say (`initialDelayMs: 0` still backs off);
 * - `RECONNECT` (the application's `reconnect()`) and the network coming back still try at once: that is the
 *   application's or the platform's say, not the server's.
 * Every delay goes through `clampDelay` (at most 2^31-1 ms; NaN inputs take the default).
 *
 * `CHECK_CONNECTION` is sent by `src/` when the platform says timers may not have fired on time (the computer slept,
 * the page was frozen or came back to the foreground): the socket may have died meanwhile without a word (a NAT
 * forgot it, the server dropped it), and the machine's timers, on a monotonic clock, may still be waiting. Connected
 * and idle: a keep-alive probe now (a dead connection is then given up and reconnected, as after any failed probe). Waiting
 * to reconnect past `retryAt` by the wall clock: the attempt now (the backoff's pacing is kept: `retryAt` is when it
 * allowed the attempt). Anywhere else it does nothing.
 *
 * Status is read from tags: each state carries exactly one of `disconnected`, `connecting`, `connected`,
 * `reconnecting`, `failed`. Within `reconnecting`, {@link reconnectPhaseOf} tells `waiting` (a retry is scheduled),
 * `attempting` (a connection is being opened) and `offline` (waiting for the network) apart.
 */

/**
 * The shortest delay before any reconnection attempt the machine schedules by itself, whatever `reconnect` says, in ms.
 *
 * @example
 * ```ts
 * import { MIN_RECONNECT_DELAY_MS } from 'sipstate/machines';
 * MIN_RECONNECT_DELAY_MS; // 250
 * ```
 */
export const MIN_RECONNECT_DELAY_MS = 250;

/**
 * How long a connection must stay up before it counts as recovered and the reconnect backoff starts over, in ms: long
 * enough to start the user agent and register over it.
 *
 * @example
 * ```ts
 * import { STABLE_CONNECTION_MS } from 'sipstate/machines';
 * STABLE_CONNECTION_MS; // 10_000
 * ```
 */
export const STABLE_CONNECTION_MS = 10_000;

/**
 * The servers {@link transportMachine} uses when its input names none: one placeholder on `example.com`, a domain
 * reserved for documentation (RFC 2606), so a machine started without input (in a test, a simulator, Stately's
 * editor) shows a real-looking server in its context and can never reach a real one, even with a working
 * `connectTransport` provided. `createSipClient` always passes the servers from its options.
 *
 * @example
 * ```ts
 * createActor(transportMachine).start().getSnapshot().context.servers; // ['wss://sip.example.com']
 * ```
 */
export const DEFAULT_TRANSPORT_SERVERS: readonly string[] = Object.freeze(['wss://sip.example.com']);

/**
 * Input of {@link transportMachine}. Every field is optional, and so is the input itself: `createActor(transportMachine)`
 * runs on the defaults below.
 *
 * @example
 * ```ts
 * const input: TransportInput = { servers: ['wss://sip.example.com/ws'], reconnect: { ...DEFAULT_RECONNECT_POLICY, maxAttempts: 5 } };
 * createActor(transportMachine, { input });
 * ```
 */
export interface TransportInput {
  /** WebSocket URLs, tried in order; a failure moves on to the next. Default {@link DEFAULT_TRANSPORT_SERVERS}. */
  servers?: readonly string[];
  /**
   * Backoff between attempts; `false`: no reconnection, a failure is final. Every delay is at least
   * {@link MIN_RECONNECT_DELAY_MS}; `maxAttempts` counts attempts since the connection was last stable. Default
   * `DEFAULT_RECONNECT_POLICY` (500 ms doubling to 30 s, jitter 0.5, never gives up).
   */
  reconnect?: BackoffPolicy | false;
  /** An attempt that has not opened after this long counts as failed. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * The first attempt after `CONNECT` waits a random 0..connectJitterMs, so that many clients started together do not
   * reach the server in one burst. Default 0: connect at once.
   */
  connectJitterMs?: number;
  /** Interval between keep-alive pings while connected; 0 turns them off. Default 30 s. */
  keepAliveIntervalMs?: number;
  /** A ping (then an OPTIONS) not answered within this long means the connection is dead. Default 10 s. */
  keepAliveTimeoutMs?: number;
  /** Clock and random source. Default `defaultMachineEnvironment` (`Date.now`, `Math.random`). */
  environment?: MachineEnvironment;
}

/** Context of {@link transportMachine}: its input with the defaults applied, and where the connection stands. */
export interface TransportContext {
  servers: readonly string[];
  /** Index into `servers` of the server in use, or to be tried next. */
  serverIndex: number;
  /**
   * Reconnection attempts since the connection was last stable (stayed up {@link STABLE_CONNECTION_MS}); 0 on the first
   * attempt. Not reset by merely connecting: a server that accepts and drops connections keeps it growing.
   */
  attempt: number;
  reconnect: BackoffPolicy | false;
  connectTimeoutMs: number;
  connectJitterMs: number;
  keepAliveIntervalMs: number;
  keepAliveTimeoutMs: number;
  /** Delay of the pending retry, and when it fires (epoch ms). */
  retryDelayMs?: number;
  retryAt?: number;
  /** Why the last attempt failed or the connection was lost. */
  error?: SipError;
  /**
   * The registrar's Flow-Timer for this connection, in seconds (RFC 5626 4.4.1): while set, pings go every 0.8 to 1.0
   * times it, in place of `keepAliveIntervalMs`. Cleared on each new connection.
   */
  flowTimerSec?: number;
  /** How this connection is kept alive: CRLF pings, or OPTIONS once the server has left a ping unanswered. */
  keepAliveMethod: 'crlf' | 'options';
  environment: MachineEnvironment;
}

/** Events {@link transportMachine} accepts. */
export type TransportEvent =
  | { type: 'CONNECT' }
  | { type: 'DISCONNECT' }
  | { type: 'RECONNECT' }
  | { type: 'CONNECTION_LOST'; error: SipError }
  | { type: 'FLOW_TIMER'; seconds: number | undefined }
  | { type: 'NETWORK_ONLINE' }
  | { type: 'NETWORK_OFFLINE' }
  /** Timers may not have fired on time (the machine slept, the page was frozen): check the connection now. */
  | { type: 'CHECK_CONNECTION' };

/** Status of the transport, one per state (carried as a tag). */
export type TransportStatus = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

/**
 * What a `reconnecting` transport is doing: `waiting` for its next attempt (scheduled at `retryAt`), `attempting` to
 * open a connection, or `offline`: waiting for the platform to report the network back (no attempt is spent).
 */
export type ReconnectPhase = 'waiting' | 'attempting' | 'offline';

const TRANSPORT_STATUSES: readonly TransportStatus[] = [
  'disconnected',
  'connecting',
  'connected',
  'reconnecting',
  'failed',
];

/** A Flow-Timer the machine honours: an integer 1..3,600 s (anything else is as if the registrar sent none). */
function flowTimerInRange(seconds: number | undefined): seconds is number {
  return Number.isInteger(seconds) && seconds! >= 1 && seconds! <= 3_600;
}

function asSipError(error: unknown, fallback: string): SipError {
  return error instanceof SipError ? error : new SipError('transport', fallback, { cause: error });
}

/**
 * The transport machine (described at the top of this file), with inert default actors: `connectTransport` fails
 * with a `config` SipError (so an unprovided machine retries with backoff), the others do nothing.
 *
 * @example
 * ```ts
 * import { createActor, fromPromise } from 'xstate';
 * import { transportMachine, transportStatusOf } from 'sipstate/machines';
 *
 * const actor = createActor(transportMachine.provide({ actors: { connectTransport: fromPromise(async () => {}) } })).start();
 * actor.send({ type: 'CONNECT' });
 * transportStatusOf(actor.getSnapshot()); // 'connecting', then 'connected'
 * ```
 */
export const transportMachine = setup({
  types: {
    // `| void`, not `| undefined` (which setup's inference drops): makes the input optional in createActor.
    input: {} as TransportInput | void,
    context: {} as TransportContext,
    events: {} as TransportEvent,
    tags: {} as TransportStatus,
  },
  actors: {
    connectTransport: fromPromise<void, { server: string; serverIndex: number }>(async () => {
      throw new SipError('config', 'transport: connectTransport actor not provided');
    }),
    disconnectTransport: fromPromise<void, void>(async () => {}),
    sendKeepAlive: fromPromise<void, void>(async () => {}),
    sendOptionsKeepAlive: fromPromise<void, void>(async () => {}),
  },
  guards: {
    reconnectionExhausted: ({ context }) =>
      context.reconnect === false || context.attempt >= context.reconnect.maxAttempts,
    keepAliveEnabled: ({ context }) => context.flowTimerSec !== undefined || context.keepAliveIntervalMs > 0,
    noConnectJitter: ({ context }) => context.connectJitterMs <= 0,
    offline: stateIn('#transport.network.offline'),
    keepsAliveWithOptions: ({ context }) => context.keepAliveMethod === 'options',
    // By the wall clock: the reconnect timer may have slept while the clock ran on.
    retryDue: ({ context }) => context.retryAt !== undefined && context.environment.now() >= context.retryAt,
  },
  delays: {
    connectTimeout: ({ context }) => clampDelay(context.connectTimeoutMs),
    connectJitter: ({ context }) => clampDelay(context.connectJitterMs * context.environment.random()),
    reconnectDelay: ({ context }) => clampDelay(context.retryDelayMs ?? MIN_RECONNECT_DELAY_MS, MIN_RECONNECT_DELAY_MS),
    // RFC 5626 4.4.1: a random 80-100% of the Flow-Timer, so that clients registered together do not ping together.
    keepAliveInterval: ({ context }) =>
      context.flowTimerSec === undefined
        ? clampDelay(context.keepAliveIntervalMs)
        : clampDelay(context.flowTimerSec * 1000 * (0.8 + 0.2 * context.environment.random())),
    keepAliveTimeout: ({ context }) => clampDelay(context.keepAliveTimeoutMs),
    connectionStable: () => clampDelay(STABLE_CONNECTION_MS),
  },
  actions: {
    // Supplied by src/: drops the socket and what waits on it. Nothing to let go in a machine run alone.
    releaseConnection: () => {},
    startFresh: assign({ attempt: 0, serverIndex: 0, error: undefined, retryAt: undefined, retryDelayMs: undefined }),
    // The attempt counter is left alone: only `connectionStable` says the server has recovered.
    markConnected: assign({
      error: undefined,
      retryAt: undefined,
      retryDelayMs: undefined,
      keepAliveMethod: 'crlf' as const,
      flowTimerSec: undefined,
    }),
    recordFlowTimer: assign({
      flowTimerSec: ({ event }) =>
        event.type === 'FLOW_TIMER' && flowTimerInRange(event.seconds) ? event.seconds : undefined,
    }),
    resetBackoff: assign({ attempt: 0 }),
    useOptionsKeepAlive: assign({ keepAliveMethod: 'options' as const }),
    recordAttemptError: assign({
      error: ({ event }) => asSipError((event as { error?: unknown }).error, 'WebSocket connection failed'),
    }),
    recordConnectTimeout: assign({
      error: ({ context }) =>
        new SipError('timeout', `WebSocket did not open within ${context.connectTimeoutMs} ms`, {
          reason: 'connect timeout',
        }),
    }),
    recordConnectionLost: assign({
      error: ({ event }) => (event.type === 'CONNECTION_LOST' ? event.error : undefined),
    }),
    recordKeepAliveTimeout: assign({
      error: ({ context }) =>
        new SipError('timeout', `Keep-alive not answered within ${context.keepAliveTimeoutMs} ms`, {
          reason: 'keep-alive timeout',
        }),
    }),
    recordKeepAliveError: assign({
      error: ({ event }) => asSipError((event as { error?: unknown }).error, 'Keep-alive could not be sent'),
    }),
    // Failover: whatever failed, the next attempt goes to the next server in the list.
    advanceServer: assign({
      serverIndex: ({ context }) => (context.serverIndex + 1) % context.servers.length,
    }),
    scheduleRetry: assign(({ context }) => {
      const attempt = context.attempt + 1;
      const policy = context.reconnect === false ? DEFAULT_RECONNECT_POLICY : context.reconnect;
      const retryDelayMs = backoffDelay(policy, attempt, context.environment.random, MIN_RECONNECT_DELAY_MS);
      return { attempt, retryDelayMs, retryAt: context.environment.now() + retryDelayMs };
    }),
    // `reconnect()` skips the wait: the attempt starts now and counts as the next one.
    retryNow: assign(({ context }) => ({
      attempt: context.attempt + 1,
      retryDelayMs: undefined,
      retryAt: undefined,
    })),
    clearRetry: assign({ retryAt: undefined, retryDelayMs: undefined }),
  },
}).createMachine({
  id: 'transport',
  context: ({ input = {} }) => ({
    servers: input.servers ?? DEFAULT_TRANSPORT_SERVERS,
    serverIndex: 0,
    attempt: 0,
    reconnect:
      input.reconnect === undefined
        ? { ...DEFAULT_RECONNECT_POLICY }
        : input.reconnect && backoffPolicyOr(input.reconnect, DEFAULT_RECONNECT_POLICY),
    connectTimeoutMs: durationOr(input.connectTimeoutMs, 10_000),
    connectJitterMs: durationOr(input.connectJitterMs, 0),
    keepAliveIntervalMs: durationOr(input.keepAliveIntervalMs, 30_000),
    keepAliveTimeoutMs: durationOr(input.keepAliveTimeoutMs, 10_000),
    keepAliveMethod: 'crlf',
    environment: input.environment ?? defaultMachineEnvironment,
  }),
  type: 'parallel',
  // Nothing to check in the states that do not handle it (connecting, probing already, disconnected, failed).
  on: { CHECK_CONNECTION: {} },
  states: {
    network: {
      initial: 'online',
      states: {
        online: { on: { NETWORK_OFFLINE: 'offline' } },
        offline: { on: { NETWORK_ONLINE: 'online' } },
      },
    },
    connection: {
      initial: 'disconnected',
      states: {
        disconnected: {
          tags: 'disconnected',
          // However it got here (stop while reconnecting, disconnect from failed), no stale attempt or error remains.
          entry: 'startFresh',
          on: {
            CONNECT: [
              { guard: 'offline', target: 'waitingForNetwork', actions: 'startFresh' },
              { target: 'connecting', actions: 'startFresh' },
            ],
          },
        },
        connecting: {
          tags: 'connecting',
          initial: 'pacing',
          states: {
            pacing: {
              always: { guard: 'noConnectJitter', target: 'opening' },
              after: { connectJitter: 'opening' },
            },
            opening: {
              invoke: {
                src: 'connectTransport',
                input: ({ context }) => ({
                  server: context.servers[context.serverIndex]!,
                  serverIndex: context.serverIndex,
                }),
                onDone: { target: '#transport.connection.connected', actions: 'markConnected' },
                onError: { target: '#transport.connection.attemptFailed', actions: 'recordAttemptError' },
              },
              after: {
                connectTimeout: { target: '#transport.connection.attemptFailed', actions: 'recordConnectTimeout' },
              },
            },
          },
          on: { DISCONNECT: 'disconnecting' },
        },
        connected: {
          tags: 'connected',
          // Up long enough to count as recovered: the next drop starts the backoff over.
          after: { connectionStable: { actions: 'resetBackoff' } },
          // Leaving 'connected' for any reason (lost, keep-alive timeout, disconnect) ends this connection.
          exit: 'releaseConnection',
          initial: 'idle',
          states: {
            idle: {
              after: { keepAliveInterval: { guard: 'keepAliveEnabled', target: 'probing' } },
              on: {
                // The platform says the network went away: find out now whether this connection survived.
                NETWORK_OFFLINE: 'probing',
                // The same after a sleep or a freeze: the connection may have died while nothing ran.
                CHECK_CONNECTION: 'probing',
                // A new interval: the next ping is scheduled from it, now.
                FLOW_TIMER: { target: 'idle', reenter: true, actions: 'recordFlowTimer' },
              },
            },
            probing: {
              initial: 'choosing',
              states: {
                choosing: {
                  always: [{ guard: 'keepsAliveWithOptions', target: 'options' }, { target: 'crlf' }],
                },
                crlf: {
                  invoke: {
                    src: 'sendKeepAlive',
                    onDone: '#transport.connection.connected.idle',
                    onError: { target: '#transport.connection.attemptFailed', actions: 'recordKeepAliveError' },
                  },
                  // No pong: the server may not answer CRLF pings at all. Ask it with an OPTIONS before giving up.
                  after: { keepAliveTimeout: { target: 'options', actions: 'useOptionsKeepAlive' } },
                },
                options: {
                  invoke: {
                    src: 'sendOptionsKeepAlive',
                    onDone: '#transport.connection.connected.idle',
                    onError: { target: '#transport.connection.attemptFailed', actions: 'recordKeepAliveError' },
                  },
                  after: {
                    keepAliveTimeout: {
                      target: '#transport.connection.attemptFailed',
                      actions: 'recordKeepAliveTimeout',
                    },
                  },
                },
              },
            },
          },
          on: {
            CONNECTION_LOST: { target: 'attemptFailed', actions: 'recordConnectionLost' },
            // While a ping is out: kept for the next interval.
            FLOW_TIMER: { actions: 'recordFlowTimer' },
            DISCONNECT: 'disconnecting',
            // Already connected: nothing to do, but handled so the event is not taken for a mistake.
            RECONNECT: {},
          },
        },
        // Transient: decides between waiting for the next attempt, waiting for the network, and giving up.
        attemptFailed: {
          tags: 'reconnecting',
          entry: 'advanceServer',
          always: [
            { guard: 'reconnectionExhausted', target: 'failed' },
            { guard: 'offline', target: 'waitingForNetwork', actions: 'clearRetry' },
            { target: 'waitingToReconnect', actions: 'scheduleRetry' },
          ],
        },
        waitingToReconnect: {
          tags: 'reconnecting',
          after: { reconnectDelay: { target: 'reconnecting', actions: 'clearRetry' } },
          on: {
            RECONNECT: { target: 'reconnecting', actions: 'clearRetry' },
            CHECK_CONNECTION: { guard: 'retryDue', target: 'reconnecting', actions: 'clearRetry' },
            NETWORK_OFFLINE: { target: 'waitingForNetwork', actions: 'clearRetry' },
            DISCONNECT: 'disconnected',
          },
        },
        // Offline: no attempt is spent until the platform says the network is back.
        waitingForNetwork: {
          tags: 'reconnecting',
          on: {
            NETWORK_ONLINE: { target: 'reconnecting', actions: 'retryNow' },
            RECONNECT: { target: 'reconnecting', actions: 'retryNow' },
            DISCONNECT: 'disconnected',
          },
        },
        reconnecting: {
          tags: 'reconnecting',
          invoke: {
            src: 'connectTransport',
            input: ({ context }) => ({
              server: context.servers[context.serverIndex]!,
              serverIndex: context.serverIndex,
            }),
            onDone: { target: 'connected', actions: 'markConnected' },
            onError: { target: 'attemptFailed', actions: 'recordAttemptError' },
          },
          after: { connectTimeout: { target: 'attemptFailed', actions: 'recordConnectTimeout' } },
          on: { DISCONNECT: 'disconnecting' },
        },
        failed: {
          tags: 'failed',
          on: {
            RECONNECT: { target: 'reconnecting', actions: 'retryNow' },
            CONNECT: [
              { guard: 'offline', target: 'waitingForNetwork', actions: 'startFresh' },
              { target: 'connecting', actions: 'startFresh' },
            ],
            DISCONNECT: 'disconnected',
          },
        },
        disconnecting: {
          tags: 'disconnected',
          invoke: {
            src: 'disconnectTransport',
            onDone: 'disconnected',
            onError: 'disconnected',
          },
          on: {
            CONNECT: [
              { guard: 'offline', target: 'waitingForNetwork', actions: 'startFresh' },
              { target: 'connecting', actions: 'startFresh' },
            ],
          },
        },
      },
    },
  },
});

/** A running transport machine. */
export type TransportActorRef = ActorRefFrom<typeof transportMachine>;
/** A snapshot of the transport machine. */
export type TransportSnapshot = SnapshotFrom<typeof transportMachine>;

/**
 * The status a transport snapshot is in.
 *
 * @example
 * ```ts
 * transportStatusOf(actor.getSnapshot()); // 'connecting'
 * ```
 */
export function transportStatusOf(snapshot: TransportSnapshot): TransportStatus {
  return TRANSPORT_STATUSES.find((status) => snapshot.hasTag(status)) ?? 'disconnected';
}

/**
 * What a transport snapshot in `reconnecting` is doing ({@link ReconnectPhase}); undefined in any other status.
 *
 * @example
 * ```ts
 * reconnectPhaseOf(actor.getSnapshot()); // 'waiting'
 * ```
 */
export function reconnectPhaseOf(snapshot: TransportSnapshot): ReconnectPhase | undefined {
  if (!snapshot.hasTag('reconnecting')) return undefined;
  if (snapshot.matches({ connection: 'waitingToReconnect' })) return 'waiting';
  if (snapshot.matches({ connection: 'waitingForNetwork' })) return 'offline';
  // `reconnecting`, or `attemptFailed` (transient: never seen from outside a macrostep).
  return 'attempting';
}
