/**
 * A deadline on every command, against the real Kamailio behind the fault proxy (test/support/fault-proxy.ts): once
 * the proxy black-holes the connection, the WebSocket stays open and nothing gets through either way, so only the
 * deadlines (`timeouts`) can end what waits. Keep-alive is off: it would otherwise notice the dead flow first.
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, SipError, type SipClient, type SipClientOptions, type SipClientState } from '../../src/index';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startKamailio, type KamailioServer } from '../support/kamailio';

/** What a loaded machine (2 cores, shared) may add to a deadline before the promise settles. */
const MARGIN_MS = 1_500;

let server: KamailioServer;
let proxy: FaultProxy;
const clients: SipClient[] = [];

beforeAll(async () => {
  server = await startKamailio();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  proxy = await startFaultProxy({ targetPort: server.wsPort });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await proxy.close();
  server.clearRequests();
});

function client(user: string, options: Partial<SipClientOptions> = {}): SipClient {
  const created = createSipClient({
    server: proxy.url,
    uri: `sip:${user}@${server.domain}`,
    authorizationUsername: user,
    authorizationPassword: server.users[user]!,
    webSocket: WebSocket,
    logLevel: 'error',
    expires: 60,
    keepAliveIntervalSec: 0,
    ...options,
  });
  clients.push(created);
  return created;
}

function until(client: SipClient, predicate: (state: SipClientState) => boolean, ms = 15_000): Promise<SipClientState> {
  return firstValueFrom(client.state$.pipe(filter(predicate), timeout(ms)));
}

/** How long `promise` took to settle, and how: its value or its error. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error?: unknown }> {
  const began = Date.now();
  try {
    await promise;
    return { ms: Date.now() - began };
  } catch (error) {
    return { ms: Date.now() - began, error };
  }
}

describe('deadlines against Kamailio, with the connection black-holed', () => {
  it('a REGISTER black-holed ends within timeouts.register: register() rejects timeout, registration retries', async () => {
    const alice = client('alice', { timeouts: { register: 1_000 } });
    await alice.start();
    proxy.blackhole();
    const outcome = await timed(alice.register());
    expect(outcome.error).toBeInstanceOf(SipError);
    expect(outcome.error).toMatchObject({ kind: 'timeout', message: 'REGISTER not answered within 1000 ms' });
    expect(outcome.ms).toBeGreaterThanOrEqual(1_000 - 50);
    expect(outcome.ms).toBeLessThanOrEqual(1_000 + MARGIN_MS);
    const registration = alice.getState().registration;
    expect(registration.status).toBe('retrying');
    if (registration.status === 'retrying') expect(registration.error.kind).toBe('timeout');
    // The transport stayed up: nothing but the deadline ended the wait.
    expect(alice.getState().transport.status).toBe('connected');
    expect(proxy.stats().bytesDropped).toBeGreaterThan(0);
    // Retried with backoff (1 s, jitter 0.5), and the retry times out the same way: a second timeout, attempt 2.
    const again = await until(
      alice,
      (s) => s.registration.status === 'retrying' && s.registration.attempt === 2,
      1_000 + 1_500 + 1_000 + MARGIN_MS,
    );
    expect(again.registration).toMatchObject({ status: 'retrying', error: { kind: 'timeout' } });
  }, 30_000);

  it('a MESSAGE black-holed rejects with kind timeout within timeouts.message', async () => {
    const bob = client('bob', { timeouts: { message: 1_200 } });
    await bob.register();
    proxy.blackhole();
    const outcome = await timed(bob.message(`sip:carol@${server.domain}`, 'anyone there?'));
    expect(outcome.error).toBeInstanceOf(SipError);
    expect(outcome.error).toMatchObject({ kind: 'timeout' });
    expect((outcome.error as SipError).message).toContain('not answered within 1200 ms');
    expect(outcome.ms).toBeGreaterThanOrEqual(1_200 - 50);
    expect(outcome.ms).toBeLessThanOrEqual(1_200 + MARGIN_MS);
    expect(server.requests({ method: 'MESSAGE', user: 'bob' })).toHaveLength(0);
    expect(bob.getState().transport.status).toBe('connected');
  }, 30_000);

  it('an unregister black-holed ends unregistered within timeouts.unregister', async () => {
    const carol = client('carol', { timeouts: { unregister: 800 } });
    await carol.register();
    proxy.blackhole();
    const outcome = await timed(carol.unregister());
    expect(outcome.error).toBeUndefined();
    expect(outcome.ms).toBeLessThanOrEqual(800 + MARGIN_MS);
    expect(outcome.ms).toBeGreaterThanOrEqual(800 - 50);
    expect(carol.getState().registration).toEqual({ status: 'unregistered' });
  }, 30_000);

  it('stop() black-holed settles within timeouts.stop, stopped and disconnected', async () => {
    // The unregister step alone would wait 5 s: the stop deadline is the bound of the whole.
    const dave = client('dave', { timeouts: { unregister: 5_000, stop: 1_500 } });
    await dave.register();
    proxy.blackhole();
    const outcome = await timed(dave.stop());
    expect(outcome.error).toBeUndefined();
    expect(outcome.ms).toBeGreaterThanOrEqual(1_500 - 50);
    expect(outcome.ms).toBeLessThanOrEqual(1_500 + MARGIN_MS);
    const state = dave.getState();
    expect(state.userAgent.status).toBe('stopped');
    expect(state.transport.status).toBe('disconnected');
    expect(state.registration).toEqual({ status: 'unregistered' });
    // It can start again: nothing of the halt is left in the way.
    proxy.pass();
    await dave.register();
    expect(dave.getState().registration.status).toBe('registered');
  }, 30_000);
});
