/**
 * `tabs: 'shared'` with a fake Web Locks manager and a fake BroadcastChannel (both in this file, with the semantics
 * the browser gives: one holder, a FIFO line, `steal`, AbortSignal; delivery to the other channels of the same name,
 * structured-cloned, on a later task). The clients inside are the real facade and machines over a fake runtime, so
 * each tab's REGISTERs and connections are counted. The browser test (test/browser/tabs.test.ts) runs the real thing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSipClient, createSipClientWith, type SipClient } from '../../src/client';
import { SipConfigError, SipError } from '../../src/errors';
import type { SipClientOptions } from '../../src/options';
import type { LifecycleEvent, PlatformLifecycle } from '../../src/platform/lifecycle';
import { Election, type LockManagerLike } from '../../src/tabs/election';
import type { ChannelLike, TabPlatform } from '../../src/tabs/platform';
import { MAX_TAB_CALLS, parseTabMessage, toWire, type TabMessage } from '../../src/tabs/protocol';
import { createSharedClient, sharedName } from '../../src/tabs/shared-client';
import { fakeRuntime } from '../support/fake-runtime';
import { prng } from '../support/prng';

function abortError(): Error {
  const error = new Error('aborted');
  error.name = 'AbortError';
  return error;
}

interface LockRequest {
  callback: (lock: unknown) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Web Locks for one origin: per name, one holder and a FIFO line; `steal` preempts; a signal aborts a wait. */
class FakeLocks implements LockManagerLike {
  readonly #held = new Map<string, LockRequest>();
  readonly #lines = new Map<string, LockRequest[]>();

  request(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    if (options.steal && options.signal) return Promise.reject(new Error('NotSupportedError'));
    return new Promise((resolve, reject) => {
      const request: LockRequest = { callback, resolve, reject };
      if (options.steal) {
        const holder = this.#held.get(name);
        this.#held.delete(name);
        holder?.reject(abortError());
        this.#grant(name, request);
        return;
      }
      if (options.signal?.aborted) return reject(abortError());
      options.signal?.addEventListener('abort', () => {
        const line = this.#lines.get(name) ?? [];
        const index = line.indexOf(request);
        if (index < 0) return; // granted already: an abort does nothing then
        line.splice(index, 1);
        reject(abortError());
      });
      this.#lines.set(name, [...(this.#lines.get(name) ?? []), request]);
      this.#next(name);
    });
  }

  /** The holder's tab crashed: the browser releases its lock, whatever its callback is doing. */
  crash(name: string): void {
    this.#held.delete(name);
    this.#next(name);
  }

  #grant(name: string, request: LockRequest): void {
    this.#held.set(name, request);
    void Promise.resolve()
      .then(() => request.callback({ name }))
      .then(
        (value) => {
          if (this.#held.get(name) !== request) return;
          this.#held.delete(name);
          request.resolve(value);
          this.#next(name);
        },
        (error) => {
          if (this.#held.get(name) !== request) return;
          this.#held.delete(name);
          request.reject(error);
          this.#next(name);
        },
      );
  }

  #next(name: string): void {
    if (this.#held.has(name)) return;
    const next = this.#lines.get(name)?.shift();
    if (next) this.#grant(name, next);
  }
}

/** BroadcastChannels of one origin: a message goes to every other open channel of its name, cloned, a task later. */
class FakeChannels {
  readonly open = new Set<FakeChannel>();
  readonly #channels = this;

