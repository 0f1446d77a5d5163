/**
 * The REGISTER channel's parsing of what a registrar sends (only RFC 3261 delta-seconds count), and its refusal to
 * put anything but an integer 0..MAX_EXPIRES_SEC into a REGISTER, with sip.js's real parser and user agent core (its
 * `register` replaced so the test sees each request and answers it).
 */
import { Core, EmitterImpl, Grammar, TransportState, UserAgent, type Transport } from 'sip.js';
import { describe, expect, it } from 'vitest';
import { MAX_EXPIRES_SEC, type RegisterOutcome } from '../../machines/registration.machine';
import type { SipError } from '../../src/errors';
import { errorFromResponse } from '../../src/sip/response-error';
import {
  formatExpires,
  MAX_FLOW_TIMER_SEC,
  parseDeltaSeconds,
  parseFlowTimer,
  parseRetryAfter,
  RegistrationChannel,
} from '../../src/sip/registration-channel';

const silent = { debug() {}, log() {}, warn() {}, error() {} };

describe('delta-seconds parsing', () => {
  it.each([
    ['600', 600],
    [' 600 ', 600],
    ['0', 0],
    ['9999999999', 9_999_999_999],
    [600, 600],
  ])('%j is %s', (value, expected) => {
    expect(parseDeltaSeconds(value)).toBe(expected);
  });

  it.each([
    '1e300',
    '1e+21',
    '0x10',
    '-5',
    '2.5',
    '+5',
    '',
    ' ',
    '99999999999',
    '9007199254740992',
    'Infinity',
    'NaN',
    '5 s',
    undefined,
    null,
    {},
  ])('%j is not delta-seconds', (value) => {
    expect(parseDeltaSeconds(value)).toBeUndefined();
  });

  it.each([
    ['120', 120],
    [' 120 ', 120],
    ['120 (maintenance)', 120],
    ['120;duration=60', 120],
    ['3000000', 3_000_000],
  ])('Retry-After %j is %s', (value, expected) => {
    expect(parseRetryAfter(value)).toBe(expected);
  });

  it.each(['Fri, 01 Jan 2100 00:00:00 GMT', '1e300', '-5', '0x10', '99999999999', '(soon) 5', undefined])(
    'Retry-After %j is absent',
    (value) => {
      expect(parseRetryAfter(value)).toBeUndefined();
    },
  );

  it.each([
    [0, '0'],
    [600, '600'],
    [MAX_EXPIRES_SEC, '86400'],
  ])('formats expires %s as %j', (value, expected) => {
    expect(formatExpires(value)).toBe(expected);
  });

  it.each([1e300, 2 ** 53, MAX_EXPIRES_SEC + 1, -1, 0.5, Number.NaN, Infinity])(
    'refuses to format expires %s',
    (value) => {
      expect(formatExpires(value)).toBeUndefined();
    },
  );
});

/**
 * A user agent whose transport says it is connected, and whose core's `register` answers with `respond` (never, when it
 * returns undefined).
 */
const INSTANCE_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

function channelWith(
  respond: (request: Core.OutgoingRequestMessage) => string | undefined,
  onFlowTimer?: (seconds: number | undefined) => void,
) {
  const transport = {
    onConnect: undefined,
    onDisconnect: undefined,
    onMessage: undefined,
    protocol: 'WS',
    state: TransportState.Connected,
    stateChange: new EmitterImpl<TransportState>(),
    isConnected: () => true,
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    dispose: () => Promise.resolve(),
    send: () => Promise.resolve(),
  } as unknown as Transport;
  const userAgent = new UserAgent({
    uri: UserAgent.makeURI('sip:alice@example.test'),
    transportConstructor: function FakeTransport() {
      return transport;
    } as never,
    logBuiltinEnabled: false,
    logLevel: 'error',
  });
  const sent: string[] = [];
  const requests: string[] = [];
  let disposed = 0;
  const core = userAgent.userAgentCore as unknown as {
    register(request: Core.OutgoingRequestMessage, delegate: Core.OutgoingRequestDelegate): Core.OutgoingRequest;
  };
  core.register = (request, delegate) => {
    sent.push(request.extraHeaders.find((header) => header.startsWith('Contact:'))!);
    requests.push(request.toString());
    const transaction = {
      dispose() {
        disposed++;
      },
    } as unknown as Core.OutgoingRequest;
    const text = respond(request);
    if (text === undefined) return transaction;
    const message = Core.Parser.parseMessage(text, userAgent.getLogger('test')) as Core.IncomingResponseMessage;
    const response = { message } as Core.IncomingResponse;
    queueMicrotask(() => {
      const code = message.statusCode!;
      if (code >= 200 && code < 300) delegate.onAccept?.(response as Core.IncomingResponse);
      else delegate.onReject?.(response as Core.IncomingResponse);
    });
    return transaction;
  };
  const channel = new RegistrationChannel(userAgent, silent, {
    instanceId: INSTANCE_ID,
    ...(onFlowTimer !== undefined && { onFlowTimer }),
  });
  return {
    channel,
    sent,
    requests,
    user: userAgent.contact.uri.user!,
    get disposed() {
      return disposed;
    },
  };
}

