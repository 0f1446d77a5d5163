import {
  and,
  assign,
  enqueueActions,
  fromPromise,
  sendTo,
  setup,
  stateIn,
  type ActorRefFrom,
  type SnapshotFrom,
} from 'xstate';
import { SipError } from './errors';
import { clampDelay, durationOr } from './delay';
import {
  registrationMachine,
  registrationStatusOf,
  type RegistrationEvent,
  type RegistrationInput,
  type RegistrationStatus,
} from './registration.machine';
import { transportMachine, transportStatusOf, type TransportInput, type TransportStatus } from './transport.machine';

/**
 * The user agent's lifecycle, and the parent of the transport and registration machines, which it invokes for its
 * whole life (`transport` and `registration`, also registered under those system ids).
 *
 * - `starting`: asks the transport to connect, then starts the SIP user agent over it (`startUserAgent`). When the
 *   transport gives up first ('failed'), the start fails: straight back to `stopped` with the transport's error,
 *   leaving the transport 'failed' with it (nothing was started, nothing is left to halt) and the registration
 *   `unregistered` with it (`ABANDON`). From there `RECONNECT` starts again with one connection attempt at once, and
 *   `START` with the attempts counted afresh.
 * - `started`: tells the registration machine whether it can send (`LINK_UP` while the transport is connected,
 *   `LINK_DOWN` while it is recovering). When the transport gives up for good ('failed', `reconnect.maxAttempts`
 *   spent), `LINK_FAILED` with the transport's error: the registration keeps wanting the binding and says why it has
 *   none (`registering` with that error); `RECONNECT` brings the transport back and the registration follows.
 * - `halting`: unregisters (bounded by a deadline), stops the SIP user agent (`stopUserAgent`), then disconnects.
 *   Each step has its deadline (`stopStepTimeout`), and the steps together have theirs (`stopTimeout`): when that
 *   runs out, halting is done at once (the transport told to disconnect if it was not yet), so a stop ends within `stopTimeoutMs`.
 *   A `START` while halting is remembered in the `then` region and starts again once halted.
 *
 * Side effects are named actors supplied by `src/`:
 * - `startUserAgent` (promise): create and start the SIP user agent on the connected transport.
 * - `stopUserAgent` (promise): stop it, ending its dialogs and transactions.
 * - `transport`, `registration`: the two child machines, with their own actors provided.
 *
 * Its timers, `stopStepTimeout` and `stopTimeout`, go through `clampDelay` (at most 2^31-1 ms; NaN takes the default).
 *
 * Status is read from tags: `stopped`, `starting`, `started`, `stopping`.
 */

/**
 * Input of {@link userAgentMachine}. Every field is optional, and so is the input itself:
 * `createActor(userAgentMachine)` runs on the defaults below (and its children on theirs).
 *
 * @example
 * ```ts
 * const input: UserAgentInput = { transport: { servers: ['wss://sip.example.com/ws'] }, registration: { expires: 300 }, register: true };
 * createActor(userAgentMachine, { input });
 * ```
 */
export interface UserAgentInput {
  /** Input of the transport machine it invokes. Default `{}`: the transport's own defaults. */
  transport?: TransportInput;
  /** Input of the registration machine it invokes. Default `{}`: the registration's own defaults (600 s). */
  registration?: RegistrationInput;
  /** Register as soon as started, and stay registered. Default false. */
  register?: boolean;
  /** Deadline for each step of halting (unregister, stop), ms. Default 5 s. */
  stopStepTimeoutMs?: number;
  /** Deadline for halting as a whole, ms: past it, halting is done. Default {@link DEFAULT_STOP_TIMEOUT_MS}. */
  stopTimeoutMs?: number;
}

/**
 * How long halting may take as a whole when the input names no deadline, in ms: more than its steps' own deadlines
 * (5 s to unregister, 5 s to stop the user agent) add up to.
 *
 * @example
 * ```ts
 * createActor(userAgentMachine).start().getSnapshot().context.stopTimeoutMs; // 12_000
 * ```
 */
export const DEFAULT_STOP_TIMEOUT_MS = 12_000;

