/**
 * Fault injection against the real Kamailio: connections cut with a reset, black-holed sockets, a refusing port
 * (through test/support/fault-proxy.ts), Kamailio killed and restarted, failover to a second Kamailio, 503 with
 * Retry-After and a wrong password counted at the server. Each fault is repeated where the issue asks for cycles.
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MIN_RECONNECT_DELAY_MS } from '../../machines/transport.machine';
import { createSipClient, SipError, type SipClient, type SipClientOptions, type SipClientState } from '../../src/index';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { expectStatus, fieldsOf } from '../support/state-fields';
import { FAULT_USERS, LOAD_USER_PASSWORD, startKamailio, type KamailioServer } from '../support/kamailio';

const KEEP_ALIVE_INTERVAL_SEC = 1;
/**
 * The pong timeout the client gives the transport machine: 10 s, but at most the interval (src/client.ts). An
 * unanswered CRLF ping is followed by an OPTIONS with the same timeout before the connection is declared dead.
 */
const KEEP_ALIVE_TIMEOUT_MS = Math.min(10_000, KEEP_ALIVE_INTERVAL_SEC * 1000);

let serverA: KamailioServer;
let serverB: KamailioServer;
let proxy: FaultProxy;
const clients: SipClient[] = [];

beforeAll(async () => {
  [serverA, serverB] = await Promise.all([startKamailio(), startKamailio()]);
});
afterAll(async () => {
  await Promise.all([serverA?.stop(), serverB?.stop()]);
});
// A fresh proxy per test: its counters are that test's alone.
beforeEach(async () => {
  proxy = await startFaultProxy({ targetPort: serverA.wsPort });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await proxy.close();
  await Promise.all([serverA.start(), serverB.start()]);
  serverA.clearRequests();
  serverB.clearRequests();
});

function client(user: string, options: Partial<SipClientOptions> = {}): SipClient {
  const created = createSipClient({
    server: proxy.url,
    uri: `sip:${user}@${serverA.domain}`,
    authorizationUsername: user,
    authorizationPassword: serverA.users[user] ?? LOAD_USER_PASSWORD,
    webSocket: WebSocket,
    logLevel: 'error',
    expires: 60,
    keepAliveIntervalSec: KEEP_ALIVE_INTERVAL_SEC,
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    ...options,
  });
  clients.push(created);
  return created;
}

function until(client: SipClient, predicate: (state: SipClientState) => boolean, ms = 15_000): Promise<SipClientState> {
  return firstValueFrom(client.state$.pipe(filter(predicate), timeout(ms)));
}

const isRegistered = (s: SipClientState): boolean =>
  s.transport.status === 'connected' && s.registration.status === 'registered';

/** Every value state$ emits, to check that no emitted state ever says 'registered' while the transport is down. */
function recordStates(client: SipClient): SipClientState[] {
  const seen: SipClientState[] = [];
  client.state$.subscribe((state) => seen.push(state));
  return seen;
}

