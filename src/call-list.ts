import { Observable, Subject } from 'rxjs';

/**
 * The calls of a client that have not ended, oldest first, as `client.calls$` emits them.
 *
 * Adding or removing a call is O(1). The list is copied only when someone reads it: at most once per microtask for
 * the subscribers (every change made in one synchronous burst, say 100 INVITEs handled in one tick, gives one
 * emission, with the final list), and once per change at most when read on subscribe. The old `BehaviorSubject` copied
 * the whole list on every change, which made a burst of n calls cost n^2.
 *
 * Emission rule, per subscriber: the current list synchronously on subscribe (correct at that moment, even in the
 * middle of a burst); then, after each microtask in which the list changed, the list as it is then, unless it holds
 * the same calls in the same order as the last one this subscriber got. Lists in between may be skipped. Each list is
 * a new frozen array. `close()` emits the empty list (to those who had another) and completes; subscribing after that
 * only completes.
 *
 * @example
 * ```ts
 * const live = new LiveCallList<Call>();
 * live.calls$.subscribe((calls) => render(calls)); // [] at once
 * live.add(call);                                  // render([call]) after this microtask
 * ```
 */
export class LiveCallList<T> {
  private readonly live = new Set<T>();
  /** The last list built, reused while the calls are the same ones, so unchanged lists compare equal by reference. */
  private snapshot: readonly T[] = Object.freeze([]);
  private dirty = false;
  private flushScheduled = false;
  private closed = false;
  private readonly flushes = new Subject<void>();

  /**
   * The live calls: the current list on subscribe, then coalesced changes (see the class).
   *
   * @example
   * ```ts
   * const now = await firstValueFrom(live.calls$);
   * ```
   */
  readonly calls$: Observable<readonly T[]> = new Observable<readonly T[]>((subscriber) => {
    if (this.closed) {
      subscriber.complete();
      return undefined;
    }
    let last = this.current();
    subscriber.next(last);
    return this.flushes.subscribe({
      next: () => {
        const next = this.current();
        if (next === last) return;
        last = next;
        subscriber.next(next);
      },
      complete: () => subscriber.complete(),
    });
  });

  /** How many calls are live now. */
  get size(): number {
    return this.live.size;
  }

  /**
   * Adds a call at the end (the newest).
   *
   * @example
   * ```ts
   * live.add(call);
   * ```
   */
  add(call: T): void {
    if (this.closed || this.live.has(call)) return;
    this.live.add(call);
    this.changed();
  }

  /**
   * Removes a call; false when it was not there.
   *
   * @example
   * ```ts
   * call.ended().then(() => live.delete(call));
   * ```
   */
  delete(call: T): boolean {
    if (this.closed || !this.live.delete(call)) return false;
    this.changed();
    return true;
  }

  /**
   * The list now: built from the live set when it changed since the last build, else the same array as before.
   *
   * @example
   * ```ts
   * live.current().length;
   * ```
   */
  current(): readonly T[] {
    if (!this.dirty) return this.snapshot;
    this.dirty = false;
    const next = [...this.live];
    const previous = this.snapshot;
    // Added and removed within one burst: the same list, kept as the same array so no one gets it twice.
    if (next.length !== previous.length || next.some((call, index) => call !== previous[index])) {
      this.snapshot = Object.freeze(next);
    }
    return this.snapshot;
  }

  /**
   * Empties the list, emits it to every subscriber that had another, and completes. Later changes are ignored.
   *
   * @example
   * ```ts
   * live.close(); // on dispose()
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.live.clear();
    this.dirty = true;
    this.flushes.next();
    this.closed = true;
    this.flushes.complete();
  }

  private changed(): void {
    this.dirty = true;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.closed) this.flushes.next();
    });
  }
}
