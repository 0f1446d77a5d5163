/**
 * Regression found by the transport model (test/unit/machines.model.test.ts), reduced to a deterministic repro.
 */
import { describe, expect, it } from 'vitest';
import { transportStatusOf } from '../../machines/transport.machine';
import { flush } from '../support/fake-actors';
import { fakeTransport } from '../support/fake-machines';

const environment = { now: () => 1_000_000, random: () => 0.5 };

describe('transport: regressions', () => {
  // Was: CONNECT in `connection.disconnecting` had no `offline` guard, so a start() during a stop() while offline
  // spent a connection attempt.
  it('CONNECT while disconnecting and offline waits for the network instead of attempting', async () => {
    const t = fakeTransport({ servers: ['ws://a.test'], keepAliveIntervalMs: 0, environment });
    const { actor, connect } = t;
    actor.send({ type: 'CONNECT' });
    connect.last.resolve();
    await flush();
    actor.send({ type: 'DISCONNECT' }); // disconnecting: the polite close is still pending
    t.setOnline(false);
    actor.send({ type: 'CONNECT' });
    await flush();
    expect(connect.calls).toHaveLength(1); // no attempt while offline
    expect(transportStatusOf(actor.getSnapshot())).toBe('reconnecting'); // waiting for the network, as from disconnected
    actor.stop();
  });
});