/** Context of {@link userAgentMachine}: its input with the defaults applied, and its children's statuses. */
export interface UserAgentContext {
  autoRegister: boolean;
  stopStepTimeoutMs: number;
  stopTimeoutMs: number;
  /** The children's statuses, mirrored from their snapshots so guards can read them. */
  transportStatus: TransportStatus;
  registrationStatus: RegistrationStatus;
  /** The transport's last error, mirrored for the same reason. */
  transportError?: SipError;
  /** Why the last start failed. */
  error?: SipError;
  transportInput: TransportInput;
  registrationInput: RegistrationInput;
}

/** Events {@link userAgentMachine} accepts from the application. */
export type UserAgentCommand =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'REGISTER' }
  | { type: 'UNREGISTER' }
  | { type: 'RECONNECT' };

/** All events {@link userAgentMachine} handles, including the ones it raises itself. */
export type UserAgentEvent = UserAgentCommand | { type: 'TRANSPORT_STATUS'; status: TransportStatus };

/** Status of the user agent, one per state (carried as a tag). */
export type UserAgentStatus = 'stopped' | 'starting' | 'started' | 'stopping';

const USER_AGENT_STATUSES: readonly UserAgentStatus[] = ['stopped', 'starting', 'started', 'stopping'];

function errorOf(event: unknown, fallback: string): SipError {
  const error = (event as { error?: unknown }).error;
  return error instanceof SipError ? error : new SipError('transport', fallback, { cause: error });
}

/**
 * The user agent machine (described at the top of this file), invoking {@link transportMachine} and
 * {@link registrationMachine} with their default actors; `startUserAgent` and `stopUserAgent` do nothing by default.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { userAgentMachine, userAgentStatusOf } from 'sipstate/machines';
 *
 * const actor = createActor(userAgentMachine).start();
 * userAgentStatusOf(actor.getSnapshot()); // 'stopped'
 * ```
 */
