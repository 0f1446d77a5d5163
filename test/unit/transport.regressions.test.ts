/**
 * Regression found by the transport model (test/unit/machines.model.test.ts), reduced to a deterministic repro.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import { transportMachine, transportStatusOf, type TransportEvent } from '../../machines/transport.machine';
import { controllable, flush } from '../support/fake-actors';

const environment = { now: () => 1_000_000, random: () => 0.5 };

describe('transport: regressions', () => {
  // Was: CONNECT in `connection.disconnecting` had no `offline` guard, so a start() during a stop() while offline
  // spent a connection attempt.
  it('CONNECT while disconnecting and offline waits for the network instead of attempting', async () => {
    const connect = controllable<void, { server: string }>();
    const disconnect = controllable<void>();
    let network: ((online: boolean) => void) | undefined;
    const machine = transportMachine.provide({
      actors: {
        connectTransport: connect.logic,
        disconnectTransport: disconnect.logic,
        watchNetwork: fromCallback<TransportEvent>(({ sendBack }) => {
          network = (online) => sendBack({ type: online ? 'NETWORK_ONLINE' : 'NETWORK_OFFLINE' });
          return () => undefined;
        }),
      },
    });
    const actor = createActor(machine, { input: { servers: ['ws://a.test'], keepAliveIntervalMs: 0, environment } });
    actor.start();
    actor.send({ type: 'CONNECT' });
    connect.last.resolve();
    await flush();
    actor.send({ type: 'DISCONNECT' }); // disconnecting: the polite close is still pending
    network!(false);
    actor.send({ type: 'CONNECT' });
    await flush();
    expect(connect.calls).toHaveLength(1); // no attempt while offline
    expect(transportStatusOf(actor.getSnapshot())).toBe('reconnecting'); // waiting for the network, as from disconnected
    actor.stop();
  });
});
