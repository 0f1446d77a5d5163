/**
 * The machines' answers to timers that did not fire on time: CHECK_BINDING and PAGE_HIDDEN in the registration
 * machine, CHECK_CONNECTION in the transport machine. A suspended computer is modelled exactly: `vi.setSystemTime`
 * moves the wall clock (what `environment.now()` reads) without firing any timer (XState's clock).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import {
  HIDDEN_PAGE_REFRESH_MARGIN_MS,
  MIN_REGISTER_INTERVAL_MS,
  registrationMachine,
  type RegisterOutcome,
  type RegistrationInput,
} from '../../machines/registration.machine';
import { transportStatusOf, type TransportInput } from '../../machines/transport.machine';
import { SipError } from '../../src/errors';
import { selectRegistrationState, selectTransportState } from '../../src/state';
import { controllable, flush } from '../support/fake-actors';
import { fakeTransport } from '../support/fake-machines';
import { prng } from '../support/prng';
import { fieldsOf } from '../support/state-fields';

const environment = { now: () => Date.now(), random: () => 0.5 };
const T0 = 2_000_000;
const TWO_HOURS = 2 * 3_600_000;

function registration(input: Partial<RegistrationInput> = {}) {
  const register = controllable<RegisterOutcome, { expires: number }>();
  const unregister = controllable<void>();
  const actor = createActor(
    registrationMachine.provide({ actors: { sendRegister: register.logic, sendUnregister: unregister.logic } }),
    { input: { expires: 600, environment, ...input } },
  ).start();
  return { actor, register, state: () => fieldsOf(selectRegistrationState(actor.getSnapshot())) };
}

async function registered(r: ReturnType<typeof registration>, expires = 600) {
  r.actor.send({ type: 'LINK_UP' });
  r.actor.send({ type: 'REGISTER' });
  r.register.last.resolve({ type: 'registered', expires });
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe('registration machine: CHECK_BINDING after the timers slept', () => {
  it('a binding past expiresAt is not registered a moment longer: registering, REGISTER sent at once', async () => {
    const r = registration();
    await registered(r);
    expect(r.state()).toMatchObject({ status: 'registered', expiresAt: T0 + 600_000 });
    // Two hours asleep: the refresh timer (510 s) has not fired, the wall clock is far past the lapse.
    vi.setSystemTime(T0 + TWO_HOURS);
    expect(r.state().status).toBe('registered');
    expect(r.register.calls).toHaveLength(1);
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.state()).toEqual({ status: 'registering' });
    expect(r.register.calls).toHaveLength(2);
    expect(r.register.last.input).toEqual({ expires: 600 });
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(r.state()).toMatchObject({ status: 'registered', expiresAt: T0 + TWO_HOURS + 600_000 });
    // The timer that slept is gone with the state it belonged to: only the new binding's refresh remains.
    await vi.advanceTimersByTimeAsync(509_999);
    expect(r.register.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.register.calls).toHaveLength(3);
  });

  it('a refresh timer that fires after the lapse (it slept) registers again as registering, not registered', async () => {
    const r = registration();
    await registered(r);
    // The process was stopped (SIGSTOP) for 20 minutes: on continuing, the overdue refresh timer fires first.
    vi.setSystemTime(T0 + 1_200_000);
    await vi.advanceTimersByTimeAsync(510_000);
    expect(r.register.calls).toHaveLength(2);
    expect(r.state()).toEqual({ status: 'registering' });
  });

  it('past refreshAt but before expiresAt: refreshes now and stays registered meanwhile', async () => {
    const r = registration();
    await registered(r);
    // refresh at 85% of 600 s = 510 s; the binding lapses at 600 s.
    vi.setSystemTime(T0 + 550_000);
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.register.calls).toHaveLength(2);
    expect(r.state()).toMatchObject({ status: 'registered', expiresAt: T0 + 600_000 });
  });

  it('before refreshAt: does nothing, however often it comes', async () => {
    const r = registration();
    await registered(r);
    vi.setSystemTime(T0 + 509_000);
    for (let index = 0; index < 5; index++) r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.register.calls).toHaveLength(1);
    expect(r.state()).toMatchObject({ status: 'registered', refreshAt: T0 + 510_000 });
    // The refresh still comes on its own timer.
    await vi.advanceTimersByTimeAsync(510_000);
    expect(r.register.calls).toHaveLength(2);
  });

  it('a REGISTER in flight longer than registerTimeoutMs is given up and retried, paced', async () => {
    const r = registration({ registerTimeoutMs: 10_000 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    vi.setSystemTime(T0 + 5_000);
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.state().status).toBe('registering');
    vi.setSystemTime(T0 + TWO_HOURS);
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.state()).toMatchObject({ status: 'retrying', attempt: 1, error: { kind: 'timeout' } });
    expect(r.register.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS);
    expect(r.register.calls).toHaveLength(2);
  });

  it('a refresh in flight across the lapse: retrying, and the lapsed binding is no longer reported', async () => {
    const r = registration({ registerTimeoutMs: 10_000 });
    await registered(r);
    await vi.advanceTimersByTimeAsync(510_000);
    expect(r.register.calls).toHaveLength(2);
    vi.setSystemTime(Date.now() + TWO_HOURS);
    r.actor.send({ type: 'CHECK_BINDING' });
    const state = r.state();
    expect(state).toMatchObject({ status: 'retrying', error: { kind: 'timeout' } });
    expect(state.expiresAt).toBeUndefined();
  });

  it('a retry whose retryAt has passed is sent now; one not yet due is left to its timer', async () => {
    const r = registration();
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.reject(new SipError('rejected', '503', { code: 503, retryAfter: 60 }));
    await flush();
    expect(r.state()).toMatchObject({ status: 'retrying', retryAt: T0 + 60_000 });
    vi.setSystemTime(T0 + 30_000);
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.register.calls).toHaveLength(1);
    vi.setSystemTime(T0 + 60_000);
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.register.calls).toHaveLength(2);
    expect(r.state().status).toBe('registering');
  });

  it('a failed refresh waiting to retry: the lapsed binding goes at once', async () => {
    const r = registration();
    await registered(r);
    await vi.advanceTimersByTimeAsync(510_000);
    r.register.last.reject(new SipError('rejected', '503', { code: 503, retryAfter: 30 }));
    await flush();
    expect(r.state()).toMatchObject({ status: 'retrying', expiresAt: T0 + 600_000 });
    vi.setSystemTime(T0 + 700_000);
    r.actor.send({ type: 'CHECK_BINDING' });
    // retryAt (540 s) passed too: the retry goes now, as registering (the binding is gone).
    expect(r.state()).toEqual({ status: 'registering' });
    expect(r.register.calls).toHaveLength(3);
  });

  it('does nothing while unregistered, waiting for the link or failed', () => {
    const r = registration();
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.state()).toEqual({ status: 'unregistered' });
    r.actor.send({ type: 'REGISTER' });
    vi.setSystemTime(T0 + TWO_HOURS);
    r.actor.send({ type: 'CHECK_BINDING' });
    expect(r.state()).toEqual({ status: 'registering' });
    expect(r.register.calls).toHaveLength(0);
  });
});

describe('registration machine: a hidden page refreshes before a late timer could let the binding lapse', () => {
  it(`a binding recorded while hidden refreshes ${HIDDEN_PAGE_REFRESH_MARGIN_MS / 1000} s before its lapse at the latest`, async () => {
    const r = registration({ refreshWindow: [0.95, 0.99] });
    r.actor.send({ type: 'PAGE_HIDDEN' });
    await registered(r, 600);
    // 97% of 600 s would be 582 s; hidden: 600 - 70 = 530 s.
    expect(r.state()).toMatchObject({ status: 'registered', refreshAt: T0 + 530_000 });
    await vi.advanceTimersByTimeAsync(529_999);
    expect(r.register.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.register.calls).toHaveLength(2);
  });

  it('going hidden brings a later refresh forward; becoming visible again keeps it', async () => {
    const r = registration({ refreshWindow: [0.95, 0.99] });
    await registered(r, 600);
    expect(r.state()).toMatchObject({ refreshAt: T0 + 582_000 });
    await vi.advanceTimersByTimeAsync(100_000);
    r.actor.send({ type: 'PAGE_HIDDEN' });
    expect(r.state()).toMatchObject({ status: 'registered', refreshAt: T0 + 530_000, expiresAt: T0 + 600_000 });
    r.actor.send({ type: 'PAGE_VISIBLE' });
    await vi.advanceTimersByTimeAsync(429_999);
    expect(r.register.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.register.calls).toHaveLength(2);
    // The next binding, recorded while visible, uses the refresh window again.
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(r.state()).toMatchObject({ refreshAt: Date.now() + 582_000 });
  });

  it('a wall clock set back does not push a refresh out when the page goes hidden', async () => {
    const r = registration({ refreshWindow: [0.95, 0.99] });
    await registered(r, 600);
    await vi.advanceTimersByTimeAsync(100_000);
    // Set back an hour: refreshAt - now would be 4,130 s, and the pacing (1 s after the last REGISTER, by the wall
    // clock) an hour; the refresh stays at most the 530 s drawn from the binding.
    vi.setSystemTime(Date.now() - 3_600_000);
    r.actor.send({ type: 'PAGE_HIDDEN' });
    await vi.advanceTimersByTimeAsync(530_000);
    expect(r.register.calls).toHaveLength(2);
  });

  it('an earlier refresh is left where it is', async () => {
    const r = registration();
    await registered(r, 600);
    r.actor.send({ type: 'PAGE_HIDDEN' });
    expect(r.state()).toMatchObject({ refreshAt: T0 + 510_000 });
  });

  it('a short expiry refreshes at half while hidden, never sooner than the pacing allows', async () => {
    const r = registration({ expires: 60 });
    r.actor.send({ type: 'PAGE_HIDDEN' });
    await registered(r, 60);
    expect(r.state()).toMatchObject({ refreshAt: T0 + 30_000 });
    const s = registration({ expires: 1 });
    s.actor.send({ type: 'PAGE_HIDDEN' });
    await registered(s, 1);
    expect(s.state()).toMatchObject({ refreshAt: T0 + MIN_REGISTER_INTERVAL_MS });
  });

  it('going hidden past the hidden deadline refreshes at once', async () => {
    const r = registration();
    await registered(r, 600);
    // The refresh timer (510 s) slept; the page goes hidden at 540 s by the wall clock.
    vi.setSystemTime(T0 + 540_000);
    r.actor.send({ type: 'PAGE_HIDDEN' });
    await vi.advanceTimersByTimeAsync(0);
    expect(r.register.calls).toHaveLength(2);
  });
});

describe('registration machine: the wake events keep the bounds', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: 300 random steps of wakes, hides, jumps and answers: REGISTERs >= MIN_REGISTER_INTERVAL_MS apart, never registered past expiresAt, one in flight`, async () => {
      const random = prng(seed);
      const sentAt: number[] = [];
      const register = controllable<RegisterOutcome, { expires: number }>(() => sentAt.push(Date.now()));
      const actor = createActor(registrationMachine.provide({ actors: { sendRegister: register.logic } }), {
        input: { expires: 5, environment },
      }).start();
      actor.send({ type: 'LINK_UP' });
      actor.send({ type: 'REGISTER' });
      for (let step = 0; step < 300; step++) {
        const roll = random();
        if (roll < 0.25) actor.send({ type: 'CHECK_BINDING' });
        else if (roll < 0.35) actor.send({ type: random() < 0.5 ? 'PAGE_HIDDEN' : 'PAGE_VISIBLE' });
        // The wall clock jumps (a sleep): no timer fires.
        else if (roll < 0.5) vi.setSystemTime(Date.now() + Math.floor(random() * 20_000));
        else if (roll < 0.75) await vi.advanceTimersByTimeAsync(Math.floor(random() * 3_000));
        else {
          const pending = register.calls.filter((call) => !call.settled && !call.signal.aborted);
          expect(pending.length).toBeLessThanOrEqual(1);
          const call = pending[0];
          if (call) {
            if (random() < 0.8) call.resolve({ type: 'registered', expires: 1 + Math.floor(random() * 10) });
            else call.reject(new SipError('timeout', '408'));
            await flush();
          }
        }
        const state = selectRegistrationState(actor.getSnapshot());
        if (
          state.status === 'registered' &&
          actor.getSnapshot().matches({ binding: { active: { registered: 'bound' } } })
        ) {
          // Between wakes a bound binding may pass its lapse only until its timer or the next CHECK_BINDING.
          actor.send({ type: 'CHECK_BINDING' });
          const checked = selectRegistrationState(actor.getSnapshot());
          if (checked.status === 'registered') expect(checked.expiresAt).toBeGreaterThan(Date.now());
        }
      }
      for (let index = 1; index < sentAt.length; index++) {
        expect(sentAt[index]! - sentAt[index - 1]!).toBeGreaterThanOrEqual(MIN_REGISTER_INTERVAL_MS);
      }
      expect(sentAt.length).toBeGreaterThan(5);
      actor.stop();
    });
  }
});

describe('transport machine: CHECK_CONNECTION', () => {
  function transport(input: Partial<TransportInput> = {}) {
    const t = fakeTransport({ servers: ['ws://a.test'], environment, keepAliveIntervalMs: 0, ...input });
    return Object.assign(t, {
      status: () => transportStatusOf(t.actor.getSnapshot()),
      state: () => fieldsOf(selectTransportState(t.actor.getSnapshot())),
    });
  }

  it('connected: probes at once, and a probe that fails reconnects', async () => {
    const t = transport({ keepAliveTimeoutMs: 10_000 });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.resolve();
    await flush();
    t.actor.send({ type: 'CHECK_CONNECTION' });
    expect(t.keepAlive.calls).toHaveLength(1);
    // A second check while the probe is out sends no second one.
    t.actor.send({ type: 'CHECK_CONNECTION' });
    expect(t.keepAlive.calls).toHaveLength(1);
    t.keepAlive.last.resolve();
    await flush();
    expect(t.status()).toBe('connected');
    t.actor.send({ type: 'CHECK_CONNECTION' });
    t.keepAlive.last.reject(new SipError('transport', 'socket gone'));
    await flush();
    expect(t.state()).toMatchObject({ status: 'reconnecting', phase: 'waiting' });
  });

  it('waiting to reconnect: the attempt goes now once retryAt has passed by the wall clock, not before', async () => {
    const t = transport({
      reconnect: { initialDelayMs: 20_000, maxDelayMs: 20_000, multiplier: 2, jitter: 0, maxAttempts: Infinity },
    });
    t.actor.send({ type: 'CONNECT' });
    t.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    expect(t.state()).toMatchObject({ status: 'reconnecting', phase: 'waiting', retryAt: T0 + 20_000 });
    vi.setSystemTime(T0 + 10_000);
    t.actor.send({ type: 'CHECK_CONNECTION' });
    expect(t.connect.calls).toHaveLength(1);
    vi.setSystemTime(T0 + TWO_HOURS);
    t.actor.send({ type: 'CHECK_CONNECTION' });
    expect(t.connect.calls).toHaveLength(2);
    expect(t.state()).toMatchObject({ status: 'reconnecting', phase: 'attempting' });
  });

  it('does nothing while disconnected or connecting', () => {
    const t = transport();
    t.actor.send({ type: 'CHECK_CONNECTION' });
    expect(t.status()).toBe('disconnected');
    t.actor.send({ type: 'CONNECT' });
    t.actor.send({ type: 'CHECK_CONNECTION' });
    expect(t.connect.calls).toHaveLength(1);
    expect(t.keepAlive.calls).toHaveLength(0);
  });
});
