import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MIN_REGISTER_INTERVAL_MS } from '../../machines/registration.machine';
import {
  createSipClient,
  SipError,
  type SipClient,
  type SipClientOptions,
  type SipClientState,
  type SipTraceEntry,
} from '../../src/index';
import { startKamailio, type KamailioServer } from '../support/kamailio';
import { expectStatus, fieldsOf } from '../support/state-fields';

let kamailio: KamailioServer;
const clients: SipClient[] = [];

beforeAll(async () => {
  kamailio = await startKamailio({ minExpires: 4 });
});
afterAll(async () => {
  await kamailio?.stop();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.dispose();
  kamailio.clearRequests();
});

function client(user: string, options: Partial<SipClientOptions> = {}): SipClient {
  const created = createSipClient({
    server: kamailio.wsUrl,
    uri: `sip:${user}@${kamailio.domain}`,
    authorizationUsername: user,
    authorizationPassword: kamailio.users[user] ?? `${user}-secret`,
    webSocket: WebSocket,
    logLevel: 'error',
    ...options,
  });
  clients.push(created);
  return created;
}

function until(client: SipClient, predicate: (state: SipClientState) => boolean, ms = 10_000): Promise<SipClientState> {
  return firstValueFrom(client.state$.pipe(filter(predicate), timeout(ms)));
}

function socketsTo(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (handle) =>
      (handle as { remotePort?: number }).remotePort === port && !(handle as { destroyed?: boolean }).destroyed,
  ).length;
}

