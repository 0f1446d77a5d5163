/**
 * The page's (or process's) life as the clients need to hear of it: when it probably slept or was frozen, when it is
 * hidden, when it goes into the back/forward cache and comes back from it.
 *
 * One per page or process, shared by every client (as TanStack Query's focusManager and onlineManager are): a service
 * with 15,000 clients has one watchdog timer and one set of page listeners, not 15,000. It runs only while some client
 * listens (`subscribe`), and touches no global before that, so importing sipstate on a server touches none.
 * Replaceable for tests ({@link setPlatformLifecycle}).
 *
 * Why a watchdog: browsers and Node run timers on a monotonic clock, which stops while the computer is suspended
 * (Linux, macOS); a page that is frozen runs none; a process stopped with SIGSTOP runs none until continued. The wall
 * clock runs on. A short interval timer that fires much later by the wall clock than it was set for says that all the
 * other timers may have slept too: the refresh timer of a registration that lapsed meanwhile still waits for its
 * remaining minutes. The wall clock cannot be watched for jumps any other way (there is no event for it). Where the
 * platform says how long its event loop was busy (Node), the watchdog's lateness that the process's own work explains
 * is not taken for a sleep.
 */

/**
 * Why the platform thinks timers may not have fired on time, or the connection may be gone.
 *
 * @example
 * ```ts
 * const reason: WakeReason = 'clock-jump';
 * ```
 */
export type WakeReason =
  /** The watchdog fired later by the wall clock than set: the computer slept, the process was stopped, or the page's timers were throttled. */
  | 'clock-jump'
  /** `visibilitychange` to visible. */
  | 'visible'
  /** The window got the focus. */
  | 'focus'
  /** The browser says the network is back (`online`). */
  | 'online'
  /** The page was frozen and runs again (`resume`, Page Lifecycle API). */
  | 'resume';

/**
 * What the page or process tells the clients.
 *
 * @example
 * ```ts
 * const event: LifecycleEvent = { type: 'wake', reason: 'clock-jump', lateByMs: 7_200_000 };
 * ```
 */
export type LifecycleEvent =
  /** Timers may have slept: check the connection and the binding now. `lateByMs` for `clock-jump`. */
  | { type: 'wake'; reason: WakeReason; lateByMs?: number }
  /** The page is hidden: its timers may fire up to a minute late. */
  | { type: 'hidden' }
  /** The page is visible again (a `wake` with reason `visible` follows, unless a wake came less than 1 s before). */
  | { type: 'visible' }
  /** `pagehide` with `persisted`: the page is going into the back/forward cache, where nothing of it runs. */
  | { type: 'cached' }
  /** `pageshow` with `persisted`: the page came back from the back/forward cache. */
  | { type: 'restored' };

/**
 * The page's (or process's) lifecycle events, for the clients. {@link platformLifecycle} gives the one in use.
 *
 * @example
 * ```ts
 * const unsubscribe = platformLifecycle().subscribe((event) => console.log(event.type));
 * ```
 */
export interface PlatformLifecycle {
  /** Calls `listener` with each event until the returned function is called. */
  subscribe(listener: (event: LifecycleEvent) => void): () => void;
  /** Whether the page is hidden now (false where there is no page). */
  isHidden(): boolean;
}

/**
 * How often the watchdog looks at the wall clock, in ms: after a sleep it notices within this long of the timers
 * running again.
 *
 * @example
 * ```ts
 * WATCHDOG_INTERVAL_MS; // 2_000
 * ```
 */
export const WATCHDOG_INTERVAL_MS = 2_000;

/**
 * How much later than set the watchdog must fire (by the wall clock) to count as a sleep, in ms: more than an event
 * loop held up by a burst of work, less than a suspend or a throttled hidden page (a minute).
 *
 * @example
 * ```ts
 * CLOCK_JUMP_THRESHOLD_MS; // 5_000
 * ```
 */
export const CLOCK_JUMP_THRESHOLD_MS = 5_000;

