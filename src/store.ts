import {
  Observable,
  type BehaviorSubject,
  type Observer,
  type Subscriber,
  type Subscription,
  type TeardownLogic,
} from 'rxjs';

/**
 * What a state stream's `subscribe` returns: the RxJS `Subscription` (`unsubscribe()`, `closed`, `add`, `remove`), and
 * also a function that unsubscribes. The function is what a Svelte store (an `Unsubscriber`) and React's
 * `useSyncExternalStore` expect back from `subscribe`.
 *
 * It delegates to the RxJS subscription rather than being one: `instanceof Subscription` is false, everything else
 * (including `parent.add(it)`) behaves as RxJS's own.
 *
 * @example
 * ```ts
 * const stop = client.registration$.subscribe((registration) => render(registration));
 * stop();               // the same as stop.unsubscribe()
 * ```
 */
export type StateSubscription = Subscription & (() => void);

/**
 * A state that changes over time, as sipstate exposes it: `client.transport$`, `userAgent$`, `registration$`,
 * `state$`, `calls$` and `call.state$`.
 *
 * - An RxJS `Observable`: `pipe`, operators, `firstValueFrom`, Angular's `toSignal(x, { requireSync: true })`.
 * - It replays: `subscribe` emits the current value synchronously, then each change (never the same value twice in a
 *   row); it completes when its owner is disposed or the call has ended, and never errors.
 * - A Svelte store (`Readable<T>`): `$store`, `derived`, `get` and `fromStore` from `svelte/store`, because
 *   `subscribe` returns a function that unsubscribes (see {@link StateSubscription}).
 * - An external store for selector libraries and React's `useSyncExternalStore`: `getSnapshot()` is the current
 *   value, the same object until the state changes. `subscribe` and `getSnapshot` are bound, so they can be passed
 *   on alone.
 *
 * The event streams (`incomingCalls$`, `messages$`, `call.dtmf$`) are plain Observables, not state streams: they have
 * no current value and do not replay, so they are not stores either.
 *
 * @example
 * ```ts
 * import { derived, get } from 'svelte/store';
 *
 * const registered = derived(client.registration$, ($registration) => $registration.status === 'registered');
 * get(client.transport$).status;        // 'disconnected'
 * client.transport$.getSnapshot();      // the same object
 * useSyncExternalStore(client.state$.subscribe, client.state$.getSnapshot); // React, without sipstate/react
 * ```
 */
export class StateStream<T> extends Observable<T> {
  /** The current value: the one a new subscriber gets first, the same object until the state changes. */
  readonly getSnapshot: () => T;

  /**
   * A state stream over `source`, which must emit its current value synchronously on subscribe; `getSnapshot` must
   * return that value. Use {@link stateStream} for a `BehaviorSubject`.
   *
   * @example
   * ```ts
   * const calls$ = new StateStream((subscriber) => list.calls$.subscribe(subscriber), () => list.current());
   * ```
   */
  constructor(subscribe: (subscriber: Subscriber<T>) => TeardownLogic, getSnapshot: () => T) {
    super(subscribe);
    this.getSnapshot = getSnapshot;
    // Bound: Svelte's `Readable` declares `subscribe(this: void, ...)`, and React takes `subscribe` on its own.
    this.subscribe = this.subscribe.bind(this);
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): StateSubscription;
  /** @deprecated As in RxJS: pass an observer object instead of three callbacks. */
  override subscribe(
    next?: ((value: T) => void) | null,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): StateSubscription;
  override subscribe(...args: Parameters<Observable<T>['subscribe']>): StateSubscription {
    // Svelte passes `(run, invalidate)`; RxJS reads the second as an error callback, which a state stream never calls.
    return callable(super.subscribe(...args));
  }
}

/**
 * The state stream of a `BehaviorSubject`: what its owner exposes instead of `subject.asObservable()`, so that
 * subscribers cannot push values and get a store besides.
 *
 * @example
 * ```ts
 * const transport = new BehaviorSubject(initialTransport);
 * const client = { transport$: stateStream(transport) };
 * ```
 */
export function stateStream<T>(subject: BehaviorSubject<T>): StateStream<T>;
/**
 * The state stream of `source`, an Observable that emits `getSnapshot()` synchronously on subscribe.
 *
 * @example
 * ```ts
 * const calls$ = stateStream(liveCallList.calls$, () => liveCallList.current());
 * ```
 */
export function stateStream<T>(source: Observable<T>, getSnapshot: () => T): StateStream<T>;
export function stateStream<T>(source: Observable<T>, getSnapshot?: () => T): StateStream<T> {
  const snapshot = getSnapshot ?? (() => (source as BehaviorSubject<T>).getValue());
  return new StateStream<T>((subscriber) => {
    // A completed BehaviorSubject completes new subscribers without its value (an ended call, a disposed client):
    // a state stream still replays its last state first, as it promises.
    let replayed = false;
    return source.subscribe({
      next: (value) => {
        replayed = true;
        subscriber.next(value);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        if (!replayed) subscriber.next(snapshot());
        subscriber.complete();
      },
    });
  }, snapshot);
}

function callable(subscription: Subscription): StateSubscription {
  const unsubscribe = (): void => subscription.unsubscribe();
  return Object.defineProperties(unsubscribe, {
    closed: { get: () => subscription.closed, enumerable: true },
    unsubscribe: { value: unsubscribe },
    add: { value: (teardown: TeardownLogic): void => subscription.add(teardown) },
    remove: { value: (teardown: Exclude<TeardownLogic, void>): void => subscription.remove(teardown) },
  }) as unknown as StateSubscription;
}
