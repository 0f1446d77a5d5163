import { firstValueFrom } from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DTMF_METHODS,
  isDtmfMethod,
  unknownKey,
  validateCallOptions,
  validateMessageOptions,
  type OptionKeys,
} from '../../src/call-options';
import {
  createSipClient,
  SipConfigError,
  SipError,
  type CallMediaOptions,
  type CallOptions,
  type DtmfMethod,
  type MessageOptions,
  type SipClientOptions,
} from '../../src/index';

class UnusedWebSocket {
  constructor() {
    throw new Error('no socket may be opened by these tests');
  }
}

const base: SipClientOptions = {
  server: 'wss://sip.example.com',
  uri: 'sip:alice@example.com',
  webSocket: UnusedWebSocket as never,
};

describe('calls options and commands on a client that never started', () => {
  it.each([
    [{ media: 'webrtc' }, 'calls.media'],
    [{ dtmf: 'tones' }, 'calls.dtmf'],
    [{ unansweredTimeoutSec: 0 }, 'calls.unansweredTimeoutSec'],
    [{ unansweredTimeoutSec: 3_600.5 }, 'calls.unansweredTimeoutSec'],
    [{ unansweredTimeoutSec: 3e6 }, 'calls.unansweredTimeoutSec'],
    [{ unansweredTimeoutSec: Infinity }, 'calls.unansweredTimeoutSec'],
    [{ iceServers: 'stun:x' }, 'calls.iceServers'],
    [{ iceServers: [5] }, 'calls.iceServers[0]'],
    [{ iceServers: [null] }, 'calls.iceServers[0]'],
    [{ iceServers: [{}] }, 'calls.iceServers[0].urls'],
    [{ iceServers: [{ urls: 5 }] }, 'calls.iceServers[0].urls'],
    [{ iceServers: [{ urls: [] }] }, 'calls.iceServers[0].urls'],
    [{ iceServers: [{ urls: ['stun:a.example', 7] }] }, 'calls.iceServers[0].urls'],
    [{ iceServers: [{ urls: 'http://stun.example' }] }, 'calls.iceServers[0].urls'],
    [{ iceServers: [{ urls: 'stun:' }] }, 'calls.iceServers[0].urls'],
    [{ iceServers: [{ urls: 'turn:t.example', username: 5 }] }, 'calls.iceServers[0].username'],
    [
      { iceServers: [{ urls: 'stun:a.example' }, { urls: 'turn:t.example', credential: {} }] },
      'calls.iceServers[1].credential',
    ],
    [{ iceServers: [{ urls: 'stun:a.example', url: 'stun:b' }] }, 'calls.iceServers[0].url'],
    [{ maxIncoming: -1 }, 'calls.maxIncoming'],
    [{ maxIncoming: 101 }, 'calls.maxIncoming'],
    [{ maxIncoming: 1.5 }, 'calls.maxIncoming'],
    [{ maxIncoming: '4' }, 'calls.maxIncoming'],
    [{ acceptTransfer: true }, 'calls.acceptTransfer'],
    [{ ring: true }, 'calls.ring'],
  ])('rejects calls: %j naming %s', (calls, field) => {
    expect(() => createSipClient({ ...base, calls } as never)).toThrow(SipConfigError);
    try {
      createSipClient({ ...base, calls } as never);
    } catch (error) {
      expect((error as SipConfigError).field).toBe(field);
    }
  });

  it('accepts the edges of every bound, and reads only own keys', () => {
    for (const calls of [
      { unansweredTimeoutSec: 3_600, maxIncoming: 0 },
      { unansweredTimeoutSec: 0.001, maxIncoming: 100, acceptTransfer: () => true },
      {
        iceServers: [
          { urls: 'stun:stun.example:3478' },
          { urls: ['turn:t.example?transport=udp', 'turns:t.example:5349'], username: 'u', credential: 'c' },
          { urls: 'STUNS:s.example' },
        ],
      },
      // Inherited keys are not options: this is {} (defaults), not maxIncoming 1000.
      Object.create({ maxIncoming: 1_000, media: 'webrtc' }) as object,
    ]) {
      expect(() => createSipClient({ ...base, calls })).not.toThrow();
    }
  });

  it('never echoes an ICE credential or URL in its error', () => {
    try {
      createSipClient({
        ...base,
        calls: { iceServers: [{ urls: 'turn:t.example?token=SECRET-URL', credential: 42 as never }] },
      });
      expect.unreachable();
    } catch (error) {
      expect((error as SipConfigError).field).toBe('calls.iceServers[0].credential');
      expect(String(error)).not.toMatch(/42|SECRET/);
    }
    try {
      createSipClient({ ...base, calls: { iceServers: [{ urls: 'http://x?token=SECRET-URL' }] } });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('SECRET');
    }
  });

  it('call() returns a Call that fails at once, and every method answers with a clear error', async () => {
    const client = createSipClient({
      ...base,
      calls: { media: 'signaling', unansweredTimeoutSec: 5, dtmf: 'info', iceServers: [] },
    });
    const call = client.call('bob');
    expect(call.getState()).toMatchObject({ direction: 'outgoing', remote: { uri: 'sip:bob@example.com' } });
    await expect(call.connected()).rejects.toMatchObject({ kind: 'transport' });
    expect(await call.ended()).toMatchObject({ status: 'ended', reason: 'failed', error: { kind: 'transport' } });
    await expect(call.answer()).rejects.toMatchObject({ kind: 'config' });
    await expect(call.reject()).rejects.toMatchObject({ kind: 'config' });
    await expect(call.hold()).rejects.toMatchObject({ kind: 'config' });
    await expect(call.unhold()).rejects.toMatchObject({ kind: 'config' });
    await expect(call.mute()).rejects.toMatchObject({ kind: 'config' });
    await expect(call.sendDtmf('12')).rejects.toMatchObject({ kind: 'config' });
    await expect(call.sendDtmf('x')).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringContaining('digits'),
    });
    await expect(call.transfer('carol')).rejects.toMatchObject({ kind: 'config' });
    await expect(call.hangup()).resolves.toBeUndefined();
    expect(await firstValueFrom(client.calls$)).toEqual([]);
    await expect(client.message('bob', 'hi')).rejects.toMatchObject({ kind: 'transport' });
    client.dispose();
    await expect(client.message('bob', 'hi')).rejects.toMatchObject({ kind: 'cancelled' });
    await expect(client.call('bob').connected()).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('dispose() completes calls$, incomingCalls$ and messages$', () => {
    const client = createSipClient(base);
    const completed: string[] = [];
    client.calls$.subscribe({ complete: () => completed.push('calls$') });
    client.incomingCalls$.subscribe({ complete: () => completed.push('incomingCalls$') });
    client.messages$.subscribe({ complete: () => completed.push('messages$') });
    client.dispose();
    expect(completed).toEqual(['calls$', 'incomingCalls$', 'messages$']);
  });
});