  create(name: string): FakeChannel {
    const hub = this.#channels;
    const channel: FakeChannel = {
      name,
      onmessage: null,
      postMessage(data: unknown) {
        const copy = structuredClone(data);
        for (const other of hub.open) {
          if (other !== channel && other.name === name) {
            setTimeout(() => hub.open.has(other) && other.onmessage?.({ data: structuredClone(copy) }), 0);
          }
        }
      },
      close() {
        hub.open.delete(channel);
      },
    };
    this.open.add(channel);
    return channel;
  }
}

interface FakeChannel extends ChannelLike {
  name: string;
}

class NoWebSocket {}
const URI = 'sip:alice@example.com';
const options: SipClientOptions = {
  server: 'ws://127.0.0.1:1',
  uri: URI,
  webSocket: NoWebSocket as unknown as SipClientOptions['webSocket'],
  logLevel: 'silent',
  tabs: 'shared',
};

/** The tabs of one origin: shared locks, channels and localStorage. */
function origin() {
  const locks = new FakeLocks();
  const channels = new FakeChannels();
  const storage = new Map<string, string>();
  const platform: TabPlatform = {
    locks,
    openChannel: (name) => channels.create(name),
    sharedStorage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value),
    },
  };
  const tabs: { client: SipClient; log: string[]; instanceIds: string[] }[] = [];
  /** A tab; `page` stands for its page's lifecycle (back/forward cache). */
  const open = (given: Partial<SipClientOptions> = {}, page?: PlatformLifecycle) => {
    const log: string[] = [];
    const instanceIds: string[] = [];
    const client = createSharedClient(
      { ...options, ...given },
      (inner, gate) => {
        instanceIds.push(inner.instanceId ?? '');
        return createSipClientWith(inner, () => fakeRuntime({ log }).runtime, gate);
      },
      page ? { ...platform, lifecycle: page } : platform,
    );
    const tab = { client, log, instanceIds };
    tabs.push(tab);
    return tab;
  };
  return { locks, channels, storage, platform, tabs, open };
}

const opened: SipClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.dispose();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** A page's lifecycle the test drives: `emit('cached')` is its pagehide with persisted, `emit('restored')` its pageshow. */
function fakePage() {
  const listeners = new Set<(event: LifecycleEvent) => void>();
  const page: PlatformLifecycle = {
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isHidden: () => false,
  };
  return {
    page,
    emit: (type: 'cached' | 'restored') => {
      for (const listener of [...listeners]) listener({ type });
    },
    get listeners() {
      return listeners.size;
    },
  };
}

async function waitFor(condition: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((done) => setTimeout(done, 2));
  }
}

const role = (client: SipClient) => client.getState().tab.role;
const registers = (log: string[]) => log.filter((line) => line.startsWith('REGISTER ')).length;

describe('Election (Web Locks)', () => {
  it('one leader at a time: the next in line leads when it leaves; takeOver() steals, and the deposed waits in line again', async () => {
    const locks = new FakeLocks();
    const events: string[] = [];
    const elector = (name: string) =>
      new Election(locks, 'lock', {
        elected: () => events.push(`${name} elected`),
        deposed: () => events.push(`${name} deposed`),
      });
    const a = elector('a');
    const b = elector('b');
    const c = elector('c');
    a.join();
    b.join();
    c.join();
    await waitFor(() => events.length === 1, 'a leader');
    expect(events).toEqual(['a elected']);
    expect([a.leader, b.leader, c.leader]).toEqual([true, false, false]);

    await c.takeOver();
    await waitFor(() => events.length === 3, 'a deposed');
    expect(events.slice(1).sort()).toEqual(['a deposed', 'c elected']);
    expect([a.leader, b.leader, c.leader]).toEqual([false, false, true]);
    await expect(c.takeOver()).resolves.toBeUndefined(); // already the leader
    // Two takeOver() at once steal once.
    const both = [b.takeOver(), b.takeOver()];
    await Promise.all(both);
    await waitFor(() => events.length === 5, 'c deposed');
    expect(events.slice(3).sort()).toEqual(['b elected', 'c deposed']);
    await c.takeOver();
    await waitFor(() => events.length === 7, 'b deposed');
    expect(events.slice(5).sort()).toEqual(['b deposed', 'c elected']);

    c.leave();
    await waitFor(() => events.length === 8, 'a leads');
    expect(events[7]).toBe('a elected'); // a was ahead of b (deposed later, back at the end of the line)
    a.leave();
    await waitFor(() => events.length === 9, 'b leads');
    expect(events[8]).toBe('b elected');
    b.leave();
    await expect(a.takeOver()).rejects.toThrow(/left/);
  });

  it('a lock manager that refuses is no leader and no unhandled rejection', async () => {
    const refusing: LockManagerLike = { request: () => Promise.reject(new Error('SecurityError')) };
    const elected = vi.fn();
    const election = new Election(refusing, 'lock', { elected, deposed: vi.fn() });
    election.join();
    await expect(election.takeOver()).rejects.toThrow(/SecurityError/);
    expect(elected).not.toHaveBeenCalled();
    expect(election.leader).toBe(false);
  });
});

