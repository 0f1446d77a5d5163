/**
 * A `credentials` provider against a scripted hostile registrar: the provider is the application's (it may call a
 * token service), so what the server sends must not make it ask at will. Forged 401s that match no request in flight
 * ask nothing; a registrar that challenges every answer gets one answer per request (two when it says the first
 * nonce was stale), and the registration ends 'failed'; a realm out of bounds asks nothing.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CredentialsChallenge, CredentialsProvider } from '../../src/index';
import { attackedClient, disposeClients } from '../support/hostile-client';
import {
  buildResponse,
  HOSTILE_DOMAIN,
  sleep,
  startHostileServer,
  type HostileServer,
  type ReceivedMessage,
} from '../support/hostile-server';

const servers: HostileServer[] = [];
afterEach(() => disposeClients());
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function registrar(answer: (server: HostileServer, request: ReceivedMessage) => void): Promise<HostileServer> {
  const server = await startHostileServer({ lifetimeMs: 30_000 });
  servers.push(server);
  server.onRequest('REGISTER', (request) => answer(server, request));
  return server;
}

function recordingProvider(): { asked: CredentialsChallenge[]; provider: CredentialsProvider } {
  const asked: CredentialsChallenge[] = [];
  return {
    asked,
    provider: async (challenge) => {
      asked.push(challenge);
      return { username: 'alice', password: 'provider-secret' };
    },
  };
}

describe('a credentials provider and a hostile registrar', () => {
  it('forged 401s (no request of ours in flight, or another branch) ask nothing', async () => {
    const server = await registrar((self, request) => {
      if (request.header('authorization') === undefined) self.challenge(request);
      else self.reply(request, 200, { contactExpires: 600 });
    });
    const { asked, provider } = recordingProvider();
    const { client } = attackedClient(server, { credentials: provider });
    await client.register();
    expect(asked).toHaveLength(1);
    const register = server.requests('REGISTER').at(-1)!;
    const challenge = { 'WWW-Authenticate': `Digest realm="${HOSTILE_DOMAIN}", nonce="forged", qop="auth"` };
    // 20 replays of a 401 to the REGISTER already answered, 20 with a branch no request of ours has.
    for (let index = 0; index < 20; index++) {
      const forged = buildResponse(register, 401, { headers: challenge });
      server.send(forged);
      server.send(forged.replace(/branch=[^;\r\n]+/i, `branch=z9hG4bKforged${index}`));
    }
    await sleep(500);
    expect(asked).toHaveLength(1);
    expect(server.requests('REGISTER')).toHaveLength(2);
    expect(client.getState().registration.status).toBe('registered');
  });

  it('a registrar that challenges every answer gets one answer per REGISTER, then the registration fails', async () => {
    const server = await registrar((self, request) => self.challenge(request));
    const { asked, provider } = recordingProvider();
    const { client } = attackedClient(server, { credentials: provider });
    await expect(client.register()).rejects.toMatchObject({ kind: 'auth' });
    await sleep(500);
    // One REGISTER without credentials, one answered: the second challenge is not put to the provider.
    expect(server.requests('REGISTER')).toHaveLength(2);
    expect(asked).toEqual([{ realm: HOSTILE_DOMAIN, method: 'REGISTER', attempt: 1, status: 401 }]);
    expect(client.getState().registration.status).toBe('failed');
  });

  it('"stale nonce" to every answer: asked twice per REGISTER (attempt 1, then 2), no more', async () => {
    // A fresh challenge, then stale=true to every answered REGISTER: sip.js answers one stale challenge, not two.
    const server = await registrar((self, request) =>
      self.reply(request, 401, {
        headers: {
          'WWW-Authenticate': `Digest realm="${HOSTILE_DOMAIN}", nonce="n${request.cseq?.seq}", qop="auth"${
            request.header('authorization') === undefined ? '' : ', stale=true'
          }`,
        },
      }),
    );
    const { asked, provider } = recordingProvider();
    const { client } = attackedClient(server, { credentials: provider });
    await expect(client.register()).rejects.toMatchObject({ kind: 'auth' });
    await sleep(500);
    expect(asked.map((challenge) => challenge.attempt)).toEqual([1, 2]);
    expect(server.requests('REGISTER')).toHaveLength(3);
  });

  it('a realm longer than 256 characters asks nothing: the REGISTER fails with kind auth', async () => {
    const server = await registrar((self, request) => self.challenge(request, { realm: 'r'.repeat(300) }));
    const { asked, provider } = recordingProvider();
    const { client } = attackedClient(server, { credentials: provider });
    await expect(client.register()).rejects.toMatchObject({ kind: 'auth' });
    expect(asked).toEqual([]);
    expect(server.requests('REGISTER')).toHaveLength(1);
  });
});
