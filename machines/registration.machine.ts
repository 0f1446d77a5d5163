import { assign, fromPromise, setup, stateIn, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { SipError } from './errors';
import { backoffDelay, backoffPolicyOr, DEFAULT_REGISTRATION_RETRY_POLICY, type BackoffPolicy } from './backoff';
import { clampDelay, durationOr } from './delay';
import { defaultMachineEnvironment, type MachineEnvironment } from './environment';

/**
 * Registration with a SIP registrar: register, refresh before the binding lapses, retry what can be retried, and
 * register again by itself when the link comes back.
 *
 * Two regions run side by side:
 * - `link`: whether REGISTER can be sent now (`up`: the user agent is started and the transport connected). The
 *   parent sends `LINK_UP` / `LINK_DOWN`, and `LINK_FAILED` (with the transport's error) instead of `LINK_DOWN` when
 *   the transport has given up for good (`reconnect.maxAttempts` spent).
 * - `binding`: what the application asked for and where it stands. `active` means registration is wanted.
 *
 * Side effects are named actors supplied by `src/`:
 * - `sendRegister` (promise, input `{ expires }`): one REGISTER transaction, resolving with a {@link RegisterOutcome}
 *   or rejecting with a SipError. The binding in `src/` sends one transaction at a time: a new one waits for the
 *   final response of the one before, so at most one REGISTER is ever in flight.
 * - `sendUnregister` (promise): REGISTER with expires 0.
 *
 * What a registrar may ask is bounded here, whatever it answers (the channel in `src/` only parses):
 * - Pacing: every REGISTER sent because of a timer or of the server's answer (a refresh, a retry after an error, the
 *   REGISTER again after a 423) goes out at least {@link MIN_REGISTER_INTERVAL_MS} after the one before it was sent.
 *   A REGISTER sent because the link came up or the application asked (`LINK_UP`, `REGISTER`) is not delayed: the
 *   connection's own backoff paces those.
 * - Granted expiry: capped at what was asked (and at {@link MAX_EXPIRES_SEC}). A 2xx granting 0 s is no binding: it
 *   is a retryable failure (`retrying`, error kind `rejected`), retried with the registration backoff.
 * - 423 Interval Too Brief: followed at most {@link MAX_INTERVAL_TOO_BRIEF_RETRIES} times per registration attempt
 *   (the count starts over once registered, or on a new `REGISTER`), and only to a Min-Expires above what was asked
 *   and at most {@link MAX_EXPIRES_SEC}; otherwise `failed` with the 423 and why it was not followed.
 * - Retry-After: capped at {@link MAX_RETRY_AFTER_SEC}.
 * - A refresh that failed is retried before the binding lapses (no later than halfway to the lapse), unless that
 *   would break the pacing above.
 * - Deadlines: a REGISTER with no final response within `registerTimeoutMs` is given up (its actor is stopped, which
 *   ends its transaction in `src/`) and retried like any timeout (`retrying`, error kind `timeout`); an unregister
 *   with none within `unregisterTimeoutMs` ends `unregistered` all the same (the binding lapses on the server).
 * Every delay goes through `clampDelay` (at most 2^31-1 ms).
 *
 * Status is read from tags: `unregistered`, `registering`, `registered`, `unregistering`, `retrying`, `failed`.
 * `unregistered` holds an `error` only after `ABANDON` (the start failed while registration was wanted), until
 * `REGISTER` or `UNREGISTER`; every other way into it clears the error.
 *
 * A started client whose transport fails for good stays wanting the binding (`waitingForLink`, tag `registering`)
 * and keeps the transport's error as `linkError`, so that the status says why it is not registered, while the link
 * cannot come back by itself. Registration stays wanted so that when the application's `reconnect()` brings the link
 * back (`LINK_UP`), it registers again by itself, as after any reconnect. `linkError` goes as soon as the link is
 * being recovered (`LINK_DOWN`) or comes up, and on leaving `waitingForLink` (`UNREGISTER`, `ABANDON`).
 *
 * Timers that did not fire on time. The machine's timers run on XState's clock, which in browsers and Node is a
 * monotonic clock: it stops while the computer is suspended, a frozen page runs no timer at all, and a hidden page's
 * timers may fire a minute late. The wall clock (`environment.now()`) runs on. So the timestamps in the context
 * (`refreshAt`, `expiresAt`, `retryAt`, `lastSentAt`) are the truth, and the timers only the usual way to act on them:
 * - `CHECK_BINDING` (sent by `src/` when the platform says the machine probably slept or was frozen) compares the
 *   wall clock with them at once. A binding past `expiresAt` is gone: register again now (`registering`; pacing
 *   holds, as the last REGISTER went out at least the 1 s granted before it). Past `refreshAt`: refresh now. A
 *   REGISTER in flight for longer than `registerTimeoutMs`: given up and retried as on its deadline. A retry past
 *   `retryAt`: sent now. Anything else: nothing, so the event is cheap and may come often.
 * - `PAGE_HIDDEN` / `PAGE_VISIBLE`: while hidden, a refresh is scheduled no later than
 *   {@link HIDDEN_PAGE_REFRESH_MARGIN_MS} before the binding lapses (or at half the granted expiry when it is too
 *   short for that), so that a throttled timer a minute late still refreshes in time. Going hidden moves a refresh
 *   already scheduled later than that.
 */

/** What a REGISTER transaction ended with, when it did not fail. */
export type RegisterOutcome =
  /** 2xx: `expires` is what the registrar granted, in seconds. */
  | { type: 'registered'; expires: number }
  /** 423 Interval Too Brief: register again asking for at least `minExpires`. */
  | { type: 'intervalTooBrief'; minExpires: number };

/**
 * The shortest interval between two REGISTERs the machine sends by itself (refresh, retry, after a 423), in ms.
 *
 * @example
 * ```ts
 * import { MIN_REGISTER_INTERVAL_MS } from 'sipstate/machines';
 * MIN_REGISTER_INTERVAL_MS; // 1_000
 * ```
 */
export const MIN_REGISTER_INTERVAL_MS = 1_000;

/**
 * How long before the binding lapses a hidden page's refresh is due at the latest, in ms: Chromium runs the timers of
 * a page hidden for five minutes once a minute (intensive throttling), so a refresh timer may fire up to 60 s late;
 * 10 s more cover the REGISTER's round trip. A granted expiry shorter than twice this refreshes at half instead.
 *
 * @example
 * ```ts
 * import { HIDDEN_PAGE_REFRESH_MARGIN_MS } from 'sipstate/machines';
 * HIDDEN_PAGE_REFRESH_MARGIN_MS; // 70_000: with expires 600 a hidden page refreshes by 530 s at the latest
 * ```
 */
export const HIDDEN_PAGE_REFRESH_MARGIN_MS = 70_000;

/**
 * The longest expiry sipstate asks for or believes it was granted, in seconds (one day): a larger granted expiry is
 * capped, a larger Min-Expires in a 423 is not followed.
 *
 * @example
 * ```ts
 * import { MAX_EXPIRES_SEC } from 'sipstate/machines';
 * MAX_EXPIRES_SEC; // 86_400
 * ```
 */
export const MAX_EXPIRES_SEC = 86_400;

/**
 * The longest Retry-After sipstate honours, in seconds (one hour): a longer one waits this long.
 *
 * @example
 * ```ts
 * import { MAX_RETRY_AFTER_SEC } from 'sipstate/machines';
 * MAX_RETRY_AFTER_SEC; // 3_600
 * ```
 */
export const MAX_RETRY_AFTER_SEC = 3_600;

/**
 * How many 423 Interval Too Brief answers are followed (by asking again with the Min-Expires) per registration
 * attempt; the next one ends `failed`.
 *
 * @example
 * ```ts
 * import { MAX_INTERVAL_TOO_BRIEF_RETRIES } from 'sipstate/machines';
 * MAX_INTERVAL_TOO_BRIEF_RETRIES; // 3
 * ```
 */
export const MAX_INTERVAL_TOO_BRIEF_RETRIES = 3;

/**
 * The expiry {@link registrationMachine} asks for when its input names none, in seconds (ten minutes: short enough
 * that a binding left behind by a client that vanished lapses soon, long enough that refreshes stay rare).
 *
 * @example
 * ```ts
 * createActor(registrationMachine).start().getSnapshot().context.expires; // 600
 * ```
 */
export const DEFAULT_EXPIRES_SEC = 600;

/**
 * How long {@link registrationMachine} waits for the final response to a REGISTER when its input names no deadline, in
 * ms (ten seconds: sip.js would wait 32 s).
 *
 * @example
 * ```ts
 * createActor(registrationMachine).start().getSnapshot().context.registerTimeoutMs; // 10_000
 * ```
 */
export const DEFAULT_REGISTER_TIMEOUT_MS = 10_000;

/**
 * How long {@link registrationMachine} waits for the final response to an unregister when its input names no deadline,
 * in ms.
 *
 * @example
 * ```ts
 * createActor(registrationMachine).start().getSnapshot().context.unregisterTimeoutMs; // 5_000
 * ```
 */
export const DEFAULT_UNREGISTER_TIMEOUT_MS = 5_000;

/**
 * Input of {@link registrationMachine}. Every field is optional, and so is the input itself:
 * `createActor(registrationMachine)` runs on the defaults below.
 *
 * @example
 * ```ts
 * const input: RegistrationInput = { expires: 300, refreshWindow: [0.5, 0.6] };
 * createActor(registrationMachine, { input });
 * ```
 */
export interface RegistrationInput {
  /**
   * Seconds to ask for in REGISTER: an integer 1..{@link MAX_EXPIRES_SEC} (others are brought into that range).
   * Default {@link DEFAULT_EXPIRES_SEC} (600).
   */
  expires?: number;
  /**
   * Backoff for retrying after 408, a timeout, a transport error or a 5xx. Default `DEFAULT_REGISTRATION_RETRY_POLICY`
   * (1 s doubling to 60 s, jitter 0.5, never gives up).
   */
  retry?: BackoffPolicy;
  /**
   * When to refresh, as a fraction of the granted expiry: a random point between the two bounds, so that many clients
   * registered together do not refresh together. Default `[0.8, 0.9]`.
   */
  refreshWindow?: readonly [number, number];
  /**
   * A REGISTER not answered within this long (ms) is given up and retried (error kind `timeout`). Default
   * {@link DEFAULT_REGISTER_TIMEOUT_MS}.
   */
  registerTimeoutMs?: number;
  /** An unregister not answered within this long (ms) ends `unregistered`. Default {@link DEFAULT_UNREGISTER_TIMEOUT_MS}. */
  unregisterTimeoutMs?: number;
  /** Clock and random source. Default `defaultMachineEnvironment` (`Date.now`, `Math.random`). */
  environment?: MachineEnvironment;
}

/** Context of {@link registrationMachine}: its input with the defaults applied, and where the binding stands. */
export interface RegistrationContext {
  /** Seconds asked for by the application. */
  requestedExpires: number;
  /** Seconds asked for in the next REGISTER: the requested value, raised by a 423's Min-Expires. */
  expires: number;
  /** Seconds granted by the registrar, while a binding is believed to exist. */
  grantedExpires?: number;
  /** When the binding lapses, epoch ms. */
  expiresAt?: number;
  /** Delay from the binding (`expiresAt` minus the granted expiry) until the next refresh, ms. */
  refreshDelayMs?: number;
  /** When the next refresh is due, epoch ms: the refresh timer is set from it (see `CHECK_BINDING`). */
  refreshAt?: number;
  /** Whether the platform said the page is hidden (`PAGE_HIDDEN`): refreshes then leave a margin for late timers. */
  pageHidden: boolean;
  /** Failed attempts in a row. */
  attempt: number;
  /** When the last REGISTER was sent, epoch ms: the machine's own REGISTERs wait {@link MIN_REGISTER_INTERVAL_MS} after it. */
  lastSentAt?: number;
  /** 423 answers followed since the last binding or `REGISTER`. */
  intervalTooBriefRetries: number;
  retryDelayMs?: number;
  retryAt?: number;
  error?: SipError;
  /**
   * Why the link is down for good, while registration waits for it: the transport's error after `LINK_FAILED`.
   * Only ever set in `waitingForLink`.
   */
  linkError?: SipError;
  retry: BackoffPolicy;
  refreshWindow: readonly [number, number];
  registerTimeoutMs: number;
  unregisterTimeoutMs: number;
  environment: MachineEnvironment;
}

/** Events {@link registrationMachine} accepts. */
export type RegistrationEvent =
  | { type: 'REGISTER' }
  | { type: 'UNREGISTER' }
  | { type: 'LINK_UP' }
  | { type: 'LINK_DOWN' }
  /**
   * The link is down and will not come back by itself: the transport gave up (`reconnect.maxAttempts` spent).
   * Registration stays wanted (it registers again on `LINK_UP`), and `error` says why it is not registered meanwhile.
   */
  | { type: 'LINK_FAILED'; error: SipError }
  /**
   * The user agent stopped without its start ever succeeding: registration is no longer wanted, and `error` (why the
   * start failed) stays in the context so that `unregistered` says why.
   */
  | { type: 'ABANDON'; error: SipError }
  /**
   * Timers may not have fired on time (the machine slept, the page was frozen): compare the wall clock with the
   * binding now, and refresh, register again or retry at once what is due. Does nothing when nothing is due.
   */
  | { type: 'CHECK_BINDING' }
  /** The page is hidden: its timers may fire a minute late, so refreshes leave {@link HIDDEN_PAGE_REFRESH_MARGIN_MS}. */
  | { type: 'PAGE_HIDDEN' }
  /** The page is visible again: refreshes are scheduled in the refresh window as usual. */
  | { type: 'PAGE_VISIBLE' };

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

const DEFAULT_REFRESH_WINDOW: readonly [number, number] = [0.8, 0.9];

/** The expiry to ask for: an integer 1..MAX_EXPIRES_SEC (absent or NaN: the default). */
function requestableExpires(expires: number | undefined): number {
  if (expires === undefined || Number.isNaN(expires)) return DEFAULT_EXPIRES_SEC;
  return Math.min(MAX_EXPIRES_SEC, Math.max(1, Math.floor(expires)));
}

/** What a 2xx granted, in whole seconds: at most what was asked and MAX_EXPIRES_SEC; NaN counts as what was asked. */
function grantedSeconds(granted: number, asked: number): number {
  if (Number.isNaN(granted)) return asked;
  return Math.max(0, Math.floor(Math.min(granted, asked, MAX_EXPIRES_SEC)));
}

/** The refresh window, fractions in (0, 1]; anything else gives the default. */
function refreshWindowOr(window: readonly [number, number] | undefined): readonly [number, number] {
  if (!window) return DEFAULT_REFRESH_WINDOW;
  const [low, high] = window;
  const fraction = (value: number) => Number.isFinite(value) && value > 0 && value <= 1;
  return fraction(low) && fraction(high) && low <= high ? [low, high] : DEFAULT_REFRESH_WINDOW;
}

/**
 * When a binding recorded at `boundAt` for `grantedMs` should be refreshed at the latest while the page is hidden:
 * {@link HIDDEN_PAGE_REFRESH_MARGIN_MS} before it lapses, or at half when it is too short for that.
 */
function hiddenRefreshDeadline(boundAt: number, grantedMs: number): number {
  return boundAt + Math.max(grantedMs / 2, grantedMs - HIDDEN_PAGE_REFRESH_MARGIN_MS);
}

/**
 * How long from now until the machine may send its next REGISTER (MIN_REGISTER_INTERVAL_MS after the last). Never
 * more than MIN_REGISTER_INTERVAL_MS: a wall clock set back (NTP stepping it, the user changing it) must not hold a
 * refresh back for as long as it went back.
 */
function untilSendAllowed(context: RegistrationContext): number {
  if (context.lastSentAt === undefined) return 0;
  const wait = context.lastSentAt + MIN_REGISTER_INTERVAL_MS - context.environment.now();
  return Math.min(MIN_REGISTER_INTERVAL_MS, Math.max(0, wait));
}

function errorOf(event: unknown): SipError {
  const error = (event as { error?: unknown }).error;
  return error instanceof SipError ? error : new SipError('transport', 'REGISTER failed', { cause: error });
}

function outputOf(event: unknown): RegisterOutcome {
  return (event as { output: RegisterOutcome }).output;
}

/**
 * The registration machine (described at the top of this file), with inert default actors: `sendRegister` fails with
 * a `config` SipError (a final failure), `sendUnregister` does nothing.
 *
 * @example
 * ```ts
 * import { createActor, fromPromise } from 'xstate';
 * import { registrationMachine, registrationStatusOf } from 'sipstate/machines';
 *
 * const actor = createActor(
 *   registrationMachine.provide({ actors: { sendRegister: fromPromise(async () => ({ type: 'registered' as const, expires: 600 })) } }),
 * ).start();
 * actor.send({ type: 'LINK_UP' });
 * actor.send({ type: 'REGISTER' });
 * registrationStatusOf(actor.getSnapshot()); // 'registering', then 'registered'
 * ```
 */
export const registrationMachine = setup({
  types: {
    // `| void`, not `| undefined` (which setup's inference drops): makes the input optional in createActor.
    input: {} as RegistrationInput | void,
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
    // 423 with a Min-Expires above what we asked, within MAX_EXPIRES_SEC, and not too often: ask again with it.
    // Anything else would loop, or bind for longer than anyone should.
    canRaiseExpires: ({ context, event }) => {
      const outcome = outputOf(event);
      return (
        outcome.type === 'intervalTooBrief' &&
        outcome.minExpires > context.expires &&
        outcome.minExpires <= MAX_EXPIRES_SEC &&
        context.intervalTooBriefRetries < MAX_INTERVAL_TOO_BRIEF_RETRIES
      );
    },
    intervalTooBrief: ({ event }) => outputOf(event).type === 'intervalTooBrief',
    // A 2xx that grants 0 s leaves no binding: not registered.
    grantedNothing: ({ context, event }) => {
      const outcome = outputOf(event);
      return outcome.type === 'registered' && grantedSeconds(outcome.expires, context.expires) === 0;
    },
    // 408, transaction timeouts, transport errors and 5xx may succeed later; auth failures and other 4xx/6xx won't.
    retryable: ({ event }) => {
      const error = errorOf(event);
      if (error.kind === 'timeout' || error.kind === 'transport') return true;
      return error.kind === 'rejected' && error.code !== undefined && error.code >= 500 && error.code < 600;
    },
    bindingMayLapse: ({ context }) => context.expiresAt !== undefined,
    // Going hidden reschedules the refresh only when it is due later than a late timer allows, or already due (its
    // timer slept): otherwise the timer running now is left alone.
    hidingMovesRefresh: ({ context }) =>
      context.refreshAt !== undefined &&
      context.expiresAt !== undefined &&
      context.grantedExpires !== undefined &&
      (context.environment.now() >= context.refreshAt ||
        context.refreshAt >
          hiddenRefreshDeadline(context.expiresAt - context.grantedExpires * 1000, context.grantedExpires * 1000)),
    // The wall clock against the timestamps, for CHECK_BINDING (timers may have slept while the clock ran on).
    bindingLapsed: ({ context }) => context.expiresAt !== undefined && context.environment.now() >= context.expiresAt,
    refreshDue: ({ context }) => context.refreshAt !== undefined && context.environment.now() >= context.refreshAt,
    retryDue: ({ context }) => context.retryAt !== undefined && context.environment.now() >= context.retryAt,
    registerOverdue: ({ context }) =>
      context.lastSentAt !== undefined && context.environment.now() - context.lastSentAt >= context.registerTimeoutMs,
  },
  delays: {
    // From refreshAt, not from the state's entry: `bound` is entered again when the page goes hidden. Never longer
    // than the delay drawn from the binding, whatever the wall clock did meanwhile (set back, it would push it out).
    refreshDelay: ({ context }) => {
      const drawn = context.refreshDelayMs ?? MIN_REGISTER_INTERVAL_MS;
      const due = context.refreshAt !== undefined ? context.refreshAt - context.environment.now() : drawn;
      return clampDelay(Math.min(due, drawn), untilSendAllowed(context));
    },
    retryDelay: ({ context }) =>
      clampDelay(context.retryDelayMs ?? MIN_REGISTER_INTERVAL_MS, untilSendAllowed(context)),
    untilBindingLapses: ({ context }) =>
      clampDelay((context.expiresAt ?? context.environment.now()) - context.environment.now()),
    untilRegisterAllowed: ({ context }) => clampDelay(untilSendAllowed(context)),
    registerTimeout: ({ context }) => clampDelay(context.registerTimeoutMs),
    unregisterTimeout: ({ context }) => clampDelay(context.unregisterTimeoutMs),
  },
  actions: {
    clearError: assign({
      error: undefined,
      attempt: 0,
      retryAt: undefined,
      retryDelayMs: undefined,
      intervalTooBriefRetries: 0,
    }),
    resetExpires: assign(({ context }) => ({ expires: context.requestedExpires })),
    markSent: assign(({ context }) => ({ lastSentAt: context.environment.now() })),
    raiseExpires: assign(({ context, event }) => {
      const outcome = outputOf(event);
      return outcome.type === 'intervalTooBrief'
        ? { expires: outcome.minExpires, intervalTooBriefRetries: context.intervalTooBriefRetries + 1 }
        : {};
    }),
    recordIntervalTooBrief: assign(({ context, event }) => {
      const outcome = outputOf(event);
      const minExpires = outcome.type === 'intervalTooBrief' ? outcome.minExpires : Number.NaN;
      const why = !(minExpires > context.expires)
        ? `not above the ${context.expires} s asked`
        : minExpires > MAX_EXPIRES_SEC
          ? `above the ${MAX_EXPIRES_SEC} s sipstate accepts`
          : `after ${context.intervalTooBriefRetries} raises already (at most ${MAX_INTERVAL_TOO_BRIEF_RETRIES} are followed)`;
      return {
        error: new SipError(
          'rejected',
          `Registrar answered 423 Interval Too Brief with Min-Expires ${minExpires}, ${why}`,
          {
            code: 423,
            reason: 'Interval Too Brief',
          },
        ),
      };
    }),
    recordNothingGranted: assign({
      error: () =>
        new SipError('rejected', 'REGISTER accepted, but the registrar granted no time (expires 0): not registered', {
          reason: 'no time granted',
        }),
    }),
    recordBinding: assign(({ context, event }) => {
      const outcome = outputOf(event);
      const granted = grantedSeconds(
        outcome.type === 'registered' ? outcome.expires : context.expires,
        context.expires,
      );
      const now = context.environment.now();
      const [low, high] = context.refreshWindow;
      const fraction = low + (high - low) * context.environment.random();
      let refreshDelayMs = granted * 1000 * fraction;
      if (context.pageHidden)
        refreshDelayMs = Math.min(refreshDelayMs, hiddenRefreshDeadline(now, granted * 1000) - now);
      refreshDelayMs = clampDelay(refreshDelayMs, untilSendAllowed(context));
      return {
        grantedExpires: granted,
        expiresAt: now + granted * 1000,
        refreshDelayMs,
        refreshAt: now + refreshDelayMs,
        attempt: 0,
        intervalTooBriefRetries: 0,
        error: undefined,
        retryAt: undefined,
        retryDelayMs: undefined,
      };
    }),
    forgetBinding: assign({
      grantedExpires: undefined,
      expiresAt: undefined,
      refreshDelayMs: undefined,
      refreshAt: undefined,
    }),
    forgetLapsedBinding: assign(({ context }) =>
      context.expiresAt !== undefined && context.environment.now() >= context.expiresAt
        ? { grantedExpires: undefined, expiresAt: undefined, refreshDelayMs: undefined, refreshAt: undefined }
        : {},
    ),
    markPageHidden: assign({ pageHidden: true }),
    markPageVisible: assign({ pageHidden: false }),
    // Going hidden with a refresh scheduled later than a late timer allows: bring it forward (never later).
    refreshBeforeLateTimers: assign(({ context }) => {
      if (context.expiresAt === undefined || context.grantedExpires === undefined || context.refreshAt === undefined) {
        return {};
      }
      const grantedMs = context.grantedExpires * 1000;
      const boundAt = context.expiresAt - grantedMs;
      const refreshAt = Math.min(context.refreshAt, hiddenRefreshDeadline(boundAt, grantedMs));
      return { refreshAt, refreshDelayMs: refreshAt - boundAt };
    }),
    recordFailure: assign(({ event }) => ({ error: errorOf(event) })),
    // The deadline ran out before any final response: the same as sip.js's 408 after Timer F, only sooner.
    recordRegisterTimeout: assign({
      error: ({ context }) =>
        new SipError('timeout', `REGISTER not answered within ${context.registerTimeoutMs} ms`, {
          reason: 'no final response',
        }),
    }),
    recordLinkFailure: assign({ linkError: ({ event }) => (event.type === 'LINK_FAILED' ? event.error : undefined) }),
    clearLinkError: assign({ linkError: undefined }),
    recordAbandon: assign({ error: ({ event }) => (event.type === 'ABANDON' ? event.error : undefined) }),
    // Follows recordFailure or recordNothingGranted, which put the error in the context.
    scheduleRetry: assign(({ context }) => {
      const error = context.error ?? new SipError('transport', 'REGISTER failed');
      const attempt = context.attempt + 1;
      const now = context.environment.now();
      const retryAfter = error.retryAfter;
      let delay =
        retryAfter !== undefined && retryAfter >= 0
          ? Math.min(retryAfter, MAX_RETRY_AFTER_SEC) * 1000
          : backoffDelay(context.retry, attempt, context.environment.random);
      // A refresh that failed is retried while the binding still stands: no later than halfway to its lapse.
      if (context.expiresAt !== undefined && context.expiresAt > now) {
        delay = Math.min(delay, Math.floor((context.expiresAt - now) / 2));
      }
      delay = clampDelay(delay, untilSendAllowed(context));
      const lapsed = context.expiresAt !== undefined && context.expiresAt <= now;
      return {
        attempt,
        error,
        retryDelayMs: delay,
        retryAt: now + delay,
        ...(lapsed && {
          grantedExpires: undefined,
          expiresAt: undefined,
          refreshDelayMs: undefined,
          refreshAt: undefined,
        }),
      };
    }),
    clearRetry: assign({ retryAt: undefined, retryDelayMs: undefined }),
  },
}).createMachine({
  id: 'registration',
  type: 'parallel',
  context: ({ input = {} }) => ({
    requestedExpires: requestableExpires(input.expires),
    expires: requestableExpires(input.expires),
    attempt: 0,
    intervalTooBriefRetries: 0,
    retry: input.retry
      ? backoffPolicyOr(input.retry, DEFAULT_REGISTRATION_RETRY_POLICY)
      : { ...DEFAULT_REGISTRATION_RETRY_POLICY },
    refreshWindow: refreshWindowOr(input.refreshWindow),
    registerTimeoutMs: durationOr(input.registerTimeoutMs, DEFAULT_REGISTER_TIMEOUT_MS),
    unregisterTimeoutMs: durationOr(input.unregisterTimeoutMs, DEFAULT_UNREGISTER_TIMEOUT_MS),
    environment: input.environment ?? defaultMachineEnvironment,
    pageHidden: false,
  }),
  states: {
    link: {
      initial: 'down',
      states: {
        down: { on: { LINK_UP: 'up' } },
        up: { on: { LINK_DOWN: 'down', LINK_FAILED: 'down' } },
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
        // Remembered in every state, for the next binding; `bound` also moves its refresh.
        PAGE_HIDDEN: { actions: 'markPageHidden' },
        PAGE_VISIBLE: { actions: 'markPageVisible' },
        // Nothing is due outside the states that handle it.
        CHECK_BINDING: {},
      },
      states: {
        idle: {
          tags: 'unregistered',
          // Already unregistered: only the reason a failed start left (ABANDON) goes.
          on: { UNREGISTER: { actions: 'clearError' } },
        },
        active: {
          initial: 'waitingForLink',
          on: {
            // The link is gone: whatever the server holds, we cannot be reached; register again when it is back.
            LINK_DOWN: { target: '.waitingForLink', actions: ['forgetBinding', 'clearRetry'] },
            // Down for good: the same, and say why until the link is being recovered.
            LINK_FAILED: {
              target: '.waitingForLink',
              actions: ['forgetBinding', 'clearRetry', 'recordLinkFailure'],
            },
            ABANDON: {
              target: '#registration.binding.idle',
              actions: ['clearError', 'forgetBinding', 'recordAbandon'],
            },
            UNREGISTER: { target: 'unregistering' },
            REGISTER: {},
          },
          states: {
            waitingForLink: {
              tags: 'registering',
              // The transport's failure says why only while waiting for the link it broke.
              exit: 'clearLinkError',
              on: {
                LINK_UP: 'registering',
                UNREGISTER: { target: '#registration.binding.idle', actions: 'clearError' },
                // The link is being recovered (reconnect() after a failure): no longer down for good.
                LINK_DOWN: { actions: 'clearLinkError' },
                LINK_FAILED: { actions: 'recordLinkFailure' },
              },
            },
            registering: {
              tags: 'registering',
              entry: 'markSent',
              invoke: {
                src: 'sendRegister',
                input: ({ context }) => ({ expires: context.expires }),
                onDone: [
                  { guard: 'canRaiseExpires', target: 'raisingExpires', actions: 'raiseExpires' },
                  {
                    guard: 'intervalTooBrief',
                    target: '#registration.binding.failed',
                    actions: ['recordIntervalTooBrief', 'forgetBinding'],
                  },
                  {
                    guard: 'grantedNothing',
                    target: 'retrying',
                    actions: ['forgetBinding', 'recordNothingGranted', 'scheduleRetry'],
                  },
                  { target: 'registered', actions: 'recordBinding' },
                ],
                onError: [
                  { guard: 'retryable', target: 'retrying', actions: ['recordFailure', 'scheduleRetry'] },
                  { target: '#registration.binding.failed', actions: ['recordFailure', 'forgetBinding'] },
                ],
              },
              // Leaving stops sendRegister, whose transaction src/ then ends.
              after: { registerTimeout: { target: 'retrying', actions: ['recordRegisterTimeout', 'scheduleRetry'] } },
              on: {
                // Its deadline passed while timers slept: given up as if the deadline timer had fired.
                CHECK_BINDING: {
                  guard: 'registerOverdue',
                  target: 'retrying',
                  actions: ['recordRegisterTimeout', 'scheduleRetry'],
                },
              },
            },
            // A 423 asked for a longer expiry: ask again with it, no sooner than the pacing allows.
            raisingExpires: {
              tags: 'registering',
              after: { untilRegisterAllowed: 'registering' },
            },
            registered: {
              tags: 'registered',
              initial: 'bound',
              states: {
                bound: {
                  after: {
                    refreshDelay: [
                      // The timer slept past the lapse (a suspended computer: it fires on waking, the wall clock far
                      // on): no binding left to refresh, so not 'registered' while its REGISTER is out.
                      {
                        guard: 'bindingLapsed',
                        target: '#registration.binding.active.registering',
                        actions: 'forgetBinding',
                      },
                      { target: 'refreshing' },
                    ],
                  },
                  on: {
                    CHECK_BINDING: [
                      // Slept past the lapse: the registrar has dropped the binding. Not 'registered' a moment longer.
                      {
                        guard: 'bindingLapsed',
                        target: '#registration.binding.active.registering',
                        actions: 'forgetBinding',
                      },
                      { guard: 'refreshDue', target: 'refreshing' },
                    ],
                    PAGE_HIDDEN: [
                      {
                        guard: 'hidingMovesRefresh',
                        target: 'bound',
                        reenter: true,
                        actions: ['markPageHidden', 'refreshBeforeLateTimers'],
                      },
                      { actions: 'markPageHidden' },
                    ],
                  },
                },
                refreshing: {
                  entry: 'markSent',
                  invoke: {
                    src: 'sendRegister',
                    input: ({ context }) => ({ expires: context.expires }),
                    onDone: [
                      {
                        guard: 'canRaiseExpires',
                        target: '#registration.binding.active.raisingExpires',
                        actions: 'raiseExpires',
                      },
                      {
                        guard: 'intervalTooBrief',
                        target: '#registration.binding.failed',
                        actions: ['recordIntervalTooBrief', 'forgetBinding'],
                      },
                      {
                        guard: 'grantedNothing',
                        target: '#registration.binding.active.retrying',
                        actions: ['forgetBinding', 'recordNothingGranted', 'scheduleRetry'],
                      },
                      { target: 'bound', actions: 'recordBinding' },
                    ],
                    onError: [
                      {
                        guard: 'retryable',
                        target: '#registration.binding.active.retrying',
                        actions: ['recordFailure', 'scheduleRetry'],
                      },
                      { target: '#registration.binding.failed', actions: ['recordFailure', 'forgetBinding'] },
                    ],
                  },
                  after: {
                    registerTimeout: {
                      target: '#registration.binding.active.retrying',
                      actions: ['recordRegisterTimeout', 'scheduleRetry'],
                    },
                  },
                  on: {
                    CHECK_BINDING: {
                      guard: 'registerOverdue',
                      target: '#registration.binding.active.retrying',
                      actions: ['recordRegisterTimeout', 'scheduleRetry'],
                    },
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
              on: {
                CHECK_BINDING: [
                  { guard: 'retryDue', target: 'registering', actions: ['clearRetry', 'forgetLapsedBinding'] },
                  { guard: 'bindingLapsed', actions: 'forgetBinding' },
                ],
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
          // Unanswered: the same; leaving stops sendUnregister, whose transaction src/ then ends.
          after: { unregisterTimeout: { target: 'idle', actions: ['forgetBinding', 'clearError'] } },
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
