/**
 * The one clamp every timer delay of sipstate goes through.
 *
 * Node (and browsers) fire a `setTimeout` whose delay is above 2^31-1 ms (~24.8 days) after 1 ms instead, and NaN or a
 * negative delay fires at once. A server that grants `expires=2^53`, answers `Retry-After: 3000000`, or an option set
 * to 1e12 would otherwise turn every such delay into a tight loop. Machines pass each named delay through
 * {@link clampDelay}, with a floor where a delay must never be shorter (between two REGISTERs, between two
 * connection attempts).
 *
 * @example
 * ```ts
 * clampDelay(2 ** 53);       // 2_147_483_647
 * clampDelay(Number.NaN);    // 0
 * clampDelay(10, 250);       // 250
 * ```
 */

/**
 * The longest delay a timer can take: 2^31-1 ms, about 24.8 days.
 *
 * @example
 * ```ts
 * MAX_TIMER_DELAY_MS; // 2_147_483_647
 * ```
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * `ms` rounded and bounded to `[floorMs, MAX_TIMER_DELAY_MS]`. NaN and negative values become `floorMs`; `Infinity`
 * becomes the maximum.
 *
 * @param ms - the delay asked for, in milliseconds.
 * @param floorMs - the shortest delay allowed (default 0).
 *
 * @example
 * ```ts
 * clampDelay(2 ** 53);    // 2_147_483_647
 * clampDelay(Number.NaN); // 0
 * clampDelay(10, 250);    // 250
 * ```
 */
export function clampDelay(ms: number, floorMs = 0): number {
  const floor = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, Number.isFinite(floorMs) ? Math.round(floorMs) : 0));
  if (Number.isNaN(ms)) return floor;
  if (ms === Infinity) return MAX_TIMER_DELAY_MS;
  return Math.min(MAX_TIMER_DELAY_MS, Math.max(floor, Math.round(ms)));
}

/**
 * A duration a machine takes as input: `fallback` when it is absent or NaN, else the value as given. NaN would
 * otherwise reach {@link clampDelay} and become 0 (a timer firing at once); every other value is bounded by the clamp
 * when its timer starts.
 *
 * @param value - the duration given, in milliseconds, if any.
 * @param fallback - the default duration, in milliseconds.
 *
 * @example
 * ```ts
 * durationOr(undefined, 10_000);  // 10_000
 * durationOr(Number.NaN, 10_000); // 10_000
 * durationOr(2 ** 53, 10_000);    // 2 ** 53 (clampDelay bounds it later)
 * ```
 */
export function durationOr(value: number | undefined, fallback: number): number {
  return value === undefined || Number.isNaN(value) ? fallback : value;
}
