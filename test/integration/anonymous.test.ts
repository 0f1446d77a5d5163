import { UserAgent } from 'sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient } from '../../src/index';
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
        transport: { status: 'connected', server: kamailio.wsUrl, attempt: 0 },
        userAgent: { status: 'started' },
        registration: { status: 'unregistered' },
        identity: { anonymous: true },
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
});
