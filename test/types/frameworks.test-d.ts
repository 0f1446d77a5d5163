// Type tests, compiled by `tsc --noEmit -p .` (`npm run typecheck`) and never run: a public type that stops fitting
// Svelte's stores, RxJS, Angular's toSignal or sipstate/react fails the type check. Runtime behaviour is in
// test/unit/store.test.ts and test/unit/react.test.ts.
import { toSignal } from '@angular/core/rxjs-interop';
import type { Signal } from '@angular/core';
import { map, type Observable, type Subscribable, type Subscription } from 'rxjs';
import { derived, fromStore, get, type Readable } from 'svelte/store';
import { expectTypeOf } from 'vitest';
import type { Call, CallState, RegistrationState, SipClient, SipClientState, TransportState } from '../../src/index';
import { useSipState } from '../../src/react';

declare const client: SipClient;
declare const call: Call;

// Svelte: every state stream is a Readable; derived, get and fromStore infer the state type.
expectTypeOf(derived(client.registration$, ($registration) => $registration.status === 'registered')).toEqualTypeOf<
  Readable<boolean>
>();
expectTypeOf(get(client.transport$)).toEqualTypeOf<TransportState>();
expectTypeOf(fromStore(client.registration$).current).toEqualTypeOf<RegistrationState>();
expectTypeOf(
  derived([client.transport$, client.calls$], ([$transport, $calls]) => `${$transport.status} ${$calls.length}`),
).toEqualTypeOf<Readable<string>>();
expectTypeOf(get(call.state$)).toEqualTypeOf<CallState>();
expectTypeOf(client.userAgent$).toMatchTypeOf<Readable<SipClientState['userAgent']>>();
expectTypeOf(client.state$).toMatchTypeOf<Readable<SipClientState>>();
// subscribe returns an Unsubscriber (a function) that is still an RxJS Subscription.
expectTypeOf(client.state$.subscribe(() => undefined)).toMatchTypeOf<() => void>();
expectTypeOf(client.state$.subscribe(() => undefined)).toMatchTypeOf<Subscription>();

// Event streams do not replay: they are Observables, not stores, and the types say so.
// @ts-expect-error an event stream has no current value
get(client.messages$);
// @ts-expect-error
derived(client.incomingCalls$, (incoming) => incoming);
// @ts-expect-error
fromStore(call.dtmf$);

// RxJS and Angular: still Observables; toSignal with requireSync gives a Signal of the state.
expectTypeOf(client.transport$).toMatchTypeOf<Observable<TransportState>>();
expectTypeOf(client.transport$).toMatchTypeOf<Subscribable<TransportState>>();
expectTypeOf(client.registration$.pipe(map((registration) => registration.status))).toEqualTypeOf<
  Observable<RegistrationState['status']>
>();
expectTypeOf(toSignal(client.registration$, { requireSync: true })).toEqualTypeOf<Signal<RegistrationState>>();

// Selector libraries and useSyncExternalStore: detached { subscribe, getSnapshot }.
expectTypeOf(client.calls$).toMatchTypeOf<{
  subscribe: (onStoreChange: () => void) => () => void;
  getSnapshot: () => readonly Call[];
}>();

// sipstate/react: useSipState infers the state type; undefined in, undefined out; event streams refused.
expectTypeOf(useSipState(client.registration$)).toEqualTypeOf<RegistrationState>();
expectTypeOf(useSipState(client.calls$)).toEqualTypeOf<readonly Call[]>();
expectTypeOf(useSipState(call.state$)).toEqualTypeOf<CallState>();
declare const maybeClient: SipClient | undefined;
expectTypeOf(useSipState(maybeClient?.state$)).toEqualTypeOf<SipClientState | undefined>();
// @ts-expect-error an event stream has no current value to render
useSipState(client.messages$);
