import { clampDelay, MAX_TIMER_DELAY_MS } from './delay';

/**
 * Exponential backoff with jitter, shared by the transport (reconnect) and registration (retry) machines.
 *
 * @example
 * ```ts
 * const policy: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5, maxAttempts: Infinity };
 * backoffDelay(policy, 3, Math.random); // between 1000 and 2000 ms
 * ```
 */
export interface BackoffPolicy {
  /** Delay before the first retry, in milliseconds. */
  initialDelayMs: number;
  /** Upper bound of any delay, in milliseconds. */
  maxDelayMs: number;
  /** Factor applied to the delay after each failed attempt. */
  multiplier: number;
  /**
   * Fraction of each delay that is randomised, 0 to 1. With 0.5, a 2 s delay becomes anything from 1 s to 2 s, which
   * spreads the retries of many clients that lost the same server at the same moment.
   */
  jitter: number;
  /** Attempts before giving up; `Infinity` never gives up. */
  maxAttempts: number;
}

/**
 * The reconnect policy used when the `reconnect` option is left out: 500 ms doubling to 30 s, jitter 0.5, never gives
 * up.
 *
 * @example
 * ```ts
 * createActor(transportMachine, { input: { reconnect: { ...DEFAULT_RECONNECT_POLICY, maxAttempts: 5 } } });
 * ```
 */
export const DEFAULT_RECONNECT_POLICY: Readonly<BackoffPolicy> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
});

/**
 * The policy for retrying a REGISTER after 408, a transaction timeout or a 5xx: 1 s doubling to 60 s, jitter 0.5,
 * never gives up.
 *
 * @example
 * ```ts
 * createActor(registrationMachine, { input: { retry: { ...DEFAULT_REGISTRATION_RETRY_POLICY, maxDelayMs: 300_000 } } });
 * ```
 */
export const DEFAULT_REGISTRATION_RETRY_POLICY: Readonly<BackoffPolicy> = Object.freeze({
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  multiplier: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
});

/**
 * `policy` with every field that is NaN (or not a number at all) replaced by the one from `defaults`, so that no NaN
 * reaches a delay. Other values are kept: {@link backoffDelay} and the delay clamp bound them.
 *
 * @example
 * ```ts
 * backoffPolicyOr({ ...DEFAULT_RECONNECT_POLICY, initialDelayMs: Number.NaN }, DEFAULT_RECONNECT_POLICY).initialDelayMs; // 500
 * ```
 */
export function backoffPolicyOr(policy: BackoffPolicy, defaults: Readonly<BackoffPolicy>): BackoffPolicy {
  const pick = (key: keyof BackoffPolicy): number => {
    const value = policy[key];
    return typeof value === 'number' && !Number.isNaN(value) ? value : defaults[key];
  };
  return {
    initialDelayMs: pick('initialDelayMs'),
    maxDelayMs: pick('maxDelayMs'),
    multiplier: pick('multiplier'),
    jitter: pick('jitter'),
    maxAttempts: pick('maxAttempts'),
  };
}

/**
 * Delay before retry number `attempt` (1 for the first retry), in ms, bounded to `[floorMs, MAX_TIMER_DELAY_MS]`.
 *
 * With a floor, the backoff grows from `max(initialDelayMs, floorMs)` and no delay (jitter included) is shorter than
 * the floor, whatever the policy says: `initialDelayMs: 0` still backs off.
 *
 * @param random - a source of numbers in [0, 1), injectable so tests are exact.
 * @param floorMs - the shortest delay allowed (default 0).
 *
 * @example
 * ```ts
 * backoffDelay({ initialDelayMs: 0, maxDelayMs: 30_000, multiplier: 2, jitter: 0, maxAttempts: Infinity }, 3, Math.random, 250); // 1000
 * ```
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number, floorMs = 0): number {
  const exponent = Math.max(0, attempt - 1);
  const initial = Math.max(floorMs, policy.initialDelayMs);
  // Bounded before the jitter is applied, so no Infinity (and no Infinity * 0 = NaN) gets there; a zero initial delay
  // (no floor) stays zero however many attempts there were.
  const grown = initial <= 0 ? 0 : initial * Math.max(1, policy.multiplier) ** exponent;
  const base = Math.min(policy.maxDelayMs, grown, MAX_TIMER_DELAY_MS);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return clampDelay(base * (1 - jitter + jitter * random()), floorMs);
}
