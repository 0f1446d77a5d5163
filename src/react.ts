/**
 * React glue for sipstate: `useSipState`, the current value of a state stream.
 *
 * `react` (19) is an optional peer: only this entry imports it.
 *
 * @example
 * ```tsx
 * import { useSipState } from 'sipstate/react';
 *
 * function Registration({ client }: { client: SipClient }) {
 *   const registration = useSipState(client.registration$);
 *   return <p>{registration.status}</p>;
 * }
 * ```
 *
 * @module
 */
import { useSyncExternalStore } from 'react';
import type { StateStream } from './store';

const noop = (): void => undefined;
const noSubscription = (): (() => void) => noop;
const nothing = (): undefined => undefined;

/**
 * The current value of a sipstate state stream (`client.transport$`, `userAgent$`, `registration$`, `state$`,
 * `calls$`, `call.state$`), re-rendering the component when it changes. Built on React's `useSyncExternalStore` over
 * the stream's `subscribe` and `getSnapshot`: the value is there from the first render (no effect, no `undefined`
 * first), and it is the same object until the state changes, so it can go in dependency lists and `memo` props.
 *
 * Pass `undefined` (no client yet) to get `undefined`. A stream that completed (its client disposed, its call ended)
 * keeps its last value. Event streams (`incomingCalls$`, `messages$`, `call.dtmf$`) have no current value and are
 * refused by the type: subscribe to them in a `useEffect`. On the server the value is the stream's current one.
 *
 * @example
 * ```tsx
 * const state = useSipState(session?.client.state$); // SipClientState | undefined
 * const calls = useSipState(client.calls$);          // readonly Call[]
 * if (state?.registration.status === 'registered') return <Dialer client={client} calls={calls} />;
 * ```
 */
export function useSipState<T>(stream: StateStream<T>): T;
export function useSipState<T>(stream: StateStream<T> | undefined): T | undefined;
export function useSipState<T>(stream: StateStream<T> | undefined): T | undefined {
  // A stream's subscribe and getSnapshot are bound and stable: React resubscribes only when the stream changes.
  const getSnapshot = stream?.getSnapshot ?? nothing;
  return useSyncExternalStore(stream?.subscribe ?? noSubscription, getSnapshot, getSnapshot);
}