function response(status: string, user: string, headers: string[]): string {
  return [
    `SIP/2.0 ${status}`,
    'Via: SIP/2.0/WSS x.invalid;branch=z9hG4bK1',
    'From: <sip:alice@example.test>;tag=1',
    'To: <sip:alice@example.test>;tag=2',
    'Call-ID: 1',
    'CSeq: 1 REGISTER',
    ...headers.map((header) => header.replace('$user', user)),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('RegistrationChannel', () => {
  async function grantedFor(headers: string[], asked = 600): Promise<RegisterOutcome> {
    let user = '';
    const { channel, user: contactUser } = channelWith(() => response('200 OK', user, headers));
    user = contactUser;
    return channel.send(asked);
  }

  it.each([
    [
      'a Contact expires of 2^53 (not delta-seconds: too long)',
      ['Contact: <sip:$user@x.invalid;transport=ws>;expires=9007199254740992'],
      600,
    ],
    // (sip.js's grammar reads a Contact expires as digits, and drops a response whose Contact expires is not digits)
    [
      'a Contact expires of 400 digits',
      [`Contact: <sip:$user@x.invalid;transport=ws>;expires=${'9'.repeat(400)}`],
      600,
    ],
    [
      'a Contact expires of 11 digits, with an Expires header of 120',
      ['Contact: <sip:$user@x.invalid;transport=ws>;expires=12345678901', 'Expires: 120'],
      120,
    ],
    ['an Expires header of 1e300', ['Contact: <sip:$user@x.invalid;transport=ws>', 'Expires: 1e300'], 600],
    ['an Expires header of 0x10', ['Contact: <sip:$user@x.invalid;transport=ws>', 'Expires: 0x10'], 600],
    ['an Expires header of -5', ['Contact: <sip:$user@x.invalid;transport=ws>', 'Expires: -5'], 600],
    ['an Expires header of 120', ['Contact: <sip:$user@x.invalid;transport=ws>', 'Expires:  120 '], 120],
    ['a Contact expires of 300', ['Contact: <sip:$user@x.invalid;transport=ws>;expires=300'], 300],
    ['a Contact expires of 0', ['Contact: <sip:$user@x.invalid;transport=ws>;expires=0'], 0],
    [
      'a Contact expires of 9999999999 (the machine caps it)',
      ['Contact: <sip:$user@x.invalid;transport=ws>;expires=9999999999'],
      9_999_999_999,
    ],
  ])('a 200 with %s grants %s s', async (_name, headers, expected) => {
    expect(await grantedFor(headers)).toEqual({ type: 'registered', expires: expected });
  });

  it('a 423 with a Min-Expires that is not delta-seconds is a plain 423 rejection', async () => {
    const { channel } = channelWith(() => response('423 Interval Too Brief', '', ['Min-Expires: 1e300']));
    await expect(channel.send(600)).rejects.toMatchObject({ kind: 'rejected', code: 423 });
  });

  it('a 423 with a Min-Expires of delta-seconds asks for it', async () => {
    const { channel } = channelWith(() => response('423 Interval Too Brief', '', ['Min-Expires: 3600']));
    await expect(channel.send(600)).resolves.toEqual({ type: 'intervalTooBrief', minExpires: 3600 });
  });

  it('Retry-After reaches the error as the server sent it, when it is delta-seconds', async () => {
    const { channel } = channelWith(() => response('503 Service Unavailable', '', ['Retry-After: 3000000 (later)']));
    await expect(channel.send(600)).rejects.toMatchObject({ kind: 'rejected', code: 503, retryAfter: 3_000_000 });
    const { channel: other } = channelWith(() => response('503 Service Unavailable', '', ['Retry-After: 1e300']));
    const error = (await other.send(600).catch((e: unknown) => e)) as SipError;
    expect(error.retryAfter).toBeUndefined();
  });

  it('sends expires as the decimal digits of an integer, and never sends anything else', async () => {
    let user = '';
    const {
      channel,
      sent,
      user: contactUser,
    } = channelWith(() => response('200 OK', user, ['Contact: <sip:$user@x.invalid>;expires=60']));
    user = contactUser;
    await channel.send(MAX_EXPIRES_SEC);
    await channel.send(0);
    for (const bad of [1e300, 2 ** 53, 0.5, -1, Number.NaN, MAX_EXPIRES_SEC + 1]) {
      await expect(channel.send(bad)).rejects.toMatchObject({ kind: 'config' });
    }
    expect(sent).toHaveLength(2);
    expect(sent.map((contact) => /;expires=(.*)$/.exec(contact)?.[1])).toEqual(['86400', '0']);
  });

  it('a REGISTER no longer awaited (its signal aborts) is ended at once, and the next one goes out', async () => {
    let answer = false;
    const fake = channelWith(() => (answer ? response('200 OK', '', ['Expires: 60']) : undefined));
    const waiting = new AbortController();
    const first = fake.channel.send(600, waiting.signal);
    await Promise.resolve();
    await Promise.resolve();
    expect(fake.sent).toHaveLength(1);
    expect(fake.disposed).toBe(0);
    answer = true;
    const second = fake.channel.send(600);
    waiting.abort();
    await expect(first).rejects.toMatchObject({ kind: 'cancelled', message: 'REGISTER no longer awaited' });
    expect(fake.disposed).toBe(1);
    await expect(second).resolves.toEqual({ type: 'registered', expires: 60 });
    expect(fake.sent).toHaveLength(2);
  });

  it('errorFromResponse keeps only a delta-seconds Retry-After', () => {
    const parse = (text: string) =>
      ({
        message: Core.Parser.parseMessage(text, { error() {}, warn() {}, log() {}, debug() {} } as never),
      }) as Core.IncomingResponse;
    expect(
      errorFromResponse(parse(response('500 Oops', '', ['Retry-After: 0x10'])), 'REGISTER').retryAfter,
    ).toBeUndefined();
    expect(errorFromResponse(parse(response('500 Oops', '', ['Retry-After: 7'])), 'REGISTER').retryAfter).toBe(7);
  });
});

describe('RFC 5626 outbound', () => {
  it('REGISTER carries Supported: outbound, path, and a Contact with reg-id=1 and the instance id before expires', async () => {
    let user = '';
    const fake = channelWith(() => response('200 OK', user, ['Contact: <sip:$user@x.invalid>;expires=60']));
    user = fake.user;
    await fake.channel.send(600);
    await fake.channel.send(0);
    for (const contact of fake.sent) {
      expect(contact).toMatch(
        new RegExp(
          `^Contact: <sip:${user}@[^>]+>;reg-id=1;\\+sip\\.instance="<urn:uuid:${INSTANCE_ID}>";expires=\\d+$`,
        ),
      );
    }
    expect(fake.sent.map((contact) => /;expires=(.*)$/.exec(contact)?.[1])).toEqual(['600', '0']);
    for (const text of fake.requests) {
      expect(text).toContain('\r\nSupported: outbound, path\r\n');
    }
    for (const header of fake.sent) {
      // sip.js's own grammar reads the params back as a registrar would.
      const contact = Grammar.nameAddrHeaderParse(header.slice('Contact: '.length));
      expect(contact).toBeDefined();
      expect(contact?.getParam('reg-id')).toBe('1');
      expect(contact?.getParam('+sip.instance')).toBe(`"<urn:uuid:${INSTANCE_ID}>"`);
    }
  });

  it.each([
    ['5', 5],
    [' 120 ', 120],
    ['1', 1],
    [String(MAX_FLOW_TIMER_SEC), MAX_FLOW_TIMER_SEC],
  ])('Flow-Timer %j is %s s', (value, expected) => {
    expect(parseFlowTimer(value)).toBe(expected);
  });

  it.each(['0', '3601', '5.5', '-5', '1e3', '0x10', '', 'soon', undefined])('Flow-Timer %j is ignored', (value) => {
    expect(parseFlowTimer(value)).toBeUndefined();
  });

  it("reports each 200's Flow-Timer (undefined when it has none or a bad one), never an unregister's", async () => {
    const reported: (number | undefined)[] = [];
    let headers: string[] = [];
    let user = '';
    const fake = channelWith(
      () => response('200 OK', user, ['Contact: <sip:$user@x.invalid>;expires=60', ...headers]),
      (seconds) => reported.push(seconds),
    );
    user = fake.user;
    headers = ['Flow-Timer: 5'];
    await fake.channel.send(600);
    headers = [];
    await fake.channel.send(600);
    headers = ['Flow-Timer: 99999'];
    await fake.channel.send(600);
    headers = ['Flow-Timer: 25'];
    await fake.channel.send(0);
    expect(reported).toEqual([5, undefined, undefined]);
  });

  it('a rejected REGISTER reports no Flow-Timer', async () => {
    const reported: (number | undefined)[] = [];
    const fake = channelWith(
      () => response('503 Service Unavailable', '', ['Flow-Timer: 5']),
      (seconds) => reported.push(seconds),
    );
    await expect(fake.channel.send(600)).rejects.toMatchObject({ code: 503 });
    expect(reported).toEqual([]);
  });
});
