import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createSipClient, SipConfigError, type SipClientOptions } from '../../src/index';

class UnusedWebSocket {
  constructor() {
    throw new Error('no socket may be opened by these tests');
  }
}

const base: SipClientOptions = { server: 'wss://sip.example.com', uri: 'sip:alice@example.com', webSocket: UnusedWebSocket as never };

describe('calls options and commands on a client that never started', () => {
  it.each([
    [{ media: 'webrtc' }, 'calls.media'],
    [{ dtmf: 'tones' }, 'calls.dtmf'],
    [{ unansweredTimeoutSec: 0 }, 'calls.unansweredTimeoutSec'],
    [{ iceServers: 'stun:x' }, 'calls.iceServers'],
    [{ ring: true }, 'calls.ring'],
  ])('rejects calls: %j naming %s', (calls, field) => {
    expect(() => createSipClient({ ...base, calls } as never)).toThrow(SipConfigError);
    try {
      createSipClient({ ...base, calls } as never);
    } catch (error) {
      expect((error as SipConfigError).field).toBe(field);
    }
  });

  it('call() returns a Call that fails at once, and every method answers with a clear error', async () => {
    const client = createSipClient({ ...base, calls: { media: 'signaling', unansweredTimeoutSec: 5, dtmf: 'info', iceServers: [] } });
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
    await expect(call.sendDtmf('x')).rejects.toMatchObject({ kind: 'config', message: expect.stringContaining('digits') });
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