describe('registration against Kamailio', () => {
  it('registers, reporting the granted expiry, and the server saw one authenticated REGISTER', async () => {
    const alice = client('alice', { expires: 120 });
    const before = Date.now();
    await alice.start();
    expect(alice.getState().transport).toEqual({ status: 'connected', server: kamailio.wsUrl });
    expect(alice.getState().userAgent).toEqual({ status: 'started' });
    await alice.register();
    const registration = expectStatus(alice.getState().registration, 'registered');
    expect(registration.expires).toBe(120);
    expect(registration.expiresAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(registration.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    // digest: the first REGISTER is challenged, the second carries credentials
    // (Kamailio's log lines arrive a little after the responses do)
    await kamailio.waitForReplies({ method: 'REGISTER', user: 'alice', code: 200 }, 1);
    const registers = kamailio.requests({ method: 'REGISTER', user: 'alice' });
    expect(registers.map((r) => r.expires)).toEqual(['120', '120']);
    expect(kamailio.replies({ method: 'REGISTER', user: 'alice' }).map((r) => r.code)).toEqual([401, 200]);
  });

  it('sipTrace$ shows REGISTER, 401, REGISTER, 200 on one Call-ID, the Authorization value masked', async () => {
    const carol = client('carol', { expires: 120 });
    const entries: SipTraceEntry[] = [];
    carol.sipTrace$.subscribe((entry) => entries.push(entry));
    const before = Date.now();
    await carol.register();
    const registers = entries.filter((entry) => entry.method === 'REGISTER' || entry.cseq?.endsWith(' REGISTER'));
    expect(registers.map(({ direction, method, status }) => `${direction} ${method ?? status}`)).toEqual([
      'sent REGISTER',
      'received 401',
      'sent REGISTER',
      'received 200',
    ]);
    const [first, challenge, answer, ok] = registers as [SipTraceEntry, SipTraceEntry, SipTraceEntry, SipTraceEntry];
    expect(new Set(registers.map((entry) => entry.callId))).toEqual(new Set([first.callId]));
    expect(first.callId).toMatch(/\S/);
    expect(challenge.cseq).toBe(first.cseq);
    expect(ok.cseq).toBe(answer.cseq);
    expect(Number.parseInt(answer.cseq!, 10)).toBe(Number.parseInt(first.cseq!, 10) + 1);
    expect(challenge).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(challenge.text).toMatch(/^WWW-Authenticate: \[redacted\]\r$/m);
    expect(first.text).not.toMatch(/^Authorization:/m);
    expect(answer.text).toMatch(/^Authorization: \[redacted\]\r$/m);
    expect(answer.text).not.toMatch(/response=|nonce=/);
    for (const entry of registers) {
      expect(entry.at).toBeGreaterThanOrEqual(before);
      expect(entry.at).toBeLessThanOrEqual(Date.now());
    }
    // An event stream: a subscriber that comes now sees nothing of what went before.
    const late: SipTraceEntry[] = [];
    carol.sipTrace$.subscribe((entry) => late.push(entry));
    expect(late).toEqual([]);
  });

  it('re-registers by itself before a short expiry lapses', async () => {
    const bob = client('bob', { expires: 5, register: true });
    await bob.start();
    await until(bob, (s) => s.registration.status === 'registered');
    const firstExpiresAt = expectStatus(bob.getState().registration, 'registered').expiresAt;
    const refreshed = await until(
      bob,
      (s) => s.registration.status === 'registered' && s.registration.expiresAt > firstExpiresAt,
      8_000,
    );
    // refresh at 80-90% of 5 s: before the binding lapsed
    expect(expectStatus(refreshed.registration, 'registered').expiresAt - 5_000).toBeLessThan(firstExpiresAt);
    // (the server's log lines come in a little after the client's answers: wait for them)
    const accepted = await kamailio.waitForReplies({ method: 'REGISTER', user: 'bob', code: 200 }, 2);
    expect(accepted.length).toBeGreaterThanOrEqual(2);
  });

  it('handles 423 Interval Too Brief by registering again with Min-Expires', async () => {
    const carol = client('carol', { expires: 2 });
    await carol.start();
    await carol.register();
    expect(carol.getState().registration).toMatchObject({ status: 'registered', expires: 4 });
    await kamailio.waitForReplies({ method: 'REGISTER', user: 'carol', code: 200 }, 1);
    expect(kamailio.replies({ method: 'REGISTER', user: 'carol' }).map((r) => r.code)).toContain(423);
    const requests = kamailio.requests({ method: 'REGISTER', user: 'carol' });
    const asked = requests.map((r) => r.expires);
    expect(asked[0]).toBe('2');
    expect(asked.at(-1)).toBe('4');
    // the REGISTER after the 423 waits MIN_REGISTER_INTERVAL_MS (1 s) after the one before it (it used to follow at
    // once); half of it as the bound, since the harness stamps the log lines as it reads them, in batches
    const first423 = requests.findIndex((r) => r.expires === '4');
    expect(requests[first423]!.at - requests[first423 - 1]!.at).toBeGreaterThanOrEqual(MIN_REGISTER_INTERVAL_MS / 2);
  });

  it('a wrong password ends failed with kind auth, after a bounded number of REGISTERs', async () => {
    const mallory = client('dave', { authorizationPassword: 'wrong-password', register: true });
    const rejected = await rejectionOf(mallory.register());
    expect(rejected).toBeInstanceOf(SipError);
    expect(rejected).toMatchObject({ kind: 'auth', code: 401 });
    expect(mallory.getState().registration).toMatchObject({ status: 'failed', error: { kind: 'auth', code: 401 } });
    await kamailio.waitForRequests({ method: 'REGISTER', user: 'dave' }, 2);
    const count = kamailio.requests({ method: 'REGISTER', user: 'dave' }).length;
    expect(count).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(kamailio.requests({ method: 'REGISTER', user: 'dave' }).length).toBe(count);
  });

  it('a 404 ends failed with kind rejected and the code', async () => {
    const nobody = client('nobody', { authorizationPassword: 'x' });
    await nobody.start();
    const error = await rejectionOf(nobody.register());
    expect(error).toMatchObject({ kind: 'rejected', code: 404 });
  });

  it('unregisters with expires 0, then stops and closes its socket', async () => {
    const alice = client('alice', { register: true, expires: 60 });
    await alice.start();
    await until(alice, (s) => s.registration.status === 'registered');
    await alice.unregister();
    expect(alice.getState().registration).toEqual({ status: 'unregistered' });
    await kamailio.waitForRequests({ method: 'REGISTER', user: 'alice' }, 3);
    expect(kamailio.requests({ method: 'REGISTER', user: 'alice' }).at(-1)?.expires).toBe('0');
    await alice.register();
    await alice.stop();
    expect(alice.getState()).toEqual({
      transport: { status: 'disconnected' },
      userAgent: { status: 'stopped' },
      registration: { status: 'unregistered' },
      identity: { anonymous: false, uri: 'sip:alice@sipstate.test' },
      tab: { role: 'leader' },
    });
    // stop() unregistered before disconnecting
    await kamailio.waitForReplies({ method: 'REGISTER', user: 'alice', code: 200 }, 4);
    expect(kamailio.requests({ method: 'REGISTER', user: 'alice' }).at(-1)?.expires).toBe('0');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socketsTo(kamailio.wsPort)).toBe(0);
  });

  it('a server that is not there is a state, not a crash; stop() cancels the pending start()', async () => {
    const nowhere = createSipClient({
      server: 'ws://127.0.0.1:9',
      uri: 'sip:alice@sipstate.test',
      webSocket: WebSocket,
      logLevel: 'error',
      reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    });
    clients.push(nowhere);
    const started = nowhere.start();
    const reconnecting = await until(nowhere, (s) => s.transport.status === 'reconnecting' && s.transport.attempt >= 2);
    expect(fieldsOf(reconnecting.transport).error).toMatchObject({ kind: 'transport' });
    expect(reconnecting.userAgent.status).toBe('starting');
    await nowhere.stop();
    await expect(started).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('comes back to registered by itself after Kamailio is killed and restarted', async () => {
    const bob = client('bob', { register: true, expires: 60, reconnect: { initialDelayMs: 200, maxDelayMs: 1_000 } });
    await bob.start();
    await until(bob, (s) => s.registration.status === 'registered');
    const statuses: string[] = [];
    bob.state$.subscribe((s) => statuses.push(`${s.transport.status}/${s.registration.status}`));
    await kamailio.kill();
    const down = await until(bob, (s) => s.transport.status === 'reconnecting');
    expect(down.registration.status).not.toBe('registered');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await kamailio.start();
    await until(bob, (s) => s.registration.status === 'registered', 15_000);
    expect(statuses).toContain('reconnecting/registering');
    expect(statuses.at(-1)).toBe('connected/registered');
    // the restarted server really holds the new binding
    expect(
      (await kamailio.waitForReplies({ method: 'REGISTER', user: 'bob', code: 200 }, 1)).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('keeps credentials out of every state, inspection event and log line', async () => {
    const lines: string[] = [];
    const sink = {
      debug: (l: string) => lines.push(l),
      log: (l: string) => lines.push(l),
      warn: (l: string) => lines.push(l),
      error: (l: string) => lines.push(l),
    };
    const inspected: string[] = [];
    const values: string[] = [];
    const alice = client('alice', {
      logLevel: 'debug',
      logger: sink,
      register: true,
      inspect: (event) => inspected.push(safeJson(event)),
    });
    alice.state$.subscribe((s) => values.push(safeJson(s)));
    await alice.start();
    await until(alice, (s) => s.registration.status === 'registered');
    await alice.stop();
    const password = kamailio.users.alice!;
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((line) => line.includes('REGISTER sip:'))).toBe(true);
    for (const text of [...lines, ...inspected, ...values]) {
      expect(text).not.toContain(password);
      expect(text).not.toMatch(/^Authorization: Digest/im);
    }
    expect(inspected.length).toBeGreaterThan(20);
  });
});

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function safeJson(value: unknown): string {
  const seen = new WeakSet();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return typeof v === 'function' ? '[function]' : v;
  });
}
