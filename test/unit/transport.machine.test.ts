import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../../machines/delay';
import {
  MIN_RECONNECT_DELAY_MS,
  STABLE_CONNECTION_MS,
  transportStatusOf,
  type TransportInput,
} from '../../machines/transport.machine';
import { keepAliveTimeoutFor } from '../../src/client-machine';
import { SipError } from '../../src/errors';
import { selectTransportState } from '../../src/state';
import { fieldsOf } from '../support/state-fields';
import { flush } from '../support/fake-actors';
import { fakeTransport } from '../support/fake-machines';

const environment = { now: () => Date.now(), random: () => 0.5 };

function setup(input: Partial<TransportInput> = {}) {
  const t = fakeTransport({ servers: ['ws://a.test', 'ws://b.test'], environment, keepAliveIntervalMs: 0, ...input });
  return Object.assign(t, {
    status: () => transportStatusOf(t.actor.getSnapshot()),
    // Every field readable: the tests assert which ones each state has.
    state: () => fieldsOf(selectTransportState(t.actor.getSnapshot())),
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('transport machine', () => {
  it('connects to the first server and reports it', async () => {
    const t = setup();
    expect(t.state()).toEqual({ status: 'disconnected' });
    t.actor.send({ type: 'CONNECT' });
    expect(t.state()).toEqual({ status: 'connecting', server: 'ws://a.test', attempt: 0 });
    expect(t.connect.last.input).toEqual({ server: 'ws://a.test', serverIndex: 0 });
    t.connect.last.resolve();
    await flush();
    expect(t.state()).toEqual({ status: 'connected', server: 'ws://a.test' });
    expect(t.watching).toBe(1);
  });

  it('backs off exponentially with jitter, moving through the servers, and connects on a later attempt', async () => {
    const t = setup({
      reconnect: { initialDelayMs: 1000, maxDelayMs: 3000, multiplier: 2, jitter: 0.5, maxAttempts: Infinity },
    });
    t.actor.send({ type: 'CONNECT' });
    const error = new SipError('transport', 'refused');
    t.connect.last.reject(error);
    await flush();
    // random 0.5, jitter 0.5: 75% of the base delay
    expect(t.state()).toEqual({
      status: 'reconnecting',
      phase: 'waiting',
      server: 'ws://b.test',
      attempt: 1,
      retryAt: 1_000_750,
      error,
    });
    await vi.advanceTimersByTimeAsync(749);
    expect(t.connect.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.connect.calls).toHaveLength(2);
    expect(t.connect.last.input).toEqual({ server: 'ws://b.test', serverIndex: 1 });
    // attempting: the wait is over, the last error still says why
    expect(t.state()).toEqual({
      status: 'reconnecting',
      phase: 'attempting',
      server: 'ws://b.test',
      attempt: 1,
      error,
    });

    t.connect.last.reject(error);
    await flush();
    expect(t.state()).toMatchObject({ attempt: 2, retryAt: Date.now() + 1500, server: 'ws://a.test' });
    await vi.advanceTimersByTimeAsync(1500);
    t.connect.last.reject(error);
    await flush();
    // capped at maxDelayMs 3000 -> 2250 after jitter
    expect(t.state()).toMatchObject({ attempt: 3, retryAt: Date.now() + 2250 });
    await vi.advanceTimersByTimeAsync(2250);
    t.connect.last.resolve();
    await flush();
    expect(t.state()).toEqual({ status: 'connected', server: 'ws://b.test' });
  });

  it('gives up after maxAttempts reconnection attempts with the last error', async () => {
    // 100 ms asked for: every delay is MIN_RECONNECT_DELAY_MS (250 ms) anyway
    const t = setup({ reconnect: { initialDelayMs: 100, maxDelayMs: 100, multiplier: 1, jitter: 0, maxAttempts: 2 } });
    t.actor.send({ type: 'CONNECT' });
    for (let i = 0; i < 3; i++) {
      t.connect.last.reject(new SipError('transport', `refused ${i}`));
      await flush();
      if (i < 2) expect(t.state().retryAt).toBe(Date.now() + MIN_RECONNECT_DELAY_MS);
      await vi.advanceTimersByTimeAsync(MIN_RECONNECT_DELAY_MS);
    }
    expect(t.connect.calls).toHaveLength(3);
    expect(t.status()).toBe('failed');
    expect(t.state().error?.message).toBe('refused 2');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails at once when reconnection is off', async () => {
    const t = setup({ reconnect: false });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    expect(t.status()).toBe('failed');
  });

  it('spreads the first attempt over connectJitterMs', async () => {
    const t = setup({ connectJitterMs: 2000 });
    t.actor.send({ type: 'CONNECT' });
    expect(t.status()).toBe('connecting');
    // random 0.5 -> 1000 ms
    await vi.advanceTimersByTimeAsync(999);
    expect(t.connect.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.connect.calls).toHaveLength(1);
    t.actor.send({ type: 'DISCONNECT' });
    await flush();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts an attempt that does not open in time as failed, and abandons it', async () => {
    const t = setup({ connectTimeoutMs: 5000 });
    t.actor.send({ type: 'CONNECT' });
    const first = t.connect.last;
    await vi.advanceTimersByTimeAsync(5000);
    expect(first.signal.aborted).toBe(true);
    expect(t.status()).toBe('reconnecting');
    expect(t.state().error).toMatchObject({ kind: 'timeout' });
  });

  it('reconnects after a lost connection, and reconnect() skips the wait', async () => {
    const t = setup();
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    t.lose(new SipError('transport', 'WebSocket closed (code 1006)'));
    expect(t.watching).toBe(0);
    expect(t.state()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      error: { message: 'WebSocket closed (code 1006)' },
    });
    expect(t.state().retryAt).toBeGreaterThan(Date.now());
    t.actor.send({ type: 'RECONNECT' });
    expect(t.connect.calls).toHaveLength(2);
    t.connect.last.resolve();
    await flush();
    expect(t.status()).toBe('connected');
  });

  it('reconnect() from failed tries again at once', async () => {
    const t = setup({ reconnect: false });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    t.actor.send({ type: 'RECONNECT' });
    expect(t.status()).toBe('reconnecting');
    expect(t.state().attempt).toBe(1);
    t.connect.last.resolve();
    await flush();
    expect(t.status()).toBe('connected');
  });

  it('pings while connected; an unanswered ping is followed by an OPTIONS, and silence to both is a dead connection', async () => {
    const t = setup({ keepAliveIntervalMs: 30_000, keepAliveTimeoutMs: 10_000 });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.keepAlive.calls).toHaveLength(1);
    t.keepAlive.last.resolve();
    await flush();
    expect(t.status()).toBe('connected');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.keepAlive.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.optionsKeepAlive.calls).toHaveLength(1);
    expect(t.status()).toBe('connected');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.status()).toBe('reconnecting');
    expect(t.state().error).toMatchObject({ kind: 'timeout', reason: 'keep-alive timeout' });
    expect(t.watching).toBe(0);
  });

  it('keeps a server that answers OPTIONS but not CRLF pings alive with OPTIONS, until the next connection', async () => {
    const t = setup({ keepAliveIntervalMs: 30_000, keepAliveTimeoutMs: 10_000 });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    await vi.advanceTimersByTimeAsync(40_000);
    t.optionsKeepAlive.last.resolve();
    await flush();
    expect(t.status()).toBe('connected');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.keepAlive.calls).toHaveLength(1);
    expect(t.optionsKeepAlive.calls).toHaveLength(2);
    t.optionsKeepAlive.last.resolve();
    await flush();
    t.lose();
    await vi.advanceTimersByTimeAsync(1_000);
    t.connect.last.resolve();
    await flush();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.keepAlive.calls).toHaveLength(2);
  });

  it('a keep-alive that cannot be sent means the connection is gone', async () => {
    const t = setup({ keepAliveIntervalMs: 30_000 });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    await vi.advanceTimersByTimeAsync(30_000);
    t.keepAlive.last.reject(new SipError('transport', 'Not connected'));
    await flush();
    expect(t.state()).toMatchObject({ status: 'reconnecting', error: { message: 'Not connected' } });
  });

  it('spends no attempt while offline and tries at once when the network is back', async () => {
    const t = setup();
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    t.setOnline(false);
    t.lose();
    expect(t.state()).toMatchObject({ status: 'reconnecting', phase: 'offline', attempt: 0 });
    expect(t.state().retryAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.connect.calls).toHaveLength(1);
    t.setOnline(true);
    expect(t.connect.calls).toHaveLength(2);
    expect(t.state()).toMatchObject({ status: 'reconnecting', phase: 'attempting', attempt: 1 });
  });

  it('going offline while waiting to reconnect cancels the timer; starting offline waits for the network', async () => {
    const t = setup();
    t.setOnline(false);
    t.actor.send({ type: 'CONNECT' });
    // nothing failed yet: offline, with no error
    expect(t.state()).toEqual({ status: 'reconnecting', phase: 'offline', server: 'ws://a.test', attempt: 0 });
    expect(t.connect.calls).toHaveLength(0);
    t.setOnline(true);
    t.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    expect(t.state()).toMatchObject({ phase: 'waiting', retryAt: Date.now() + 750 }); // attempt 2: the one the network's return started was 1
    t.setOnline(false);
    expect(t.state()).toMatchObject({ phase: 'offline', error: { message: 'refused' } });
    expect(t.state().retryAt).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('probes at once when the platform reports the network gone while connected', async () => {
    const t = setup({ keepAliveIntervalMs: 30_000 });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    t.setOnline(false);
    expect(t.keepAlive.calls).toHaveLength(1);
  });

  it.each(['connecting', 'connected', 'waitingToReconnect', 'reconnecting', 'failed'] as const)(
    'DISCONNECT from %s ends disconnected with no timer left',
    async (from) => {
      const t = setup({ reconnect: from === 'failed' ? false : undefined, keepAliveIntervalMs: 30_000 });
      t.actor.send({ type: 'CONNECT' });
      if (from === 'connected') t.connect.last.resolve();
      if (from !== 'connecting' && from !== 'connected') t.connect.last.reject(new SipError('transport', 'x'));
      await flush();
      if (from === 'reconnecting') await vi.advanceTimersByTimeAsync(60_000);
      expect(t.actor.getSnapshot().matches({ connection: from })).toBe(true);
      t.actor.send({ type: 'DISCONNECT' });
      if (t.disconnect.pending) t.disconnect.last.resolve();
      await flush();
      expect(t.status()).toBe('disconnected');
      expect(t.watching).toBe(0);
      expect(t.connect.pending).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it('leaves no timer behind when stopped, and releases the connection on leaving connected', async () => {
    const t = setup({ keepAliveIntervalMs: 30_000 });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    expect(t.watching).toBe(1);
    t.actor.send({ type: 'DISCONNECT' });
    expect(t.watching).toBe(0);
    t.actor.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('transport machine: backoff a flapping server cannot reset', () => {
  /** Opens the pending attempt, and drops it at once; returns the delay scheduled before the next attempt. */
  async function openAndDrop(t: ReturnType<typeof setup>): Promise<number> {
    t.connect.last.resolve();
    await flush();
    expect(t.status()).toBe('connected');
    t.lose();
    const delay = t.actor.getSnapshot().context.retryDelayMs!;
    await vi.advanceTimersByTimeAsync(delay);
    return delay;
  }

  it('a connection that opens and drops at once, again and again, sees growing delays', async () => {
    const t = setup(); // default reconnect: 500 ms doubling to 30 s, jitter 0.5 (random 0.5 here: 75% of each)
    t.actor.send({ type: 'CONNECT' });
    const delays: number[] = [];
    const attempts: number[] = [];
    for (let i = 0; i < 9; i++) {
      delays.push(await openAndDrop(t));
      attempts.push(t.state().attempt ?? -1);
    }
    expect(delays).toEqual([375, 750, 1_500, 3_000, 6_000, 12_000, 22_500, 22_500, 22_500]);
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.connect.calls).toHaveLength(10);
  });

  it('a server that accepts and drops forever ends failed after maxAttempts since the last stable connection', async () => {
    const t = setup({
      reconnect: { initialDelayMs: 500, maxDelayMs: 30_000, multiplier: 2, jitter: 0.5, maxAttempts: 3 },
    });
    t.actor.send({ type: 'CONNECT' });
    for (let i = 0; i < 3; i++) await openAndDrop(t);
    t.connect.last.resolve();
    await flush();
    // connected: nothing is being retried, so no public count; the machine still remembers 3
    expect(t.state()).toEqual({ status: 'connected', server: 'ws://b.test' });
    expect(t.actor.getSnapshot().context.attempt).toBe(3);
    t.lose(new SipError('transport', 'closed again'));
    expect(t.state()).toMatchObject({ status: 'failed', attempt: 3, error: { message: 'closed again' } });
    expect(t.connect.calls).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a connection that stays up STABLE_CONNECTION_MS resets the backoff; one that drops a moment earlier does not', async () => {
    const t = setup();
    t.actor.send({ type: 'CONNECT' });
    for (let i = 0; i < 3; i++) await openAndDrop(t);
    expect(t.state().attempt).toBe(3);
    // up for all but 1 ms of the stable time: the next delay is the fourth
    t.connect.last.resolve();
    await flush();
    await vi.advanceTimersByTimeAsync(STABLE_CONNECTION_MS - 1);
    t.lose();
    expect(t.state()).toMatchObject({ attempt: 4, retryAt: Date.now() + 3_000 });
    await vi.advanceTimersByTimeAsync(3_000);
    // up for the stable time: back to the first delay
    t.connect.last.resolve();
    await flush();
    await vi.advanceTimersByTimeAsync(STABLE_CONNECTION_MS);
    expect(t.actor.getSnapshot().context.attempt).toBe(0);
    t.lose();
    expect(t.state()).toMatchObject({ status: 'reconnecting', attempt: 1, retryAt: Date.now() + 375 });
  });

  it('initialDelayMs 0 is floored: every delay is at least MIN_RECONNECT_DELAY_MS and the backoff grows from it', async () => {
    const t = setup({
      reconnect: { initialDelayMs: 0, maxDelayMs: 30_000, multiplier: 2, jitter: 1, maxAttempts: Infinity },
    });
    t.actor.send({ type: 'CONNECT' });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) delays.push(await openAndDrop(t));
    // jitter 1 and random 0.5: half of 250, 500, 1000, ... but never under 250
    expect(delays).toEqual([250, 250, 500, 1_000, 2_000]);
    expect(Math.min(...delays)).toBe(MIN_RECONNECT_DELAY_MS);
  });

  it('maxDelayMs and initialDelayMs of 0 give MIN_RECONNECT_DELAY_MS between attempts, never less', async () => {
    const t = setup({
      reconnect: { initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0, maxAttempts: Infinity },
    });
    t.actor.send({ type: 'CONNECT' });
    for (let i = 0; i < 4; i++) {
      t.connect.last.reject(new SipError('transport', 'refused'));
      await flush();
      await vi.advanceTimersByTimeAsync(MIN_RECONNECT_DELAY_MS - 1);
      expect(t.connect.calls).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(t.connect.calls).toHaveLength(i + 2);
    }
  });

  it('reconnect() and the network coming back still try at once while the backoff is long', async () => {
    const t = setup();
    t.actor.send({ type: 'CONNECT' });
    for (let i = 0; i < 6; i++) await openAndDrop(t);
    t.connect.last.resolve();
    await flush();
    t.lose();
    expect(t.state().retryAt! - Date.now()).toBeGreaterThanOrEqual(12_000);
    t.actor.send({ type: 'RECONNECT' });
    expect(t.connect.calls).toHaveLength(8);
    t.connect.last.resolve();
    await flush();
    t.setOnline(false);
    t.lose();
    t.setOnline(true);
    expect(t.connect.calls).toHaveLength(9);
  });

  it('a stable connection timer does not outlive the connection', async () => {
    const t = setup();
    t.actor.send({ type: 'CONNECT' });
    await openAndDrop(t);
    t.connect.last.resolve();
    await flush();
    t.actor.send({ type: 'DISCONNECT' });
    t.disconnect.last.resolve();
    await flush();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('transport machine: no delay input fires early', () => {
  const HUGE = [2 ** 53, 1e300, Infinity, Number.NaN];

  /** Nothing more happens after 1 ms, nor after 1 s. */
  async function quietFor1s(observe: () => unknown): Promise<void> {
    const before = JSON.stringify(observe());
    await vi.advanceTimersByTimeAsync(1);
    expect(JSON.stringify(observe())).toBe(before);
    await vi.advanceTimersByTimeAsync(999);
    expect(JSON.stringify(observe())).toBe(before);
  }

  it.each(HUGE)('connectTimeoutMs %s', async (value) => {
    const t = setup({ connectTimeoutMs: value });
    t.actor.send({ type: 'CONNECT' });
    await quietFor1s(() => [t.state(), t.connect.calls.length, t.connect.last.signal.aborted]);
    expect(t.status()).toBe('connecting');
  });

  it.each([2 ** 53, 1e300, Infinity])('connectJitterMs %s (NaN: no jitter, as by default)', async (value) => {
    const t = setup({ connectJitterMs: value });
    t.actor.send({ type: 'CONNECT' });
    await quietFor1s(() => [t.state(), t.connect.calls.length]);
    expect(t.connect.calls).toHaveLength(0);
  });

  it('connectJitterMs NaN: no jitter, as by default', async () => {
    const t = setup({ connectJitterMs: Number.NaN });
    t.actor.send({ type: 'CONNECT' });
    expect(t.connect.calls).toHaveLength(1);
  });

  it.each(HUGE)('keepAliveIntervalMs %s', async (value) => {
    const t = setup({ keepAliveIntervalMs: value });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    await quietFor1s(() => [t.state(), t.keepAlive.calls.length]);
    expect(t.keepAlive.calls).toHaveLength(0);
  });

  it.each(HUGE)('keepAliveTimeoutMs %s', async (value) => {
    const t = setup({ keepAliveIntervalMs: 30_000, keepAliveTimeoutMs: value });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    t.setOnline(false); // probe at once
    expect(t.keepAlive.calls).toHaveLength(1);
    await quietFor1s(() => [t.state(), t.optionsKeepAlive.calls.length]);
    expect(t.optionsKeepAlive.calls).toHaveLength(0);
  });

  it.each([2 ** 53, 1e300, Infinity])(
    'reconnect initialDelayMs and maxDelayMs %s: the longest timer, not 1 ms',
    async (value) => {
      const t = setup({
        reconnect: { initialDelayMs: value, maxDelayMs: value, multiplier: 2, jitter: 0, maxAttempts: Infinity },
      });
      t.actor.send({ type: 'CONNECT' });
      t.connect.last.reject(new SipError('transport', 'refused'));
      await flush();
      expect(t.state().retryAt).toBe(Date.now() + MAX_TIMER_DELAY_MS);
      await quietFor1s(() => [t.state(), t.connect.calls.length]);
      expect(t.connect.calls).toHaveLength(1);
    },
  );

  it('reconnect fields NaN take the defaults (the first delay 375 ms here), not 0', async () => {
    const nan = Number.NaN;
    const t = setup({
      reconnect: { initialDelayMs: nan, maxDelayMs: nan, multiplier: nan, jitter: nan, maxAttempts: nan },
    });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    expect(t.state()).toMatchObject({ status: 'reconnecting', retryAt: Date.now() + 375 });
  });
});

describe('Flow-Timer (RFC 5626 4.4.1)', () => {
  async function connectedWith(random: number, input: Partial<TransportInput> = {}) {
    const t = setup({
      keepAliveIntervalMs: 30_000,
      keepAliveTimeoutMs: 10_000,
      environment: { now: () => Date.now(), random: () => random },
      ...input,
    });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    return t;
  }

  it.each([
    [0, 4_000],
    [0.5, 4_500],
    [0.999, 4_999],
  ])(
    'with random %s, pings every %s ms for a Flow-Timer of 5 s, in place of keepAliveIntervalMs',
    async (random, every) => {
      const t = await connectedWith(random);
      t.actor.send({ type: 'FLOW_TIMER', seconds: 5 });
      for (let ping = 1; ping <= 3; ping++) {
        await vi.advanceTimersByTimeAsync(every - 1);
        expect(t.keepAlive.calls).toHaveLength(ping - 1);
        await vi.advanceTimersByTimeAsync(1);
        expect(t.keepAlive.calls).toHaveLength(ping);
        t.keepAlive.last.resolve();
        await flush();
      }
      expect(t.actor.getSnapshot().context.flowTimerSec).toBe(5);
    },
  );

  it('turns pings on even when keepAliveIntervalSec turned them off', async () => {
    const t = await connectedWith(0, { keepAliveIntervalMs: 0 });
    t.actor.send({ type: 'FLOW_TIMER', seconds: 10 });
    await vi.advanceTimersByTimeAsync(8_000);
    expect(t.keepAlive.calls).toHaveLength(1);
  });

  it('an unanswered ping is still a dead flow (after the OPTIONS), with the Flow-Timer in force', async () => {
    const t = await connectedWith(0);
    t.actor.send({ type: 'FLOW_TIMER', seconds: 5 });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(t.keepAlive.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(t.status()).toBe('reconnecting');
    expect(t.state().error).toMatchObject({ kind: 'timeout', reason: 'keep-alive timeout' });
  });

  it('a Flow-Timer received while a ping is out applies from the next interval', async () => {
    const t = await connectedWith(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(t.keepAlive.calls).toHaveLength(1);
    t.actor.send({ type: 'FLOW_TIMER', seconds: 5 });
    t.keepAlive.last.resolve();
    await flush();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(t.keepAlive.calls).toHaveLength(2);
  });

  it.each([0, 3_601, 2.5, Number.NaN, -1, undefined])(
    'a Flow-Timer of %s is as if none came: keepAliveIntervalMs applies',
    async (seconds) => {
      const t = await connectedWith(0);
      t.actor.send({ type: 'FLOW_TIMER', seconds: 5 });
      t.actor.send({ type: 'FLOW_TIMER', seconds });
      await vi.advanceTimersByTimeAsync(29_999);
      expect(t.keepAlive.calls).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(t.keepAlive.calls).toHaveLength(1);
    },
  );

  it('holds for its connection only: a new connection starts from keepAliveIntervalMs', async () => {
    const t = await connectedWith(0);
    t.actor.send({ type: 'FLOW_TIMER', seconds: 5 });
    t.lose();
    await vi.advanceTimersByTimeAsync(1_000);
    t.connect.last.resolve();
    await flush();
    expect(t.status()).toBe('connected');
    expect(t.actor.getSnapshot().context.flowTimerSec).toBeUndefined();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(t.keepAlive.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.keepAlive.calls).toHaveLength(1);
  });
});

describe('the keep-alive timeout createSipClient gives the transport', () => {
  it.each([
    [0, 10_000],
    [5_000, 5_000],
    [30_000, 10_000],
  ])('keepAliveIntervalMs %s: a probe (a Flow-Timer ping, say) waits %s ms for its answer', (interval, expected) => {
    expect(keepAliveTimeoutFor(interval)).toBe(expected);
  });
});
