import { firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, type SipClient } from '../../src/index';
import { freePort, runSipp, startKamailio, type KamailioServer } from '../support/kamailio';

// Interop: sipstate over WebSocket, sipp over UDP, both through the same Kamailio.
let kamailio: KamailioServer;
let alice: SipClient;

beforeAll(async () => {
  kamailio = await startKamailio();
  alice = createSipClient({
    server: kamailio.wsUrl,
    uri: `sip:alice@${kamailio.domain}`,
    authorizationUsername: 'alice',
    authorizationPassword: kamailio.users.alice!,
    webSocket: WebSocket,
    logLevel: 'error',
  });
  await alice.register();
});
afterAll(async () => {
  alice?.dispose();
  await kamailio?.stop();
});

describe('calls with sipp over UDP', () => {
  it('sipp as UAS rings, sends early media, answers a call from sipstate; sipstate hangs up', async () => {
    const port = await freePort();
    const registered = await runSipp({
      target: kamailio,
      scenario: 'register.xml',
      service: 'dave',
      password: kamailio.users.dave!,
      localPort: port,
      keys: { expires: 60 },
    });
    expect(registered.responses.map((r) => r.status)).toEqual([401, 200]);

    const uas = runSipp({
      target: kamailio,
      scenario: 'uas-answer.xml',
      service: 'dave',
      localPort: port,
      timeoutSeconds: 20,
    });
    const call = alice.call('dave');
    const statuses: string[] = [];
    call.state$.subscribe(({ status }) => statuses.at(-1) !== status && statuses.push(status));
    await call.connected();
    // 180, then 183 with SDP
    expect(statuses).toEqual(['dialing', 'ringing', 'early-media', 'active']);
    expect(call.getState()).toMatchObject({ status: 'active', remote: { uri: 'sip:dave@sipstate.test' } });
    await call.hangup();
    expect(call.getState().reason).toBe('local-hangup');

    const result = await uas;
    expect(result.exitCode, result.errors || result.stderr).toBe(0);
    const invite = result.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('INVITE'));
    // sipstate's signaling-only offer: an audio stream with PCMU, PCMA and telephone-event
    expect(invite?.raw).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101$/m);
    expect(result.messages.some((m) => m.direction === 'received' && m.startLine.startsWith('BYE'))).toBe(true);
  });

  it('sipp as UAC calls a sipstate client, which answers; sipp hangs up', async () => {
    const incoming = firstValueFrom(alice.incomingCalls$.pipe(timeout(15_000)));
    const uac = runSipp({ target: kamailio, scenario: 'uac-call.xml', service: 'alice', timeoutSeconds: 20 });
    const call = await incoming;
    expect(call.getState()).toMatchObject({
      status: 'ringing',
      direction: 'incoming',
      remote: { displayName: 'sipp' },
    });
    await call.answer();
    expect((await call.ended()).reason).toBe('remote-hangup');

    const result = await uac;
    expect(result.exitCode, result.errors || result.stderr).toBe(0);
    const ok = result.responses.find((m) => m.status === 200 && m.headers.cseq?.[0]?.includes('INVITE'));
    expect(ok?.raw).toMatch(/^m=audio \d+ RTP\/AVP/m);
    // one 180 (sip.js sends it before handing over the call; sipstate does not send another)
    expect(result.responses.filter((m) => m.status === 180)).toHaveLength(1);
  });
});
