/**
 * Regressions for two bugs found by test/integration/commands.test.ts (random commands against Kamailio), reduced to
 * deterministic repros with fake actors.
 */
import { describe, expect, it } from 'vitest';
import { SipError } from '../../src/errors';
import { selectTransportState } from '../../src/state';
import { flush } from '../support/fake-actors';
import { fakeTransport, fakeUserAgent } from '../support/fake-machines';

const environment = { now: () => 1_000_000, random: () => 0.5 };

function userAgent() {
  return fakeUserAgent({
    transport: { servers: ['ws://a.test'], keepAliveIntervalMs: 0, environment },
    registration: { expires: 600, environment },
  });
}

describe('commands in any state: regressions', () => {
  // Was: REGISTER while halting, then STOP before it ended, left the client 'stopped' with registration 'registering'
  // and the register() promise unsettled. Halting now withdraws such a REGISTER when it ends in 'stopped'.
  it('register() then stop() while stopping ends stopped AND unregistered', async () => {
    const u = userAgent();
    u.actor.send({ type: 'START' });
    u.connect.last.resolve();
    await flush();
    u.startUa.last.resolve();
    await flush();
    expect(u.status()).toEqual({ userAgent: 'started', transport: 'connected', registration: 'unregistered' });
    u.actor.send({ type: 'STOP' }); // halting: not registered, so straight to stopping the user agent
    await flush();
    u.actor.send({ type: 'REGISTER' }); // client.register() while stopping
    u.actor.send({ type: 'STOP' }); // client.stop() before it has halted
    u.stopUa.last.resolve();
    await flush();
    u.disconnect.last.resolve();
    await flush();
    expect(u.status()).toEqual({ userAgent: 'stopped', transport: 'disconnected', registration: 'unregistered' });
  });

  // Was: DISCONNECT while reconnecting reached 'disconnected' with a stale attempt count; entering it now resets.
  it('stop while waiting to reconnect: disconnected, the attempt count reset', async () => {
    const t = fakeTransport({ servers: ['ws://a.test'], keepAliveIntervalMs: 0, environment });
    const { actor, connect } = t;
    actor.send({ type: 'CONNECT' });
    connect.last.resolve();
    await flush();
    t.lose(new SipError('transport', 'gone'));
    expect(selectTransportState(actor.getSnapshot())).toMatchObject({ status: 'reconnecting', attempt: 1 });
    actor.send({ type: 'DISCONNECT' });
    expect(selectTransportState(actor.getSnapshot())).toEqual({ status: 'disconnected' });
    // the public state has no count to go stale; the machine's own is reset too
    expect(actor.getSnapshot().context).toMatchObject({ attempt: 0, error: undefined, retryAt: undefined });
    actor.stop();
  });
});
