import { firstValueFrom, filter, timeout } from 'rxjs';
import { UserAgent } from 'sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, type Call, type IncomingMessage } from '../../src/index';
import { startKamailio, type KamailioServer } from '../support/kamailio';

let kamailio: KamailioServer;
beforeAll(async () => {
  kamailio = await startKamailio();
});
afterAll(async () => {
  await kamailio?.stop();
});

describe('anonymous client and sip.js shapes, against Kamailio', () => {
  it('an anonymous client starts like any other, cannot register, and the server sees no REGISTER', async () => {
    const anonymous = createSipClient({ server: kamailio.wsUrl, webSocket: WebSocket, logLevel: 'error' });
    try {
      await anonymous.start();
      expect(anonymous.getState()).toEqual({
        transport: { status: 'connected', server: kamailio.wsUrl },
        userAgent: { status: 'started' },
        registration: { status: 'unregistered' },
        identity: { anonymous: true },
        tab: { role: 'leader' },
      });
      await expect(anonymous.register()).rejects.toMatchObject({ kind: 'config' });
      expect(anonymous.getState().registration).toEqual({ status: 'unregistered' });
      await anonymous.stop();
      expect(kamailio.requests({ method: 'REGISTER' })).toEqual([]);
    } finally {
      anonymous.dispose();
    }
  });

  it('registers with a uri given as a sip.js URI, with sip.js options passed through', async () => {
    const alice = createSipClient({
      server: kamailio.wsUrl,
      uri: UserAgent.makeURI(`sip:alice@${kamailio.domain}`)!,
      authorizationUsername: 'alice',
      authorizationPassword: kamailio.users.alice,
      webSocket: WebSocket,
      logLevel: 'error',
      sipOptions: { displayName: 'Alice Example', userAgentString: 'sipstate-test/1.0' },
    });
    try {
      await alice.start();
      await alice.register();
      expect(alice.getState().registration.status).toBe('registered');
      expect(alice.getState().identity).toEqual({ anonymous: false, uri: `sip:alice@${kamailio.domain}` });
      await kamailio.waitForReplies({ method: 'REGISTER', user: 'alice', code: 200 }, 1);
      await alice.stop();
    } finally {
      alice.dispose();
    }
  });

  it('an anonymous client calls a registered client, which answers and hangs up; its MESSAGE arrives From anonymous', async () => {
    const bob = createSipClient({
      server: kamailio.wsUrl,
      uri: `sip:bob@${kamailio.domain}`,
      authorizationUsername: 'bob',
      authorizationPassword: kamailio.users.bob,
      register: true,
      webSocket: WebSocket,
      logLevel: 'error',
    });
    const anonymous = createSipClient({ server: kamailio.wsUrl, webSocket: WebSocket, logLevel: 'error' });
    const heardByAnonymous: unknown[] = [];
    anonymous.incomingCalls$.subscribe((call) => heardByAnonymous.push(call));
    anonymous.messages$.subscribe((message) => heardByAnonymous.push(message));
    try {
      await bob.start();
      await bob.register();
      await anonymous.start();
      const ringing = firstValueFrom(bob.incomingCalls$.pipe(timeout(10_000)));
      const outgoing = anonymous.call(`sip:bob@${kamailio.domain}`);
      const incoming: Call = await ringing;
      expect(incoming.getState().remote.uri).toMatch(/^sip:anonymous\..*@anonymous\.invalid$/);
      await incoming.answer();
      await outgoing.connected();
      await incoming.hangup();
      expect((await outgoing.ended()).reason).toBe('remote-hangup');
      expect((await incoming.ended()).reason).toBe('local-hangup');

      const received = firstValueFrom(
        bob.messages$.pipe(
          filter((m: IncomingMessage) => m.body === 'hello from nowhere'),
          timeout(10_000),
        ),
      );
      await anonymous.message(`sip:bob@${kamailio.domain}`, 'hello from nowhere');
      const message = await received;
      expect(message.from).toMatch(/@anonymous\.invalid$/);
      expect(message.contentType).toBe('text/plain');
      // An anonymous client cannot be reached: its incoming streams never emitted.
      expect(heardByAnonymous).toEqual([]);
      await anonymous.stop();
      await bob.stop();
    } finally {
      anonymous.dispose();
      bob.dispose();
    }
  });
});
