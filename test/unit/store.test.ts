import { createEnvironmentInjector, Injector, runInInjectionContext, type EnvironmentInjector } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { BehaviorSubject, firstValueFrom, map, type Observable, Subscription } from 'rxjs';
import { derived, fromStore, get, type Readable } from 'svelte/store';
import { describe, expect, expectTypeOf, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient } from '../../src/index';
import { stateStream, StateStream } from '../../src/store';

const options = { server: 'ws://127.0.0.1:9', uri: 'sip:alice@example.com', webSocket: WebSocket };

interface Counter {
  readonly count: number;
}

/** A state stream over a subject, as the client builds its own. */
function counter(): { subject: BehaviorSubject<Counter>; stream: StateStream<Counter> } {
  const subject = new BehaviorSubject<Counter>({ count: 0 });
  return { subject, stream: stateStream(subject) };
}

/** What selector libraries and React's useSyncExternalStore take: detached functions, no `this`. */
interface ExternalStore<T> {
  subscribe: (onChange: () => void) => () => void;
  getSnapshot: () => T;
}

describe('StateStream: an RxJS Observable', () => {
  it('replays the current value synchronously, then each change, and completes with its source', () => {
    const { subject, stream } = counter();
    const seen: number[] = [];
    let completed = false;
    stream.subscribe({ next: ({ count }) => seen.push(count), complete: () => (completed = true) });
    expect(seen).toEqual([0]);
    subject.next({ count: 1 });
    subject.complete();
    expect(seen).toEqual([0, 1]);
    expect(completed).toBe(true);
  });

  it('keeps operators working: pipe gives a plain Observable, firstValueFrom the current value', async () => {
    const { subject, stream } = counter();
    const doubled = stream.pipe(map(({ count }) => count * 2));
    expect(doubled).not.toBeInstanceOf(StateStream);
    const seen: number[] = [];
    doubled.subscribe((value) => seen.push(value));
    subject.next({ count: 2 });
    expect(seen).toEqual([0, 4]);
    await expect(firstValueFrom(stream)).resolves.toEqual({ count: 2 });
    expectTypeOf(stream).toMatchTypeOf<Observable<Counter>>();
  });

  it('returns a subscription that is also a function: calling it, or unsubscribe(), stops the values', () => {
    const { subject, stream } = counter();
    const seen: number[] = [];
    const stop = stream.subscribe(({ count }) => seen.push(count));
    expect(typeof stop).toBe('function');
    expect(stop.closed).toBe(false);
    stop();
    expect(stop.closed).toBe(true);
    subject.next({ count: 1 });
    const other = stream.subscribe(({ count }) => seen.push(count * 10));
    other.unsubscribe();
    subject.next({ count: 2 });
    expect(seen).toEqual([0, 10]);
    expectTypeOf(stop).toMatchTypeOf<Subscription>();
  });

  it('is torn down with a parent subscription it was added to, and runs what was added to it', () => {
    const { subject, stream } = counter();
    const seen: number[] = [];
    const parent = new Subscription();
    const child = stream.subscribe(({ count }) => seen.push(count));
    let childTeardowns = 0;
    child.add(() => childTeardowns++);
    parent.add(child);
    parent.unsubscribe();
    subject.next({ count: 1 });
    expect(seen).toEqual([0]);
    expect(child.closed).toBe(true);
    expect(childTeardowns).toBe(1);
  });

  it("works with Angular's toSignal and requireSync (replays synchronously)", () => {
    const { subject, stream } = counter();
    const injector = createEnvironmentInjector([], Injector.create({ providers: [] }) as EnvironmentInjector);
    const signal = runInInjectionContext(injector, () => toSignal(stream, { requireSync: true }));
    expect(signal()).toEqual({ count: 0 });
    subject.next({ count: 3 });
    expect(signal()).toEqual({ count: 3 });
    injector.destroy();
    expect(subject.observed).toBe(false);
  });
});

describe("Angular's toSignal on the client's streams", () => {
  it('state streams give a value at once with requireSync; event streams throw with it and are undefined without', () => {
    const injector = createEnvironmentInjector([], Injector.create({ providers: [] }) as EnvironmentInjector);
    const client = createSipClient(options);
    try {
      runInInjectionContext(injector, () => {
        expect(toSignal(client.registration$, { requireSync: true })()).toBe(client.getState().registration);
        expect(toSignal(client.calls$, { requireSync: true })()).toEqual([]);
        expect(() => toSignal(client.messages$, { requireSync: true })).toThrow(/NG0601/);
        expect(toSignal(client.messages$)()).toBeUndefined();
      });
    } finally {
      injector.destroy();
      client.dispose();
    }
  });
});

