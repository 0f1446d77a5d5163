import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { Observable } from 'rxjs';

/**
 * The current value of a sipstate stream (`client.registration$`, `client.state$`, ...), re-rendering on each change.
 *
 * sipstate's streams emit their current value synchronously on subscribe, so a snapshot exists from the first render,
 * and the same object is replayed until the state changes, as `useSyncExternalStore` requires.
 *
 * @example
 * const registration = useSipState(client.registration$);
 * return <p>{registration.status}</p>;
 */
export function useSipState<T>(stream$: Observable<T>): T;
export function useSipState<T>(stream$: Observable<T> | undefined): T | undefined;
export function useSipState<T>(stream$: Observable<T> | undefined): T | undefined {
  const store = useMemo(() => {
    let latest: T | undefined;
    return {
      subscribe(onChange: () => void): () => void {
        const subscription = stream$?.subscribe((value) => {
          latest = value;
          onChange();
        });
        return () => subscription?.unsubscribe();
      },
      getSnapshot(): T | undefined {
        // Before the first subscription (the first render): subscribing replays the current value synchronously.
        if (latest === undefined) stream$?.subscribe((value) => (latest = value)).unsubscribe();
        return latest;
      },
    };
  }, [stream$]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** `Date.now()`, refreshed every `intervalMs` while `active`: drives the countdowns. */
export function useNow(active: boolean, intervalMs = 200): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}
