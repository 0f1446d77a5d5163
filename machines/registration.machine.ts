import { assign, fromPromise, setup, stateIn, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { SipError } from '../src/errors';
import { backoffDelay, DEFAULT_REGISTRATION_RETRY_POLICY, type BackoffPolicy } from './backoff';
import { defaultMachineEnvironment, type MachineEnvironment } from './environment';

/**
 * Registration with a SIP registrar: register, refresh before the binding lapses, retry what can be retried, and
 * register again by itself when the link comes back.
 *
 * Two regions run side by side:
 * - `link`: whether REGISTER can be sent now (`up`: the user agent is started and the transport connected). The
 *   parent sends `LINK_UP` / `LINK_DOWN`.
 * - `binding`: what the application asked for and where it stands. `active` means registration is wanted.
 *
 * Side effects are named actors supplied by `src/`:
 * - `sendRegister` (promise, input `{ expires }`): one REGISTER transaction, resolving with a {@link RegisterOutcome}
 *   or rejecting with a SipError. The binding in `src/` sends one transaction at a time: a new one waits for the
 *   final response of the one before, so at most one REGISTER is ever in flight.
 * - `sendUnregister` (promise): REGISTER with expires 0.
 *
 * Status is read from tags: `unregistered`, `registering`, `registered`, `unregistering`, `retrying`, `failed`.
 */

/** What a REGISTER transaction ended with, when it did not fail. */
export type RegisterOutcome =
  /** 2xx: `expires` is what the registrar granted, in seconds. */
  | { type: 'registered'; expires: number }
  /** 423 Interval Too Brief: register again asking for at least `minExpires`. */
  | { type: 'intervalTooBrief'; minExpires: number };

/** Input of {@link registrationMachine}. */
export interface RegistrationInput {
  /** Seconds to ask for in REGISTER. */
  expires: number;
  /** Backoff for retrying after 408, a timeout, a transport error or a 5xx. */
  retry?: BackoffPolicy;
  /**
   * When to refresh, as a fraction of the granted expiry: a random point between the two bounds, so that many clients
   * registered together do not refresh together. Default `[0.8, 0.9]`.
   */
  refreshWindow?: readonly [number, number];
  environment?: MachineEnvironment;
}

/** Context of {@link registrationMachine}. */
export interface RegistrationContext {
  /** Seconds asked for by the application. */
  requestedExpires: number;
  /** Seconds asked for in the next REGISTER: the requested value, raised by a 423's Min-Expires. */
  expires: number;
  /** Seconds granted by the registrar, while a binding is believed to exist. */
  grantedExpires?: number;
  /** When the binding lapses, epoch ms. */
  expiresAt?: number;
  /** Delay until the next refresh, ms. */
  refreshDelayMs?: number;
  /** Failed attempts in a row. */
  attempt: number;
  retryDelayMs?: number;
  retryAt?: number;
  error?: SipError;
  retry: BackoffPolicy;
  refreshWindow: readonly [number, number];
  environment: MachineEnvironment;
}

/** Events {@link registrationMachine} accepts. */
export type RegistrationEvent =
  | { type: 'REGISTER' }
  | { type: 'UNREGISTER' }
  | { type: 'LINK_UP' }
  | { type: 'LINK_DOWN' };

/** Status of the registration, one per state (carried as a tag). */
export type RegistrationStatus =
  | 'unregistered'
  | 'registering'
  | 'registered'
  | 'unregistering'
  | 'retrying'
  | 'failed';

const REGISTRATION_STATUSES: readonly RegistrationStatus[] = [
  'unregistered',
  'registering',
  'registered',
  'unregistering',
  'retrying',
  'failed',
];

/** Smallest delay before a retry or refresh, so a misbehaving server cannot make us spin. */
const MIN_DELAY_MS = 250;

function errorOf(event: unknown): SipError {
  const error = (event as { error?: unknown }).error;
  return error instanceof SipError ? error : new SipError('transport', 'REGISTER failed', { cause: error });
}

function outputOf(event: unknown): RegisterOutcome {
  return (event as { output: RegisterOutcome }).output;
}

export const registrationMachine = setup({
  types: {
    input: {} as RegistrationInput,
    context: {} as RegistrationContext,
    events: {} as RegistrationEvent,
    tags: {} as RegistrationStatus,
  },
  actors: {
    sendRegister: fromPromise<RegisterOutcome, { expires: number }>(async () => {
      throw new SipError('config', 'registration: sendRegister actor not provided');
    }),
    sendUnregister: fromPromise<void, void>(async () => {}),
  },
  guards: {
    linkUp: stateIn('#registration.link.up'),
    // 423 with a Min-Expires above what we asked: ask again with it. Anything else would loop.
    canRaiseExpires: ({ context, event }) => {
      const outcome = outputOf(event);
      return outcome.type === 'intervalTooBrief' && outcome.minExpires > context.expires;
    },
    intervalTooBrief: ({ event }) => outputOf(event).type === 'intervalTooBrief',
    // 408, transaction timeouts, transport errors and 5xx may succeed later; auth failures and other 4xx/6xx won't.
    retryable: ({ event }) => {
      const error = errorOf(event);
      if (error.kind === 'timeout' || error.kind === 'transport') return true;
      return error.kind === 'rejected' && error.code !== undefined && error.code >= 500 && error.code < 600;
    },
    bindingMayLapse: ({ context }) => context.expiresAt !== undefined,
  },
  delays: {
    refreshDelay: ({ context }) => context.refreshDelayMs ?? MIN_DELAY_MS,
    retryDelay: ({ context }) => context.retryDelayMs ?? MIN_DELAY_MS,
    untilBindingLapses: ({ context }) =>
      Math.max(0, (context.expiresAt ?? context.environment.now()) - context.environment.now()),
  },
  actions: {
    clearError: assign({ error: undefined, attempt: 0, retryAt: undefined, retryDelayMs: undefined }),
    resetExpires: assign(({ context }) => ({ expires: context.requestedExpires })),
    raiseExpires: assign(({ event }) => {
      const outcome = outputOf(event);
      return outcome.type === 'intervalTooBrief' ? { expires: outcome.minExpires } : {};
    }),
    recordIntervalTooBrief: assign(({ context, event }) => {
      const outcome = outputOf(event);
      const minExpires = outcome.type === 'intervalTooBrief' ? outcome.minExpires : undefined;
      return {
        error: new SipError(
          'rejected',
          `Registrar answered 423 Interval Too Brief with Min-Expires ${minExpires}, not above the ${context.expires} s asked`,
          { code: 423, reason: 'Interval Too Brief' },
        ),
      };
    }),
    recordBinding: assign(({ context, event }) => {
      const outcome = outputOf(event);
      const granted = outcome.type === 'registered' ? outcome.expires : context.expires;
      const now = context.environment.now();
      const [low, high] = context.refreshWindow;
      const fraction = low + (high - low) * context.environment.random();
      return {
        grantedExpires: granted,
        expiresAt: now + granted * 1000,
        refreshDelayMs: Math.max(MIN_DELAY_MS, Math.round(granted * 1000 * fraction)),
        attempt: 0,
        error: undefined,
        retryAt: undefined,
        retryDelayMs: undefined,
      };
    }),
    forgetBinding: assign({ grantedExpires: undefined, expiresAt: undefined, refreshDelayMs: undefined }),
    recordFailure: assign(({ event }) => ({ error: errorOf(event) })),
    scheduleRetry: assign(({ context, event }) => {
      const error = errorOf(event);
      const attempt = context.attempt + 1;
      const now = context.environment.now();
      let delay =
        error.retryAfter !== undefined
          ? error.retryAfter * 1000
          : backoffDelay(context.retry, attempt, context.environment.random);
      // A refresh that failed is retried while the binding still stands: no later than halfway to its lapse.
      if (context.expiresAt !== undefined && context.expiresAt > now) {
        delay = Math.min(delay, Math.floor((context.expiresAt - now) / 2));
      }
      delay = Math.max(MIN_DELAY_MS, delay);
      const lapsed = context.expiresAt !== undefined && context.expiresAt <= now;
      return {
        attempt,
        error,
        retryDelayMs: delay,
        retryAt: now + delay,
        ...(lapsed && { grantedExpires: undefined, expiresAt: undefined, refreshDelayMs: undefined }),
      };
    }),
    clearRetry: assign({ retryAt: undefined, retryDelayMs: undefined }),
  },
}).createMachine({
  id: 'registration',
  type: 'parallel',
  context: ({ input }) => ({
    requestedExpires: input.expires,
    expires: input.expires,
    attempt: 0,
    retry: input.retry ?? { ...DEFAULT_REGISTRATION_RETRY_POLICY },
    refreshWindow: input.refreshWindow ?? [0.8, 0.9],
    environment: input.environment ?? defaultMachineEnvironment,
  }),
  states: {
    link: {
      initial: 'down',
      states: {
        down: { on: { LINK_UP: 'up' } },
        up: { on: { LINK_DOWN: 'down' } },
      },
    },
    binding: {
      initial: 'idle',
      on: {
        // From idle, failed or unregistering (`active` swallows it: registration is already wanted there).
        REGISTER: [
          { guard: 'linkUp', target: '.active.registering', actions: ['clearError', 'resetExpires'] },
          { target: '.active.waitingForLink', actions: ['clearError', 'resetExpires'] },
        ],
      },
      states: {
        idle: {
          tags: 'unregistered',
        },
        active: {
          initial: 'waitingForLink',
          on: {
            // The link is gone: whatever the server holds, we cannot be reached; register again when it is back.
            LINK_DOWN: { target: '.waitingForLink', actions: ['forgetBinding', 'clearRetry'] },
            UNREGISTER: { target: 'unregistering' },
            REGISTER: {},
          },
          states: {
            waitingForLink: {
              tags: 'registering',
              on: {
                LINK_UP: 'registering',
                UNREGISTER: { target: '#registration.binding.idle', actions: 'clearError' },
                LINK_DOWN: {},
              },
            },
            registering: {
              tags: 'registering',
              invoke: {
                src: 'sendRegister',
                input: ({ context }) => ({ expires: context.expires }),
                onDone: [
                  { guard: 'canRaiseExpires', target: 'registering', reenter: true, actions: 'raiseExpires' },
                  { guard: 'intervalTooBrief', target: '#registration.binding.failed', actions: 'recordIntervalTooBrief' },
                  { target: 'registered', actions: 'recordBinding' },
                ],
                onError: [
                  { guard: 'retryable', target: 'retrying', actions: 'scheduleRetry' },
                  { target: '#registration.binding.failed', actions: ['recordFailure', 'forgetBinding'] },
                ],
              },
            },
            registered: {
              tags: 'registered',
              initial: 'bound',
              states: {
                bound: {
                  after: { refreshDelay: 'refreshing' },
                },
                refreshing: {
                  invoke: {
                    src: 'sendRegister',
                    input: ({ context }) => ({ expires: context.expires }),
                    onDone: [
                      {
                        guard: 'canRaiseExpires',
                        target: '#registration.binding.active.registering',
                        actions: 'raiseExpires',
                      },
                      {
                        guard: 'intervalTooBrief',
                        target: '#registration.binding.failed',
                        actions: ['recordIntervalTooBrief', 'forgetBinding'],
                      },
                      { target: 'bound', actions: 'recordBinding' },
                    ],
                    onError: [
                      { guard: 'retryable', target: '#registration.binding.active.retrying', actions: 'scheduleRetry' },
                      { target: '#registration.binding.failed', actions: ['recordFailure', 'forgetBinding'] },
                    ],
                  },
                },
              },
            },
            retrying: {
              tags: 'retrying',
              after: {
                retryDelay: { target: 'registering', actions: 'clearRetry' },
                // A refresh kept failing until the binding ran out: say so by dropping expires/expiresAt.
                untilBindingLapses: { guard: 'bindingMayLapse', actions: 'forgetBinding' },
              },
            },
          },
        },
        unregistering: {
          tags: 'unregistering',
          entry: 'clearRetry',
          invoke: {
            src: 'sendUnregister',
            onDone: { target: 'idle', actions: ['forgetBinding', 'clearError'] },
            // The binding is dropped either way: an unregister that failed leaves it to lapse on the server.
            onError: { target: 'idle', actions: ['forgetBinding', 'clearError'] },
          },
          on: {
            LINK_DOWN: { target: 'idle', actions: ['forgetBinding', 'clearError'] },
          },
        },
        failed: {
          tags: 'failed',
          on: {
            UNREGISTER: { target: 'idle', actions: 'clearError' },
          },
        },
      },
    },
  },
});

/** A running registration machine. */
export type RegistrationActorRef = ActorRefFrom<typeof registrationMachine>;
/** A snapshot of the registration machine. */
export type RegistrationSnapshot = SnapshotFrom<typeof registrationMachine>;

/**
 * The status a registration snapshot is in.
 *
 * @example
 * ```ts
 * registrationStatusOf(actor.getSnapshot()); // 'registered'
 * ```
 */
export function registrationStatusOf(snapshot: RegistrationSnapshot): RegistrationStatus {
  return REGISTRATION_STATUSES.find((status) => snapshot.hasTag(status)) ?? 'unregistered';
}