/**
 * Page wakes closer together than this are one (a tab switch fires `visibilitychange` and `focus`), in ms.
 *
 * @example
 * ```ts
 * MIN_PAGE_WAKE_INTERVAL_MS; // 1_000
 * ```
 */
export const MIN_PAGE_WAKE_INTERVAL_MS = 1_000;

interface EventTargetLike {
  addEventListener(type: string, listener: (event: unknown) => void): void;
  removeEventListener(type: string, listener: (event: unknown) => void): void;
}

/**
 * Where a {@link createPlatformLifecycle} gets its clock, timer and page from: the real ones by default, fakes in tests.
 *
 * @example
 * ```ts
 * const host: LifecycleHost = { now: () => Date.now(), setInterval, clearInterval };
 * ```
 */
export interface LifecycleHost {
  /** The wall clock, epoch ms. */
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /**
   * How long this process's event loop has been busy running code (not waiting for I/O or timers) since some fixed
   * point, ms; absent where the platform does not tell (browsers). Node: `performance.eventLoopUtilization().active`.
   * A watchdog late because the process itself was busy (thousands of clients reconnecting at once) did not sleep.
   */
  busyMs?(): number;
  /** The window (`focus`, `online`, `pagehide`, `pageshow`); absent outside browsers. */
  readonly window?: EventTargetLike | undefined;
  /** The document (`visibilitychange`, `resume`), with its `visibilityState`; absent outside browsers. */
  readonly document?: (EventTargetLike & { readonly visibilityState?: string }) | undefined;
}

/**
 * A lifecycle on `host`: the watchdog and the page listeners run while at least one listener is subscribed.
 *
 * @example
 * ```ts
 * const lifecycle = createPlatformLifecycle({ now: () => Date.now(), setInterval, clearInterval });
 * const stop = lifecycle.subscribe((event) => console.log(event));
 * stop(); // the watchdog stops with the last listener
 * ```
 */
export function createPlatformLifecycle(host: LifecycleHost): PlatformLifecycle {
  const listeners = new Set<(event: LifecycleEvent) => void>();
  let detach: (() => void) | undefined;
  let lastPageWakeAt = Number.NEGATIVE_INFINITY;

  const emit = (event: LifecycleEvent): void => {
    // A copy: a listener may unsubscribe (or subscribe another) while being told.
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // One client's failure must not keep the event from the others.
      }
    }
  };

  const pageWake = (reason: WakeReason): void => {
    const now = host.now();
    if (now - lastPageWakeAt < MIN_PAGE_WAKE_INTERVAL_MS && now >= lastPageWakeAt) return;
    lastPageWakeAt = now;
    emit({ type: 'wake', reason });
  };

  const attach = (): (() => void) => {
    let lastTickAt = host.now();
    let lastBusyMs = host.busyMs?.() ?? 0;
    const tick = (): void => {
      const now = host.now();
      const busyMs = host.busyMs?.() ?? 0;
      const lateByMs = now - lastTickAt - WATCHDOG_INTERVAL_MS;
      // Late because this process was busy is no sleep: its timers were late, not asleep, and fire as they can. Taken
      // for one, every client of a process busy with 15,000 reconnections probed and rechecked at once, which held the
      // event loop up for seconds more and was taken for the next sleep.
      const sleptMs = lateByMs - (busyMs - lastBusyMs);
      lastTickAt = now;
      lastBusyMs = busyMs;
      if (sleptMs >= CLOCK_JUMP_THRESHOLD_MS) emit({ type: 'wake', reason: 'clock-jump', lateByMs });
    };
    const handle = host.setInterval(tick, WATCHDOG_INTERVAL_MS);
    // Node: the watchdog alone must not keep the process alive.
    (handle as { unref?: () => void } | undefined)?.unref?.();

    const { window, document } = host;
    const onVisibility = (): void => {
      if (document?.visibilityState === 'hidden') {
        emit({ type: 'hidden' });
      } else {
        emit({ type: 'visible' });
        pageWake('visible');
      }
    };
    const onFocus = (): void => pageWake('focus');
    const onOnline = (): void => pageWake('online');
    const onResume = (): void => pageWake('resume');
    const onPageHide = (event: unknown): void => {
      if ((event as { persisted?: unknown }).persisted === true) emit({ type: 'cached' });
    };
    const onPageShow = (event: unknown): void => {
      if ((event as { persisted?: unknown }).persisted === true) emit({ type: 'restored' });
    };
    const pageListeners: [EventTargetLike | undefined, string, (event: unknown) => void][] = [
      [document, 'visibilitychange', onVisibility],
      [document, 'resume', onResume],
      [window, 'focus', onFocus],
      [window, 'online', onOnline],
      [window, 'pagehide', onPageHide],
      [window, 'pageshow', onPageShow],
    ];
    for (const [target, type, listener] of pageListeners) target?.addEventListener(type, listener);
    return () => {
      host.clearInterval(handle);
      for (const [target, type, listener] of pageListeners) target?.removeEventListener(type, listener);
    };
  };

  return {
    subscribe(listener) {
      // A wrapper per subscription: the same function subscribed twice is two subscriptions.
      const entry = (event: LifecycleEvent): void => listener(event);
      listeners.add(entry);
      detach ??= attach();
      return () => {
        if (!listeners.delete(entry)) return;
        if (listeners.size === 0) {
          detach?.();
          detach = undefined;
        }
      };
    },
    isHidden: () => host.document?.visibilityState === 'hidden',
  };
}

