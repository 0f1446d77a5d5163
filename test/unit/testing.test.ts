/**
 * sipstate/testing: the fake SIP server users test their apps with. A real client (sip.js, the machines, the streams)
 * against it: digest registration, a wrong password, a failed REGISTER, a dropped network, an incoming call answered
 * and hung up from either side, an incoming MESSAGE. Its MD5 is checked against RFC 1321's vectors.
 */
import { createHash } from 'node:crypto';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Call, createSipClient, type SipClient, type SipClientOptions } from '../../src/index';
import { createFakeSipServer, type FakeSipServer, md5 } from '../../src/testing/index';
import { addressParams, addressUri } from '../../src/testing/sip-text';

const clients: SipClient[] = [];
const fakes: FakeSipServer[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const client of clients.splice(0)) client.dispose();
  for (const fake of fakes.splice(0)) await fake.close();
});

async function world(
  password = 'secret',
  extra: Partial<SipClientOptions> = {},
): Promise<{ fake: FakeSipServer; client: SipClient }> {
  const fake = await createFakeSipServer({ users: { alice: 'secret' } });
  fakes.push(fake);
  const client = createSipClient({
    server: fake.url,
    webSocket: fake.WebSocket,
    uri: `sip:alice@${fake.domain}`,
    authorizationUsername: 'alice',
    authorizationPassword: password,
    calls: { media: 'signaling' },
    logLevel: 'silent',
    ...extra,
  });
  clients.push(client);
  return { fake, client };
}

function when<T>(stream: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(stream.pipe(filter(predicate)));
}

