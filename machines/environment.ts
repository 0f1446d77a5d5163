/**
 * The parts of the outside world the machines read: the wall clock (for `retryAt`/`expiresAt` timestamps) and a
 * random source (for jitter). Timers themselves go through XState's clock (`createActor(machine, { clock })`), so
 * `vi.useFakeTimers()` or `SimulatedClock` control them.
 *
 * @example
 * ```ts
 * const fixed: MachineEnvironment = { now: () => 1_000, random: () => 0.5 };
 * createActor(transportMachine, { input: { servers: ['ws://127.0.0.1:5066'], environment: fixed } });
 * ```
 */
export interface MachineEnvironment {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A number in [0, 1). */
  random(): number;
}

/**
 * `Date.now` and `Math.random`: what every machine uses when its input has no `environment`.
 *
 * @example
 * ```ts
 * const noJitter: MachineEnvironment = { ...defaultMachineEnvironment, random: () => 0 };
 * ```
 */
export const defaultMachineEnvironment: MachineEnvironment = {
  now: () => Date.now(),
  random: () => Math.random(),
};
