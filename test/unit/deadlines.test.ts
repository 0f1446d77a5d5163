import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import {
  DEFAULT_REGISTER_TIMEOUT_MS,
  DEFAULT_UNREGISTER_TIMEOUT_MS,
  registrationMachine,
  type RegisterOutcome,
  type RegistrationInput,
} from '../../machines/registration.machine';
import { DEFAULT_STOP_TIMEOUT_MS, type UserAgentInput } from '../../machines/user-agent.machine';
import { SipConfigError } from '../../src/errors';
import { DEFAULT_TIMEOUTS, resolveOptions } from '../../src/options';
import { selectRegistrationState } from '../../src/state';
import { controllable, flush } from '../support/fake-actors';
import { fakeUserAgent } from '../support/fake-machines';

const environment = { now: () => Date.now(), random: () => 0.5 };

function registration(input: Partial<RegistrationInput> = {}) {
  const register = controllable<RegisterOutcome, { expires: number }>();
  const unregister = controllable<void>();
  const machine = registrationMachine.provide({
    actors: { sendRegister: register.logic, sendUnregister: unregister.logic },
  });
  const actor = createActor(machine, { input: { expires: 600, environment, ...input } }).start();
  return { actor, register, unregister, state: () => selectRegistrationState(actor.getSnapshot()) };
}