function registeredWhileDown(states: SipClientState[]): SipClientState[] {
  return states.filter((s) => s.registration.status === 'registered' && s.transport.status !== 'connected');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('fault injection against Kamailio', () => {
  it('comes back to registered by itself after each of 5 connection resets', async () => {
    const alice = client('alice', { register: true });
    const states = recordStates(alice);
    await alice.start();
    await until(alice, isRegistered);
    for (let cycle = 1; cycle <= 5; cycle++) {
      const accepted = serverA.replies({ method: 'REGISTER', user: 'alice', code: 200 }).length;
      const down = until(alice, (s) => s.transport.status === 'reconnecting', 10_000);
      const cutAt = Date.now();
      proxy.reset();
      const reconnecting = await down;
      // the first 'reconnecting' after a cut is the wait for the next attempt
      const transport = expectStatus(reconnecting.transport, 'reconnecting');
      if (transport.phase !== 'waiting') throw new Error(`expected phase 'waiting', got ${transport.phase}`);
      // Each connection is cut well before it has stayed up 10 s (STABLE_CONNECTION_MS): the attempts since the last
      // stable connection keep counting, one per cut.
      expect(transport.attempt, `cycle ${cycle}`).toBe(cycle);
      // initialDelayMs 100 is raised to the 250 ms floor; then 250..500 ms (maxDelayMs 500, jitter 0.5)
      expect(transport.retryAt).toBeGreaterThanOrEqual(cutAt + MIN_RECONNECT_DELAY_MS);
      expect(transport.retryAt).toBeLessThanOrEqual(Date.now() + (cycle === 1 ? MIN_RECONNECT_DELAY_MS : 500));
      expect(transport.error).toBeInstanceOf(SipError);
      expect(transport.error.kind).toBe('transport');
      expect(reconnecting.registration.status).not.toBe('registered');
      const back = await until(alice, isRegistered);
      expect(back.transport).toEqual({ status: 'connected', server: proxy.url });
      // registered again at the server: a new 200 to a REGISTER from alice
      await serverA.waitForReplies({ method: 'REGISTER', user: 'alice', code: 200 }, accepted + 1);
    }
    // one connection per cycle, plus the first
    expect(proxy.stats().accepted).toBe(6);
    expect(proxy.stats().reset).toBe(5);
    expect(registeredWhileDown(states)).toEqual([]);
  });

  it('notices a black-holed socket within two keep-alive intervals plus the ping and OPTIONS timeouts, then comes back', async () => {
    const bob = client('bob', { register: true });
    await bob.start();
    await until(bob, isRegistered);
    const holeAt = Date.now();
    proxy.blackhole();
    // at most: the rest of an interval, a CRLF ping unanswered, an OPTIONS unanswered; plus a loaded machine's slack
    const budget = 2 * KEEP_ALIVE_INTERVAL_SEC * 1000 + 2 * KEEP_ALIVE_TIMEOUT_MS + 3_000;
    const noticed = await until(bob, (s) => s.transport.status === 'reconnecting', budget + 5_000);
    const noticedAfterMs = Date.now() - holeAt;
    proxy.pass();
    expect(noticedAfterMs).toBeLessThanOrEqual(budget);
    // it was the keep-alive that noticed (nothing else could: the socket never closed), after the ping and the OPTIONS
    expect(noticedAfterMs).toBeGreaterThanOrEqual(2 * KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(expectStatus(noticed.transport, 'reconnecting').error).toMatchObject({
      kind: 'timeout',
      reason: 'keep-alive timeout',
    });
    expect(noticed.registration.status).not.toBe('registered');
    expect(proxy.stats().bytesDropped).toBeGreaterThan(0);
    await until(bob, isRegistered, 20_000);
    await serverA.waitForReplies({ method: 'REGISTER', user: 'bob', code: 200 }, 2);
  }, 45_000);

  it('comes back to registered after each of 3 Kamailio kills and restarts', async () => {
    const carol = client('carol', { register: true, server: serverA.wsUrl });
    const states = recordStates(carol);
    await carol.start();
    await until(carol, isRegistered);
    for (let cycle = 1; cycle <= 3; cycle++) {
      const down = until(carol, (s) => s.transport.status === 'reconnecting', 10_000);
      await serverA.kill();
      const reconnecting = await down;
      expect(fieldsOf(reconnecting.transport).error?.kind, `cycle ${cycle}`).toBe('transport');
      expect(reconnecting.registration.status).not.toBe('registered');
      // let a few attempts fail against the dead port
      await until(carol, (s) => s.transport.status === 'reconnecting' && s.transport.attempt >= 2, 10_000);
      await serverA.start();
      await until(carol, isRegistered, 20_000);
      // the restarted server (its log starts empty) holds a new binding
      await serverA.waitForReplies({ method: 'REGISTER', user: 'carol', code: 200 }, 1);
    }
    expect(registeredWhileDown(states)).toEqual([]);
  }, 90_000);

  it('fails over to the second Kamailio when the first dies, and registers there', async () => {
    const dave = client('dave', { register: true, server: [proxy.url, serverB.wsUrl] });
    await dave.start();
    await until(dave, isRegistered);
    expect(expectStatus(dave.getState().transport, 'connected').server).toBe(proxy.url);
    await serverA.waitForReplies({ method: 'REGISTER', user: 'dave', code: 200 }, 1);
    expect(serverB.requests({ method: 'REGISTER', user: 'dave' })).toEqual([]);
    await serverA.kill();
    const onB = await until(dave, (s) => isRegistered(s) && fieldsOf(s.transport).server === serverB.wsUrl, 20_000);
    expect(onB.transport).toEqual({ status: 'connected', server: serverB.wsUrl });
    const registers = await serverB.waitForRequests({ method: 'REGISTER', user: 'dave' }, 2);
    expect(registers.every((r) => r.proto === 'ws')).toBe(true);
    await serverB.waitForReplies({ method: 'REGISTER', user: 'dave', code: 200 }, 1);
  });

  it('honours 503 with Retry-After: 2 — retrying with attempt, retryAt and the error, next REGISTER 2 s later', async () => {
    const user = 'unavailable';
    const unavailable = client(user, { authorizationPassword: FAULT_USERS.unavailable, server: serverA.wsUrl });
    await unavailable.start();
    const registering = unavailable.register();
    const retrying = await until(unavailable, (s) => s.registration.status === 'retrying', 10_000);
    const seenAt = Date.now();
    const registration = expectStatus(retrying.registration, 'retrying');
    expect(registration.attempt).toBe(1);
    expect(registration.error).toBeInstanceOf(SipError);
    expect(registration.error).toMatchObject({ kind: 'rejected', code: 503, retryAfter: 2 });
    expect(registration.retryAt).toBeGreaterThanOrEqual(seenAt + 2_000 - 500);
    expect(registration.retryAt).toBeLessThanOrEqual(seenAt + 2_000);
    // the server: challenge, authenticated try answered 503, then nothing until ~2 s later
    const [refused] = await serverA.waitForReplies({ method: 'REGISTER', user, code: 503 }, 1);
    const next = await serverA.waitForRequests({ method: 'REGISTER', user }, 3, 10_000);
    expect(next[2]!.at - refused!.at).toBeGreaterThanOrEqual(1_800);
    const second = await until(
      unavailable,
      (s) => s.registration.status === 'retrying' && s.registration.attempt === 2,
    );
    expect(expectStatus(second.registration, 'retrying').error).toMatchObject({ code: 503 });
    await unavailable.stop();
    await expect(registering).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('honours 500 with Retry-After: 1 the same way', async () => {
    const user = 'broken';
    const broken = client(user, { authorizationPassword: FAULT_USERS.broken, server: serverA.wsUrl, register: true });
    await broken.start();
    const retrying = await until(broken, (s) => s.registration.status === 'retrying', 10_000);
    const seenAt = Date.now();
    expect(retrying.registration).toMatchObject({ attempt: 1, error: { kind: 'rejected', code: 500, retryAfter: 1 } });
    const { retryAt } = expectStatus(retrying.registration, 'retrying');
    expect(retryAt).toBeGreaterThanOrEqual(seenAt + 1_000 - 500);
    expect(retryAt).toBeLessThanOrEqual(seenAt + 1_000);
    const [refused] = await serverA.waitForReplies({ method: 'REGISTER', user, code: 500 }, 1);
    const next = await serverA.waitForRequests({ method: 'REGISTER', user }, 3, 10_000);
    expect(next[2]!.at - refused!.at).toBeGreaterThanOrEqual(800);
  });

  it('a wrong password costs two REGISTERs at the server, then silence, even across a reconnect', async () => {
    const user = 'load1';
    const wrong = client(user, { authorizationPassword: 'not-the-password', register: true });
    await wrong.start();
    const failed = await until(wrong, (s) => s.registration.status === 'failed', 10_000);
    expect(expectStatus(failed.registration, 'failed').error).toMatchObject({ kind: 'auth', code: 401 });
    await serverA.waitForRequests({ method: 'REGISTER', user }, 2);
    await sleep(1_500);
    expect(serverA.requests({ method: 'REGISTER', user })).toHaveLength(2);
    // a reconnect does not make it try again
    proxy.reset();
    await until(wrong, (s) => s.transport.status === 'reconnecting', 10_000);
    await until(wrong, (s) => s.transport.status === 'connected', 10_000);
    await sleep(2_500);
    expect(wrong.getState().registration.status).toBe('failed');
    expect(serverA.requests({ method: 'REGISTER', user })).toHaveLength(2);
    expect(proxy.stats().accepted).toBe(2);
  });

  it('reconnect: { maxAttempts: 2 } against a refused port ends failed; reconnect() tries again and connects', async () => {
    const user = 'load2';
    const limited = client(user, {
      register: true,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 2 },
    });
    await limited.start();
    await until(limited, isRegistered);
    proxy.refuse();
    proxy.reset();
    const failed = await until(limited, (s) => s.transport.status === 'failed', 10_000);
    const transport = expectStatus(failed.transport, 'failed');
    expect(transport.error).toBeInstanceOf(SipError);
    expect(transport.error.kind).toBe('transport');
    expect(transport.attempt).toBe(2);
    expect(failed.registration.status).not.toBe('registered');
    // two reconnection attempts, both refused by the proxy
    expect(proxy.stats().refused).toBe(2);
    // still refused: reconnect() makes one more attempt and rejects with its error
    await expect(limited.reconnect()).rejects.toMatchObject({ kind: 'transport' });
    expect(proxy.stats().refused).toBe(3);
    expect(limited.getState().transport.status).toBe('failed');
    proxy.pass();
    await limited.reconnect();
    expect(limited.getState().transport).toEqual({ status: 'connected', server: proxy.url });
    await until(limited, isRegistered);
    // (the server's log lines come in a little after the client's answers: wait for them)
    expect((await serverA.waitForReplies({ method: 'REGISTER', user, code: 200 }, 2)).length).toBeGreaterThanOrEqual(2);
  });

  it('a start against a refused port with maxAttempts 2 makes exactly 3 connection attempts and rejects', async () => {
    const nowhere = client('load3', { reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 2 } });
    proxy.refuse();
    const error = await nowhere.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SipError);
    expect(error).toMatchObject({ kind: 'transport' });
    expect(proxy.stats().refused).toBe(3);
    expect(nowhere.getState().userAgent).toMatchObject({ status: 'stopped', error: { kind: 'transport' } });
    expect(nowhere.getState().transport).toMatchObject({ status: 'failed', error: { kind: 'transport' } });
    // stop() after it: the application gives up too; stopped is disconnected, with no reason left over
    await nowhere.stop();
    expect(nowhere.getState()).toMatchObject({
      transport: { status: 'disconnected' },
      userAgent: { status: 'stopped' },
      registration: { status: 'unregistered' },
    });
    expect(fieldsOf(nowhere.getState().userAgent).error).toBeUndefined();
    expect(proxy.stats().refused).toBe(3);
  });

  it('a start that failed for good stays visible: transport failed with its error, reconnect() tries again at once', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, log() {}, warn: (line: string) => warnings.push(line), error() {} };
    const user = 'load4';
    const nowhere = client(user, {
      register: true,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 2 },
      logLevel: 'warn',
      logger,
    });
    proxy.refuse();
    const startError = await nowhere.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(startError).toMatchObject({ kind: 'transport' });
    // Not for a moment: it stays failed, with the error start() rejected with.
    await sleep(1_000);
    const state = nowhere.getState();
    const transport = expectStatus(state.transport, 'failed');
    expect(transport.error).toBe(startError);
    expect(transport.attempt).toBe(2);
    expect(state.userAgent).toEqual({ status: 'stopped', error: startError });
    // registration was wanted (register: true): it says why it is not registered
    expect(state.registration).toEqual({ status: 'unregistered', error: startError });
    expect(proxy.stats().refused).toBe(3);
    // each refused attempt logged at warn, then giving up
    expect(warnings.filter((line) => line.includes('connection failed'))).toHaveLength(3);
    expect(warnings.at(-1)).toMatch(/gave up after 2 reconnection attempts/);

    // reconnect() tries once more, at once, and rejects with that attempt's error
    const reconnectedAt = Date.now();
    const again = await nowhere.reconnect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - reconnectedAt).toBeLessThan(1_000);
    expect(proxy.stats().refused).toBe(4);
    expect(again).toMatchObject({ kind: 'transport' });
    expect(again).not.toBe(startError);
    expect(expectStatus(nowhere.getState().transport, 'failed').error).toBe(again);

    // the port opens: reconnect() starts the client and it registers, as start() would have
    proxy.pass();
    await nowhere.reconnect();
    expect(nowhere.getState().userAgent).toEqual({ status: 'started' });
    await until(nowhere, isRegistered);
    await serverA.waitForReplies({ method: 'REGISTER', user, code: 200 }, 1);
  });
});
