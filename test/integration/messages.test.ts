import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, SipError, type SipClient } from '../../src/index';
import { startFaultProxy } from '../support/fault-proxy';
import { startKamailio, type KamailioServer } from '../support/kamailio';

let kamailio: KamailioServer;
let alice: SipClient;
let bob: SipClient;

function client(user: string): SipClient {
  return createSipClient({
    server: kamailio.wsUrl,
    uri: `sip:${user}@${kamailio.domain}`,
    authorizationUsername: user,
    authorizationPassword: kamailio.users[user]!,
    webSocket: WebSocket,
    logLevel: 'error',
  });
}

beforeAll(async () => {
  kamailio = await startKamailio();
  alice = client('alice');
  bob = client('bob');
  await Promise.all([alice.register(), bob.register()]);
});
afterAll(async () => {
  alice?.dispose();
  bob?.dispose();
  await kamailio?.stop();
});

describe('messages through Kamailio', () => {
  it('round trip: bob receives what alice sends, with its content type; alice answers back', async () => {
    const atBob = firstValueFrom(bob.messages$.pipe(timeout(10_000)));
    const before = Date.now();
    await alice.message('bob', '{"hello":"bob"}', { contentType: 'application/json' });
    const received = await atBob;
    expect(received).toMatchObject({
      from: 'sip:alice@sipstate.test',
      to: 'sip:bob@sipstate.test',
      body: '{"hello":"bob"}',
      contentType: 'application/json',
    });
    expect(received.receivedAt).toBeGreaterThanOrEqual(before);

    const atAlice = firstValueFrom(alice.messages$.pipe(timeout(10_000)));
    await bob.message(received.from, 'hi alice');
    expect(await atAlice).toMatchObject({ from: 'sip:bob@sipstate.test', body: 'hi alice', contentType: 'text/plain' });
    // 407 challenge answered by the client's credentials, then relayed and accepted
    await kamailio.waitForReplies({ method: 'MESSAGE', user: 'alice', code: 200 }, 1);
    const replies = kamailio.replies({ method: 'MESSAGE', user: 'alice' }).map((r) => r.code);
    expect(replies).toContain(407);
    expect(replies).toContain(200);
  });

  it('a message to an unknown user rejects with 404', async () => {
    await expect(alice.message('sip:nosuchuser@sipstate.test', 'anyone?')).rejects.toMatchObject({
      kind: 'rejected',
      code: 404,
    });
  });

  it('a content type or extra header holding CR/LF is refused (kind config) before anything is sent', async () => {
    const sentBefore = kamailio.requests({ method: 'MESSAGE', user: 'alice' }).length;
    await expect(alice.message('bob', 'x', { contentType: 'text/plain\r\nX-Injected: y' })).rejects.toMatchObject({
      kind: 'config',
      field: 'message().contentType',
    });
    await expect(
      alice.message('bob', 'x', { extraHeaders: ['X-A: 1\r\nRoute: <sip:attacker.example;lr>'] }),
    ).rejects.toMatchObject({
      kind: 'config',
      field: 'message().extraHeaders[0]',
    });
    // A good one after them goes through, and is the only MESSAGE Kamailio saw from alice since.
    const atBob = firstValueFrom(bob.messages$.pipe(timeout(10_000)));
    await alice.message('bob', 'clean', { extraHeaders: ['X-Campaign: 7'] });
    expect((await atBob).body).toBe('clean');
    const sent = kamailio.requests({ method: 'MESSAGE', user: 'alice' }).slice(sentBefore);
    // The first try is challenged (407) and sent again with credentials: one message, one or two requests.
    expect(new Set(sent.map((request) => request.callId)).size).toBe(1);
  });

  it('message() on a stopped client rejects at once with a transport error', async () => {
    const stopped = client('carol');
    await expect(stopped.message('bob', 'x')).rejects.toMatchObject({ kind: 'transport' });
    await expect(alice.message('', 'x')).rejects.toMatchObject({ kind: 'config' });
    stopped.dispose();
  });
});

describe('a MESSAGE whose connection drops mid-transaction', () => {
  it('rejects kind transport at once (not a 408 after Timer F, 32 s later), and the client reconnects', async () => {
    // Through the fault proxy: black-holed, the MESSAGE goes out and no answer can come back; then the connection is
    // cut with a reset while it waits for its final response.
    const proxy = await startFaultProxy({ targetPort: kamailio.wsPort });
    const carol = createSipClient({
      server: proxy.url,
      uri: `sip:carol@${kamailio.domain}`,
      authorizationUsername: 'carol',
      authorizationPassword: kamailio.users.carol!,
      webSocket: WebSocket,
      logLevel: 'error',
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    try {
      await carol.start();
      proxy.blackhole();
      const sending = carol.message('bob', 'lost in transit');
      let settled = false;
      sending.then(
        () => (settled = true),
        () => (settled = true),
      );
      // In flight: sent, and nothing can answer it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false);
      expect(proxy.stats().bytesDropped).toBeGreaterThan(0);
      const cutAt = Date.now();
      proxy.reset();
      const error = await sending.catch((caught: unknown) => caught);
      const rejectedAfterMs = Date.now() - cutAt;
      expect(error).toBeInstanceOf(SipError);
      expect(error).toMatchObject({ kind: 'transport' });
      expect((error as SipError).code).not.toBe(408);
      expect(rejectedAfterMs).toBeLessThan(1_000);
      // The link comes back, and a MESSAGE goes through again.
      proxy.pass();
      await firstValueFrom(
        carol.transport$.pipe(
          filter(({ status }) => status === 'connected'),
          timeout(10_000),
        ),
      );
      const atBob = firstValueFrom(
        bob.messages$.pipe(
          filter(({ body }) => body === 'after the cut'),
          timeout(10_000),
        ),
      );
      await carol.message('bob', 'after the cut');
      expect((await atBob).from).toBe(`sip:carol@${kamailio.domain}`);
    } finally {
      carol.dispose();
      await proxy.close();
    }
  });
});