function userAgent(input: Partial<UserAgentInput> = {}) {
  return fakeUserAgent({
    transport: { servers: ['ws://a.test'], environment, keepAliveIntervalMs: 0 },
    registration: { expires: 600, environment },
    ...input,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(5_000_000);
});
afterEach(() => vi.useRealTimers());

describe('register deadline', () => {
  it('a REGISTER unanswered for registerTimeoutMs is given up and retried with backoff, kind timeout', async () => {
    const r = registration({ registerTimeoutMs: 3_000 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    const first = r.register.last;
    await vi.advanceTimersByTimeAsync(2_999);
    expect(r.state().status).toBe('registering');
    expect(first.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const state = r.state();
    expect(state.status).toBe('retrying');
    if (state.status !== 'retrying') return;
    expect(state.error.kind).toBe('timeout');
    expect(state.error.message).toBe('REGISTER not answered within 3000 ms');
    expect(state.attempt).toBe(1);
    // The machine stopped waiting: the actor is aborted, which is what ends the transaction in src/.
    expect(first.signal.aborted).toBe(true);
    // Retried after the backoff (1 s at attempt 1, jitter 0.5 with random 0.5: 1 s), and answered this time.
    await vi.advanceTimersByTimeAsync(state.retryAt - Date.now());
    expect(r.register.calls).toHaveLength(2);
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(r.state().status).toBe('registered');
  });

  it('a refresh unanswered for registerTimeoutMs goes retrying while the binding still stands', async () => {
    const r = registration({ registerTimeoutMs: 2_000 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    // The refresh goes out at 85% of 600 s.
    await vi.advanceTimersByTimeAsync(510_000);
    expect(r.register.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_000);
    const state = r.state();
    expect(state.status).toBe('retrying');
    if (state.status !== 'retrying') return;
    expect(state.error.kind).toBe('timeout');
    expect(state.expiresAt).toBe(5_000_000 + 600_000);
    expect(r.register.calls[1]!.signal.aborted).toBe(true);
  });

  it('an answer before the deadline leaves no deadline running', async () => {
    const r = registration({ registerTimeoutMs: 3_000 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    expect(vi.getTimerCount()).toBe(1);
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    // Only the refresh timer is left.
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(r.state().status).toBe('registered');
  });

  it('an unregister unanswered for unregisterTimeoutMs ends unregistered all the same', async () => {
    const r = registration({ unregisterTimeoutMs: 1_500 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    r.actor.send({ type: 'UNREGISTER' });
    expect(r.state().status).toBe('unregistering');
    await vi.advanceTimersByTimeAsync(1_499);
    expect(r.state().status).toBe('unregistering');
    await vi.advanceTimersByTimeAsync(1);
    expect(r.state()).toEqual({ status: 'unregistered' });
    expect(r.unregister.last.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('defaults: 10 s to register, 5 s to unregister; NaN takes the default', () => {
    const r = registration({ registerTimeoutMs: Number.NaN });
    expect(r.actor.getSnapshot().context.registerTimeoutMs).toBe(DEFAULT_REGISTER_TIMEOUT_MS);
    expect(r.actor.getSnapshot().context.unregisterTimeoutMs).toBe(DEFAULT_UNREGISTER_TIMEOUT_MS);
    expect([DEFAULT_REGISTER_TIMEOUT_MS, DEFAULT_UNREGISTER_TIMEOUT_MS]).toEqual([10_000, 5_000]);
  });
});

describe('stop deadline', () => {
  async function registeredUserAgent(input: Partial<UserAgentInput>) {
    const u = userAgent({ register: true, ...input });
    u.actor.send({ type: 'START' });
    u.connect.last.resolve();
    await flush();
    u.startUa.last.resolve();
    await flush();
    u.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    return u;
  }

  it('a stop whose unregister never answers is done within stopTimeoutMs: user agent stopped, transport told', async () => {
    const u = await registeredUserAgent({
      stopTimeoutMs: 2_000,
      stopStepTimeoutMs: 60_000,
      registration: { expires: 600, environment, unregisterTimeoutMs: 60_000 },
    });
    u.actor.send({ type: 'STOP' });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(u.status().userAgent).toBe('stopping');
    expect(u.stopUa.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
    // Nothing left behind: the user agent was stopped, the transport asked to disconnect.
    expect(u.stopUa.calls).toHaveLength(1);
    expect(u.disconnect.calls).toHaveLength(1);
    expect(u.order).toEqual(['connect', 'startUa', 'register', 'unregister', 'stopUa', 'disconnect']);
  });

  it('a stop whose user agent never stops is done within stopTimeoutMs too', async () => {
    const u = await registeredUserAgent({ stopTimeoutMs: 3_000, stopStepTimeoutMs: 60_000 });
    u.actor.send({ type: 'STOP' });
    u.unregister.last.resolve();
    await flush();
    expect(u.stopUa.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(u.status().userAgent).toBe('stopped');
    expect(u.disconnect.calls).toHaveLength(1);
    expect(u.stopUa.calls).toHaveLength(1);
  });

  it('a stop that finishes in time leaves no deadline running, and the default is 12 s', async () => {
    const u = await registeredUserAgent({});
    expect(u.actor.getSnapshot().context.stopTimeoutMs).toBe(DEFAULT_STOP_TIMEOUT_MS);
    expect(DEFAULT_STOP_TIMEOUT_MS).toBe(12_000);
    u.actor.send({ type: 'STOP' });
    u.unregister.last.resolve();
    await flush();
    u.stopUa.last.resolve();
    await flush();
    u.disconnect.last.resolve();
    await flush();
    expect(u.status().userAgent).toBe('stopped');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('timeouts option', () => {
  const base = { server: 'wss://sip.example.com', webSocket: class {} };

  it('fills in the defaults, field by field', () => {
    expect(resolveOptions(base).timeouts).toEqual({
      connect: 10_000,
      register: 10_000,
      unregister: 5_000,
      message: 10_000,
      stop: 12_000,
    });
    expect(resolveOptions({ ...base, timeouts: { message: 4_000 } }).timeouts).toEqual({
      ...DEFAULT_TIMEOUTS,
      message: 4_000,
    });
  });

  it.each([
    [{ register: 99 }, 'timeouts.register'],
    [{ stop: 600_001 }, 'timeouts.stop'],
    [{ message: 1_000.5 }, 'timeouts.message'],
    [{ connect: Number.NaN }, 'timeouts.connect'],
    [{ unregister: '5000' }, 'timeouts.unregister'],
    [{ invite: 1_000 }, 'timeouts.invite'],
  ])('refuses %o (%s)', (timeouts, field) => {
    const attempt = () => resolveOptions({ ...base, timeouts: timeouts as never });
    expect(attempt).toThrow(SipConfigError);
    expect(attempt).toThrow(field);
  });

  it('refuses a timeouts that is not an object', () => {
    expect(() => resolveOptions({ ...base, timeouts: 5_000 as never })).toThrow('timeouts');
  });
});