describe('null options never throw synchronously', () => {
  it('call(), message(), answer(), reject() and sendDtmf() take null options', async () => {
    const client = createSipClient(base);
    const call = client.call('bob', null as never);
    await expect(call.answer(null as never)).rejects.toMatchObject({ kind: 'config' });
    await expect(call.reject(null as never)).rejects.toMatchObject({ kind: 'config' });
    await expect(call.sendDtmf('1', null as never)).rejects.toMatchObject({ kind: 'config' });
    await expect(call.transfer(undefined as never)).rejects.toMatchObject({ kind: 'config' });
    await expect(client.message('bob', 'x', null as never)).rejects.toMatchObject({ kind: 'transport' });
    client.dispose();
  });
});

describe("per-call options are checked like the client's: a Call already failed, never a throw", () => {
  const client = () => createSipClient({ ...base, calls: { media: 'signaling' } });

  it.each<[string, unknown, string]>([
    ['unansweredTimeoutSec 0', { unansweredTimeoutSec: 0 }, 'call().unansweredTimeoutSec'],
    ['unansweredTimeoutSec 3e6', { unansweredTimeoutSec: 3e6 }, 'call().unansweredTimeoutSec'],
    ['unansweredTimeoutSec NaN', { unansweredTimeoutSec: Number.NaN }, 'call().unansweredTimeoutSec'],
    ['unansweredTimeoutSec as a string', { unansweredTimeoutSec: '30' }, 'call().unansweredTimeoutSec'],
    ['extraHeaders not an array', { extraHeaders: 'X-A: 1' }, 'call().extraHeaders'],
    [
      'an extra header with CRLF',
      { extraHeaders: ['X-A: 1', 'X-B: 2\r\nRoute: <sip:attacker>'] },
      'call().extraHeaders[1]',
    ],
    ['an extra header with a bare LF', { extraHeaders: ['X-A: 1\nX-B: 2'] }, 'call().extraHeaders[0]'],
    ['an extra header without a colon', { extraHeaders: ['X-A 1'] }, 'call().extraHeaders[0]'],
    ['an extra header that is no string', { extraHeaders: [5] }, 'call().extraHeaders[0]'],
    ['media not an object', { media: 'audio' }, 'call().media'],
    ['media.constraints not an object', { media: { constraints: true } }, 'call().media.constraints'],
    [
      'media.constraints.audio a string',
      { media: { constraints: { audio: 'yes' } } },
      'call().media.constraints.audio',
    ],
    ['media.remoteAudio a string', { media: { remoteAudio: '#audio' } }, 'call().media.remoteAudio'],
    ['an unknown media key', { media: { video: true } }, 'call().media.video'],
    ['an unknown option', { timeoutSec: 5 }, 'call().timeoutSec'],
    ['options that are no object', 'fast', 'call().options'],
  ])('%s: kind config naming %s', async (_name, options, field) => {
    const sip = client();
    let call: ReturnType<typeof sip.call> | undefined;
    expect(() => (call = sip.call('bob', options as never))).not.toThrow();
    const error = await call!.connected().then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    expect(error).toBeInstanceOf(SipConfigError);
    expect(error).toMatchObject({ kind: 'config', field });
    expect(call!.getState()).toMatchObject({ status: 'ended', reason: 'failed', error: { kind: 'config' } });
    expect(String(error)).not.toContain('attacker');
    expect(await firstValueFrom(sip.calls$)).toEqual([]);
    sip.dispose();
  });

  it('valid options get past the check (the never-started client fails on transport instead)', async () => {
    const sip = client();
    const call = sip.call('bob', {
      unansweredTimeoutSec: 3_600,
      extraHeaders: ['X-Campaign: 7'],
      media: { constraints: { audio: true } },
    });
    await expect(call.connected()).rejects.toMatchObject({ kind: 'transport' });
    sip.dispose();
  });

  it.each<[string, unknown, string]>([
    ['a content type with CRLF', { contentType: 'text/plain\r\nX-Injected: y' }, 'message().contentType'],
    ['a content type with NUL', { contentType: 'text/plain\u0000' }, 'message().contentType'],
    ['an empty content type', { contentType: ' ' }, 'message().contentType'],
    ['a content type that is no string', { contentType: 7 }, 'message().contentType'],
    ['an extra header with CRLF', { extraHeaders: ['X-A: 1\r\nX-B: 2'] }, 'message().extraHeaders[0]'],
    ['an unknown option', { type: 'text/plain' }, 'message().type'],
  ])('message() with %s rejects with kind config naming %s', async (_name, options, field) => {
    const sip = client();
    let sent: Promise<void> | undefined;
    expect(() => (sent = sip.message('bob', 'hi', options as never))).not.toThrow();
    await expect(sent).rejects.toMatchObject({ kind: 'config', field });
    await expect(sent).rejects.toBeInstanceOf(SipError);
    sip.dispose();
  });

  it('targets that JSON cannot show do not make call(), message() or transfer() throw', async () => {
    const sip = client();
    expect(() => sip.call(10n as never)).not.toThrow();
    await expect(sip.message(10n as never, 'x')).rejects.toMatchObject({ kind: 'transport' });
    await expect(sip.call('bob').transfer(10n as never)).rejects.toMatchObject({ kind: 'config' });
    await expect(sip.call('bob').sendDtmf(10n as never)).rejects.toMatchObject({ kind: 'config' });
    sip.dispose();
  });

  it('sendDtmf() durationMs outside 40..6000 ms is a config error', async () => {
    const sip = client();
    const call = sip.call('bob');
    await expect(call.sendDtmf('1', { durationMs: 1e9 })).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringContaining('durationMs'),
    });
    await expect(call.sendDtmf('1', { durationMs: 10 })).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringContaining('durationMs'),
    });
    sip.dispose();
  });
});

