/**
 * No delay a call or user agent machine is given fires early: 2^53, 1e300 and Infinity wait the longest timer
 * (2^31-1 ms) instead of the 1 ms Node gives an overflowing setTimeout; NaN takes the default. (The transport and
 * registration machines have the same checks in their own test files.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { callMachine, callStatusOf, isLocallyHeld, type CallInput } from '../../machines/call.machine';
import { SipError } from '../../src/errors';
import { controllable, flush } from '../support/fake-actors';
import { fakeUserAgent } from '../support/fake-machines';

const environment = { now: () => Date.now(), random: () => 0.5 };
const HUGE = [2 ** 53, 1e300, Infinity];

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(4_000_000);
});
afterEach(() => vi.useRealTimers());

/** Nothing changes after 1 ms, nor after 1 s. */
async function quietFor1s(observe: () => unknown): Promise<void> {
  const before = JSON.stringify(observe());
  await vi.advanceTimersByTimeAsync(1);
  expect(JSON.stringify(observe())).toBe(before);
  await vi.advanceTimersByTimeAsync(999);
  expect(JSON.stringify(observe())).toBe(before);
}

function call(input: Partial<CallInput> & Pick<CallInput, 'direction'>) {
  const cancel = controllable<void>();
  const reject = controllable<void, { code: number }>();
  const reinvite = controllable<void, { hold: boolean }>();
  const answer = controllable<void>();
  const machine = callMachine.provide({
    actors: {
      invite: controllable<void>().logic,
      answer: answer.logic,
      cancel: cancel.logic,
      reject: reject.logic,
      reinvite: reinvite.logic,
    },
  });
  const actor = createActor(machine, { input: { environment, ...input } }).start();
  return { actor, cancel, reject, reinvite, answer, status: () => callStatusOf(actor.getSnapshot()) };
}

describe('call machine: no delay input fires early', () => {
  it.each([...HUGE, Number.NaN])('unansweredTimeoutMs %s: an outgoing call keeps ringing', async (value) => {
    const c = call({ direction: 'outgoing', unansweredTimeoutMs: value });
    c.actor.send({ type: 'PROGRESS', earlyMedia: false });
    await quietFor1s(() => [c.status(), c.cancel.calls.length]);
    expect(c.status()).toBe('ringing');
  });

  it.each([...HUGE, Number.NaN])('unansweredTimeoutMs %s: an incoming call keeps ringing', async (value) => {
    const c = call({ direction: 'incoming', unansweredTimeoutMs: value });
    await quietFor1s(() => [c.status(), c.reject.calls.length]);
    expect(c.status()).toBe('ringing');
  });

  it.each([...HUGE, Number.NaN])('endingTimeoutMs %s: a CANCEL that hears nothing back stays ending', async (value) => {
    const c = call({ direction: 'outgoing', endingTimeoutMs: value });
    c.actor.send({ type: 'HANGUP' });
    await quietFor1s(() => c.status());
    expect(c.status()).toBe('ending');
  });

  it.each([...HUGE, Number.NaN])(
    'holdRetryDelayMs [%s, same]: a hold answered 491 is not retried within 1 s',
    async (value) => {
      const c = call({ direction: 'incoming', holdRetryDelayMs: [value, value] });
      c.actor.send({ type: 'ANSWER' });
      c.answer.last.resolve();
      await flush();
      c.actor.send({ type: 'HOLD' });
      c.reinvite.last.reject(new SipError('rejected', '491', { code: 491 }));
      await flush();
      await quietFor1s(() => [c.reinvite.calls.length, isLocallyHeld(c.actor.getSnapshot())]);
      expect(c.reinvite.calls).toHaveLength(1);
    },
  );
});

describe('user agent machine: no delay input fires early', () => {
  it.each([...HUGE, Number.NaN])(
    'stopStepTimeoutMs %s: an unregister that hears nothing is waited for',
    async (value) => {
      const u = fakeUserAgent({
        transport: { servers: ['ws://a.test'], environment, keepAliveIntervalMs: 0 },
        registration: { expires: 600, environment },
        register: true,
        stopStepTimeoutMs: value,
      });
      u.actor.send({ type: 'START' });
      u.connect.last.resolve();
      await flush();
      u.startUa.last.resolve();
      await flush();
      u.register.last.resolve({ type: 'registered', expires: 600 });
      await flush();
      u.actor.send({ type: 'STOP' });
      expect(u.unregister.calls).toHaveLength(1);
      await quietFor1s(() => [u.status(), u.stopUa.calls.length]);
      expect(u.stopUa.calls).toHaveLength(0);
    },
  );
});
