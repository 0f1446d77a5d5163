import { BehaviorSubject, Observable } from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createSipClient, SipConfigError, SipError, type DtmfMethod, type SipClientOptions } from '../../src/index';
import { DTMF_METHODS, type OptionKeys } from '../../src/call-options';
import {
  newInstanceId,
  resolveOptions,
  type CallDefaults,
  type IceServer,
  type MediaMode,
  type ReconnectOptions,
  type ResolvedOptions,
} from '../../src/options';

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
    ['a username with CRLF', { authorizationUsername: 'alice\r\nX: 1' }, 'authorizationUsername'],
    ['an HA1 that is not 32 hex digits', { authorizationUsername: 'a', authorizationHa1: 'abc' }, 'authorizationHa1'],
    ['an HA1 of 33 hex digits', { authorizationUsername: 'a', authorizationHa1: 'a'.repeat(33) }, 'authorizationHa1'],
    ['an HA1 as a number', { authorizationUsername: 'a', authorizationHa1: 12 }, 'authorizationHa1'],
    ['an HA1 without a username', { authorizationHa1: 'a'.repeat(32) }, 'authorizationHa1'],
    [
      'an HA1 with a password',
      { authorizationUsername: 'a', authorizationPassword: 'p', authorizationHa1: 'a'.repeat(32) },
      'authorizationHa1',
    ],
    ['credentials that are no function', { credentials: { username: 'a', password: 'p' } }, 'credentials'],
    [
      'credentials with a static password',
      { credentials: () => ({ username: 'a', password: 'p' }), authorizationUsername: 'a', authorizationPassword: 'p' },
      'credentials',
    ],
    [
      'credentials with a static username',
      { credentials: () => ({ username: 'a', password: 'p' }), authorizationUsername: 'a' },
      'credentials',
    ],
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
    [
      'sipOptions.transportOptions',
      { sipOptions: { transportOptions: { server: 'wss://x' } } },
      'sipOptions.transportOptions',
    ],
    ['sipOptions.uri', { sipOptions: { uri: 'sip:x@y' } }, 'sipOptions.uri'],
    [
      'sipOptions.authorizationPassword',
      { sipOptions: { authorizationPassword: 'p' } },
      'sipOptions.authorizationPassword',
    ],
    ['sipOptions.delegate', { sipOptions: { delegate: {} } }, 'sipOptions.delegate'],
    ['sipOptions.reconnectionAttempts', { sipOptions: { reconnectionAttempts: 3 } }, 'sipOptions.reconnectionAttempts'],
    ['sipOptions that is not an object', { sipOptions: 'x' }, 'sipOptions'],
    // Upper bounds: a delay above 2^31-1 ms fires at once, a huge expires goes on the wire as 1e+21.
    ['expires 2^53', { expires: 2 ** 53 }, 'expires'],
    ['expires 1e21', { expires: 1e21 }, 'expires'],
    ['expires above a day', { expires: 86_401 }, 'expires'],
    ['expires Infinity', { expires: Infinity }, 'expires'],
    ['a keep-alive interval of 1 ms', { keepAliveIntervalSec: 0.001 }, 'keepAliveIntervalSec'],
    ['a keep-alive interval of 2.2e6 s', { keepAliveIntervalSec: 2.2e6 }, 'keepAliveIntervalSec'],
    ['a keep-alive interval above an hour', { keepAliveIntervalSec: 3_601 }, 'keepAliveIntervalSec'],
    ['a keep-alive interval of NaN', { keepAliveIntervalSec: Number.NaN }, 'keepAliveIntervalSec'],
    ['a connect jitter above ten minutes', { connectJitterMs: 600_001 }, 'connectJitterMs'],
    ['reconnect.maxDelayMs 1e12', { reconnect: { maxDelayMs: 1e12 } }, 'reconnect.maxDelayMs'],
    [
      'reconnect.initialDelayMs above an hour',
      { reconnect: { initialDelayMs: 3_600_001 } },
      'reconnect.initialDelayMs',
    ],
    ['a negative reconnect.initialDelayMs', { reconnect: { initialDelayMs: -1 } }, 'reconnect.initialDelayMs'],
    ['reconnect.multiplier above 10', { reconnect: { multiplier: 11 } }, 'reconnect.multiplier'],
    ['reconnect.multiplier below 1', { reconnect: { multiplier: 0.5 } }, 'reconnect.multiplier'],
    ['a negative reconnect.jitter', { reconnect: { jitter: -0.1 } }, 'reconnect.jitter'],
    ['reconnect.maxAttempts 0', { reconnect: { maxAttempts: 0 } }, 'reconnect.maxAttempts'],
    ['fractional reconnect.maxAttempts', { reconnect: { maxAttempts: 1.5 } }, 'reconnect.maxAttempts'],
    ['reconnect.maxAttempts above a million', { reconnect: { maxAttempts: 1_000_001 } }, 'reconnect.maxAttempts'],
    ['reconnect.maxAttempts -Infinity', { reconnect: { maxAttempts: -Infinity } }, 'reconnect.maxAttempts'],
    ['maxMessageBytes below 1 KiB', { maxMessageBytes: 1_023 }, 'maxMessageBytes'],
    ['maxMessageBytes above 16 MiB', { maxMessageBytes: 16_777_217 }, 'maxMessageBytes'],
    ['fractional maxMessageBytes', { maxMessageBytes: 65_536.5 }, 'maxMessageBytes'],
    ['maxMessageBytes as a string', { maxMessageBytes: '65536' }, 'maxMessageBytes'],
    // Own keys only: `in` would find these on Object.prototype.
    ['reconnect.toString', { reconnect: { toString: 1 } }, 'reconnect.toString'],
    ['reconnect.constructor', { reconnect: JSON.parse('{"constructor": 1}') as object }, 'reconnect.constructor'],
    [
      'reconnect.__proto__ (own, from JSON)',
      { reconnect: JSON.parse('{"__proto__": {"initialDelayMs": 0}}') as object },
      'reconnect.__proto__',
    ],
    ['logger: null', { logger: null }, 'logger'],
    ['a logger without error()', { logger: { debug() {}, log() {}, warn() {} } }, 'logger'],
    ['a logger without info() or log()', { logger: { debug() {}, warn() {}, error() {} } }, 'logger'],
    ['a logger whose info is no function', { logger: { debug() {}, info: 'x', warn() {}, error() {} } }, 'logger'],
    ["logLevel 'trace'", { logLevel: 'trace' }, 'logLevel'],
    // Text that goes into SIP headers: a CR or LF would start a header of the caller's choosing.
    [
      'a userAgentString with CRLF',
      { sipOptions: { userAgentString: 'x/1.0\r\nX-Injected: 1' } },
      'sipOptions.userAgentString',
    ],
    ['a displayName with LF', { sipOptions: { displayName: 'Alice\nRoute: <sip:evil>' } }, 'sipOptions.displayName'],
    ['a contactName with NUL', { sipOptions: { contactName: 'alice\0' } }, 'sipOptions.contactName'],
    ['a viaHost with CR', { sipOptions: { viaHost: 'h.invalid\r' } }, 'sipOptions.viaHost'],
    [
      'a contactParams value with CRLF',
      { sipOptions: { contactParams: { transport: 'ws\r\nX: 1' } } },
      'sipOptions.contactParams.transport',
    ],
    [
      'a contactParams key with LF',
      { sipOptions: { contactParams: { 'a\nb': 'c' } } },
      'sipOptions.contactParams (a key)',
    ],
    [
      'a preloadedRouteSet entry with CRLF',
      { sipOptions: { preloadedRouteSet: ['<sip:a>', '<sip:b>\r\nX: 1'] } },
      'sipOptions.preloadedRouteSet[1]',
    ],
    ['an instanceId with LF', { sipOptions: { instanceId: 'x\ny' } }, 'sipOptions.instanceId'],
    ['any other string field with CRLF', { sipOptions: { someFutureOption: 'a\r\nb' } }, 'sipOptions.someFutureOption'],
    // network.online$: an Observable or an interop observable, nothing else.
    [
      'a Svelte-store-shaped online$',
      { network: { online$: { subscribe: () => () => undefined } } },
      'network.online$',
    ],
    ['an online$ that is a number', { network: { online$: 5 } }, 'network'],
    ['an online$ that is a promise', { network: { online$: Promise.resolve(true) } }, 'network.online$'],
    ['an online$ that is an array', { network: { online$: [true] } }, 'network.online$'],
    ['an unknown network field', { network: { online$: new BehaviorSubject(true), offline$: 1 } }, 'network.offline$'],
    ['network: null', { network: null }, 'network'],
  ];

  it.each(cases)(
    'rejects %s with a SipConfigError naming the field, before touching the network',
    (_name, patch, field) => {
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
    },
  );

  it('gives the allowed range in the message of a number out of bounds', () => {
    const message = (patch: Record<string, unknown>): string => {
      try {
        resolveOptions({ ...valid(recordingWebSocket().RecordingWebSocket), ...patch } as SipClientOptions);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message({ expires: 1e21 })).toBe(
      'sipstate: `expires` must be an integer from 1 to 86400 seconds, got 1e+21',
    );
    expect(message({ keepAliveIntervalSec: 0.001 })).toBe(
      'sipstate: `keepAliveIntervalSec` must be 0 or a number from 1 to 3600 seconds, got 0.001',
    );
    expect(message({ connectJitterMs: 1e9 })).toMatch(/from 0 to 600000 ms, got 1000000000$/);
    expect(message({ reconnect: { maxDelayMs: 1e12 } })).toMatch(/from 0 to 3600000 ms, got 1000000000000$/);
    expect(message({ reconnect: { multiplier: 11 } })).toMatch(/a number from 1 to 10, got 11$/);
    expect(message({ reconnect: { jitter: 2 } })).toMatch(/a number from 0 to 1, got 2$/);
    expect(message({ reconnect: { maxAttempts: 0 } })).toMatch(/an integer from 1 to 1000000, or Infinity, got 0$/);
    expect(message({ maxMessageBytes: 100 })).toMatch(/an integer from 1024 to 16777216 bytes, got 100$/);
  });

  it('accepts every bound itself, and resolves maxMessageBytes (default 65,536)', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    expect(resolveOptions(valid(RecordingWebSocket)).maxMessageBytes).toBe(65_536);
    const low = resolveOptions({
      ...valid(RecordingWebSocket),
      expires: 1,
      keepAliveIntervalSec: 0,
      connectJitterMs: 0,
      maxMessageBytes: 1_024,
      reconnect: { initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0, maxAttempts: 1 },
    });
    expect(low).toMatchObject({
      expires: 1,
      keepAliveIntervalMs: 0,
      connectJitterMs: 0,
      maxMessageBytes: 1_024,
      reconnect: { initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0, maxAttempts: 1 },
    });
    const high = resolveOptions({
      ...valid(RecordingWebSocket),
      expires: 86_400,
      keepAliveIntervalSec: 3_600,
      connectJitterMs: 600_000,
      maxMessageBytes: 16_777_216,
      reconnect: {
        initialDelayMs: 3_600_000,
        maxDelayMs: 3_600_000,
        multiplier: 10,
        jitter: 1,
        maxAttempts: 1_000_000,
      },
    });
    expect(high).toMatchObject({
      expires: 86_400,
      keepAliveIntervalMs: 3_600_000,
      connectJitterMs: 600_000,
      maxMessageBytes: 16_777_216,
      reconnect: {
        initialDelayMs: 3_600_000,
        maxDelayMs: 3_600_000,
        multiplier: 10,
        jitter: 1,
        maxAttempts: 1_000_000,
      },
    });
    expect(resolveOptions({ ...valid(RecordingWebSocket), keepAliveIntervalSec: 1 }).keepAliveIntervalMs).toBe(1_000);
    expect(
      resolveOptions({ ...valid(RecordingWebSocket), reconnect: { maxAttempts: Infinity } }).reconnect,
    ).toMatchObject({ maxAttempts: Infinity });
  });

  it("accepts logLevel 'info', 'silent' and the alias 'log' (as 'info'), and loggers with info() or log()", () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const levels = (['debug', 'info', 'log', 'warn', 'error', 'silent'] as const).map(
      (logLevel) => resolveOptions({ ...valid(RecordingWebSocket), logLevel }).logLevel,
    );
    expect(levels).toEqual(['debug', 'info', 'info', 'warn', 'error', 'silent']);
    // pino's shape: methods on a prototype, `info` and no `log`.
    class PinoShaped {
      debug(_message: string): void {}
      info(_message: string): void {}
      warn(_message: string): void {}
      error(_message: string): void {}
    }
    const pino = new PinoShaped();
    expect(resolveOptions({ ...valid(RecordingWebSocket), logger: pino }).logger).toBe(pino);
    const former = { debug() {}, log() {}, warn() {}, error() {} };
    expect(resolveOptions({ ...valid(RecordingWebSocket), logger: former }).logger).toBe(former);
    expect(resolveOptions(valid(RecordingWebSocket)).logger).toBe(console);
    const refused = () =>
      resolveOptions({ ...valid(RecordingWebSocket), logger: { debug() {}, warn() {}, error() {} } as never });
    expect(refused).toThrow(
      '`logger` must have debug, info, warn and error methods (`log` in place of `info` works too), got an object',
    );
  });

  it('takes credentials given as undefined (process.env.X under exactOptionalPropertyTypes) as left out', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const resolved = resolveOptions({
      ...valid(RecordingWebSocket),
      authorizationUsername: undefined,
      authorizationPassword: undefined,
    });
    expect(Object.hasOwn(resolved, 'authorizationUsername')).toBe(false);
    expect(Object.hasOwn(resolved, 'authorizationPassword')).toBe(false);
    // A password with an undefined user name is still a password without a user name.
    expect(() =>
      resolveOptions({ ...valid(RecordingWebSocket), authorizationUsername: undefined, authorizationPassword: 'p' }),
    ).toThrow(SipConfigError);
  });

  it('reads only own properties: a polluted Object.prototype changes nothing', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.logger = null;
    prototype.expires = 1e21;
    prototype.initialDelayMs = 0;
    try {
      const resolved = resolveOptions({ ...valid(RecordingWebSocket), reconnect: {} });
      expect(resolved.logger).toBe(console);
      expect(resolved.expires).toBe(600);
      expect(resolved.reconnect).toMatchObject({ initialDelayMs: 500 });
    } finally {
      delete prototype.logger;
      delete prototype.expires;
      delete prototype.initialDelayMs;
    }
  });

  it('takes sipOptions keys that only Object.prototype has as what they are, not as options sipstate owns', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const sipOptions = JSON.parse('{"constructor": "x", "toString": "y"}') as SipClientOptions['sipOptions'];
    expect(resolveOptions({ ...valid(RecordingWebSocket), sipOptions }).sipOptions).toBe(sipOptions);
  });

  it('accepts header text without CR, LF or NUL, and media handler options whatever their text', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const sipOptions = {
      displayName: 'Alice "A" Smith',
      userAgentString: 'my-phone/1.0 (Linux; x64)',
      contactParams: { transport: 'ws', 'x-tab': 'a\tb' },
      preloadedRouteSet: ['<sip:proxy.example.com;lr>'],
      sessionDescriptionHandlerFactoryOptions: {
        peerConnectionConfiguration: { certificates: [], note: 'multi\nline' },
      },
    };
    expect(resolveOptions({ ...valid(RecordingWebSocket), sipOptions }).sipOptions).toBe(sipOptions);
  });

  it("never shows a URL's user-info or query values in a config error", () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const url = 'ws://alice:s3cret@127.0.0.1:1/x?token=t0k';
    const cases: Record<string, unknown>[] = [
      { server: url.replace('ws:', 'http:') },
      { server: url.replace('ws:', 'wsx:') },
      { server: url.replace(':1/', ':99999/') },
      { server: url.replace('127.0.0.1:1', '') },
      { server: url.replace('ws://', '') },
      { server: ['wss://ok.example.com', url.replace('ws:', 'ftp:')] },
      { server: url, expires: 0 },
      { server: url, network: { online$: { subscribe() {} } } },
      { server: url, sipOptions: { userAgentString: `${url}\r\n` } },
    ];
    for (const patch of cases) {
      let thrown: unknown;
      try {
        createSipClient({ ...valid(RecordingWebSocket), ...patch } as SipClientOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(patch)).toBeInstanceOf(SipConfigError);
      const text = `${(thrown as Error).message} ${JSON.stringify(thrown)} ${String(thrown)}`;
      for (const secret of [url, 's3cret', 't0k']) expect(text, JSON.stringify(patch)).not.toContain(secret);
    }
    // What is shown still says what is wrong.
    expect(() => createSipClient({ ...valid(RecordingWebSocket), server: url.replace('ws:', 'http:') })).toThrowError(
      'sipstate: `server` must be a ws:// or wss:// URL, got "http://***@127.0.0.1:1/x?token=***"',
    );
  });

  it('refuses a Svelte-store-shaped online$ with a SipConfigError, and nothing throws later', async () => {
    const problems: unknown[] = [];
    const onProblem = (error: unknown): void => {
      problems.push(error);
    };
    process.on('uncaughtException', onProblem);
    process.on('unhandledRejection', onProblem);
    try {
      const { opened, RecordingWebSocket } = recordingWebSocket();
      let value = true;
      const store = {
        subscribe(run: (online: boolean) => void) {
          run(value);
          return () => undefined;
        },
        set(next: boolean) {
          value = next;
        },
      };
      expect(() =>
        createSipClient({ ...valid(RecordingWebSocket), network: { online$: store as never } }),
      ).toThrowError(SipConfigError);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(problems).toEqual([]);
      expect(opened).toEqual([]);
    } finally {
      process.off('uncaughtException', onProblem);
      process.off('unhandledRejection', onProblem);
    }
  });

  it('survives an inspect that throws: logged once, the client carries on, nothing throws later', async () => {
    const problems: unknown[] = [];
    const onProblem = (error: unknown): void => {
      problems.push(error);
    };
    process.on('uncaughtException', onProblem);
    process.on('unhandledRejection', onProblem);
    try {
      const { opened, RecordingWebSocket } = recordingWebSocket();
      const errors: string[] = [];
      const logger = { debug() {}, log() {}, warn() {}, error: (line: string) => errors.push(line) };
      let events = 0;
      const inspect = (): void => {
        events++;
        throw new Error('inspector failed');
      };
      const client = createSipClient({ ...valid(RecordingWebSocket), inspect, logger });
      void client.start();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(opened).toEqual(['wss://sip.example.com:8443']);
      expect(events).toBeGreaterThan(1);
      expect(errors).toEqual([expect.stringMatching(/the inspect option threw .*inspector failed/)]);
      expect(problems).toEqual([]);
      client.dispose();
    } finally {
      process.off('uncaughtException', onProblem);
      process.off('unhandledRejection', onProblem);
    }
  });

  it('takes an interop observable for network.online$ and follows it', async () => {
    const { opened, RecordingWebSocket } = recordingWebSocket();
    const online$ = new BehaviorSubject(false);
    let interopCalls = 0;
    const interop = {
      '@@observable': () => {
        interopCalls++;
        return online$;
      },
    };
    const client = createSipClient({ ...valid(RecordingWebSocket), network: { online$: interop } });
    void client.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(interopCalls).toBe(1);
    // Offline: no connection attempt is spent.
    expect(opened).toEqual([]);
    online$.next(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(opened).toEqual(['wss://sip.example.com:8443']);
    client.dispose();
  });

  it('takes an RxJS Observable for network.online$, and a failing one counts as online', async () => {
    const { opened, RecordingWebSocket } = recordingWebSocket();
    const failing$ = new Observable<boolean>((subscriber) => {
      subscriber.next(false);
      subscriber.error(new Error('connectivity source broke'));
    });
    const warnings: string[] = [];
    const logger = { debug() {}, log() {}, warn: (line: string) => warnings.push(line), error() {} };
    const client = createSipClient({ ...valid(RecordingWebSocket), network: { online$: failing$ }, logger });
    void client.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(opened).toEqual(['wss://sip.example.com:8443']);
    expect(warnings.join('\n')).toMatch(/network\.online\$ failed; assuming online/);
    client.dispose();
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

  it('never echoes an HA1 in a config error, and keeps a good one in lower case', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const bad = `${'f'.repeat(31)}g-secret-ha1`;
    const error = (() => {
      try {
        createSipClient({ ...valid(RecordingWebSocket), authorizationUsername: 'alice', authorizationHa1: bad });
      } catch (thrown) {
        return thrown as SipConfigError;
      }
    })();
    expect(error).toBeInstanceOf(SipConfigError);
    expect(error?.field).toBe('authorizationHa1');
    expect(error?.message).not.toContain('secret-ha1');
    const ha1 = 'ABCDEF0123456789ABCDEF0123456789';
    const resolved = resolveOptions({
      ...valid(RecordingWebSocket),
      authorizationUsername: 'alice',
      authorizationHa1: ha1,
    });
    expect(resolved.authorizationHa1).toBe(ha1.toLowerCase());
    expect(resolved).not.toHaveProperty('authorizationPassword');
  });

  it('keeps a credentials provider as given, with no static credentials beside it', () => {
    const { RecordingWebSocket } = recordingWebSocket();
    const credentials = async () => ({ username: 'alice', password: 'p' });
    const resolved = resolveOptions({ ...valid(RecordingWebSocket), credentials });
    expect(resolved.credentials).toBe(credentials);
    expect(resolved).not.toHaveProperty('authorizationUsername');
    expect(resolved).not.toHaveProperty('authorizationPassword');
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
        transport: { status: 'disconnected' },
        userAgent: { status: 'stopped' },
        registration: { status: 'unregistered' },
        identity: { anonymous: false, uri: 'sip:alice@example.com' },
        tab: { role: 'leader' },
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

describe('the known-option lists are derived from the option types', () => {
  // Each list below is checked by the compiler against its type (`satisfies OptionKeys<T>`, as src/options.ts does
  // with its own lists): these lines are compiled by `npx tsc --noEmit -p .`, and a list that misses a key of the type
  // is a compile error, which the @ts-expect-error lines assert.
  const clientKeys = {
    server: true,
    uri: true,
    authorizationUsername: true,
    authorizationPassword: true,
    expires: true,
    register: true,
    webSocket: true,
    inspect: true,
    logLevel: true,
    logger: true,
    reconnect: true,
    instanceId: true,
    instanceIdStorage: true,
    keepAliveIntervalSec: true,
    connectJitterMs: true,
    timeouts: true,
    maxMessageBytes: true,
    network: true,
    sipOptions: true,
    calls: true,
    fastParser: true,
    authorizationHa1: true,
    credentials: true,
    tabs: true,
  } satisfies OptionKeys<SipClientOptions>;
  const callKeys = {
    media: true,
    unansweredTimeoutSec: true,
    dtmf: true,
    iceServers: true,
    maxIncoming: true,
    acceptTransfer: true,
  } satisfies OptionKeys<CallDefaults>;
  const reconnectKeys = {
    initialDelayMs: true,
    maxDelayMs: true,
    multiplier: true,
    jitter: true,
    maxAttempts: true,
  } satisfies OptionKeys<ReconnectOptions>;

  it('a list that forgets a key of its type, or has one too many, does not compile', () => {
    const { fastParser: _forgotten, ...withoutOne } = clientKeys;
    // @ts-expect-error fastParser is in SipClientOptions and missing from the list
    const forgotten = withoutOne satisfies OptionKeys<SipClientOptions>;
    // @ts-expect-error `timeoutSec` is no key of CallDefaults
    const extra = { ...callKeys, timeoutSec: true } satisfies OptionKeys<CallDefaults>;
    const { jitter: _jitter, ...reconnectWithoutOne } = reconnectKeys;
    // @ts-expect-error jitter is in ReconnectOptions and missing from the list
    const forgottenReconnect = reconnectWithoutOne satisfies OptionKeys<ReconnectOptions>;
    expectTypeOf<keyof typeof clientKeys>().toEqualTypeOf<keyof SipClientOptions>();
    expect(Object.keys(forgotten)).not.toContain('fastParser');
    expect(Object.keys(extra)).toContain('timeoutSec');
    expect(Object.keys(forgottenReconnect)).not.toContain('jitter');
  });

  it('the allowed values are the ones of the types (media mode, DTMF method)', () => {
    expectTypeOf<keyof typeof DTMF_METHODS>().toEqualTypeOf<DtmfMethod>();
    expectTypeOf<NonNullable<CallDefaults['media']>>().toEqualTypeOf<MediaMode>();
    expectTypeOf<NonNullable<CallDefaults['dtmf']>>().toEqualTypeOf<DtmfMethod>();
    expectTypeOf<ResolvedOptions['calls']['media']>().toEqualTypeOf<MediaMode>();
    expectTypeOf<ResolvedOptions['calls']['dtmf']>().toEqualTypeOf<DtmfMethod>();
    expectTypeOf<NonNullable<ResolvedOptions['calls']['iceServers']>>().toEqualTypeOf<IceServer[]>();
    for (const dtmf of Object.keys(DTMF_METHODS)) {
      expect(
        resolveOptions({
          ...valid(recordingWebSocket().RecordingWebSocket as never),
          calls: { dtmf: dtmf as DtmfMethod },
        }).calls.dtmf,
      ).toBe(dtmf);
    }
    expect(() =>
      resolveOptions({
        ...valid(recordingWebSocket().RecordingWebSocket as never),
        calls: { dtmf: 'inband' as never },
      }),
    ).toThrow("`calls.dtmf` must be 'auto', 'rfc4733' or 'info', got \"inband\"");
  });

  // Every key of each type is known at run time: a key the type has is never refused as unknown (its value may be
  // refused, by name, for what it is).
  const refusal = (options: Record<string, unknown>): string | undefined => {
    try {
      resolveOptions({ ...valid(recordingWebSocket().RecordingWebSocket as never), ...options } as SipClientOptions);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it.each(Object.keys(clientKeys))('%s is a known option', (key) => {
    expect(refusal({ [key]: Symbol('junk') }) ?? '').not.toContain('is not a known option');
  });
  it.each(Object.keys(callKeys))('calls.%s is a known option', (key) => {
    expect(refusal({ calls: { [key]: Symbol('junk') } }) ?? '').not.toContain('is not a known option');
  });
  it.each(Object.keys(reconnectKeys))('reconnect.%s is a known option', (key) => {
    expect(refusal({ reconnect: { [key]: Symbol('junk') } }) ?? '').not.toContain('is not a known option');
  });
  it('a key of no type is refused at every level', () => {
    expect(refusal({ servers: ['wss://x.example.com'] })).toContain('`servers` is not a known option');
    expect(refusal({ calls: { dtmfMethod: 'info' } })).toContain('`calls.dtmfMethod` is not a known option');
    expect(refusal({ reconnect: { delayMs: 5 } })).toContain('`reconnect.delayMs` is not a known option');
    expect(refusal({ network: { online: true } })).toContain('`network.online` is not a known option');
    expect(refusal({ calls: { iceServers: [{ urls: 'stun:x.example.com', password: 'p' }] } })).toContain(
      '`calls.iceServers[0].password` is not a known option',
    );
  });
});

describe('instanceId (RFC 5626 +sip.instance)', () => {
  const { RecordingWebSocket } = recordingWebSocket();
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('keeps a given UUID (lower-cased)', () => {
    const instanceId = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
    expect(resolveOptions({ ...valid(RecordingWebSocket), instanceId }).instanceId).toBe(instanceId.toLowerCase());
  });

  it('generates a different version 4 UUID for each client when none is given', () => {
    const first = resolveOptions(valid(RecordingWebSocket)).instanceId;
    const second = resolveOptions(valid(RecordingWebSocket)).instanceId;
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });

  it('generates UUIDs without crypto.randomUUID, and without crypto at all', () => {
    const crypto = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
    try {
      Object.defineProperty(globalThis, 'crypto', {
        configurable: true,
        value: { getRandomValues: (bytes: Uint8Array) => bytes.fill(0xff) },
      });
      expect(newInstanceId()).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
      Object.defineProperty(globalThis, 'crypto', { configurable: true, value: undefined });
      const ids = [newInstanceId(), newInstanceId()];
      for (const id of ids) expect(id).toMatch(UUID);
      expect(ids[0]).not.toBe(ids[1]);
    } finally {
      Object.defineProperty(globalThis, 'crypto', crypto);
    }
  });

  it.each([
    ['a string too short', '3f2504e0-4f89-41d3-9a0c-0305e82c330'],
    ['a UUID with a CRLF after it', '3f2504e0-4f89-41d3-9a0c-0305e82c3301\r\nX: y'],
    ['a UUID with a quote inside', '3f2504e0-4f89-41d3-9a0c-0305e82c33"1'],
    ['a urn:uuid: prefix', 'urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301'],
    ['a number', 42],
    ['null', null],
    ['an empty string', ''],
  ])('refuses %s, without echoing it', (_name, instanceId) => {
    const attempt = () => resolveOptions({ ...valid(RecordingWebSocket), instanceId } as SipClientOptions);
    expect(attempt).toThrow(SipConfigError);
    expect(attempt).toThrow(/instanceId/);
    if (typeof instanceId === 'string' && instanceId !== '') {
      expect(() => attempt()).not.toThrow(instanceId);
    }
  });
});

describe('instanceIdStorage', () => {
  const { RecordingWebSocket } = recordingWebSocket();
  const KEY = 'sipstate.instanceId';
  const KEPT = '0e6b7f6a-5d1c-4c1e-9d3a-6c2f1b7e8a90';

  function memoryStorage(initial: Record<string, string> = {}) {
    const items = new Map(Object.entries(initial));
    return {
      items,
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
    };
  }

  it('keeps a generated id, and a later client (a reloaded tab) reuses it', () => {
    const storage = memoryStorage();
    const first = resolveOptions({ ...valid(RecordingWebSocket), instanceIdStorage: storage }).instanceId;
    expect(storage.items.get(KEY)).toBe(first);
    expect(resolveOptions({ ...valid(RecordingWebSocket), instanceIdStorage: storage }).instanceId).toBe(first);
  });

  it('reuses a kept UUID; replaces anything else kept there', () => {
    expect(
      resolveOptions({ ...valid(RecordingWebSocket), instanceIdStorage: memoryStorage({ [KEY]: KEPT }) }).instanceId,
    ).toBe(KEPT);
    const bad = memoryStorage({ [KEY]: `${KEPT}\r\nX: y` });
    const id = resolveOptions({ ...valid(RecordingWebSocket), instanceIdStorage: bad }).instanceId;
    expect(id).not.toContain('\r');
    expect(id).toHaveLength(36);
    expect(bad.items.get(KEY)).toBe(id);
  });

  it('a storage that throws is as if absent', () => {
    const throwing = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('full');
      },
    };
    expect(resolveOptions({ ...valid(RecordingWebSocket), instanceIdStorage: throwing }).instanceId).toHaveLength(36);
  });

  it('a given instanceId wins and nothing is written', () => {
    const storage = memoryStorage({ [KEY]: KEPT });
    const instanceId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    expect(resolveOptions({ ...valid(RecordingWebSocket), instanceId, instanceIdStorage: storage }).instanceId).toBe(
      instanceId,
    );
    expect(storage.items.get(KEY)).toBe(KEPT);
  });

  it('defaults to sessionStorage where the platform has one (one id per tab); false keeps nothing', () => {
    const session = memoryStorage({ [KEY]: KEPT });
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'sessionStorage');
    try {
      Object.defineProperty(globalThis, 'sessionStorage', { configurable: true, value: session });
      expect(resolveOptions(valid(RecordingWebSocket)).instanceId).toBe(KEPT);
      expect(resolveOptions({ ...valid(RecordingWebSocket), instanceIdStorage: false }).instanceId).not.toBe(KEPT);
    } finally {
      if (descriptor) Object.defineProperty(globalThis, 'sessionStorage', descriptor);
      else delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
    }
  });

  it.each([null, 'session', { getItem() {} }, true])('refuses %j', (instanceIdStorage) => {
    expect(() =>
      resolveOptions({ ...valid(RecordingWebSocket), instanceIdStorage } as unknown as SipClientOptions),
    ).toThrow(/instanceIdStorage/);
  });
});