describe('the per-call and per-message option lists are derived from their types', () => {
  // Compiled by `npx tsc --noEmit -p .`: a list missing a key of its type is a compile error (src/call-options.ts
  // declares its lists the same way).
  const callKeys = { media: true, unansweredTimeoutSec: true, extraHeaders: true } satisfies OptionKeys<CallOptions>;
  const mediaKeys = { constraints: true, remoteAudio: true } satisfies OptionKeys<CallMediaOptions>;
  const messageKeys = { contentType: true, extraHeaders: true } satisfies OptionKeys<MessageOptions>;

  it('a list that forgets a key of its type does not compile', () => {
    // @ts-expect-error extraHeaders is in MessageOptions and missing from the list
    const forgotten = { contentType: true } satisfies OptionKeys<MessageOptions>;
    // @ts-expect-error remoteAudio is in CallMediaOptions and missing from the list
    const forgottenMedia = { constraints: true } satisfies OptionKeys<CallMediaOptions>;
    expectTypeOf<keyof typeof callKeys>().toEqualTypeOf<keyof CallOptions>();
    expect(Object.keys(forgotten)).toEqual(['contentType']);
    expect(Object.keys(forgottenMedia)).toEqual(['constraints']);
  });

  it.each(Object.keys(callKeys))('call() option %s is known', (key) => {
    const checked = validateCallOptions({ [key]: Symbol('junk') });
    expect(checked).toBeInstanceOf(SipConfigError);
    expect((checked as SipConfigError).field).toBe(`call().${key}`);
    expect((checked as SipConfigError).message).not.toContain('is not a known option');
  });
  it.each(Object.keys(mediaKeys))('call() media option %s is known', (key) => {
    const checked = validateCallOptions({ media: { [key]: Symbol('junk') } });
    expect((checked as SipConfigError).field).toBe(`call().media.${key}`);
    expect((checked as SipConfigError).message).not.toContain('is not a known option');
  });
  it.each(Object.keys(messageKeys))('message() option %s is known', (key) => {
    const checked = validateMessageOptions({ [key]: Symbol('junk') });
    expect((checked as SipConfigError).field).toBe(`message().${key}`);
    expect((checked as SipConfigError).message).not.toContain('is not a known option');
  });
  it('an unknown key is refused by name, inherited ones are never read', () => {
    expect(validateMessageOptions({ priority: 1 })).toMatchObject({
      field: 'message().priority',
      message: expect.stringContaining('is not a known option'),
    });
    expect(validateCallOptions(Object.create({ timeoutSec: 5 }))).toEqual({});
    expect(unknownKey({ toString: 1, constructor: 2 }, messageKeys)).toBe('toString');
  });
});

describe('the DTMF methods are the DtmfMethod type', () => {
  it('isDtmfMethod accepts each of them and nothing else (no inherited key either)', () => {
    expectTypeOf<keyof typeof DTMF_METHODS>().toEqualTypeOf<DtmfMethod>();
    expect(Object.keys(DTMF_METHODS).every(isDtmfMethod)).toBe(true);
    expect(['inband', 'toString', '__proto__', 1, undefined].some(isDtmfMethod)).toBe(false);
  });
});
