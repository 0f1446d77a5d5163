/**
 * The facade (createSipClient's wiring, streams and command promises) against a fake runtime: no sockets, no sip.js
 * user agent, no server. The fake stands where src/client/runtime.ts binds sip.js, through the internal seam
 * `createSipClientWith`; the machines are the real ones. Each test runs in milliseconds.
 */
import { BehaviorSubject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RegisterOutcome } from '../../machines/registration.machine';
import { createSipClientWith, type SipClient } from '../../src/client';
import { SipError } from '../../src/errors';
import type { SipClientOptions } from '../../src/options';
import type { SipClientState } from '../../src/state';
import { fakeRuntime } from '../support/fake-runtime';

class NoWebSocket {}

const clients: SipClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.dispose();
  vi.useRealTimers();
});

function facade(options: Partial<SipClientOptions> = {}) {
  const fake = fakeRuntime();
  const client = createSipClientWith(
    {
      server: 'ws://fake.invalid',
      uri: 'sip:alice@example.com',
      webSocket: NoWebSocket,
      connectJitterMs: 0,
      keepAliveIntervalSec: 0,
      reconnect: { initialDelayMs: 250, maxDelayMs: 250, maxAttempts: 2 },
      ...options,
    },
    fake.factory,
  );
  clients.push(client);
  const states: SipClientState[] = [];
  client.state$.subscribe((state) => states.push(state));
  return { client, fake, states };
}