describe('StateStream: an external store ({ subscribe, getSnapshot })', () => {
  it('getSnapshot returns the same object until the state changes, then the new one', () => {
    const { subject, stream } = counter();
    const first = stream.getSnapshot();
    expect(stream.getSnapshot()).toBe(first);
    const next = { count: 1 };
    subject.next(next);
    expect(stream.getSnapshot()).toBe(next);
    expect(stream.getSnapshot()).not.toBe(first);
  });

  it('works detached, as useSyncExternalStore and selector libraries call it', () => {
    const { subject, stream } = counter();
    const store: ExternalStore<Counter> = stream;
    const { subscribe, getSnapshot } = store;
    let changes = 0;
    const unsubscribe = subscribe(() => changes++);
    expect(changes).toBe(1); // the replay: the snapshot is already current, as useSyncExternalStore tolerates
    subject.next({ count: 1 });
    expect(changes).toBe(2);
    expect(getSnapshot()).toEqual({ count: 1 });
    unsubscribe();
    subject.next({ count: 2 });
    expect(changes).toBe(2);
    expect(getSnapshot()).toEqual({ count: 2 });
  });

  it('keeps its last value once completed', () => {
    const { subject, stream } = counter();
    subject.next({ count: 5 });
    subject.complete();
    expect(stream.getSnapshot()).toEqual({ count: 5 });
  });
});

describe('StateStream: a Svelte store', () => {
  it('get, derived and fromStore read it, and derived follows its changes', () => {
    const { subject, stream } = counter();
    const readable: Readable<Counter> = stream;
    expect(get(readable)).toEqual({ count: 0 });
    const even = derived(stream, ($counter) => $counter.count % 2 === 0);
    const seen: boolean[] = [];
    const stop = even.subscribe((value) => seen.push(value));
    subject.next({ count: 1 });
    subject.next({ count: 3 });
    subject.next({ count: 4 });
    stop();
    expect(seen).toEqual([true, false, true]);
    expect(subject.observed).toBe(false);
    expect(fromStore(stream).current).toEqual({ count: 4 });
  });
});

describe('StateStream: after its source completed', () => {
  it('still replays the last state on subscribe, then completes (an ended call, a disposed client)', () => {
    const subject = new BehaviorSubject({ status: 'ended' });
    const stream = stateStream(subject);
    subject.complete();
    const seen: unknown[] = [];
    let completed = false;
    stream.subscribe({ next: (value) => seen.push(value), complete: () => (completed = true) });
    expect(seen).toEqual([{ status: 'ended' }]);
    expect(completed).toBe(true);
    expect(get(stream)).toEqual({ status: 'ended' });
  });
});

describe("the client's streams", () => {
  it('state streams are stores whose snapshot is the state now; event streams are neither', async () => {
    const client = createSipClient(options);
    try {
      const state = client.getState();
      expect(client.state$.getSnapshot()).toBe(state);
      expect(client.transport$.getSnapshot()).toBe(state.transport);
      expect(get(client.userAgent$)).toBe(state.userAgent);
      expect(get(client.registration$)).toBe(state.registration);
      expect(client.calls$.getSnapshot()).toEqual([]);
      expect(client.calls$.getSnapshot()).toBe(client.calls$.getSnapshot());

      const statuses: string[] = [];
      const status = derived(client.transport$, ($transport) => $transport.status);
      const stop = status.subscribe((value) => statuses.push(value));
      client.start().catch(() => undefined); // port 9: refused
      expect(statuses[0]).toBe('disconnected');
      expect(statuses).toContain('connecting');
      expect(client.transport$.getSnapshot()).toBe(client.getState().transport);
      stop();

      // Not started: the call comes back ending; its state stream still holds its state.
      const call = client.call('sip:bob@example.com');
      expect(call.state$.getSnapshot()).toBe(call.getState());
      expect(get(call.state$)).toBe(call.getState());
      await call.ended();
      expect(call.state$.getSnapshot().status).toBe('ended');

      for (const events of [client.incomingCalls$, client.messages$, call.dtmf$] as Observable<unknown>[]) {
        expect(events).not.toBeInstanceOf(StateStream);
        expect('getSnapshot' in events).toBe(false);
        const subscription = events.subscribe(() => undefined);
        expect(typeof subscription).toBe('object'); // an RxJS Subscription, not an Unsubscriber
        subscription.unsubscribe();
      }
    } finally {
      client.dispose();
    }
  });
});
