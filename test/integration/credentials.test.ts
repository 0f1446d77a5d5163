/**
 * Credentials against Kamailio, with passwords changed while it runs (kamailio.cfg's "passwords" htable, set with
 * `kamcmd htable.sets` through the harness's `setPassword`): a `credentials` provider carries a rotated password to
 * the next REGISTER refresh, MESSAGE and INVITE of the same client; a static password stops working after the change;
 * a static `authorizationHa1` registers and sends. And RFC 5626: a restarted client with the same instance id replaces
 * its binding instead of adding one (bindings read from Kamailio's location table with `kamcmd ul.lookup`).
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHash } from 'node:crypto';
import {
  createSipClient,
  type CredentialsChallenge,
  type SipClient,
  type SipClientOptions,
  type RegistrationState,
} from '../../src/index';
import { startKamailio, type KamailioServer } from '../support/kamailio';

let kamailio: KamailioServer;
const clients: SipClient[] = [];

beforeAll(async () => {
  kamailio = await startKamailio({ minExpires: 4 });
});
afterAll(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await kamailio?.stop();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.dispose();
  kamailio.clearRequests();
});

function client(user: string, options: Partial<SipClientOptions>): SipClient {
  const created = createSipClient({
    server: kamailio.wsUrl,
    uri: `sip:${user}@${kamailio.domain}`,
    webSocket: WebSocket,
    logLevel: 'error',
    calls: { media: 'signaling' },
    ...options,
  });
  clients.push(created);
  return created;
}

function registration(sipClient: SipClient, predicate: (state: RegistrationState) => boolean, ms = 15_000) {
  return firstValueFrom(sipClient.registration$.pipe(filter(predicate), timeout(ms)));
}

/** The Contacts Kamailio's location table holds for `user` (none: `ul.lookup` answers "AOR not found"). */
async function bindings(user: string): Promise<string[]> {
  const output = await kamailio.rpc('ul.lookup', 'location', `${user}@${kamailio.domain}`).catch((error: Error) => {
    if (/AOR not found/.test(error.message)) return '';
    throw error;
  });
  return [...output.matchAll(/^\s*Address: (\S+)/gm)].map((match) => match[1]!);
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('credentials rotated at the server', () => {
  it('a provider carries the new password to the next refresh, MESSAGE and INVITE, without a new client', async () => {
    await kamailio.setPassword('rotating', 'rotating-v1');
    let current = 'rotating-v1';
    const asked: CredentialsChallenge[] = [];
    const rotating = client('rotating', {
      expires: 5,
      credentials: async (challenge) => {
        asked.push(challenge);
        return { username: 'rotating', password: current };
      },
    });
    const bob = client('bob', { authorizationUsername: 'bob', authorizationPassword: kamailio.users.bob! });
    await Promise.all([rotating.register(), bob.register()]);
    expect(asked[0]).toEqual({ realm: kamailio.domain, method: 'REGISTER', attempt: 1, status: 401 });

    // Rotated at the server, then at the provider's source: the next refresh (within 5 s) is challenged and answered.
    await kamailio.setPassword('rotating', 'rotating-v2');
    current = 'rotating-v2';
    kamailio.clearRequests();
    const askedBefore = asked.length;
    await kamailio.waitForReplies({ method: 'REGISTER', user: 'rotating', code: 200 }, 1, 10_000);
    expect(kamailio.replies({ method: 'REGISTER', user: 'rotating', code: 401 }).length).toBeGreaterThan(0);
    expect(asked.length).toBeGreaterThan(askedBefore);
    expect(rotating.getState().registration.status).toBe('registered');

    // A MESSAGE (407 from the proxy), with the password rotated once more.
    await kamailio.setPassword('rotating', 'rotating-v3');
    current = 'rotating-v3';
    const atBob = firstValueFrom(bob.messages$.pipe(timeout(10_000)));
    await rotating.message('bob', 'rotated twice');
    expect(await atBob).toMatchObject({ from: `sip:rotating@${kamailio.domain}`, body: 'rotated twice' });
    expect(asked.some((challenge) => challenge.method === 'MESSAGE' && challenge.status === 407)).toBe(true);

    // An INVITE, answered by bob, then hung up.
    const incoming = firstValueFrom(bob.incomingCalls$.pipe(timeout(10_000)));
    const outgoing = rotating.call('bob');
    const ringing = await incoming;
    await ringing.answer();
    await outgoing.connected();
    expect(asked.some((challenge) => challenge.method === 'INVITE' && challenge.status === 407)).toBe(true);
    await outgoing.hangup();
  }, 30_000);

  it('a static password stops working after the change: the next refresh fails with kind auth', async () => {
    await kamailio.setPassword('static', 'static-v1');
    const fixed = client('static', {
      expires: 5,
      authorizationUsername: 'static',
      authorizationPassword: 'static-v1',
    });
    await fixed.register();
    await kamailio.setPassword('static', 'static-v2');
    const failed = await registration(fixed, (state) => state.status === 'failed');
    expect(failed.status === 'failed' && failed.error.kind).toBe('auth');
    expect(failed.status === 'failed' && failed.error.message).toMatch(/credentials rejected/);
  }, 20_000);

  it('a provider that fails ends the registration failed with kind auth, saying so', async () => {
    await kamailio.setPassword('rotating', 'rotating-v1');
    const failing = client('rotating', {
      credentials: () => Promise.reject(new Error('token service down: rotating-v1')),
    });
    const error = await failing.register().then(
      () => undefined,
      (rejected: unknown) => rejected as Error & { kind?: string },
    );
    expect(error?.kind).toBe('auth');
    expect(error?.message).toMatch(/the credentials provider failed/);
    expect(error?.message).not.toContain('rotating-v1');
    expect(failing.getState().registration.status).toBe('failed');
  });
});

describe('authorizationHa1', () => {
  it('registers and sends a MESSAGE with md5(user:realm:password) in place of the password', async () => {
    const alice = client('alice', {
      authorizationUsername: 'alice',
      authorizationHa1: md5(`alice:${kamailio.domain}:${kamailio.users.alice!}`),
    });
    const bob = client('bob', { authorizationUsername: 'bob', authorizationPassword: kamailio.users.bob! });
    await Promise.all([alice.register(), bob.register()]);
    expect(alice.getState().registration.status).toBe('registered');
    const atBob = firstValueFrom(bob.messages$.pipe(timeout(10_000)));
    await alice.message('bob', 'with an HA1');
    expect(await atBob).toMatchObject({ body: 'with an HA1' });
  });

  it('a wrong HA1 is refused: kind auth', async () => {
    const alice = client('alice', { authorizationUsername: 'alice', authorizationHa1: md5('alice:elsewhere:nope') });
    await expect(alice.register()).rejects.toMatchObject({ kind: 'auth' });
  });
});

describe('RFC 5626: a restarted client with the same instance id', () => {
  const INSTANCE_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

  it('replaces its binding: Kamailio holds one for the AoR, not two', async () => {
    const options = {
      authorizationUsername: 'carol',
      authorizationPassword: kamailio.users.carol!,
      instanceId: INSTANCE_ID,
      expires: 600,
    };
    const first = client('carol', options);
    await first.register();
    const before = await bindings('carol');
    expect(before).toHaveLength(1);
    // Gone without unregistering (a crashed or reloaded app): its binding stays on the registrar.
    first.dispose();
    expect(await bindings('carol')).toEqual(before);

    const restarted = client('carol', options);
    await restarted.register();
    const after = await bindings('carol');
    expect(after).toHaveLength(1);
    // A new client has a new Contact: the one binding is the restarted client's, not the old one kept.
    expect(after[0]).not.toBe(before[0]);
    await restarted.unregister();
  });

  it('while another instance id adds a second binding (what the instance id prevents)', async () => {
    const base = { authorizationUsername: 'dave', authorizationPassword: kamailio.users.dave! };
    const first = client('dave', { ...base, instanceId: INSTANCE_ID });
    await first.register();
    first.dispose();
    const other = client('dave', { ...base, instanceId: '0f8fad5b-d9cb-469f-a165-70867728950e' });
    await other.register();
    expect(await bindings('dave')).toHaveLength(2);
  });
});