describe('Tab messages on the channel', () => {
  const state: TabMessage = {
    type: 'state',
    from: 'tab-1',
    state: {
      transport: {
        status: 'reconnecting',
        phase: 'waiting',
        retryAt: 1_700_000_000_000,
        attempt: 2,
        server: 'wss://sip.example.com',
        error: new SipError('transport', 'WebSocket closed'),
      },
      userAgent: { status: 'started' },
      registration: {
        status: 'retrying',
        attempt: 1,
        retryAt: 1_700_000_001_000,
        error: new SipError('rejected', '503 Service Unavailable', { code: 503, retryAfter: 2 }),
        expires: 600,
        expiresAt: 1_700_000_600_000,
      },
      intent: 'registered',
      calls: [{ id: 'c1', direction: 'incoming', status: 'ringing', remote: 'sip:bob@example.com' }],
    },
  };

  it('a state goes over as plain data and comes back equal, errors as SipErrors with their kind and details', () => {
    const wire = structuredClone(toWire(state));
    const parsed = parseTabMessage(wire);
    expect(parsed).toEqual(state);
    const registration = parsed?.type === 'state' ? parsed.state.registration : undefined;
    expect(registration?.status === 'retrying' && registration.error).toBeInstanceOf(SipError);
    expect(registration?.status === 'retrying' && registration.error.code).toBe(503);
    for (const message of [
      { type: 'hello', from: 'a' },
      { type: 'command', from: 'a', to: 'b', id: 3, command: 'register' },
      { type: 'result', from: 'a', to: 'b', id: 3 },
      { type: 'result', from: 'a', to: 'b', id: 3, error: new SipError('auth', 'Forbidden', { code: 403 }) },
    ] satisfies TabMessage[]) {
      expect(parseTabMessage(structuredClone(toWire(message)))).toEqual(message);
    }
  });

  it('drops what is not a message of the right shape and size', () => {
    const wire = toWire(state) as { state: Record<string, unknown> };
    const withState = (patch: Record<string, unknown>) => ({ ...wire, state: { ...wire.state, ...patch } });
    const junk: unknown[] = [
      null,
      undefined,
      42,
      'hello',
      [],
      { type: 'hello' },
      { type: 'hello', from: '' },
      { type: 'hello', from: 'x'.repeat(65) },
      { type: 'hello', from: 'a b' },
      { type: 'goodbye', from: 'a' },
      { type: 'command', from: 'a', to: 'b', id: 1, command: 'call' },
      { type: 'command', from: 'a', to: 'b', id: -1, command: 'register' },
      { type: 'command', from: 'a', to: 'b', id: 1.5, command: 'register' },
      { type: 'command', from: 'a', id: 1, command: 'register' },
      { type: 'command', from: 'a', to: 'b', id: 1, command: 'constructor' },
      { type: 'result', from: 'a', to: 'b', id: 1, error: { kind: 'fatal', message: 'x' } },
      { type: 'result', from: 'a', to: 'b', id: 1, error: { kind: 'auth', message: 'x'.repeat(1_001) } },
      { type: 'result', from: 'a', to: 'b', id: 1, error: { kind: 'auth', message: 'x', code: 9_999 } },
      withState({ intent: 'dialing' }),
      withState({ transport: { status: 'connected' } }),
      withState({ transport: { status: 'connected', server: 'x'.repeat(2_049) } }),
      withState({ transport: { status: 'reconnecting', phase: 'waiting', attempt: 1, server: 's', retryAt: 1 } }),
      withState({ userAgent: { status: 'flying' } }),
      withState({ registration: { status: 'registered', expires: 600, expiresAt: Number.NaN, refreshAt: 0 } }),
      withState({ registration: { status: 'registered', expires: -1, expiresAt: 0, refreshAt: 0 } }),
      withState({ registration: { status: 'failed' } }),
      withState({ calls: 'none' }),
      withState({ calls: Array.from({ length: MAX_TAB_CALLS + 1 }, () => ({ ...(wire.state.calls as object[])[0] })) }),
      withState({ calls: [{ id: 'c', direction: 'sideways', status: 'ringing', remote: 's' }] }),
      withState({ calls: [{ id: 'c', direction: 'incoming', status: 'ringing', remote: 'x'.repeat(2_049) }] }),
    ];
    for (const message of junk) expect(parseTabMessage(message), JSON.stringify(message)).toBeUndefined();
  });

  it('random mutations of valid messages never throw, and what passes is well formed', () => {
    const random = prng(18);
    const values = [null, -1, 0, 1.5, 1e20, Number.NaN, '', 'x'.repeat(3_000), [], {}, true, 'registered', 'leader'];
    const mutate = (value: unknown, depth: number): unknown => {
      if (depth > 3 || typeof value !== 'object' || value === null) {
        return random() < 0.2 ? values[Math.floor(random() * values.length)] : value;
      }
      const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
      for (const key of Object.keys(copy)) copy[key] = mutate(copy[key], depth + 1);
      return copy;
    };
    let passed = 0;
    for (let round = 0; round < 2_000; round++) {
      const parsed = parseTabMessage(mutate(toWire(state), 0));
      if (parsed === undefined) continue;
      passed++;
      expect(typeof parsed.from).toBe('string');
      if (parsed.type === 'state') expect(typeof parsed.state.transport.status).toBe('string');
    }
    expect(passed).toBeGreaterThan(0);
  });
});

