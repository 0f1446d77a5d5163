/**
 * The platform lifecycle (src/platform/lifecycle.ts) on a fake host, and a client following it (src/client/lifecycle.ts)
 * through the facade with a fake runtime: the real machines, no socket. `vi.setSystemTime` moves the wall clock
 * without firing timers: a suspended computer.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSipClientWith, type SipClient } from '../../src/client';
import {
  CLOCK_JUMP_THRESHOLD_MS,
  createPlatformLifecycle,
  setPlatformLifecycle,
  WATCHDOG_INTERVAL_MS,
  type LifecycleEvent,
  type LifecycleHost,
} from '../../src/platform/lifecycle';
import type { SipClientOptions } from '../../src/options';
import { fakeRuntime } from '../support/fake-runtime';

class FakeDocument extends EventTarget {
  visibilityState = 'visible';
}

/** A host on vitest's fake timers, with a window and a document the test dispatches events on. */
function fakeHost() {
  let intervals = 0;
  let unrefs = 0;
  const window = new EventTarget();
  const document = new FakeDocument();
  const host: LifecycleHost = {
    now: () => Date.now(),
    setInterval: (callback, ms) => {
      intervals++;
      const handle = setInterval(callback, ms);
      return {
        unref: () => unrefs++,
        clear: () => clearInterval(handle),
      };
    },
    clearInterval: (handle) => {
      intervals--;
      (handle as { clear(): void }).clear();
    },
    window: window as unknown as NonNullable<LifecycleHost['window']>,
    document: document as unknown as NonNullable<LifecycleHost['document']>,
  };
  return {
    host,
    window,
    document,
    /** Watchdog intervals running now. */
    get intervals() {
      return intervals;
    },
    get unrefs() {
      return unrefs;
    },
    setVisibility(state: 'visible' | 'hidden') {
      document.visibilityState = state;
      document.dispatchEvent(new Event('visibilitychange'));
    },
    pageTransition(type: 'pagehide' | 'pageshow', persisted: boolean) {
      window.dispatchEvent(Object.assign(new Event(type), { persisted }));
    },
  };
}

const T0 = 10_000_000;
const TWO_HOURS = 2 * 3_600_000;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  setPlatformLifecycle(undefined);
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('platform lifecycle', () => {
  it('runs one watchdog while anyone listens, unref’d, and stops it with the last listener', () => {
    const fake = fakeHost();
    const lifecycle = createPlatformLifecycle(fake.host);
    expect(fake.intervals).toBe(0);
    const stops = Array.from({ length: 100 }, () => lifecycle.subscribe(() => {}));
    expect(fake.intervals).toBe(1);
    expect(fake.unrefs).toBe(1);
    for (const stop of stops.slice(1)) stop();
    expect(fake.intervals).toBe(1);
    stops[0]!();
    stops[0]!();
    expect(fake.intervals).toBe(0);
  });

  it('a watchdog tick late by the wall clock is a wake with how late it was; ticks on time are not', async () => {
    const fake = fakeHost();
    const events: LifecycleEvent[] = [];
    createPlatformLifecycle(fake.host).subscribe((event) => events.push(event));
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS * 10);
    expect(events).toEqual([]);
    // A jump just under the threshold (an event loop held up a little) is not a sleep.
    vi.setSystemTime(Date.now() + CLOCK_JUMP_THRESHOLD_MS - 1);
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS);
    expect(events).toEqual([]);
    vi.setSystemTime(Date.now() + TWO_HOURS);
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS);
    expect(events).toEqual([{ type: 'wake', reason: 'clock-jump', lateByMs: TWO_HOURS }]);
  });

  it('a tick late because the process itself was busy is no wake; the part of the lateness busy time does not explain is', async () => {
    const fake = fakeHost();
    let busyMs = 0;
    const events: LifecycleEvent[] = [];
    createPlatformLifecycle({ ...fake.host, busyMs: () => busyMs }).subscribe((event) => events.push(event));
    // An event loop held up 30 s by the process's own work (15,000 clients reconnecting at once): timers late, not asleep.
    vi.setSystemTime(Date.now() + 30_000);
    busyMs += 30_000;
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS);
    expect(events).toEqual([]);
    // Busy 10 s of a 2-hour stall: the rest was a sleep.
    vi.setSystemTime(Date.now() + TWO_HOURS);
    busyMs += 10_000;
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS);
    expect(events).toEqual([{ type: 'wake', reason: 'clock-jump', lateByMs: TWO_HOURS }]);
    // Busy 3 s of an 8 s stall: 5 s unexplained, the threshold.
    vi.setSystemTime(Date.now() + 8_000);
    busyMs += 3_000;
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS);
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ type: 'wake', reason: 'clock-jump', lateByMs: 8_000 });
  });

  it('page events: visible, focus, online, resume wake (one per second); hidden; back/forward cache', async () => {
    const fake = fakeHost();
    const events: LifecycleEvent[] = [];
    const lifecycle = createPlatformLifecycle(fake.host);
    lifecycle.subscribe((event) => events.push(event));
    fake.setVisibility('hidden');
    expect(lifecycle.isHidden()).toBe(true);
    fake.setVisibility('visible');
    // A tab switch fires visibilitychange and focus together: one wake.
    fake.window.dispatchEvent(new Event('focus'));
    await vi.advanceTimersByTimeAsync(1_000);
    fake.window.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(1_000);
    fake.document.dispatchEvent(new Event('resume'));
    // A pagehide/pageshow that is not about the cache (a reload, the first load) is nothing.
    fake.pageTransition('pagehide', false);
    fake.pageTransition('pageshow', false);
    fake.pageTransition('pagehide', true);
    fake.pageTransition('pageshow', true);
    expect(events).toEqual([
      { type: 'hidden' },
      { type: 'visible' },
      { type: 'wake', reason: 'visible' },
      { type: 'wake', reason: 'online' },
      { type: 'wake', reason: 'resume' },
      { type: 'cached' },
      { type: 'restored' },
    ]);
  });

  it('a listener that throws does not keep the event from the others', () => {
    const fake = fakeHost();
    const lifecycle = createPlatformLifecycle(fake.host);
    const seen: string[] = [];
    lifecycle.subscribe(() => {
      throw new Error('bug');
    });
    lifecycle.subscribe((event) => seen.push(event.type));
    fake.setVisibility('hidden');
    expect(seen).toEqual(['hidden']);
  });

  it('without a page (Node): only the watchdog', async () => {
    const { host } = fakeHost();
    const events: LifecycleEvent[] = [];
    const lifecycle = createPlatformLifecycle({ ...host, window: undefined, document: undefined });
    lifecycle.subscribe((event) => events.push(event));
    expect(lifecycle.isHidden()).toBe(false);
    vi.setSystemTime(Date.now() + 60_000);
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS);
    expect(events).toEqual([{ type: 'wake', reason: 'clock-jump', lateByMs: 60_000 }]);
  });
});

