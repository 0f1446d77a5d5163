import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UserAgentInput } from '../../machines/user-agent.machine';
import { SipError } from '../../src/errors';
import { selectRegistrationState } from '../../src/state';
import { flush } from '../support/fake-actors';
import { fakeUserAgent } from '../support/fake-machines';

const environment = { now: () => Date.now(), random: () => 0.5 };

function setup(input: Partial<UserAgentInput> = {}) {
  return fakeUserAgent({
    transport: { servers: ['ws://a.test'], environment, keepAliveIntervalMs: 0 },
    registration: { expires: 600, environment },
    ...input,
  });
}

async function started(u: ReturnType<typeof setup>) {
  u.actor.send({ type: 'START' });
  u.connect.last.resolve();
  await flush();
  u.startUa.last.resolve();
  await flush();
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(3_000_000);
});
afterEach(() => vi.useRealTimers());

describe('user agent machine', () => {
  it('connects the transport first, then starts the user agent', async () => {
    const u = setup();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
    u.actor.send({ type: 'START' });
    expect(u.status()).toEqual({ userAgent: 'starting', transport: 'connecting', registration: 'unregistered' });
    expect(u.startUa.calls).toHaveLength(0);
    u.connect.last.resolve();
    await flush();
    expect(u.startUa.calls).toHaveLength(1);
    u.startUa.last.resolve();
    await flush();
    expect(u.status()).toEqual({ userAgent: 'started', transport: 'connected', registration: 'unregistered' });
    expect(u.order).toEqual(['connect', 'startUa']);
  });

  it('with register: true registers once started, and again after the transport comes back', async () => {
    const u = setup({ register: true });
    await started(u);
    expect(u.register.calls).toHaveLength(1);
    u.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(u.status().registration).toBe('registered');
    u.lose(new SipError('transport', 'closed'));
    expect(u.status()).toEqual({ userAgent: 'started', transport: 'reconnecting', registration: 'registering' });
    await vi.advanceTimersByTimeAsync(1_000);
    u.connect.last.resolve();
    await flush();
    expect(u.register.calls).toHaveLength(2);
  });

  it('stop() unregisters first, then stops the user agent, then disconnects', async () => {
    const u = setup({ register: true });
    await started(u);
    u.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    u.actor.send({ type: 'STOP' });
    expect(u.status()).toEqual({ userAgent: 'stopping', transport: 'connected', registration: 'unregistering' });
    u.unregister.last.resolve();
    await flush();
    expect(u.stopUa.calls).toHaveLength(1);
    u.stopUa.last.resolve();
    await flush();
    expect(u.disconnect.calls).toHaveLength(1);
    u.disconnect.last.resolve();
    await flush();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
    expect(u.order).toEqual(['connect', 'startUa', 'register', 'unregister', 'stopUa', 'disconnect']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not wait for ever for an unregister or a user agent that does not answer', async () => {
    const u = setup({ register: true, stopStepTimeoutMs: 5_000 });
    await started(u);
    u.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    u.actor.send({ type: 'STOP' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(u.stopUa.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(u.disconnect.calls).toHaveLength(1);
    u.disconnect.last.resolve();
    await flush();
    expect(u.status().userAgent).toBe('stopped');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('STOP while connecting abandons the attempt and never starts the user agent', async () => {
    const u = setup();
    u.actor.send({ type: 'START' });
    u.actor.send({ type: 'STOP' });
    await flush();
    u.stopUa.last.resolve();
    await flush();
    expect(u.connect.last.signal.aborted).toBe(true);
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
    expect(u.startUa.calls).toHaveLength(0);
  });

  it('a failed first connection is a state, and the start keeps trying', async () => {
    const u = setup();
    u.actor.send({ type: 'START' });
    u.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    expect(u.status()).toEqual({ userAgent: 'starting', transport: 'reconnecting', registration: 'unregistered' });
    await vi.advanceTimersByTimeAsync(1_000);
    u.connect.last.resolve();
    await flush();
    u.startUa.last.resolve();
    await flush();
    expect(u.status().userAgent).toBe('started');
  });

  it('a start the transport gives up on stops with its error and leaves the transport failed with it', async () => {
    const u = setup({
      transport: { servers: ['ws://a.test'], environment, keepAliveIntervalMs: 0, reconnect: false },
      register: true,
    });
    u.actor.send({ type: 'START' });
    const refused = new SipError('transport', 'refused');
    u.connect.last.reject(refused);
    await flush();
    // Nothing was started, so nothing is halted: no stop, no disconnect that would wipe the transport's error.
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'failed', registration: 'unregistered' });
    expect(u.actor.getSnapshot().context.error).toBe(refused);
    expect(u.child('transport').getSnapshot().context.error).toBe(refused);
    // registration was wanted (register: true): it says why it is not registered
    expect(u.child('registration').getSnapshot().context.error).toBe(refused);
    expect(u.order).toEqual(['connect']);
    // and it stays so
    await vi.advanceTimersByTimeAsync(600_000);
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'failed', registration: 'unregistered' });
    expect(u.connect.calls).toHaveLength(1);
  });

  it('RECONNECT after a failed start starts again with one attempt at once', async () => {
    const u = setup({
      transport: { servers: ['ws://a.test'], environment, keepAliveIntervalMs: 0, reconnect: false },
      register: true,
    });
    u.actor.send({ type: 'START' });
    u.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    u.actor.send({ type: 'RECONNECT' });
    expect(u.status()).toEqual({ userAgent: 'starting', transport: 'reconnecting', registration: 'registering' });
    expect(u.connect.calls).toHaveLength(2);
    expect(u.actor.getSnapshot().context.error).toBeUndefined();
    // that one attempt fails too: stopped again, with the new error
    const again = new SipError('transport', 'refused again');
    u.connect.last.reject(again);
    await flush();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'failed', registration: 'unregistered' });
    expect(u.actor.getSnapshot().context.error).toBe(again);
    expect(u.child('registration').getSnapshot().context.error).toBe(again);
    // the next one succeeds: started and registering over it
    u.actor.send({ type: 'RECONNECT' });
    u.connect.last.resolve();
    await flush();
    u.startUa.last.resolve();
    await flush();
    expect(u.status()).toEqual({ userAgent: 'started', transport: 'connected', registration: 'registering' });
    expect(u.register.calls).toHaveLength(1);
    expect(u.child('registration').getSnapshot().context.error).toBeUndefined();
  });

  it('START after a failed start counts the attempts afresh', async () => {
    const u = setup({
      transport: {
        servers: ['ws://a.test'],
        environment,
        keepAliveIntervalMs: 0,
        reconnect: { initialDelayMs: 250, maxDelayMs: 250, multiplier: 1, jitter: 0, maxAttempts: 1 },
      },
    });
    u.actor.send({ type: 'START' });
    u.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    await vi.advanceTimersByTimeAsync(250);
    u.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    expect(u.status()).toMatchObject({ userAgent: 'stopped', transport: 'failed' });
    expect(u.child('transport').getSnapshot().context.attempt).toBe(1);
    u.actor.send({ type: 'START' });
    expect(u.status()).toMatchObject({ userAgent: 'starting', transport: 'connecting' });
    expect(u.child('transport').getSnapshot().context.attempt).toBe(0);
    expect(u.connect.calls).toHaveLength(3);
    u.connect.last.resolve();
    await flush();
    u.startUa.last.resolve();
    await flush();
    expect(u.status()).toMatchObject({ userAgent: 'started', transport: 'connected' });
  });

  it('STOP after a failed start disconnects the failed transport and clears the reasons', async () => {
    const u = setup({
      transport: { servers: ['ws://a.test'], environment, keepAliveIntervalMs: 0, reconnect: false },
      register: true,
    });
    u.actor.send({ type: 'START' });
    u.connect.last.reject(new SipError('transport', 'refused'));
    await flush();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'failed', registration: 'unregistered' });
    u.actor.send({ type: 'STOP' });
    await flush();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
    expect(u.actor.getSnapshot().context.error).toBeUndefined();
    expect(u.child('transport').getSnapshot().context.error).toBeUndefined();
    expect(u.child('registration').getSnapshot().context.error).toBeUndefined();
    expect(u.connect.calls).toHaveLength(1);
  });

  it('RECONNECT on a user agent that was never started does nothing', async () => {
    const u = setup();
    u.actor.send({ type: 'RECONNECT' });
    await flush();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
    expect(u.connect.calls).toHaveLength(0);
  });

  it('stops with the error when the user agent fails to start', async () => {
    const u = setup();
    u.actor.send({ type: 'START' });
    u.connect.last.resolve();
    await flush();
    const broken = new SipError('transport', 'sip.js failed');
    u.startUa.last.reject(broken);
    await flush();
    u.stopUa.last.resolve();
    await flush();
    u.disconnect.last.resolve();
    await flush();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
    expect(u.actor.getSnapshot().context.error).toBe(broken);
  });

  it('a registration wanted by a start that fails says why it is not registered', async () => {
    const u = setup({ register: true });
    u.actor.send({ type: 'START' });
    u.connect.last.resolve();
    await flush();
    const broken = new SipError('transport', 'sip.js failed');
    u.startUa.last.reject(broken);
    await flush();
    expect(u.status().registration).toBe('unregistered');
    expect(u.child('registration').getSnapshot().context.error).toBe(broken);
    expect(u.unregister.calls).toHaveLength(0);
  });

  describe('a started client whose transport then fails for good', () => {
    const giveUpAfterOne = {
      servers: ['ws://a.test'],
      environment,
      keepAliveIntervalMs: 0,
      reconnect: { initialDelayMs: 250, maxDelayMs: 250, multiplier: 1, jitter: 0, maxAttempts: 1 },
    };

    async function registeredThenFailed() {
      const u = setup({ transport: giveUpAfterOne, register: true });
      await started(u);
      u.register.last.resolve({ type: 'registered', expires: 600 });
      await flush();
      expect(u.status().registration).toBe('registered');
      u.lose(new SipError('transport', 'closed'));
      await vi.advanceTimersByTimeAsync(250);
      const refused = new SipError('transport', 'refused');
      u.connect.last.reject(refused);
      await flush();
      return { u, refused };
    }

    it("registration$ says why it is not registered: the transport's error, while it is failed", async () => {
      const { u, refused } = await registeredThenFailed();
      expect(u.status()).toEqual({ userAgent: 'started', transport: 'failed', registration: 'registering' });
      expect(u.child('transport').getSnapshot().context.error).toBe(refused);
      expect(selectRegistrationState(u.child('registration').getSnapshot())).toEqual({
        status: 'registering',
        error: refused,
      });
      // and it stays so, sending nothing
      await vi.advanceTimersByTimeAsync(600_000);
      expect(selectRegistrationState(u.child('registration').getSnapshot())).toEqual({
        status: 'registering',
        error: refused,
      });
      expect(u.register.calls).toHaveLength(1);
    });

    it('RECONNECT brings the transport back and it registers again by itself, the error gone', async () => {
      const { u } = await registeredThenFailed();
      u.actor.send({ type: 'RECONNECT' });
      expect(u.status()).toEqual({ userAgent: 'started', transport: 'reconnecting', registration: 'registering' });
      // being recovered: no longer down for good (transport$ carries the last error meanwhile)
      expect(selectRegistrationState(u.child('registration').getSnapshot())).toEqual({ status: 'registering' });
      u.connect.last.resolve();
      await flush();
      expect(u.register.calls).toHaveLength(2);
      u.register.last.resolve({ type: 'registered', expires: 600 });
      await flush();
      expect(u.status()).toEqual({ userAgent: 'started', transport: 'connected', registration: 'registered' });
    });

    it('STOP ends it unregistered without the error', async () => {
      const { u } = await registeredThenFailed();
      u.actor.send({ type: 'STOP' });
      await flush();
      u.stopUa.last.resolve();
      await flush();
      expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
      expect(selectRegistrationState(u.child('registration').getSnapshot())).toEqual({ status: 'unregistered' });
      // nothing to unregister over a link that is down
      expect(u.unregister.calls).toHaveLength(0);
    });

    it('UNREGISTER ends it unregistered without the error, and RECONNECT then does not register', async () => {
      const { u } = await registeredThenFailed();
      u.actor.send({ type: 'UNREGISTER' });
      expect(selectRegistrationState(u.child('registration').getSnapshot())).toEqual({ status: 'unregistered' });
      u.actor.send({ type: 'RECONNECT' });
      u.connect.last.resolve();
      await flush();
      expect(u.status()).toEqual({ userAgent: 'started', transport: 'connected', registration: 'unregistered' });
      expect(u.register.calls).toHaveLength(1);
    });
  });

  it('START while stopping starts again once stopped; STOP after it cancels that', async () => {
    const u = setup();
    await started(u);
    u.actor.send({ type: 'STOP' });
    u.actor.send({ type: 'START' });
    expect(u.status().userAgent).toBe('stopping');
    u.stopUa.last.resolve();
    await flush();
    u.disconnect.last.resolve();
    await flush();
    expect(u.status()).toMatchObject({ userAgent: 'starting', transport: 'connecting' });

    u.connect.last.resolve();
    await flush();
    u.startUa.last.resolve();
    await flush();
    u.actor.send({ type: 'STOP' });
    u.actor.send({ type: 'START' });
    u.actor.send({ type: 'STOP' });
    u.stopUa.last.resolve();
    await flush();
    u.disconnect.last.resolve();
    await flush();
    expect(u.status().userAgent).toBe('stopped');
  });

  it('REGISTER on a stopped user agent starts it and registers', async () => {
    const u = setup();
    u.actor.send({ type: 'REGISTER' });
    expect(u.status()).toEqual({ userAgent: 'starting', transport: 'connecting', registration: 'registering' });
    u.connect.last.resolve();
    await flush();
    u.startUa.last.resolve();
    await flush();
    expect(u.register.calls).toHaveLength(1);
  });

  it('forwards RECONNECT to the transport', async () => {
    const u = setup();
    await started(u);
    u.lose(new SipError('transport', 'closed'));
    expect(u.connect.calls).toHaveLength(1);
    u.actor.send({ type: 'RECONNECT' });
    expect(u.connect.calls).toHaveLength(2);
  });

  it('stopping the actor leaves no timer behind', async () => {
    const u = setup({ register: true });
    await started(u);
    u.register.last.resolve({ type: 'registered', expires: 600 });
    await flush();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    u.actor.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
