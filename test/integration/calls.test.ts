import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createSipClient,
  SipError,
  type Call,
  type CallState,
  type SipClient,
  type SipClientOptions,
  type TransferRequest,
} from '../../src/index';
import { startKamailio, type KamailioServer } from '../support/kamailio';

let kamailio: KamailioServer;
const clients: SipClient[] = [];
const registered = new Map<string, SipClient>();

beforeAll(async () => {
  kamailio = await startKamailio();
});
afterAll(async () => {
  for (const client of registered.values()) client.dispose();
  await kamailio?.stop();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  // Calls left over by a failed test must not ring into the next one.
  for (const client of registered.values()) {
    const live = await firstValueFrom(client.calls$);
    await Promise.all(live.map((call) => call.hangup()));
  }
});

function client(user: string, options: Partial<SipClientOptions> = {}): SipClient {
  const created = createSipClient({
    server: kamailio.wsUrl,
    uri: `sip:${user}@${kamailio.domain}`,
    authorizationUsername: user,
    authorizationPassword: kamailio.users[user]!,
    webSocket: WebSocket,
    logLevel: 'error',
    ...options,
  });
  clients.push(created);
  return created;
}

/** alice, bob and carol, registered once for the whole file. */
async function user(name: 'alice' | 'bob' | 'carol'): Promise<SipClient> {
  let existing = registered.get(name);
  if (!existing) {
    existing = client(name);
    clients.splice(clients.indexOf(existing), 1);
    registered.set(name, existing);
    await existing.register();
  }
  return existing;
}

function until(call: Call, predicate: (state: CallState) => boolean, ms = 15_000): Promise<CallState> {
  return firstValueFrom(call.state$.pipe(filter(predicate), timeout(ms)));
}

function nextIncoming(callee: SipClient, ms = 15_000): Promise<Call> {
  return firstValueFrom(callee.incomingCalls$.pipe(timeout(ms)));
}

async function connect(caller: SipClient, callee: SipClient, target: string): Promise<[Call, Call]> {
  const incoming = nextIncoming(callee);
  const outgoing = caller.call(target);
  const answered = await incoming;
  await until(outgoing, (s) => s.status === 'ringing');
  await answered.answer();
  await outgoing.connected();
  return [outgoing, answered];
}

