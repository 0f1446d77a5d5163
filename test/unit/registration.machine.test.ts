import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import {
  MAX_EXPIRES_SEC,
  MAX_INTERVAL_TOO_BRIEF_RETRIES,
  MAX_RETRY_AFTER_SEC,
  MIN_REGISTER_INTERVAL_MS,
  registrationMachine,
  registrationStatusOf,
  type RegisterOutcome,
  type RegistrationInput,
} from '../../machines/registration.machine';
import { SipError } from '../../src/errors';
import { selectRegistrationState } from '../../src/state';
import { fieldsOf } from '../support/state-fields';
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
    // Every field readable: the tests assert which ones each state has.
    state: () => fieldsOf(selectRegistrationState(actor.getSnapshot())),
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

  it('ABANDON (the start failed) leaves registration unregistered with the reason, until REGISTER', async () => {
    const r = setup();
    const refused = new SipError('transport', 'refused');
    // not wanted: nothing to abandon, and no reason to show
    r.actor.send({ type: 'ABANDON', error: refused });
    expect(r.state()).toEqual({ status: 'unregistered' });
    r.actor.send({ type: 'REGISTER' });
    r.actor.send({ type: 'ABANDON', error: refused });
    expect(r.state()).toEqual({ status: 'unregistered', error: refused });
    expect(r.register.calls).toHaveLength(0);
    r.actor.send({ type: 'REGISTER' });
    expect(r.state()).toEqual({ status: 'registering' });
    r.actor.send({ type: 'UNREGISTER' });
    expect(r.state()).toEqual({ status: 'unregistered' });
  });

  it('LINK_FAILED (the transport gave up) keeps registration wanted and says why, until the link is recovered', async () => {
    const r = setup();
    const refused = new SipError('transport', 'refused');
    // not wanted: no reason to show
    r.actor.send({ type: 'LINK_FAILED', error: refused });
    expect(r.state()).toEqual({ status: 'unregistered' });
    await registered(r);
    r.actor.send({ type: 'LINK_DOWN' });
    expect(r.state()).toEqual({ status: 'registering' });
    r.actor.send({ type: 'LINK_FAILED', error: refused });
    // never registered while the link is down, and no REGISTER sent
    expect(r.state()).toEqual({ status: 'registering', error: refused });
    expect(r.actor.getSnapshot().matches({ link: 'down' })).toBe(true);
    expect(r.register.calls).toHaveLength(1);
    // the link is being recovered: the reason goes; back up: registers again by itself
    r.actor.send({ type: 'LINK_DOWN' });
    expect(r.state()).toEqual({ status: 'registering' });
    r.actor.send({ type: 'LINK_FAILED', error: refused });
    r.actor.send({ type: 'LINK_UP' });
    expect(r.state()).toEqual({ status: 'registering' });
    expect(r.register.calls).toHaveLength(2);
    r.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(r.state().status).toBe('registered');
    // straight from registered; UNREGISTER then ends it unregistered without the reason
    r.actor.send({ type: 'LINK_FAILED', error: refused });
    expect(r.state()).toEqual({ status: 'registering', error: refused });
    r.actor.send({ type: 'UNREGISTER' });
    expect(r.state()).toEqual({ status: 'unregistered' });
    expect(r.actor.getSnapshot().context.linkError).toBeUndefined();
    expect(r.unregister.calls).toHaveLength(0);
  });

  it('LINK_FAILED while retrying drops the retry: nothing is sent until the link is back', async () => {
    const r = setup();
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.reject(new SipError('timeout', 'no answer'));
    await flush();
    expect(r.state().status).toBe('retrying');
    const refused = new SipError('transport', 'refused');
    r.actor.send({ type: 'LINK_FAILED', error: refused });
    expect(r.state()).toEqual({ status: 'registering', error: refused });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(r.register.calls).toHaveLength(1);
    // ABANDON from here: unregistered with the abandon's reason, not the link's
    const stopped = new SipError('transport', 'start failed');
    r.actor.send({ type: 'ABANDON', error: stopped });
    expect(r.state()).toEqual({ status: 'unregistered', error: stopped });
    expect(r.actor.getSnapshot().context.linkError).toBeUndefined();
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

  it('answers 423 by registering again with Min-Expires, MIN_REGISTER_INTERVAL_MS after the first was sent', async () => {
    const r = setup({ expires: 2 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    await vi.advanceTimersByTimeAsync(200); // the 423 takes 200 ms to come
    r.register.last.resolve({ type: 'intervalTooBrief', minExpires: 60 });
    await flush();
    expect(r.state()).toEqual({ status: 'registering' });
    await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS - 200 - 1);
    expect(r.register.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
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
    const r = setup({
      retry: { initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2, jitter: 0, maxAttempts: Infinity },
    });
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
    const r = setup({
      retry: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1, jitter: 0, maxAttempts: Infinity },
    });
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

describe('registration machine: bounds on what a registrar may ask', () => {
  async function answered(r: ReturnType<typeof setup>, outcome: RegisterOutcome) {
    r.register.last.resolve(outcome);
    await flush();
  }

  it(`follows at most ${MAX_INTERVAL_TOO_BRIEF_RETRIES} 423s per registration attempt, then fails with the 423`, async () => {
    const r = setup({ expires: 600 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    for (let i = 0; i < MAX_INTERVAL_TOO_BRIEF_RETRIES; i++) {
      await answered(r, { type: 'intervalTooBrief', minExpires: r.register.last.input.expires + 1 });
      await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS);
    }
    expect(r.register.calls.map((call) => call.input.expires)).toEqual([600, 601, 602, 603]);
    await answered(r, { type: 'intervalTooBrief', minExpires: 604 });
    expect(r.state()).toMatchObject({ status: 'failed', error: { kind: 'rejected', code: 423 } });
    expect(r.state().error?.message).toMatch(/Min-Expires 604.*at most 3/);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(r.register.calls).toHaveLength(4);
    // a new register() starts a new attempt, from the expires the application asked for
    r.actor.send({ type: 'REGISTER' });
    expect(r.register.calls).toHaveLength(5);
    expect(r.register.last.input.expires).toBe(600);
    await answered(r, { type: 'intervalTooBrief', minExpires: 601 });
    await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS);
    expect(r.register.calls).toHaveLength(6);
  });

  it('starts counting 423s again once registered', async () => {
    const r = setup({ expires: 100 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    for (let i = 0; i < MAX_INTERVAL_TOO_BRIEF_RETRIES; i++) {
      await answered(r, { type: 'intervalTooBrief', minExpires: r.register.last.input.expires + 1 });
      await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS);
    }
    await answered(r, { type: 'registered', expires: 103 });
    expect(r.state().status).toBe('registered');
    await vi.advanceTimersByTimeAsync(r.state().refreshAt! - Date.now());
    expect(r.register.calls).toHaveLength(5);
    await answered(r, { type: 'intervalTooBrief', minExpires: 104 });
    await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS);
    expect(r.register.calls).toHaveLength(6);
    expect(r.register.last.input.expires).toBe(104);
  });

  it(`does not follow a Min-Expires above MAX_EXPIRES_SEC (${MAX_EXPIRES_SEC} s)`, async () => {
    const r = setup({ expires: 600 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    await answered(r, { type: 'intervalTooBrief', minExpires: MAX_EXPIRES_SEC + 1 });
    expect(r.state()).toMatchObject({ status: 'failed', error: { code: 423 } });
    expect(r.state().error?.message).toMatch(/Min-Expires 86401, above the 86400 s sipstate accepts/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.register.calls).toHaveLength(1);
  });

  it('follows a Min-Expires of exactly MAX_EXPIRES_SEC', async () => {
    const r = setup({ expires: 600 });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    await answered(r, { type: 'intervalTooBrief', minExpires: MAX_EXPIRES_SEC });
    await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS);
    expect(r.register.last.input.expires).toBe(MAX_EXPIRES_SEC);
  });

  it('a 2xx granting 0 s is not registered: retrying, error kind rejected, retried with the registration backoff', async () => {
    const r = setup({
      retry: { initialDelayMs: 2_000, maxDelayMs: 60_000, multiplier: 2, jitter: 0, maxAttempts: Infinity },
    });
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    await answered(r, { type: 'registered', expires: 0 });
    expect(r.state()).toMatchObject({
      status: 'retrying',
      attempt: 1,
      retryAt: Date.now() + 2_000,
      error: { kind: 'rejected' },
    });
    expect(r.state().error?.message).toMatch(/granted no time/);
    expect(r.state().expires).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_000);
    await answered(r, { type: 'registered', expires: 0 });
    expect(r.state()).toMatchObject({ status: 'retrying', attempt: 2, retryAt: Date.now() + 4_000 });
    await vi.advanceTimersByTimeAsync(4_000);
    await answered(r, { type: 'registered', expires: 60 });
    expect(r.state()).toMatchObject({ status: 'registered', expires: 60 });
  });

  it('a refresh granted 0 s drops the binding and retries', async () => {
    const r = setup();
    await registered(r, 100);
    await vi.advanceTimersByTimeAsync(85_000);
    await answered(r, { type: 'registered', expires: 0 });
    expect(r.state()).toMatchObject({ status: 'retrying', attempt: 1, error: { kind: 'rejected' } });
    expect(r.state().expiresAt).toBeUndefined();
  });

  it.each([2 ** 53, 1e300, Infinity, 601])('a granted expiry of %s is capped at the 600 s asked', async (granted) => {
    const r = setup({ expires: 600 });
    await registered(r, granted);
    expect(r.state()).toMatchObject({ status: 'registered', expires: 600, expiresAt: Date.now() + 600_000 });
    // refreshed at 85% of 600 s, not after 1 ms
    await vi.advanceTimersByTimeAsync(1_000);
    expect(r.register.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(510_000 - 1_000);
    expect(r.register.calls).toHaveLength(2);
  });

  it('a granted expiry of NaN counts as what was asked', async () => {
    const r = setup({ expires: 600 });
    await registered(r, Number.NaN);
    expect(r.state()).toMatchObject({ status: 'registered', expires: 600 });
  });

  it.each([3_000_000, 2 ** 53, 1e300, Infinity])(
    `Retry-After %s waits MAX_RETRY_AFTER_SEC (${MAX_RETRY_AFTER_SEC} s)`,
    async (retryAfter) => {
      const r = setup();
      r.actor.send({ type: 'LINK_UP' });
      r.actor.send({ type: 'REGISTER' });
      r.register.last.reject(new SipError('rejected', '503', { code: 503, retryAfter }));
      await flush();
      expect(r.state()).toMatchObject({ status: 'retrying', retryAt: Date.now() + MAX_RETRY_AFTER_SEC * 1000 });
      await vi.advanceTimersByTimeAsync(1);
      await vi.advanceTimersByTimeAsync(999);
      expect(r.register.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(MAX_RETRY_AFTER_SEC * 1000 - 1_000);
      expect(r.register.calls).toHaveLength(2);
    },
  );

  it('a Retry-After of NaN (or negative) falls back to the backoff, paced', async () => {
    const r = setup();
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    r.register.last.reject(new SipError('rejected', '503', { code: 503, retryAfter: Number.NaN }));
    await flush();
    // backoff 1000 ms with jitter 0.5, random 0.5: 750 ms, raised to MIN_REGISTER_INTERVAL_MS after the send
    expect(r.state()).toMatchObject({ status: 'retrying', retryAt: Date.now() + MIN_REGISTER_INTERVAL_MS });
  });

  it('a retry after an immediate error and a Retry-After: 0 waits MIN_REGISTER_INTERVAL_MS after the REGISTER was sent', async () => {
    const r = setup();
    r.actor.send({ type: 'LINK_UP' });
    r.actor.send({ type: 'REGISTER' });
    await vi.advanceTimersByTimeAsync(300);
    r.register.last.reject(new SipError('rejected', '503', { code: 503, retryAfter: 0 }));
    await flush();
    expect(r.state().retryAt).toBe(Date.now() + MIN_REGISTER_INTERVAL_MS - 300);
  });

  it('a refresh of a 1 s binding waits MIN_REGISTER_INTERVAL_MS after the REGISTER, not 85% of 1 s', async () => {
    const r = setup({ expires: 600 });
    await registered(r, 1);
    expect(r.state().refreshAt).toBe(Date.now() + MIN_REGISTER_INTERVAL_MS);
    await vi.advanceTimersByTimeAsync(MIN_REGISTER_INTERVAL_MS - 1);
    expect(r.register.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.register.calls).toHaveLength(2);
  });

  it.each([2 ** 53, 1e300, Infinity, Number.NaN])(
    'an expires input of %s asks for an integer 1..MAX_EXPIRES_SEC',
    async (expires) => {
      const r = setup({ expires });
      r.actor.send({ type: 'LINK_UP' });
      r.actor.send({ type: 'REGISTER' });
      expect(r.register.last.input.expires).toBe(Number.isNaN(expires) ? 600 : MAX_EXPIRES_SEC);
    },
  );
});

describe('registration machine: REGISTERs a hostile registrar gets', () => {
  /**
   * The machine against a registrar that answers every REGISTER at once with `answer(expires asked)`, for `ms` of
   * simulated time: how many REGISTERs it sends.
   */
  async function registersIn(ms: number, answer: (expires: number) => RegisterOutcome | SipError) {
    let sent = 0;
    const asked: number[] = [];
    const machine = registrationMachine.provide({
      actors: {
        sendRegister: fromPromise<RegisterOutcome, { expires: number }>(async ({ input }) => {
          sent++;
          asked.push(input.expires);
          const outcome = answer(input.expires);
          if (outcome instanceof SipError) throw outcome;
          return outcome;
        }),
      },
    });
    const actor = createActor(machine, { input: { expires: 600, environment } }).start();
    actor.send({ type: 'LINK_UP' });
    actor.send({ type: 'REGISTER' });
    await vi.advanceTimersByTimeAsync(ms);
    const status = registrationStatusOf(actor.getSnapshot());
    actor.stop();
    return { sent, asked, status };
  }

  it('expires=2^53: one REGISTER in 3 s (the binding is capped at the 600 s asked)', async () => {
    expect(await registersIn(3_000, () => ({ type: 'registered', expires: 2 ** 53 }))).toMatchObject({
      sent: 1,
      status: 'registered',
    });
  });

  it('503 with Retry-After: 3000000: one REGISTER in 3 s, the next an hour later', async () => {
    const unavailable = () => new SipError('rejected', '503', { code: 503, retryAfter: 3_000_000 });
    expect(await registersIn(3_000, unavailable)).toMatchObject({ sent: 1, status: 'retrying' });
    expect((await registersIn(MAX_RETRY_AFTER_SEC * 1000, unavailable)).sent).toBe(2);
  });

  it('423 with Min-Expires always one more: 4 REGISTERs, then failed', async () => {
    const result = await registersIn(3_000, (expires) => ({ type: 'intervalTooBrief', minExpires: expires + 1 }));
    expect(result).toEqual({ sent: 1 + MAX_INTERVAL_TOO_BRIEF_RETRIES, asked: [600, 601, 602, 603], status: 'failed' });
  });

  it('200 with expires=0: never registered, at most one REGISTER per second (3 in 3 s with the backoff)', async () => {
    const result = await registersIn(3_000, () => ({ type: 'registered', expires: 0 }));
    // sent at 0 s, 1 s (750 ms of backoff raised to the 1 s pacing), 2.5 s; the next at 5.5 s
    expect(result).toMatchObject({ sent: 3, status: 'retrying' });
  });

  it('granted 1 s, always: one REGISTER a second, no more', async () => {
    const result = await registersIn(10_000, () => ({ type: 'registered', expires: 1 }));
    expect(result.sent).toBe(11);
  });
});
