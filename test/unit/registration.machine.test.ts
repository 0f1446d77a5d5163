import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { registrationMachine, type RegisterOutcome, type RegistrationInput } from '../../machines/registration.machine';
import { SipError } from '../../src/errors';
import { selectRegistrationState } from '../../src/state';
import { controllable, flush } from '../support/fake-actors';

const environment = { now: () => Date.now(), random: () => 0.5 };

function setup(input: Partial<RegistrationInput> = {}) {
  const register = controllable<RegisterOutcome, { expires: number }>();
  const unregister = controllable<void>();
  let inFlight = 0;
  let maxInFlight = 0;
  // Wraps the fake so the test sees how many REGISTERs the machine has running at once.
  const machine = registrationMachine.provide({
    actors: { sendRegister: register.logic, sendUnregister: unregister.logic },
  });
  const actor = createActor(machine, { input: { expires: 600, environment, ...input } });
  actor.subscribe(() => {
    inFlight = register.pending + unregister.pending;
    maxInFlight = Math.max(maxInFlight, inFlight);
  });
  actor.start();
  return {
    actor,
    register,
    unregister,
    state: () => selectRegistrationState(actor.getSnapshot()),
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

async function registered(r: ReturnType<typeof setup>, expires = 600) {
  r.actor.send({ type: 'LINK_UP' });
  r.actor.send({ type: 'REGISTER' });
  r.register.last.resolve({ type: 'registered', expires });
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(2_000_000);
});
afterEach(() => vi.useRealTimers());

describe('registration machine', () => {
  it('waits for the link, registers, and reports what the registrar granted', async () => {
    const r = setup({ expires: 600 });
    expect(r.state()).toEqual({ status: 'unregistered' });
    r.actor.send({ type: 'REGISTER' });
    expect(r.state()).toEqual({ status: 'registering' });
    expect(r.register.calls).toHaveLength(0);
    r.actor.send({ type: 'LINK_UP' });
    expect(r.register.last.input).toEqual({ expires: 600 });
    r.register.last.resolve({ type: 'registered', expires: 300 });
    await flush();
    expect(r.state()).toEqual({
      status: 'registered',
      expires: 300,
      expiresAt: 2_000_000 + 300_000,
      refreshAt: 2_000_000 + 255_000,
    });
  });

  it('refreshes at the point drawn in the refresh window of the granted expiry', async () => {
    const r = setup();
    await registered(r, 100);
    // random 0.5 in [0.8, 0.9] -> 85 s
    await vi.advanceTimersByTimeAsync(84_999);
    expect(r.register.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.register.calls).toHaveLength(2);
    expect(r.state().status).toBe('registered');
    r.register.last.resolve({ type: 'registered', expires: 50 });
    await flush();
    expect(r.state()).toMatchObject({ status: 'registered', expires: 50, expiresAt: Date.now() + 50_000 });
    await vi.advanceTimersByTimeAsync(42_500);
    expect(r.register.calls).toHaveLength(3);
  });

  it('answers 423 by registering again with Min-Expires', async () => {
    const r = setup({ expires: 2 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.resolve({ type: 'intervalTooBrief', minExpires: 60 });
    await flush();
    expect(r.register.calls).toHaveLength(2);
    expect(r.register.last.input).toEqual({ expires: 60 });
    r.register.last.resolve({ type: 'registered', expires: 60 });
    await flush();
    expect(r.state()).toMatchObject({ status: 'registered', expires: 60 });
  });

  it('fails on a 423 whose Min-Expires is not above what was asked, instead of looping', async () => {
    const r = setup({ expires: 60 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.resolve({ type: 'intervalTooBrief', minExpires: 60 });
    await flush();
    expect(r.state()).toMatchObject({ status: 'failed', error: { code: 423 } });
    expect(r.register.calls).toHaveLength(1);
  });

  it.each([
    ['auth', new SipError('auth', 'REGISTER refused: 401 Unauthorized', { code: 401 })],
    ['403', new SipError('auth', 'REGISTER refused: 403 Forbidden', { code: 403 })],
    ['404', new SipError('rejected', 'REGISTER rejected: 404 Not Found', { code: 404 })],
    ['603', new SipError('rejected', 'REGISTER rejected: 603 Decline', { code: 603 })],
  ])('fails for good on %s: no retry', async (_name, error) => {
    const r = setup();
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.reject(error);
    await flush();
    expect(r.state()).toEqual({ status: 'failed', error });
    await vi.advanceTimersByTimeAsync(3_600_000);
    r.actor.send({ type: 'LINK_DOWN' });
    r.actor.send({ type: 'LINK_UP' });
    expect(r.register.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries 408, timeouts and 5xx with backoff, honouring Retry-After', async () => {
    const r = setup({ retry: { initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2, jitter: 0, maxAttempts: Infinity } });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    const timeout = new SipError('timeout', 'REGISTER timed out: 408', { code: 408 });
    r.register.last.reject(timeout);
    await flush();
    expect(r.state()).toEqual({ status: 'retrying', attempt: 1, retryAt: Date.now() + 1000, error: timeout });
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.state().status).toBe('registering');
    const unavailable = new SipError('rejected', '503', { code: 503, retryAfter: 7 });
    r.register.last.reject(unavailable);
    await flush();
    expect(r.state()).toEqual({ status: 'retrying', attempt: 2, retryAt: Date.now() + 7000, error: unavailable });
    await vi.advanceTimersByTimeAsync(7000);
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(r.state()).toMatchObject({ status: 'registered' });
    expect(r.state().attempt).toBeUndefined();
  });

  it('retries a failed refresh before the binding lapses, then says when it has lapsed', async () => {
    const r = setup({ retry: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1, jitter: 0, maxAttempts: Infinity } });
    await registered(r, 100);
    const expiresAt = r.state().expiresAt!;
    await vi.advanceTimersByTimeAsync(85_000);
    r.register.last.reject(new SipError('timeout', '408', { code: 408 }));
    await flush();
    // 15 s left: the retry comes after half of it, not after the 60 s backoff
    expect(r.state()).toMatchObject({ status: 'retrying', expires: 100, expiresAt, retryAt: Date.now() + 7500 });
    await vi.advanceTimersByTimeAsync(7500);
    r.register.last.reject(new SipError('timeout', '408', { code: 408 }));
    await flush();
    expect(r.state().retryAt).toBe(Date.now() + 3750);
    await vi.advanceTimersByTimeAsync(3750);
    r.register.last.reject(new SipError('timeout', '408', { code: 408 }));
    await flush();
    await vi.advanceTimersByTimeAsync(expiresAt - Date.now());
    expect(r.state().status).toBe('registering');
    r.register.last.reject(new SipError('timeout', '408', { code: 408 }));
    await flush();
    expect(r.state().status).toBe('retrying');
    expect(r.state().expiresAt).toBeUndefined();
    expect(r.state().expires).toBeUndefined();
  });

  it('is never registered while the link is down, and registers again when it is back', async () => {
    const r = setup();
    await registered(r);
    r.actor.send({ type: 'LINK_DOWN' });
    expect(r.state()).toEqual({ status: 'registering' });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(r.register.calls).toHaveLength(1);
    r.actor.send({ type: 'LINK_UP' });
    expect(r.register.calls).toHaveLength(2);
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(r.state().status).toBe('registered');
  });

  it('unregisters with a REGISTER of expires 0 and leaves no timer', async () => {
    const r = setup();
    await registered(r);
    r.actor.send({ type: 'UNREGISTER' });
    expect(r.state()).toEqual({ status: 'unregistering' });
    expect(r.unregister.calls).toHaveLength(1);
    r.unregister.last.resolve();
    await flush();
    expect(r.state()).toEqual({ status: 'unregistered' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('unregisters without sending anything while the link is down', async () => {
    const r = setup();
    r.actor.send({ type: 'REGISTER' });
    r.actor.send({ type: 'UNREGISTER' });
    expect(r.state()).toEqual({ status: 'unregistered' });
    expect(r.unregister.calls).toHaveLength(0);
  });

  it('register() after unregister() while the un-REGISTER is in flight registers again', async () => {
    const r = setup();
    await registered(r);
    r.actor.send({ type: 'UNREGISTER' });
    r.actor.send({ type: 'REGISTER' });
    expect(r.state().status).toBe('registering');
    expect(r.register.calls).toHaveLength(2);
  });

  it('keeps at most one REGISTER actor running through register, refresh, drop, unregister cycles', async () => {
    const r = setup();
    for (let cycle = 0; cycle < 3; cycle++) {
      await registered(r, 20);
      await vi.advanceTimersByTimeAsync(20_000);
      r.actor.send({ type: 'LINK_DOWN' });
      r.actor.send({ type: 'LINK_UP' });
      r.actor.send({ type: 'UNREGISTER' });
      r.actor.send({ type: 'REGISTER' });
      r.actor.send({ type: 'UNREGISTER' });
      if (r.unregister.pending) r.unregister.last.resolve();
      await flush();
    }
    expect(r.maxInFlight).toBe(1);
  });
});
