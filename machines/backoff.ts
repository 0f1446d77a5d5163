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

/** The reconnect policy used when the `reconnect` option is left out. */
export const DEFAULT_RECONNECT_POLICY: Readonly<BackoffPolicy> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
});

/** The policy for retrying a REGISTER after 408, a transaction timeout or a 5xx. */
export const DEFAULT_REGISTRATION_RETRY_POLICY: Readonly<BackoffPolicy> = Object.freeze({
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  multiplier: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
});

/**
 * Delay before retry number `attempt` (1 for the first retry).
 *
 * @param random - a source of numbers in [0, 1), injectable so tests are exact.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** exponent);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(base * (1 - jitter) + base * jitter * random());
}