export const userAgentMachine = setup({
  types: {
    // `| void`, not `| undefined` (which setup's inference drops): makes the input optional in createActor.
    input: {} as UserAgentInput | void,
    context: {} as UserAgentContext,
    events: {} as UserAgentEvent,
    tags: {} as UserAgentStatus,
    // Every child by id: published declarations then list exactly these (no index signature, which with the typed
    // `transport` and `registration` beside it is TS2411 for consumers that check libraries, skipLibCheck: false).
    children: {} as {
      transport: 'transport';
      registration: 'registration';
      startUserAgent: 'startUserAgent';
      stopUserAgent: 'stopUserAgent';
      /** The same actor, spawned when the stop deadline comes before its step (nothing waits for it then). */
      stopUserAgentUnwaited: 'stopUserAgent';
    },
  },
  actors: {
    transport: transportMachine,
    registration: registrationMachine,
    startUserAgent: fromPromise<void, void>(async () => {}),
    stopUserAgent: fromPromise<void, void>(async () => {}),
  },
  guards: {
    transportConnected: ({ context }) => context.transportStatus === 'connected',
    transportFailed: ({ context }) => context.transportStatus === 'failed',
    transportFailedNow: ({ event }) => event.type === 'TRANSPORT_STATUS' && event.status === 'failed',
    transportDisconnected: ({ context }) => context.transportStatus === 'disconnected',
    registrationSettled: ({ context }) =>
      context.registrationStatus === 'unregistered' || context.registrationStatus === 'failed',
    autoRegister: ({ context }) => context.autoRegister,
    restartRequested: stateIn('#userAgent.halting.then.restart'),
    halted: stateIn('#userAgent.halting.steps.done'),
    unregisteringStep: stateIn('#userAgent.halting.steps.unregistering'),
    disconnectingStep: stateIn('#userAgent.halting.steps.disconnecting'),
  },
  delays: {
    stopStepTimeout: ({ context }) => clampDelay(context.stopStepTimeoutMs),
    stopTimeout: ({ context }) => clampDelay(context.stopTimeoutMs),
  },
  actions: {
    connectTransport: sendTo('transport', { type: 'CONNECT' }),
    disconnectTransport: sendTo('transport', { type: 'DISCONNECT' }),
    forwardReconnect: sendTo('transport', { type: 'RECONNECT' }),
    forwardRegister: sendTo('registration', { type: 'REGISTER' }),
    forwardUnregister: sendTo('registration', { type: 'UNREGISTER' }),
    linkDown: sendTo('registration', { type: 'LINK_DOWN' }),
    // Stopping after a start that failed: registration is no longer wanted, and says why. Otherwise unregister.
    releaseRegistration: sendTo('registration', ({ context }) =>
      context.error ? { type: 'ABANDON' as const, error: context.error } : { type: 'UNREGISTER' as const },
    ),
    // The registration machine may send only while the user agent is started and the transport connected. A
    // transport that gave up for good is LINK_FAILED, with its error: registration$ then says why it is not registered.
    updateLink: sendTo('registration', ({ context }): RegistrationEvent => {
      if (context.transportStatus === 'connected') return { type: 'LINK_UP' };
      if (context.transportStatus === 'failed') {
        return {
          type: 'LINK_FAILED',
          error: context.transportError ?? new SipError('transport', 'The transport gave up reconnecting'),
        };
      }
      return { type: 'LINK_DOWN' };
    }),
    clearError: assign({ error: undefined }),
    recordStartError: assign({ error: ({ event }) => errorOf(event, 'The user agent failed to start') }),
    recordTransportFailure: assign({
      error: ({ context }) =>
        context.transportError ?? new SipError('transport', 'The transport failed before the user agent started'),
    }),
  },
}).createMachine({
  id: 'userAgent',
  context: ({ input = {} }) => ({
    autoRegister: input.register ?? false,
    stopStepTimeoutMs: durationOr(input.stopStepTimeoutMs, 5_000),
    stopTimeoutMs: durationOr(input.stopTimeoutMs, DEFAULT_STOP_TIMEOUT_MS),
    transportStatus: 'disconnected',
    registrationStatus: 'unregistered',
    transportInput: input.transport ?? {},
    registrationInput: input.registration ?? {},
  }),
  invoke: [
    {
      id: 'transport',
      systemId: 'transport',
      src: 'transport',
      input: ({ context }) => context.transportInput,
      onSnapshot: {
        // Only what the mirror holds: a keep-alive or a timer of the transport is no transition here (no new snapshot
        // of this machine, nothing for its observers to project). TRANSPORT_STATUS only when the status changed.
        guard: ({ context, event }) =>
          transportStatusOf(event.snapshot) !== context.transportStatus ||
          event.snapshot.context.error !== context.transportError,
        actions: enqueueActions(({ context, event, enqueue }) => {
          const status = transportStatusOf(event.snapshot);
          enqueue.assign({ transportStatus: status, transportError: event.snapshot.context.error });
          if (status !== context.transportStatus) enqueue.raise({ type: 'TRANSPORT_STATUS', status });
        }),
      },
    },
    {
      id: 'registration',
      systemId: 'registration',
      src: 'registration',
      input: ({ context }) => context.registrationInput,
      onSnapshot: {
        // Only a change of status: a refresh (registered to registered) is no transition here.
        guard: ({ context, event }) => registrationStatusOf(event.snapshot) !== context.registrationStatus,
        actions: assign({ registrationStatus: ({ event }) => registrationStatusOf(event.snapshot) }),
      },
    },
  ],
  on: {
    // Registration commands reach the registration machine in every state; register() also starts a stopped client.
    REGISTER: { actions: 'forwardRegister' },
    UNREGISTER: { actions: 'forwardUnregister' },
    RECONNECT: { actions: 'forwardReconnect' },
  },
  initial: 'stopped',
  states: {
    stopped: {
      tags: 'stopped',
      on: {
        START: { target: 'starting', actions: 'clearError' },
        REGISTER: { target: 'starting', actions: ['clearError', 'forwardRegister'] },
        // After a start the transport gave up on: start again, the transport trying once at once (RECONNECT from
        // 'failed'); the CONNECT sent on entering `starting` then finds it reconnecting and is ignored.
        RECONNECT: { guard: 'transportFailed', target: 'starting', actions: ['clearError', 'forwardReconnect'] },
        // stop() after a start that failed: the application has given up too. Stopped means disconnected and
        // unregistered, with no reason left over (DISCONNECT takes a failed transport to disconnected).
        STOP: { actions: ['clearError', 'disconnectTransport', 'forwardUnregister'] },
      },
    },
    starting: {
      tags: 'starting',
      entry: [
        'connectTransport',
        enqueueActions(({ check, enqueue }) => {
          if (check('autoRegister')) enqueue('forwardRegister');
        }),
      ],
      initial: 'connecting',
      states: {
        connecting: {
          always: { guard: 'transportConnected', target: 'launching' },
          on: {
            // Judged on the change, not the mirrored status: starting again from a failed start enters here while
            // the mirror still says 'failed' from before.
            TRANSPORT_STATUS: {
              guard: 'transportFailedNow',
              target: '#userAgent.stopped',
              actions: ['recordTransportFailure', 'releaseRegistration'],
            },
          },
        },
        launching: {
          invoke: {
            id: 'startUserAgent',
            src: 'startUserAgent',
            onDone: '#userAgent.started',
            onError: { target: '#userAgent.halting', actions: 'recordStartError' },
          },
        },
      },
      on: { STOP: 'halting' },
    },
    started: {
      tags: 'started',
      entry: 'updateLink',
      // No LINK_DOWN on exit: halting unregisters first, over the link that is still up, then takes it down.
      on: {
        TRANSPORT_STATUS: { actions: 'updateLink' },
        STOP: 'halting',
      },
    },
    halting: {
      tags: 'stopping',
      type: 'parallel',
      states: {
        steps: {
          initial: 'unregistering',
          // The steps together: whatever is still waiting then is given up, and the halt is done at once. Still
          // unregistering: the user agent is stopped without waiting for it (its cleanup in src/ is immediate) and the
          // registration told the link is going, as stoppingUserAgent would have; not yet disconnecting: the
          // transport is told to, and closes on its own (it shows 'disconnected' from then on).
          after: {
            stopTimeout: {
              target: '.done',
              actions: enqueueActions(({ check, enqueue }) => {
                if (check('unregisteringStep')) {
                  enqueue('linkDown');
                  enqueue.spawnChild('stopUserAgent', { id: 'stopUserAgentUnwaited' });
                }
                if (!check('disconnectingStep')) enqueue('disconnectTransport');
              }),
            },
          },
          states: {
            unregistering: {
              entry: 'releaseRegistration',
              always: { guard: 'registrationSettled', target: 'stoppingUserAgent' },
              after: { stopStepTimeout: 'stoppingUserAgent' },
            },
            stoppingUserAgent: {
              entry: 'linkDown',
              invoke: { id: 'stopUserAgent', src: 'stopUserAgent', onDone: 'disconnecting', onError: 'disconnecting' },
              after: { stopStepTimeout: 'disconnecting' },
            },
            disconnecting: {
              entry: 'disconnectTransport',
              always: { guard: 'transportDisconnected', target: 'done' },
            },
            done: { type: 'final' },
          },
        },
        // biome-ignore lint/suspicious/noThenProperty: a state's name in a machine config, never awaited
        then: {
          initial: 'stay',
          states: {
            stay: { on: { START: 'restart', REGISTER: { target: 'restart', actions: 'forwardRegister' } } },
            restart: { on: { STOP: 'stay' } },
          },
        },
      },
      always: [
        { guard: and(['halted', 'restartRequested']), target: 'starting', actions: 'clearError' },
        // A REGISTER that came while halting, then superseded by STOP, is withdrawn: stopped means unregistered.
        // (After a start that failed, ABANDON instead: the registration keeps saying why.)
        { guard: 'halted', target: 'stopped', actions: 'releaseRegistration' },
      ],
    },
  },
});

/** A running user agent machine. */
export type UserAgentActorRef = ActorRefFrom<typeof userAgentMachine>;
/** A snapshot of the user agent machine. */
export type UserAgentSnapshot = SnapshotFrom<typeof userAgentMachine>;

/**
 * The status a user agent snapshot is in.
 *
 * @example
 * ```ts
 * userAgentStatusOf(actor.getSnapshot()); // 'started'
 * ```
 */
export function userAgentStatusOf(snapshot: UserAgentSnapshot): UserAgentStatus {
  return USER_AGENT_STATUSES.find((status) => snapshot.hasTag(status)) ?? 'stopped';
}