describe('md5', () => {
  it('gives RFC 1321 test suite values and agrees with node:crypto across block boundaries and UTF-8', () => {
    expect(md5('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5('a')).toBe('0cc175b9c0f1b6a831c399e269772661');
    expect(md5('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(md5('abcdefghijklmnopqrstuvwxyz')).toBe('c3fcd3d76192e4007dfb496cca67e13b');
    expect(md5('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toBe(
      '57edf4a22be3c955ac49da2e2107b67a',
    );
    for (const text of [
      'x'.repeat(55),
      'x'.repeat(56),
      'x'.repeat(63),
      'x'.repeat(64),
      'héllo ☃ 𝄞',
      'y'.repeat(1000),
    ]) {
      expect(md5(text)).toBe(createHash('md5').update(text, 'utf8').digest('hex'));
    }
  });
});

describe('the fake WebSocket', () => {
  it('opens its own url asynchronously and fails any other', async () => {
    const fake = await createFakeSipServer({ users: {} });
    fakes.push(fake);
    const events: string[] = [];
    const own = new fake.WebSocket(fake.url, 'sip', { maxPayload: 1 });
    own.onopen = () => events.push('own open');
    const other = new fake.WebSocket('ws://elsewhere.invalid/', 'sip');
    other.onerror = () => events.push('other error');
    other.onclose = ({ code }) => events.push(`other close ${code}`);
    expect(own.readyState).toBe(0);
    expect(events).toEqual([]);
    await Promise.resolve();
    await Promise.resolve();
    expect(events).toEqual(['own open', 'other error', 'other close 1006']);
    expect(own.readyState).toBe(1);
    expect(other.readyState).toBe(3);
    expect(() => other.send('x')).toThrow(/not open/);
  });
});

describe('the fake registrar, spoken to by hand', () => {
  it('reads Contact parameters that quote a <...> (RFC 5626 +sip.instance)', () => {
    const contact = '"A;b" <sip:x@y.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:1;2>";expires=60';
    expect(addressUri(contact)).toBe('sip:x@y.invalid;transport=ws');
    expect(addressParams(contact)).toEqual({ 'reg-id': '1', '+sip.instance': '"<urn:uuid:1;2>"', expires: '60' });
  });

  it('challenges, checks an RFC 2617 qop=auth digest computed here, and echoes an outbound Contact with its expiry', async () => {
    const fake = await createFakeSipServer({ users: { alice: 'secret' }, domain: 'example.test' });
    fakes.push(fake);
    const socket = new fake.WebSocket(fake.url, 'sip');
    const received: string[] = [];
    socket.onmessage = ({ data }) => received.push(String(data));
    await new Promise((resolve) => {
      socket.onopen = resolve;
    });
    const contact = '<sip:k3y@abc.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:0f1e>";expires=120';
    const register = (cseq: number, authorization?: string): string =>
      [
        'REGISTER sip:example.test SIP/2.0',
        `Via: SIP/2.0/WSS abc.invalid;branch=z9hG4bKtest${cseq}`,
        'Max-Forwards: 70',
        'To: <sip:alice@example.test>',
        'From: <sip:alice@example.test>;tag=t1',
        'Call-ID: by-hand',
        `CSeq: ${cseq} REGISTER`,
        `Contact: ${contact}`,
        ...(authorization ? [`Authorization: ${authorization}`] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const reply = async (): Promise<string> => {
      for (let i = 0; i < 10 && received.length === 0; i++) await Promise.resolve();
      return received.shift() ?? '';
    };
    socket.send(register(1));
    const challenge = await reply();
    expect(challenge).toMatch(/^SIP\/2\.0 401 Unauthorized\r\n/);
    expect(challenge).toContain('Via: SIP/2.0/WSS abc.invalid;branch=z9hG4bKtest1\r\n');
    expect(challenge).toMatch(/\r\nTo: <sip:alice@example\.test>;tag=\S+\r\n/);
    expect(challenge).toContain('CSeq: 1 REGISTER\r\n');
    const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1] ?? '';
    expect(challenge).toContain('WWW-Authenticate: Digest realm="example.test"');
    expect(challenge).toContain('qop="auth"');

    const digest = (password: string): string => {
      const ha1 = md5(`alice:example.test:${password}`);
      const ha2 = md5('REGISTER:sip:example.test');
      const response = md5(`${ha1}:${nonce}:00000001:c0ffee:auth:${ha2}`);
      return `Digest algorithm=MD5, username="alice", realm="example.test", nonce="${nonce}", uri="sip:example.test", response="${response}", qop=auth, cnonce="c0ffee", nc=00000001`;
    };
    socket.send(register(2, digest('not-it')));
    expect(await reply()).toMatch(/^SIP\/2\.0 403 Forbidden\r\n/);
    expect(fake.registrations).toEqual([]);

    socket.send(register(3, digest('secret')));
    const ok = await reply();
    expect(ok).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(ok).toContain(
      'Contact: <sip:k3y@abc.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:0f1e>";expires=120\r\n',
    );
    expect(ok).toMatch(/\r\nContent-Length: 0\r\n\r\n$/);
    expect(fake.registrations).toEqual([{ user: 'alice', contact: 'sip:k3y@abc.invalid;transport=ws', expires: 120 }]);
    expect(() => fake.failNextRegister(200)).toThrow(RangeError);
    socket.close();
  });
});

describe('registration against the fake', () => {
  it('registers through a digest challenge, shows the binding, and removes it on unregister', async () => {
    const { fake, client } = await world();
    const statuses: number[] = [];
    client.sipTrace$.subscribe((entry) => {
      if (entry.direction === 'received' && entry.status !== undefined) statuses.push(entry.status);
    });
    await client.register();
    expect(statuses).toEqual([401, 200]);
    expect(client.getState().registration).toMatchObject({ status: 'registered', expires: 600 });
    expect(fake.registrations).toEqual([{ user: 'alice', contact: expect.stringMatching(/^sip:/), expires: 600 }]);
    await client.unregister();
    expect(fake.registrations).toEqual([]);
  });

  it('ends failed with kind auth on a wrong password (403)', async () => {
    const { fake, client } = await world('wrong');
    await expect(client.register()).rejects.toMatchObject({ kind: 'auth' });
    expect(client.getState().registration).toMatchObject({ status: 'failed', error: { kind: 'auth', code: 403 } });
    expect(fake.registrations).toEqual([]);
  });

  it('answers the next REGISTER with failNextRegister: retrying, then registered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const { fake, client } = await world();
    fake.failNextRegister(503, { retryAfter: 1 });
    const registered = client.register();
    registered.catch(() => {});
    const retrying = await when(client.registration$, (state) => state.status === 'retrying');
    expect(retrying).toMatchObject({ status: 'retrying', attempt: 1, error: { code: 503 } });
    expect(fake.registrations).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    await registered;
    expect(fake.registrations).toHaveLength(1);
  });

  it('reconnects and registers again after dropConnections', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const { fake, client } = await world();
    await client.register();
    const firstContact = fake.registrations[0]?.contact;
    fake.dropConnections();
    await when(client.transport$, (state) => state.status === 'reconnecting');
    expect(fake.registrations).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    await when(client.registration$, (state) => state.status === 'registered');
    expect(client.getState().transport.status).toBe('connected');
    expect(fake.registrations).toEqual([{ user: 'alice', contact: firstContact, expires: 600 }]);
  });
});

describe('calls and messages from the fake', () => {
  it('rings: incomingCalls$, answer (200, ACKed), active, the app hangs up (BYE 200), ended', async () => {
    const { fake, client } = await world();
    const incoming = firstValueFrom(client.incomingCalls$);
    await client.register();
    const ringing = fake.ring('alice', { from: 'bob', displayName: 'Bob' });
    const call: Call = await incoming;
    expect(call.state$.getSnapshot()).toMatchObject({
      status: 'ringing',
      direction: 'incoming',
      remote: { uri: `sip:bob@${fake.domain}`, displayName: 'Bob' },
    });
    await call.answer();
    await call.connected();
    expect(await ringing.answered()).toBe(200);
    expect(ringing.responses.at(-1)).toBe(200);
    expect(ringing.status).toBe('active');
    await call.hangup();
    await ringing.ended();
    expect(ringing.endedBy).toBe('client');
    expect((await call.ended()).reason).toBe('local-hangup');
  });

  it('rings and the caller hangs up: the call ends remote-hangup', async () => {
    const { fake, client } = await world();
    client.incomingCalls$.subscribe((call) => void call.answer());
    await client.register();
    const ringing = fake.ring('alice', { from: 'sip:carol@elsewhere.test' });
    expect(await ringing.answered()).toBe(200);
    const [call] = client.calls$.getSnapshot();
    // No wait for the app's call to be active: the BYE may overtake the client's own handling of its answer, and
    // the call still ends remote-hangup.
    expect(await ringing.hangup()).toBe(200);
    expect(ringing.endedBy).toBe('caller');
    expect((await call?.ended())?.reason).toBe('remote-hangup');
  });

  it('a declined call: the INVITE gets 603 and the fake records it rejected', async () => {
    const { fake, client } = await world();
    client.incomingCalls$.subscribe((call) => void call.hangup());
    await client.register();
    const ringing = fake.ring('alice');
    expect(await ringing.answered()).toBe(603);
    await ringing.ended();
    expect(ringing.endedBy).toBe('rejected');
  });

  it('the caller gives up while ringing: CANCEL, the INVITE ends 487, the call ends missed', async () => {
    const { fake, client } = await world();
    const incoming = firstValueFrom(client.incomingCalls$);
    await client.register();
    const ringing = fake.ring('alice');
    const call = await incoming;
    expect(await ringing.hangup()).toBe(200);
    expect(await ringing.answered()).toBe(487);
    await ringing.ended();
    expect(ringing.endedBy).toBe('caller');
    expect((await call.ended()).reason).toBe('missed');
  });

  it('ringing a user with no registration answers 480 at once', async () => {
    const { fake } = await world();
    const ringing = fake.ring('alice');
    expect(await ringing.answered()).toBe(480);
    expect(ringing.endedBy).toBe('unreachable');
    expect(await fake.sendMessage('alice', { body: 'hi' })).toBe(480);
  });

  it('sendMessage reaches messages$ and resolves with the 200 the client answered', async () => {
    const { fake, client } = await world();
    const received = firstValueFrom(client.messages$);
    await client.register();
    expect(await fake.sendMessage('alice', { from: 'bob', body: 'hello ☃' })).toBe(200);
    expect(await received).toMatchObject({
      from: `sip:bob@${fake.domain}`,
      to: `sip:alice@${fake.domain}`,
      body: 'hello ☃',
      contentType: 'text/plain',
    });
  });

  it("keeps the client's own MESSAGEs (200) and answers its calls 480", async () => {
    const { fake, client } = await world();
    await client.register();
    await client.message('bob', 'ping');
    expect(fake.receivedMessages).toEqual([
      { from: `sip:alice@${fake.domain}`, to: `sip:bob@${fake.domain}`, body: 'ping', contentType: 'text/plain' },
    ]);
    const call = client.call('bob');
    expect(await call.ended()).toMatchObject({ status: 'ended', code: 480 });
  });
});