describe('facade against a fake runtime', () => {
  it('start() resolves once the user agent is started and connected; the streams replay and follow', async () => {
    const { client, fake, states } = facade();
    expect(client.getState()).toMatchObject({
      transport: { status: 'disconnected' },
      userAgent: { status: 'stopped' },
    });
    await client.start();
    expect(client.getState()).toMatchObject({ transport: { status: 'connected' }, userAgent: { status: 'started' } });
    expect(fake.log).toEqual(['connect 0', 'start UA']);
    expect(states.map((s) => s.userAgent.status)).toContain('starting');
    // replay: a late subscriber gets the current value at once
    let replayed: string | undefined;
    client.transport$.subscribe(({ status }) => (replayed = status)).unsubscribe();
    expect(replayed).toBe('connected');
  });

  it('register() starts a stopped client, resolves when registered, and never shows registered while not connected', async () => {
    const { client, fake, states } = facade();
    await client.register();
    expect(client.getState().registration).toMatchObject({ status: 'registered', expires: 600 });
    expect(fake.log).toEqual(['connect 0', 'start UA', 'REGISTER 600']);
    expect(states.filter((s) => s.registration.status === 'registered' && s.transport.status !== 'connected')).toEqual(
      [],
    );
  });

  it('register() rejects with the error of a registration that failed for good (auth)', async () => {
    const { client, fake } = facade();
    fake.answerRegister(() => Promise.reject(new SipError('auth', 'REGISTER refused: 403 Forbidden', { code: 403 })));
    const error = await client.register().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SipError);
    expect(error).toMatchObject({ kind: 'auth', code: 403 });
    expect(client.getState().registration).toMatchObject({ status: 'failed', error: { kind: 'auth' } });
  });

  it('unregister() sends REGISTER 0 and resolves when unregistered; stop() stops the user agent and disconnects', async () => {
    const { client, fake } = facade();
    await client.register();
    await client.unregister();
    expect(client.getState().registration.status).toBe('unregistered');
    expect(fake.log).toContain('REGISTER 0');
    await client.stop();
    expect(client.getState()).toMatchObject({
      transport: { status: 'disconnected' },
      userAgent: { status: 'stopped' },
    });
    expect(fake.log.slice(-2)).toEqual(['stop UA', 'disconnect']);
    expect(fake.watching).toBe(0);
  });

  it('start() followed by stop() before it settled: start() rejects cancelled, stop() resolves', async () => {
    const { client, fake } = facade();
    let connect!: () => void;
    fake.runtime.connectTransport = () => new Promise<void>((resolve) => (connect = resolve));
    const starting = client.start();
    const stopping = client.stop();
    connect?.();
    await expect(starting).rejects.toMatchObject({ kind: 'cancelled' });
    await expect(stopping).resolves.toBeUndefined();
  });

  it('a dropped connection reconnects; reconnect() tries at once and resolves when connected', async () => {
    const { client, fake, states } = facade();
    await client.register();
    fake.failConnecting(new SipError('transport', 'refused'));
    fake.dropConnection();
    expect(client.getState().transport.status).toBe('reconnecting');
    expect(client.getState().registration.status).not.toBe('registered');
    fake.connectNormally();
    const before = fake.log.filter((line) => line.startsWith('connect')).length;
    await client.reconnect();
    expect(client.getState().transport.status).toBe('connected');
    expect(fake.log.filter((line) => line.startsWith('connect')).length).toBe(before + 1);
    // every transport$ 'reconnecting' came with a registration that was not 'registered'
    expect(states.filter((s) => s.registration.status === 'registered' && s.transport.status !== 'connected')).toEqual(
      [],
    );
  });

  it('reconnect() on a client that was never started rejects at once', async () => {
    const { client } = facade();
    await expect(client.reconnect()).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('call() before start returns a Call that has ALREADY ended failed (transport) when it returns', async () => {
    const { client } = facade();
    const calls: number[] = [];
    client.calls$.subscribe((list) => calls.push(list.length));
    const call = client.call('bob');
    expect(call.getState()).toMatchObject({ status: 'ended', reason: 'failed', error: { kind: 'transport' } });
    await expect(call.connected()).rejects.toMatchObject({ kind: 'transport' });
    expect((await call.ended()).status).toBe('ended');
    let completed = false;
    call.state$.subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
    // a bad option wins over the connection (config), and is already ended too
    expect(client.call('bob', { unansweredTimeoutSec: -1 }).getState()).toMatchObject({
      status: 'ended',
      reason: 'failed',
      error: { kind: 'config' },
    });
    await Promise.resolve();
    expect(calls).toEqual([0]);
  });

  it('message() before start rejects kind transport without touching the runtime', async () => {
    const { client, fake } = facade();
    await expect(client.message('bob', 'hi')).rejects.toMatchObject({ kind: 'transport' });
    expect(fake.log).toEqual([]);
  });

  it('dispose() rejects what waits (cancelled), completes every stream and leaves no timer, watcher or subscription', async () => {
    vi.useFakeTimers();
    const online$ = new BehaviorSubject(true);
    const { client, fake } = facade({ keepAliveIntervalSec: 30, network: { online$ } });
    const registering = client.register();
    await vi.advanceTimersByTimeAsync(0);
    await registering;
    // registered and connected: a refresh timer and a keep-alive timer are running
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    expect(fake.watching).toBe(1);
    const completed: string[] = [];
    const streams: Record<string, { subscribe(observer: { complete(): void }): unknown }> = {
      transport$: client.transport$,
      userAgent$: client.userAgent$,
      registration$: client.registration$,
      state$: client.state$,
      calls$: client.calls$,
      incomingCalls$: client.incomingCalls$,
      messages$: client.messages$,
    };
    for (const [name, stream] of Object.entries(streams)) {
      stream.subscribe({ complete: () => completed.push(name) });
    }
    const waiting = client.unregister();
    fake.runtime.sendRegister = () => new Promise<RegisterOutcome>(() => {});
    client.dispose();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled' });
    expect(completed.sort()).toEqual([
      'calls$',
      'incomingCalls$',
      'messages$',
      'registration$',
      'state$',
      'transport$',
      'userAgent$',
    ]);
    expect(fake.log.at(-1)).toBe('dispose');
    expect(fake.watching).toBe(0);
    expect(online$.observed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    // after dispose: every command rejects cancelled, and dispose() again is a no-op
    await expect(client.start()).rejects.toMatchObject({ kind: 'cancelled' });
    await expect(client.message('bob', 'x')).rejects.toMatchObject({ kind: 'cancelled' });
    expect(client.call('bob').getState()).toMatchObject({ status: 'ended', error: { kind: 'cancelled' } });
    client.dispose();
    expect(fake.log.filter((line) => line === 'dispose')).toHaveLength(1);
  });
});
