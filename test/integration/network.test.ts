import { BehaviorSubject, filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, type SipClient, type SipClientState } from '../../src/index';
import { startKamailio, type KamailioServer } from '../support/kamailio';
import { fieldsOf } from '../support/state-fields';

let kamailio: KamailioServer;
beforeAll(async () => {
  kamailio = await startKamailio();
});
afterAll(async () => {
  await kamailio?.stop();
});

function until(client: SipClient, predicate: (state: SipClientState) => boolean, ms = 10_000): Promise<SipClientState> {
  return firstValueFrom(client.state$.pipe(filter(predicate), timeout(ms)));
}

describe('network awareness against Kamailio', () => {
  it('spends no attempt while offline, and reconnects and registers at once when the network is back', async () => {
    const online$ = new BehaviorSubject(true);
    const client = createSipClient({
      server: kamailio.wsUrl,
      uri: `sip:alice@${kamailio.domain}`,
      authorizationUsername: 'alice',
      authorizationPassword: kamailio.users.alice,
      register: true,
      webSocket: WebSocket,
      logLevel: 'error',
      network: { online$ },
      reconnect: { initialDelayMs: 200, maxDelayMs: 400 },
    });
    try {
      await client.start();
      await until(client, (s) => s.registration.status === 'registered');
      online$.next(false);
      await kamailio.kill();
      const down = await until(client, (s) => s.transport.status === 'reconnecting');
      // offline: waiting for the network, not for a timer
      expect(down.transport).toMatchObject({ status: 'reconnecting', phase: 'offline' });
      expect(fieldsOf(down.transport).retryAt).toBeUndefined();
      await kamailio.start();
      kamailio.clearRequests();
      // The server is back, but the platform says offline: nothing is tried.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(client.getState().transport).toMatchObject({ status: 'reconnecting', phase: 'offline', attempt: 0 });
      expect(kamailio.requests({ method: 'REGISTER' })).toHaveLength(0);
      const after: SipClientState['transport'][] = [];
      const subscription = client.transport$.subscribe((t) => after.push(t));
      online$.next(true);
      await until(client, (s) => s.registration.status === 'registered');
      subscription.unsubscribe();
      // The attempt starts the moment the network is back: no backoff wait (no retryAt) before it.
      expect(after[1]).toMatchObject({ status: 'reconnecting', phase: 'attempting', attempt: 1 });
      expect(after.slice(1).every((t) => fieldsOf(t).retryAt === undefined)).toBe(true);
      await client.stop();
    } finally {
      client.dispose();
    }
  });
});