/**
 * The real clock, timer, window and document. The window and document are read when first needed (a client starts),
 * never on import nor when a client is created; where reading a global throws (a server that guards them with
 * getters), it is as if absent.
 */
function globalHost(): LifecycleHost {
  const read = <T>(name: string): T | undefined => {
    try {
      const value = (globalThis as Record<string, unknown>)[name];
      return value !== null && typeof value === 'object' ? (value as T) : undefined;
    } catch {
      return undefined;
    }
  };
  const listens = (target: EventTargetLike | undefined): EventTargetLike | undefined =>
    typeof target?.addEventListener === 'function' && typeof target.removeEventListener === 'function'
      ? target
      : undefined;
  let page: Pick<LifecycleHost, 'window' | 'document'> | undefined;
  const readPage = (): Pick<LifecycleHost, 'window' | 'document'> =>
    (page ??= {
      window: listens(read<EventTargetLike>('window')),
      document: listens(read<EventTargetLike & { visibilityState?: string }>('document')),
    });
  return {
    now: () => Date.now(),
    setInterval: (callback, ms) => setInterval(callback, ms),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
    // Node's event loop utilisation; 0 where there is none (browsers), which leaves only the wall clock to judge by.
    busyMs: () => {
      const performance = read<{ eventLoopUtilization?: () => { active?: unknown } | undefined }>('performance');
      try {
        const active = performance?.eventLoopUtilization?.()?.active;
        return typeof active === 'number' && Number.isFinite(active) ? active : 0;
      } catch {
        return 0;
      }
    },
    get window() {
      return readPage().window;
    },
    get document() {
      return readPage().document;
    },
  };
}

let current: PlatformLifecycle | undefined;

/**
 * The lifecycle every client of this page or process follows: the real one, created on first use.
 *
 * @example
 * ```ts
 * platformLifecycle().isHidden(); // true while the tab is in the background
 * ```
 */
export function platformLifecycle(): PlatformLifecycle {
  current ??= createPlatformLifecycle(globalHost());
  return current;
}

/**
 * Replaces the lifecycle that clients created from now on follow (tests: a fake clock, dispatched page events);
 * `undefined` goes back to the real one.
 *
 * @example
 * ```ts
 * setPlatformLifecycle(createPlatformLifecycle(fakeHost));
 * // ...
 * setPlatformLifecycle(undefined);
 * ```
 */
export function setPlatformLifecycle(lifecycle: PlatformLifecycle | undefined): void {
  current = lifecycle;
}