describe('calls through Kamailio', () => {
  it('call, ring, answer, hold and unhold, DTMF, hangup from the caller', async () => {
    const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    const incoming = nextIncoming(bob);
    const outgoing = alice.call('bob');
    expect(outgoing.getState()).toMatchObject({
      status: 'dialing',
      direction: 'outgoing',
      remote: { uri: 'sip:bob@sipstate.test' },
    });
    expect(await firstValueFrom(alice.calls$)).toEqual([outgoing]);
    const call = await incoming;
    expect(call.getState()).toMatchObject({
      status: 'ringing',
      direction: 'incoming',
      remote: { uri: 'sip:alice@sipstate.test' },
    });
    expect(await firstValueFrom(bob.calls$)).toEqual([call]);
    await until(outgoing, (s) => s.status === 'ringing');

    await call.answer();
    await outgoing.connected();
    expect(outgoing.getState()).toMatchObject({ status: 'active', held: false, muted: false });
    expect(outgoing.getState().answeredAt).toBeGreaterThanOrEqual(outgoing.getState().startedAt);

    // Right after the answer: a sip.js peer often answers this re-INVITE 500; the call machine retries.
    await outgoing.hold();
    expect(outgoing.getState()).toMatchObject({ held: true, localHold: true, remoteHold: false });
    await until(call, (s) => s.remoteHold);
    expect(call.getState()).toMatchObject({ held: true, localHold: false });
    await outgoing.unhold();
    await until(call, (s) => !s.remoteHold);
    expect(outgoing.getState().held).toBe(false);

    const tones = firstValueFrom(call.dtmf$.pipe(take(3), toArray(), timeout(10_000)));
    await outgoing.sendDtmf('1*#');
    expect(await tones).toEqual(['1', '*', '#']);
    const infos = await kamailio.waitForRequests({ method: 'INFO', user: 'alice' }, 3);
    expect(infos).toHaveLength(3);

    await outgoing.mute();
    expect(outgoing.getState().muted).toBe(true);

    await outgoing.hangup();
    expect(outgoing.getState()).toMatchObject({ status: 'ended', reason: 'local-hangup' });
    const ended = await call.ended();
    expect(ended).toMatchObject({ status: 'ended', reason: 'remote-hangup' });
    expect(ended.endedAt).toBeGreaterThanOrEqual(ended.answeredAt!);
    expect(await firstValueFrom(alice.calls$)).toEqual([]);
    expect(await firstValueFrom(bob.calls$)).toEqual([]);
    // Methods that make no sense now reject with a clear error.
    await expect(call.answer()).rejects.toMatchObject({ kind: 'config' });
    await expect(outgoing.hold()).rejects.toMatchObject({ kind: 'config' });
    await expect(outgoing.sendDtmf('1')).rejects.toMatchObject({ kind: 'config' });
    await expect(outgoing.hangup()).resolves.toBeUndefined();
  });

  it('hangup from the callee', async () => {
    const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    const [outgoing, incoming] = await connect(alice, bob, 'sip:bob@sipstate.test');
    await incoming.hangup();
    expect(incoming.getState().reason).toBe('local-hangup');
    expect((await outgoing.ended()).reason).toBe('remote-hangup');
  });

  it.each([
    [486, 'busy'],
    [603, 'declined'],
  ] as const)('callee rejects with %i: the caller sees %s', async (code, reason) => {
    const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    const incoming = nextIncoming(bob);
    const outgoing = alice.call('bob');
    const call = await incoming;
    await call.reject({ statusCode: code });
    expect(call.getState()).toMatchObject({ status: 'ended', reason: 'rejected' });
    expect(await outgoing.ended()).toMatchObject({ status: 'ended', reason, code });
    await expect(outgoing.connected()).rejects.toBeInstanceOf(SipError);
  });

  it('caller cancels while ringing: the callee sees missed', async () => {
    const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    const incoming = nextIncoming(bob);
    const outgoing = alice.call('bob');
    const call = await incoming;
    await until(outgoing, (s) => s.status === 'ringing');
    await outgoing.hangup();
    expect(outgoing.getState()).toMatchObject({ status: 'ended', reason: 'cancelled' });
    expect(await call.ended()).toMatchObject({ reason: 'missed' });
    await kamailio.waitForRequests({ method: 'CANCEL', user: 'alice' }, 1);
  });

  it('an unanswered call is cancelled after its timeout', async () => {
    const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    const incoming = nextIncoming(bob);
    const outgoing = alice.call('bob', { unansweredTimeoutSec: 1.5 });
    const call = await incoming;
    expect(await outgoing.ended()).toMatchObject({ reason: 'unanswered' });
    expect(await call.ended()).toMatchObject({ reason: 'missed' });
  });

  it('a call to a user who is not registered ends not-found (404)', async () => {
    const alice = await user('alice');
    const outgoing = alice.call('dave');
    expect(await outgoing.ended()).toMatchObject({ reason: 'not-found', code: 404 });
  });

  it("blind transfer to a third client, followed because the transferee's acceptTransfer says true", async () => {
    const [bob, carol] = await Promise.all([user('bob'), user('carol')]);
    const asked: TransferRequest[] = [];
    // dave is the transferee: he calls bob, bob transfers him to carol.
    const dave = client('dave', {
      calls: {
        acceptTransfer: (request) => {
          asked.push(request);
          return true;
        },
      },
    });
    await dave.start();
    const [outgoing, incoming] = await connect(dave, bob, 'bob');
    const atCarol = nextIncoming(carol);
    await incoming.transfer('carol');
    const carolCall = await atCarol;
    expect(asked).toEqual([{ call: outgoing, target: 'sip:carol@sipstate.test', referredBy: 'sip:bob@sipstate.test' }]);
    expect(carolCall.getState().remote.uri).toBe('sip:dave@sipstate.test');
    await carolCall.answer();
    expect(await incoming.ended()).toMatchObject({ reason: 'transferred' });
    expect(await outgoing.ended()).toMatchObject({ reason: 'transferred' });
    // dave's client placed the new call itself, as client.call() does: it is dave's one live call, to carol.
    const [daveToCarol] = await firstValueFrom(
      dave.calls$.pipe(
        filter((calls) => calls.length === 1),
        timeout(10_000),
      ),
    );
    expect(daveToCarol!.getState()).toMatchObject({
      direction: 'outgoing',
      remote: { uri: 'sip:carol@sipstate.test' },
    });
    await until(daveToCarol!, (s) => s.status === 'active');
    expect(kamailio.requests({ method: 'INVITE', user: 'dave', to: 'carol' }).length).toBeGreaterThan(0);
    await daveToCarol!.hangup();
    expect((await carolCall.ended()).reason).toBe('remote-hangup');
  });

  it('without acceptTransfer the REFER is declined 603: transfer() rejects with it, nothing is dialled, the call goes on', async () => {
    const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    const [outgoing, incoming] = await connect(alice, bob, 'bob');
    const invitesBefore = kamailio.requests({ method: 'INVITE', user: 'bob' }).length;
    await expect(outgoing.transfer('carol')).rejects.toMatchObject({ kind: 'rejected', code: 603 });
    await kamailio.waitForReplies(
      { method: 'REFER', code: 603, callId: kamailio.requests({ method: 'REFER', user: 'alice' }).at(-1)!.callId },
      1,
    );
    // An INVITE following the REFER would go out right after its 202: give it well over that.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(kamailio.requests({ method: 'INVITE', user: 'bob' })).toHaveLength(invitesBefore);
    expect(outgoing.getState().status).toBe('active');
    expect(incoming.getState().status).toBe('active');
    expect(await firstValueFrom(bob.calls$)).toEqual([incoming]);
    await outgoing.hangup();
    expect((await incoming.ended()).reason).toBe('remote-hangup');
  });

  it('a fifth concurrent incoming call (calls.maxIncoming 4 by default) is answered 486 and never becomes a Call', async () => {
    const [alice, carol] = await Promise.all([user('alice'), user('carol')]);
    const arrived: Call[] = [];
    const subscription = carol.incomingCalls$.subscribe((call) => arrived.push(call));
    try {
      const outgoing = Array.from({ length: 5 }, () => alice.call('carol'));
      // Exactly one of the five is refused, whichever INVITE Kamailio delivered last.
      const busy = await Promise.race(outgoing.map((call) => call.ended()));
      expect(busy).toMatchObject({ reason: 'busy', code: 486 });
      await firstValueFrom(
        carol.calls$.pipe(
          filter((calls) => calls.length === 4),
          timeout(10_000),
        ),
      );
      await Promise.all(
        outgoing
          .filter((call) => call.getState().status !== 'ended')
          .map((call) => until(call, (s) => s.status === 'ringing')),
      );
      expect(outgoing.filter((call) => call.getState().status === 'ended')).toHaveLength(1);
      expect(arrived).toHaveLength(4);
      expect(await firstValueFrom(carol.calls$)).toEqual(arrived);
      await kamailio.waitForReplies({ method: 'INVITE', to: 'carol', code: 486 }, 1);

      // One ends: the next INVITE is taken again.
      await arrived[0]!.reject({ statusCode: 603 });
      const sixth = alice.call('carol');
      await until(sixth, (s) => s.status === 'ringing');
      expect(arrived).toHaveLength(5);
      expect(await firstValueFrom(carol.calls$)).toHaveLength(4);
      await Promise.all([...outgoing, sixth].map((call) => call.hangup()));
      await firstValueFrom(
        carol.calls$.pipe(
          filter((calls) => calls.length === 0),
          timeout(10_000),
        ),
      );
    } finally {
      subscription.unsubscribe();
    }
  });

  it('call() on a stopped client comes back failed, without hanging', async () => {
    const stopped = client('carol');
    const call = stopped.call('bob');
    await expect(call.connected()).rejects.toMatchObject({ kind: 'transport' });
    expect(await call.ended()).toMatchObject({ status: 'ended', reason: 'failed', error: { kind: 'transport' } });
    expect(await firstValueFrom(stopped.calls$)).toEqual([]);
    const bad = (await user('alice')).call('not a uri @@');
    await expect(bad.connected()).rejects.toMatchObject({ kind: 'config' });
  });

  it('an anonymous client (no uri) calls and messages a full address; a bare user name is refused', async () => {
    const bob = await user('bob');
    const anonymous = createSipClient({ server: kamailio.wsUrl, webSocket: WebSocket, logLevel: 'error' });
    clients.push(anonymous);
    await anonymous.start();
    const incoming = nextIncoming(bob);
    const outgoing = anonymous.call('sip:bob@sipstate.test');
    const call = await incoming;
    expect(call.getState().remote.uri).toMatch(/@anonymous\.invalid$/);
    await call.answer();
    await outgoing.connected();
    await outgoing.hangup();
    expect((await call.ended()).reason).toBe('remote-hangup');
    const atBob = firstValueFrom(bob.messages$.pipe(timeout(10_000)));
    await anonymous.message('bob@sipstate.test', 'from nobody');
    expect((await atBob).body).toBe('from nobody');
    await expect(anonymous.call('bob').connected()).rejects.toMatchObject({ kind: 'config' });
  });

  it('dispose() ends every call: the peer gets a BYE', async () => {
    const bob = await user('bob');
    const dave = client('dave');
    await dave.register();
    const [outgoing, incoming] = await connect(dave, bob, 'bob');
    dave.dispose();
    expect(outgoing.getState()).toMatchObject({ status: 'ended', reason: 'local-hangup' });
    expect((await incoming.ended()).reason).toBe('remote-hangup');
  });

  // Last: restarts the server, so every registered client of this file reconnects.
  it('a connection drop during a call is reported on the call, and its return too', async () => {
    const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
    const [outgoing, incoming] = await connect(alice, bob, 'bob');
    const interrupted = until(outgoing, (s) => s.interrupted);
    const restored = interrupted.then(() => until(outgoing, (s) => !s.interrupted, 20_000));
    await kamailio.restart();
    expect((await interrupted).status).toBe('active');
    expect((await restored).status).toBe('active');
    expect(alice.getState().transport.status).toBe('connected');
    await until(incoming, (s) => !s.interrupted, 20_000);
    await outgoing.hangup();
    expect(outgoing.getState()).toMatchObject({ status: 'ended', reason: 'local-hangup' });
    // The BYE cannot reach bob (his alias is the connection that died): he hangs up himself.
    await incoming.hangup();
    expect(incoming.getState().status).toBe('ended');
  });
});
