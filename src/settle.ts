import { SipError } from './errors';

/**
 * What a command's check says of one state: keep waiting, resolve, or reject with this error.
 *
 * @example
 * ```ts
 * const connected: Check<SipClientState> = ({ transport }) => (transport.status === 'connected' ? 'resolve' : 'wait');
 * ```
 */
export type Verdict = 'wait' | 'resolve' | SipError;

/**
 * Judges the states that follow a command, one at a time, from the one right after the command on.
 *
 * @example
 * ```ts
 * const registered: Check<SipClientState> = ({ registration }) =>
 *   registration.status === 'registered' ? 'resolve' : 'wait';
 * ```
 */
export type Check<State> = (state: State) => Verdict;

/**
 * Marks a promise handled, so that a caller who ignores it cannot crash the process with an unhandled rejection
 * (TanStack Query's `promise.catch(noop)`); the promise itself still rejects for a caller who awaits it.
 *
 * @example
 * ```ts
 * return handled(Promise.reject(new SipError('config', 'no')));
 * ```
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * A promise already rejected with `error`, marked handled.
 *
 * @example
 * ```ts
 * if (disposed) return refused(new SipError('cancelled', 'The client is disposed'));
 * ```
 */
export function refused(error: SipError): Promise<never> {
  return handled(Promise.reject(error));
}

/**
 * The check of a command that can be superseded by a later one: it resolves on `done`; it waits until the state shows
 * the command in progress (`inProgress`), because what shows before that is a state from before the command (an event
 * still queued); once it was in progress, any state that is neither in progress nor done ends it with `ended(state)`
 * (the failure the state carries, or `cancelled` when a later command took over). A fresh check per command: it
 * remembers whether it saw the command in progress.
 *
 * @example
 * ```ts
 * const check = supersedable<SipClientState>({
 *   done: ({ userAgent }) => userAgent.status === 'stopped',
 *   inProgress: ({ userAgent }) => userAgent.status === 'stopping',
 *   ended: () => new SipError('cancelled', 'stop() was superseded by start()'),
 * });
 * ```
 */
export function supersedable<State>(rules: {
  done(state: State): boolean;
  inProgress(state: State): boolean;
  ended(state: State): SipError;
}): Check<State> {
  let moved = false;
  return (state) => {
    if (rules.done(state)) return 'resolve';
    if (rules.inProgress(state)) {
      moved = true;
      return 'wait';
    }
    return moved ? rules.ended(state) : 'wait';
  };
}

interface Waiter<State> {
  readonly check: Check<State>;
  resolve(): void;
  reject(error: SipError): void;
}

/**
 * The promises of the commands sent to one actor, each settled by its check. `run()` sends a command and judges the
 * state right after it; `judge()` judges each later state; `close()` rejects whatever still waits. Every promise it
 * returns is marked handled and settles: by a verdict, or by `close()`.
 *
 * @example
 * ```ts
 * const settler = new CommandSettler(() => client.getState());
 * const started = settler.run(() => actor.send({ type: 'START' }), check);
 * client.state$.subscribe((state) => settler.judge(state));
 * ```
 */
export class CommandSettler<State> {
  readonly #waiters = new Set<Waiter<State>>();
  readonly #current: () => State;

  /** `current` reads the state right after a command was sent. */
  constructor(current: () => State) {
    this.#current = current;
  }

  /** Commands still waiting for their verdict. */
  get pending(): number {
    return this.#waiters.size;
  }

  /**
   * Runs `send` (if any), then settles by `check`, which sees every state from the one right after `send` on.
   * A check that throws rejects the promise with what it threw, as a SipError.
   */
  run(send: (() => void) | undefined, check: Check<State>): Promise<void> {
    return handled(
      new Promise<void>((resolve, reject) => {
        const waiter: Waiter<State> = { check, resolve, reject };
        this.#waiters.add(waiter);
        send?.();
        if (this.#waiters.has(waiter)) this.#settle(waiter, this.#current());
      }),
    );
  }

  /**
   * Judges `state` for every command waiting now. `announce` (publishing the state) runs after the waiters are
   * counted and before they are judged: a command sent by a subscriber while the state goes out judges later states,
   * not this one (which it already saw as the state right after it).
   */
  judge(state: State, announce?: () => void): void {
    const waiting = [...this.#waiters];
    announce?.();
    for (const waiter of waiting) if (this.#waiters.has(waiter)) this.#settle(waiter, state);
  }

  /** Rejects every command still waiting with `error`. Later `run()`s still work: the caller refuses them. */
  close(error: SipError): void {
    const waiting = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiting) waiter.reject(error);
  }

  #settle(waiter: Waiter<State>, state: State): void {
    let verdict: Verdict;
    try {
      verdict = waiter.check(state);
    } catch (error) {
      verdict = error instanceof SipError ? error : new SipError('config', `A command's check threw: ${String(error)}`);
    }
    if (verdict === 'wait') return;
    this.#waiters.delete(waiter);
    if (verdict === 'resolve') waiter.resolve();
    else waiter.reject(verdict);
  }
}
