import { Observable } from 'rxjs';
import type { Logger } from '../logger';

/**
 * Connectivity, watched once per source for the whole process: one subscription to each `network.online$` however
 * many clients were given it, and one pair of `online`/`offline` listeners on the browser's window for every client
 * that relies on it. Each client only adds a listener to a set; it used to run a callback actor and a subscription of
 * its own, which at thousands of clients in one process cost heap and events for nothing.
 */

/** Hears whether the network is available. */
export type ConnectivityListener = (online: boolean) => void;

interface SharedWatch {
  readonly listeners: Set<ConnectivityListener>;
  /** The last value the source gave; undefined until it gave one. */
  last: boolean | undefined;
  stop: (() => void) | undefined;
}

// Keyed by the source (an RxJS Observable, converted once by resolveOptions), or by BROWSER for the window's events.
const watches = new WeakMap<object, SharedWatch>();
const BROWSER = {};

/**
 * Calls `onChange` with each change of connectivity from `online$` (else from the browser's `online`/`offline` events;
 * nothing where neither exists). Starts from online: only a change is reported, and a client joining a source that
 * already said offline hears so at once. A source that errors or throws is taken as online from then on (logged once). Returns the function that stops this client's watch; the source's subscription ends with the last.
 *
 * @example
 * ```ts
 * const stop = watchConnectivity(config.network?.online$, logger, (online) => transport.send({ type: online ? 'NETWORK_ONLINE' : 'NETWORK_OFFLINE' }));
 * stop(); // on dispose
 * ```
 */
export function watchConnectivity(
  online$: Observable<boolean> | undefined,
  logger: Logger,
  onChange: ConnectivityListener,
): () => void {
  const source = online$ ?? browserOnline$();
  if (!source) return () => {};
  const key = online$ ?? BROWSER;
  let watch = watches.get(key);
  if (!watch) {
    const created: SharedWatch = { listeners: new Set(), last: undefined, stop: undefined };
    watches.set(key, created);
    watch = created;
  }
  let reported = true;
  const listener: ConnectivityListener = (online) => {
    if (online === reported) return;
    reported = online;
    onChange(online);
  };
  const shared = watch;
  shared.listeners.add(listener);
  if (shared.last === false) listener(false);
  if (!shared.stop) subscribeShared(key, source, shared, logger);
  return () => {
    shared.listeners.delete(listener);
    if (shared.listeners.size > 0 || !shared.stop) return;
    const stop = shared.stop;
    shared.stop = undefined;
    shared.last = undefined;
    if (watches.get(key) === shared) watches.delete(key);
    stop();
  };
}

function subscribeShared(key: object, source: Observable<boolean>, shared: SharedWatch, logger: Logger): void {
  // A broken connectivity source must not take any client down: they carry on as if online, and a later client
  // subscribes afresh.
  const assumeOnline = (error: unknown): void => {
    logger.warn(`network.online$ failed; assuming online: ${String(error)}`);
    if (watches.get(key) === shared) watches.delete(key);
    shared.last = true;
    for (const listener of [...shared.listeners]) listener(true);
  };
  shared.stop = () => {};
  try {
    const subscription = source.subscribe({
      next: (online) => {
        shared.last = online;
        for (const listener of [...shared.listeners]) listener(online);
      },
      error: assumeOnline,
    });
    shared.stop = () => subscription.unsubscribe();
  } catch (error) {
    assumeOnline(error);
  }
}

/** The browser's connectivity (`navigator.onLine` and the window's online/offline events), or undefined elsewhere. */
function browserOnline$(): Observable<boolean> | undefined {
  const global = globalThis as {
    navigator?: { onLine?: boolean };
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
  };
  if (typeof global.navigator?.onLine !== 'boolean' || typeof global.addEventListener !== 'function') return undefined;
  return new Observable<boolean>((subscriber) => {
    const online = (): void => subscriber.next(true);
    const offline = (): void => subscriber.next(false);
    subscriber.next(global.navigator!.onLine!);
    global.addEventListener!('online', online);
    global.addEventListener!('offline', offline);
    return () => {
      global.removeEventListener?.('online', online);
      global.removeEventListener?.('offline', offline);
    };
  });
}