const clients: SipClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.dispose();
});

function clientOn(fake: ReturnType<typeof fakeHost>, options: Partial<SipClientOptions> = {}) {
  setPlatformLifecycle(createPlatformLifecycle(fake.host));
  const runtime = fakeRuntime({ timeOrigin: T0 });
  const client = createSipClientWith(
    {
      server: 'ws://fake.invalid',
      uri: 'sip:alice@example.com',
      webSocket: class {},
      connectJitterMs: 0,
      keepAliveIntervalSec: 0,
      expires: 600,
      ...options,
    },
    () => runtime.runtime,
  );
  clients.push(client);
  return { client, runtime };
}

describe('a client following the platform lifecycle', () => {
  it('after a sleep past expiresAt: not registered, and a new REGISTER within the watchdog interval', async () => {
    const fake = fakeHost();
    const { client, runtime } = clientOn(fake);
    await client.register();
    expect(client.getState().registration).toMatchObject({ status: 'registered', expiresAt: T0 + 600_000 });
    expect(fake.intervals).toBe(1);
    const pingsBefore = runtime.pings;
    // Two hours asleep: no timer fired, the wall clock is past the lapse.
    vi.setSystemTime(T0 + TWO_HOURS);
    const statuses: string[] = [];
    client.registration$.subscribe(({ status }) => statuses.push(status));
    await vi.advanceTimersByTimeAsync(WATCHDOG_INTERVAL_MS);
    const registers = runtime.log.filter((line) => line.startsWith('REGISTER 600'));
    expect(registers).toHaveLength(2);
    const sentAt = Number(registers[1]!.split(' at ')[1]) - TWO_HOURS;
    expect(sentAt).toBeLessThanOrEqual(WATCHDOG_INTERVAL_MS);
    // It said 'registering' before the new binding: never 'registered' with the lapsed one after the check.
    expect(statuses).toEqual(['registered', 'registering', 'registered']);
    expect(client.getState().registration).toMatchObject({ expiresAt: T0 + TWO_HOURS + sentAt + 600_000 });
    // And the connection was probed.
    expect(runtime.pings).toBe(pingsBefore + 1);
  });

  it('a page resumed from a freeze checks its binding at once', async () => {
    const fake = fakeHost();
    const { client, runtime } = clientOn(fake);
    await client.register();
    vi.setSystemTime(T0 + 550_000);
    fake.document.dispatchEvent(new Event('resume'));
    await vi.advanceTimersByTimeAsync(0);
    expect(runtime.log.filter((line) => line.startsWith('REGISTER 600'))).toEqual([
      'REGISTER 600 at 0',
      'REGISTER 600 at 550000',
    ]);
  });

  it('hidden: the refresh moves to 70 s before the lapse; a client created in a hidden page starts so', async () => {
    const fake = fakeHost();
    // The refresh point drawn at the top of the window (0.8-0.9 of 600 s): 539.4 s, later than 530 s.
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const { client } = clientOn(fake, { expires: 600 });
    await client.register();
    expect(client.getState().registration).toMatchObject({ refreshAt: T0 + 539_400 });
    fake.setVisibility('hidden');
    expect(client.getState().registration).toMatchObject({ refreshAt: T0 + 530_000 });

    // Visible again, even right after a wake (the wake is coalesced, the visibility is not): refreshes as usual.
    fake.window.dispatchEvent(new Event('focus'));
    fake.setVisibility('visible');
    await client.register();
    await vi.advanceTimersByTimeAsync(530_000);
    expect(client.getState().registration).toMatchObject({ refreshAt: Date.now() + 539_400 });

    fake.setVisibility('hidden');
    const hidden = clientOn(fake, { expires: 600 });
    await hidden.client.register();
    expect(hidden.client.getState().registration).toMatchObject({ refreshAt: Date.now() + 530_000 });
  });

  it('back/forward cache: leaves (unregistering, socket closed, stopped) and comes back registered', async () => {
    const fake = fakeHost();
    const { client, runtime } = clientOn(fake);
    await client.register();
    runtime.log.length = 0;
    fake.pageTransition('pagehide', true);
    expect(runtime.log[0]).toBe('leave for page cache, unregistering');
    await vi.advanceTimersByTimeAsync(100);
    expect(client.getState()).toMatchObject({
      userAgent: { status: 'stopped' },
      transport: { status: 'disconnected' },
      registration: { status: 'unregistered' },
    });
    // Stopped, but waiting to be restored: still listening.
    expect(fake.intervals).toBe(1);
    fake.pageTransition('pageshow', true);
    await vi.advanceTimersByTimeAsync(100);
    expect(client.getState()).toMatchObject({
      userAgent: { status: 'started' },
      transport: { status: 'connected' },
      registration: { status: 'registered' },
    });
  });

  it('back/forward cache: a started client that was not registering comes back started, not registered', async () => {
    const fake = fakeHost();
    const { client, runtime } = clientOn(fake);
    await client.start();
    fake.pageTransition('pagehide', true);
    expect(runtime.log).toContain('leave for page cache');
    await vi.advanceTimersByTimeAsync(100);
    fake.pageTransition('pageshow', true);
    await vi.advanceTimersByTimeAsync(100);
    expect(client.getState()).toMatchObject({
      userAgent: { status: 'started' },
      registration: { status: 'unregistered' },
    });
    expect(runtime.log.filter((line) => line.startsWith('REGISTER'))).toEqual([]);
  });

  it('a stopped client keeps no watchdog, and the page coming back does not start it', async () => {
    const fake = fakeHost();
    const { client, runtime } = clientOn(fake);
    expect(fake.intervals).toBe(0);
    await client.start();
    expect(fake.intervals).toBe(1);
    await client.stop();
    expect(fake.intervals).toBe(0);
    fake.pageTransition('pagehide', true);
    fake.pageTransition('pageshow', true);
    await vi.advanceTimersByTimeAsync(100);
    expect(client.getState().userAgent.status).toBe('stopped');
    expect(runtime.log.filter((line) => line.startsWith('leave'))).toEqual([]);
  });

  it('the real lifecycle reads window and document only once a client starts; a throwing one is as if absent', async () => {
    const reads: string[] = [];
    for (const name of ['window', 'document']) {
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          reads.push(name);
          throw new Error(`${name} is guarded on this server`);
        },
      });
    }
    try {
      setPlatformLifecycle(undefined);
      const runtime = fakeRuntime({ timeOrigin: T0 });
      const client = createSipClientWith(
        { server: 'ws://fake.invalid', uri: 'sip:alice@example.com', webSocket: class {}, keepAliveIntervalSec: 0 },
        () => runtime.runtime,
      );
      clients.push(client);
      expect(reads).toEqual([]);
      await client.register();
      expect(reads.sort()).toEqual(['document', 'window']);
      expect(client.getState().registration.status).toBe('registered');
    } finally {
      for (const name of ['window', 'document']) delete (globalThis as Record<string, unknown>)[name];
    }
  });

  it('dispose() stops listening', async () => {
    const fake = fakeHost();
    const { client } = clientOn(fake);
    await client.start();
    client.dispose();
    expect(fake.intervals).toBe(0);
  });
});
