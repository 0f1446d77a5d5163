import { describe, expect, it } from 'vitest';
import { createSipClient, SipConfigError, SipError, type SipClientOptions } from '../../src/index';

/** A WebSocket constructor that records every socket anybody tries to open. */
function recordingWebSocket() {
  const opened: string[] = [];
  class RecordingWebSocket {
    constructor(url: string) {
      opened.push(url);
    }
  }
  return { opened, RecordingWebSocket };
}

const valid = (webSocket: SipClientOptions['webSocket']): SipClientOptions => ({
  server: 'wss://sip.example.com:8443',
  uri: 'sip:alice@example.com',
  webSocket,
});

describe('createSipClient options', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['an invalid SIP URI', { uri: 'alice@example.com' }, 'uri'],
    ['a URI with another scheme', { uri: 'tel:+15551234' }, 'uri'],
    ['an empty URI', { uri: '' }, 'uri'],
    ['register: true without a uri', { uri: undefined, register: true }, 'uri'],
    ['a URI object that is not a SIP URI', { uri: { toString: () => 'nope' } }, 'uri'],
    ['an http server', { server: 'http://sip.example.com' }, 'server'],
    ['a server that is no URL', { server: 'sip.example.com' }, 'server'],
    ['an empty server list', { server: [] }, 'server'],
    ['a bad server in a list', { server: ['wss://ok.example.com', 'https://bad.example.com'] }, 'server[1]'],
    ['a password without a username', { authorizationPassword: 'secret' }, 'authorizationPassword'],
    ['an empty username', { authorizationUsername: '' }, 'authorizationUsername'],
    ['expires 0', { expires: 0 }, 'expires'],
    ['negative expires', { expires: -5 }, 'expires'],
    ['fractional expires', { expires: 1.5 }, 'expires'],
    ['expires as a string', { expires: '600' }, 'expires'],
    ['expires NaN', { expires: Number.NaN }, 'expires'],
    ['an unknown logLevel', { logLevel: 'verbose' }, 'logLevel'],
    ['a webSocket that is not a constructor', { webSocket: () => ({}) }, 'webSocket'],
    ['a webSocket that is a string', { webSocket: 'ws' }, 'webSocket'],
    ['register as a string', { register: 'yes' }, 'register'],
    ['an unknown option', { expiry: 60 }, 'expiry'],
    ['reconnect with a jitter above 1', { reconnect: { jitter: 2 } }, 'reconnect.jitter'],
    ['reconnect with an unknown field', { reconnect: { delay: 2 } }, 'reconnect.delay'],
    ['a negative keep-alive interval', { keepAliveIntervalSec: -1 }, 'keepAliveIntervalSec'],
    ['a negative connect jitter', { connectJitterMs: -1 }, 'connectJitterMs'],
    ['a network without online$', { network: {} }, 'network'],
    ['sipOptions.transportOptions', { sipOptions: { transportOptions: { server: 'wss://x' } } }, 'sipOptions.transportOptions'],
    ['sipOptions.uri', { sipOptions: { uri: 'sip:x@y' } }, 'sipOptions.uri'],
    ['sipOptions.authorizationPassword', { sipOptions: { authorizationPassword: 'p' } }, 'sipOptions.authorizationPassword'],
    ['sipOptions.delegate', { sipOptions: { delegate: {} } }, 'sipOptions.delegate'],
    ['sipOptions.reconnectionAttempts', { sipOptions: { reconnectionAttempts: 3 } }, 'sipOptions.reconnectionAttempts'],
    ['sipOptions that is not an object', { sipOptions: 'x' }, 'sipOptions'],
  ];

  it.each(cases)('rejects %s with a SipConfigError naming the field, before touching the network', (_name, patch, field) => {
    const { opened, RecordingWebSocket } = recordingWebSocket();
    const options = { ...valid(RecordingWebSocket), ...patch } as SipClientOptions;
    let thrown: unknown;
    try {
      createSipClient(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SipConfigError);
    expect(thrown).toBeInstanceOf(SipError);
    const error = thrown as SipConfigError;
    expect(error.kind).toBe('config');
    expect(error.field).toBe(field);
    expect(error.message).toContain(`\`${field}\``);
    expect(opened).toEqual([]);
  });

  it('accepts a sip.js URI and passes other sip.js options through', async () => {
    const { UserAgent } = await import('sip.js');
    const { RecordingWebSocket } = recordingWebSocket();
    const client = createSipClient({
      ...valid(RecordingWebSocket),
      uri: UserAgent.makeURI('sip:bob@example.com')!,
      sipOptions: { displayName: 'Bob', userAgentString: 'test/1.0', contactParams: { transport: 'ws' } },
    });
    expect(client.getState().identity).toEqual({ anonymous: false, uri: 'sip:bob@example.com' });
    client.dispose();
  });

  it('without a uri is anonymous, and register() rejects with kind config without starting anything', async () => {
    const { opened, RecordingWebSocket } = recordingWebSocket();
    const client = createSipClient({ server: 'wss://sip.example.com', webSocket: RecordingWebSocket });
    expect(client.getState().identity).toEqual({ anonymous: true });
    const error = await client.register().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipError);
    expect(error).toMatchObject({ kind: 'config' });
    expect((error as Error).message).toMatch(/needs a `uri`/);
    expect(client.getState().userAgent.status).toBe('stopped');
    expect(opened).toEqual([]);
    client.dispose();
  });

  it('never echoes the password in a config error', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    try {
      createSipClient({ ...valid(RecordingWebSocket), authorizationPassword: 'hunter2-secret' });
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2-secret');
    }
  });

  it('requires a WebSocket constructor where the platform has none', () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket;
    try {
      expect(() => createSipClient({ server: 'ws://127.0.0.1:1', uri: 'sip:a@b.test' })).toThrowError(/`webSocket`/);
    } finally {
      if (saved !== undefined) global.WebSocket = saved;
    }
  });

  it('accepts valid options without opening anything, and replays the initial state synchronously', () => {
    const { opened, RecordingWebSocket } = recordingWebSocket();
    const client = createSipClient({
      ...valid(RecordingWebSocket),
      server: ['wss://a.example.com', 'ws://b.example.com:8080/ws'],
      authorizationUsername: 'alice',
      authorizationPassword: 'secret',
      expires: 60,
      register: true,
      logLevel: 'error',
      reconnect: { maxAttempts: 3 },
    });
    const seen: unknown[] = [];
    client.state$.subscribe((state) => seen.push(state)).unsubscribe();
    expect(seen).toEqual([
      {
        transport: { status: 'disconnected', attempt: 0 },
        userAgent: { status: 'stopped' },
        registration: { status: 'unregistered' },
        identity: { anonymous: false, uri: 'sip:alice@example.com' },
      },
    ]);
    expect(client.getState()).toEqual(seen[0]);
    expect(opened).toEqual([]);
    client.dispose();
  });

  it('completes every stream on dispose, and commands after it reject without throwing', async () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const client = createSipClient(valid(RecordingWebSocket));
    const completed: string[] = [];
    const streams: [string, { subscribe(observer: { complete(): void }): unknown }][] = [
      ['transport$', client.transport$],
      ['userAgent$', client.userAgent$],
      ['registration$', client.registration$],
      ['state$', client.state$],
    ];
    for (const [name, stream] of streams) stream.subscribe({ complete: () => completed.push(name) });
    client.dispose();
    client.dispose();
    expect(completed.sort()).toEqual(['registration$', 'state$', 'transport$', 'userAgent$']);
    await expect(client.start()).rejects.toMatchObject({ kind: 'cancelled' });
    await expect(client.register()).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
