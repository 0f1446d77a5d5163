/**
 * Leader election between the tabs of one origin with a Web Lock: the tab that holds the lock named for the address
 * of record is the leader. The browser releases a lock when its tab closes or crashes and grants it to the next tab
 * waiting, so a leader needs no heartbeat; `takeOver()` steals the lock (`steal: true`), which the browser takes from
 * the holder at once, rejecting its request with an AbortError.
 */

/**
 * The part of `navigator.locks` (the Web Locks API) the election uses.
 *
 * @example
 * ```ts
 * const locks: LockManagerLike = navigator.locks;
 * ```
 */
export interface LockManagerLike {
  request(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/**
 * What the election tells its owner.
 *
 * @example
 * ```ts
 * const events: ElectionEvents = { elected: () => lead(), deposed: () => follow() };
 * ```
 */
export interface ElectionEvents {
  /** This tab now holds the lock: it is the leader. */
  elected(): void;
  /** The lock was taken from this tab (another tab's `takeOver()`): it is a follower again, and waits in line. */
  deposed(): void;
}

/**
 * One tab's place in the election for `name`: it waits in line for the lock from `join()` on, holds it while it is
 * the leader, and waits in line again when deposed.
 *
 * @example
 * ```ts
 * const election = new Election(navigator.locks, 'sipstate.tabs sip:alice@example.com', { elected, deposed });
 * election.join();
 * await election.takeOver(); // this tab is the leader now
 * election.leave();
 * ```
 */
export class Election {
  readonly #locks: LockManagerLike;
  readonly #name: string;
  readonly #events: ElectionEvents;
  /** Aborts the request waiting in line, and releases the lock once held. */
  #attempt: AbortController | undefined;
  /** Ends the callback that holds the lock: releasing it. */
  #release: (() => void) | undefined;
  #leader = false;
  #left = false;
  /** The steal on its way: a second takeOver() waits for it rather than stealing from the first. */
  #stealing: Promise<void> | undefined;

  constructor(locks: LockManagerLike, name: string, events: ElectionEvents) {
    this.#locks = locks;
    this.#name = name;
    this.#events = events;
  }

  /** Whether this tab holds the lock. */
  get leader(): boolean {
    return this.#leader;
  }

  /** Waits in line for the lock (from the end of the line). */
  join(): void {
    this.#request(false);
  }

  /**
   * Takes the lock from the leader now, ahead of the tabs waiting in line. Resolves once this tab holds it (at once
   * when it already does); rejects when the browser refuses the request or `leave()` comes first.
   */
  takeOver(): Promise<void> {
    if (this.#leader) return Promise.resolve();
    this.#stealing ??= this.#request(true).finally(() => {
      this.#stealing = undefined;
    });
    return this.#stealing;
  }

  /** Leaves the election: stops waiting, or releases the lock (the next tab in line gets it). */
  leave(): void {
    this.#left = true;
    this.#leader = false;
    this.#attempt?.abort();
    this.#attempt = undefined;
    this.#release?.();
    this.#release = undefined;
  }

  /**
   * Steps out for now: like `leave()` (the lock released, or the place in line given up), but `join()` may follow.
   * For a page going into the back/forward cache, where it must not hold the registration of the other tabs.
   */
  stepOut(): void {
    this.leave();
    this.#left = false;
  }

  #request(steal: boolean): Promise<void> {
    if (this.#left) return Promise.reject(new Error('left the election'));
    // One request at a time: a steal replaces this tab's place in line.
    this.#attempt?.abort();
    const attempt = new AbortController();
    this.#attempt = attempt;
    let granted!: () => void;
    let refused!: (error: unknown) => void;
    const held = new Promise<void>((resolve, reject) => {
      granted = resolve;
      refused = reject;
    });
    // join() does not wait for the lock: a refusal is no unhandled rejection.
    held.catch(() => undefined);
    // A stolen request must not carry a signal (the API refuses steal with signal); it is never queued anyway.
    const options = steal ? { steal: true } : { signal: attempt.signal };
    let request: Promise<unknown>;
    try {
      request = this.#locks.request(this.#name, options, () => {
        if (attempt.signal.aborted || this.#left) return Promise.resolve();
        this.#leader = true;
        const released = new Promise<void>((resolve) => {
          this.#release = resolve;
        });
        granted();
        this.#events.elected();
        return released;
      });
    } catch (error) {
      refused(error);
      return held;
    }
    request.then(
      () => refused(new Error('lock released')),
      (error: unknown) => {
        refused(error);
        // Not ours any more: an abort of our own (a steal replacing the wait, leave()), or the lock stolen from us.
        if (this.#attempt !== attempt || this.#left) return;
        const wasLeader = this.#leader;
        this.#leader = false;
        this.#release = undefined;
        if (!wasLeader) return;
        this.#events.deposed();
        // Back in line, to lead again when the new leader goes.
        if (!this.#left && this.#attempt === attempt) this.#request(false);
      },
    );
    return held;
  }
}