describe("createSipClient({ tabs: 'shared' })", () => {
  it('three tabs: one leader, two followers; a follower registers through the leader, and only the leader sends REGISTER', async () => {
    const { open } = origin();
    const tabs = [open(), open(), open()];
    opened.push(...tabs.map((tab) => tab.client));
    // Before the lock is granted every tab is a follower, with a state that replays at once.
    const first: unknown[] = [];
    tabs[0]!.client.state$.subscribe((state) => first.push(state)).unsubscribe();
    expect(first).toHaveLength(1);
    await waitFor(() => tabs.filter((tab) => role(tab.client) === 'leader').length === 1, 'a leader');
    const [leader] = tabs.filter((tab) => role(tab.client) === 'leader');
    const followers = tabs.filter((tab) => tab !== leader);

    await followers[1]!.client.register();
    for (const tab of tabs) {
      await waitFor(() => tab.client.getState().registration.status === 'registered', 'registered everywhere');
      expect(tab.client.getState().transport.status).toBe('connected');
    }
    expect(registers(leader!.log)).toBe(1);
    for (const follower of followers) {
      expect(follower.log).toEqual([]);
      expect(follower.client.getState().tab).toEqual({ role: 'follower', leaderCalls: [] });
    }
    // The tabs use one instance id (kept in the shared storage): a new leader's REGISTER replaces the binding.
    expect(new Set(tabs.flatMap((tab) => tab.instanceIds)).size).toBe(1);
  });

  it('register() called at once, before the lock is granted, waits and runs when this tab leads: one REGISTER', async () => {
    const { open } = origin();
    const a = open();
    opened.push(a.client);
    expect(role(a.client)).toBe('follower'); // the lock is granted on a later task
    await a.client.register();
    expect(role(a.client)).toBe('leader');
    expect(a.client.getState().registration.status).toBe('registered');
    expect(registers(a.log)).toBe(1);
  });

  it('in a follower, call() gives an ended Call and message() rejects, both kind transport, saying why', async () => {
    const { open } = origin();
    const leader = open();
    await waitFor(() => role(leader.client) === 'leader', 'leader');
    const follower = open();
    opened.push(leader.client, follower.client);
    const call = follower.client.call('sip:bob@example.com');
    expect(call.getState().status).toBe('ended');
    expect(call.getState().error?.kind).toBe('transport');
    expect(call.getState().error?.message).toMatch(/follower tab .*takeOver\(\)/);
    await expect(call.connected()).rejects.toBeInstanceOf(SipError);
    await expect(follower.client.message('sip:bob@example.com', 'hi')).rejects.toMatchObject({ kind: 'transport' });
  });

  it('the leader goes: the next tab leads and registers by itself, as the tabs wanted (crash or dispose)', async () => {
    const { open, locks } = origin();
    const a = open();
    await waitFor(() => role(a.client) === 'leader', 'a leads');
    const b = open();
    const c = open();
    opened.push(a.client, b.client, c.client);
    await a.client.register();
    await waitFor(() => c.client.getState().registration.status === 'registered', 'c mirrors');

    // The leader's tab crashes: the browser releases its lock (nothing of it runs any more: its channel is gone).
    a.client.dispose();
    locks.crash(sharedName(URI));
    await waitFor(() => role(b.client) === 'leader', 'b leads');
    await waitFor(() => b.client.getState().registration.status === 'registered', 'b registered');
    expect(registers(b.log)).toBe(1);
    await waitFor(() => c.client.getState().registration.status === 'registered', 'c mirrors b');
    expect(role(c.client)).toBe('follower');
    expect(c.log).toEqual([]);

    b.client.dispose();
    await waitFor(() => role(c.client) === 'leader', 'c leads');
    await waitFor(() => c.client.getState().registration.status === 'registered', 'c registered');
  });

  it('the leader goes into the back/forward cache: it steps out, the next tab leads and registers; restored, it waits in line', async () => {
    // Chromium 156 caches a page holding a Web Lock and keeps the lock from the tabs waiting for it (seen with a
    // queued request): the leader must let go itself.
    const { open } = origin();
    const pageA = fakePage();
    const a = open({}, pageA.page);
    await waitFor(() => role(a.client) === 'leader', 'a leads');
    const b = open();
    const c = open();
    opened.push(a.client, b.client, c.client);
    await a.client.register();
    await waitFor(() => c.client.getState().registration.status === 'registered', 'c mirrors');

    pageA.emit('cached');
    expect(role(a.client)).toBe('follower');
    expect(a.log).toContain('dispose'); // its connection dropped
    expect(a.log).not.toContain('REGISTER 0'); // no unREGISTER: b's REGISTER replaces the binding
    await waitFor(() => role(b.client) === 'leader', 'b leads');
    await waitFor(() => b.client.getState().registration.status === 'registered', 'b registered');
    expect(registers(b.log)).toBe(1);

    pageA.emit('restored');
    await waitFor(() => a.client.getState().registration.status === 'registered', 'a mirrors b');
    expect(role(a.client)).toBe('follower');
    expect(registers(a.log)).toBe(1); // only its own first REGISTER, as leader before the cache
    // Back in line behind c: when b goes, c leads, not a.
    b.client.dispose();
    await waitFor(() => role(c.client) === 'leader', 'c leads');
    expect(role(a.client)).toBe('follower');
    a.client.dispose();
    expect(pageA.listeners).toBe(0);
  });

  it('takeOver(): the follower leads and registers; the old leader drops its connection without unREGISTER and mirrors', async () => {
    const { open } = origin();
    const a = open();
    await waitFor(() => role(a.client) === 'leader', 'a leads');
    const b = open();
    opened.push(a.client, b.client);
    await b.client.register(); // forwarded
    await waitFor(() => b.client.getState().registration.status === 'registered', 'b mirrors');

    await b.client.takeOver();
    expect(role(b.client)).toBe('leader');
    await waitFor(
      () => b.client.getState().registration.status === 'registered' && registers(b.log) === 1,
      'b registered',
    );
    await waitFor(() => role(a.client) === 'follower', 'a deposed');
    expect(a.log).toContain('dispose');
    expect(a.log).not.toContain('REGISTER 0');
    await waitFor(() => a.client.getState().registration.status === 'registered', 'a mirrors b');
    await expect(b.client.takeOver()).resolves.toBeUndefined();
  });

  it('stop() from a follower stops the leader; every tab mirrors it', async () => {
    const { open } = origin();
    const a = open();
    await waitFor(() => role(a.client) === 'leader', 'a leads');
    const b = open();
    opened.push(a.client, b.client);
    await b.client.register();
    await b.client.stop();
    expect(a.log).toContain('REGISTER 0');
    await waitFor(() => b.client.getState().userAgent.status === 'stopped', 'b mirrors stopped');
    expect(a.client.getState().registration.status).toBe('unregistered');
  });

  it('hostile messages: a forged state shows in a follower but makes it connect or register nothing; junk is dropped', async () => {
    const { open, channels } = origin();
    const a = open();
    await waitFor(() => role(a.client) === 'leader', 'a leads');
    const b = open();
    opened.push(a.client, b.client);
    // b has the leader's state (its hello was answered) before the forger posts.
    await new Promise((done) => setTimeout(done, 20));
    const forger = channels.create(sharedName(URI));
    const forged = toWire({
      type: 'state',
      from: 'forger',
      state: {
        transport: { status: 'connected', server: 'ws://evil' },
        userAgent: { status: 'started' },
        registration: { status: 'registering' },
        intent: 'registered',
        calls: [],
      },
    });
    forger.postMessage(forged);
    forger.postMessage({ type: 'command', from: 'forger', to: 'nobody', id: 0, command: 'register' });
    forger.postMessage({ type: 'state', from: 'forger', state: { transport: 'x'.repeat(100_000) } });
    forger.postMessage('x'.repeat(100_000));
    await waitFor(() => b.client.getState().transport.status === 'connected', 'the forged state shown');
    await new Promise((done) => setTimeout(done, 20));
    expect(b.log).toEqual([]);
    expect(role(b.client)).toBe('follower');
    // A state posted to the leader is ignored: the lock, not the channel, says who leads.
    expect(role(a.client)).toBe('leader');
    expect(a.client.getState().transport.status).toBe('disconnected');
    expect(a.log.filter((line) => line !== 'dispose')).toEqual([]); // its unstarted client, replaced when it led
    forger.close();
  });

  it('dispose(): every stream completes, a forwarded command waiting for a leader rejects (cancelled)', async () => {
    const locks: LockManagerLike = { request: () => new Promise(() => {}) }; // never granted: no leader at all
    const channels = new FakeChannels();
    const client = createSharedClient(
      options,
      (inner, gate) => createSipClientWith(inner, () => fakeRuntime().runtime, gate),
      { locks, openChannel: (name) => channels.create(name) },
    );
    const waiting = client.register();
    const completed: string[] = [];
    const streams: [string, { subscribe(observer: { complete(): void }): unknown }][] = [
      ['transport$', client.transport$],
      ['registration$', client.registration$],
      ['state$', client.state$],
      ['calls$', client.calls$],
      ['incomingCalls$', client.incomingCalls$],
    ];
    for (const [name, stream] of streams) stream.subscribe({ complete: () => completed.push(name) });
    client.dispose();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled' });
    expect(completed.sort()).toEqual(['calls$', 'incomingCalls$', 'registration$', 'state$', 'transport$']);
    expect(channels.open.size).toBe(0);
    await expect(client.takeOver()).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it("without Web Locks or BroadcastChannel (here, Node) it is 'each', said once at warn", async () => {
    vi.stubGlobal('navigator', {}); // no navigator.locks, whatever the Node version
    const warn = vi.fn();
    const logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
    const first = createSipClient({ ...options, logLevel: 'warn', logger });
    const second = createSipClient({ ...options, logLevel: 'warn', logger });
    opened.push(first, second);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/tabs: 'shared' needs Web Locks and BroadcastChannel/);
    expect(first.getState().tab).toEqual({ role: 'leader' });
    await expect(first.takeOver()).resolves.toBeUndefined();
  });

  it("options: tabs is 'each' or 'shared', and 'shared' needs a uri", () => {
    const { uri: _uri, ...anonymous } = options;
    expect(() => createSipClient({ ...options, tabs: 'all' as never })).toThrow(SipConfigError);
    expect(() => createSipClient({ ...options, tabs: 'all' as never })).toThrow(/`tabs` must be 'each' or 'shared'/);
    expect(() => createSipClient({ ...anonymous, tabs: 'shared' })).toThrow(/`tabs` 'shared' needs a `uri`/);
    const each = createSipClient({ ...options, tabs: 'each' });
    opened.push(each);
    expect(each.getState().tab).toEqual({ role: 'leader' });
  });
});
