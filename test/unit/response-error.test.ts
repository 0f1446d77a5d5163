/**
 * The one mapping from a final SIP response to a SipError (src/sip/response-error.ts), for every method, with
 * responses as sip.js hands them over: real ones (with a Call-ID) and the ones it synthesises (408 after Timer F,
 * 503 on a transport error; no Call-ID). Real responses are parsed by sip.js's own parser.
 */
import { Core } from 'sip.js';
import { describe, expect, it } from 'vitest';
import { SipError } from '../../src/errors';
import { InFlightRequests } from '../../src/sip/in-flight';
import { connectionLostError, errorFromResponse, parseRetryAfter } from '../../src/sip/response-error';

const silent = { debug() {}, log() {}, warn() {}, error() {} } as never;

/** A response as the server sends it, parsed by sip.js. */
function real(statusLine: string, headers: string[] = []): { message: Core.IncomingResponseMessage } {
  const text = [
    `SIP/2.0 ${statusLine}`,
    'Via: SIP/2.0/WSS abc.invalid;branch=z9hG4bK1',
    'From: <sip:alice@example.com>;tag=1',
    'To: <sip:bob@example.com>;tag=2',
    'Call-ID: call-1',
    'CSeq: 1 MESSAGE',
    ...headers,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const message = Core.Parser.parseMessage(text, silent);
  if (!(message instanceof Core.IncomingResponseMessage)) throw new Error('not a response');
  return { message };
}

/** A response sip.js made up itself (user-agent-client.js): status line only, no Call-ID. */
function synthetic(code: number, reason: string): { message: Core.IncomingResponseMessage } {
  const message = new Core.IncomingResponseMessage();
  message.statusCode = code;
  message.reasonPhrase = reason;
  return { message };
}

const METHODS = ['REGISTER', 'MESSAGE to sip:bob@example.com', 'INVITE', 'Hold', 'BYE', 'REFER', 'DTMF INFO'];

describe('errorFromResponse: one mapping for every method', () => {
  it.each(METHODS)(
    "%s: 408 (server or Timer F) is timeout, sip.js's 503 is transport, 401/407/403 auth, others rejected",
    (what) => {
      expect(errorFromResponse(real('408 Request Timeout'), what)).toMatchObject({ kind: 'timeout', code: 408 });
      expect(errorFromResponse(synthetic(408, 'Request Timeout'), what)).toMatchObject({ kind: 'timeout', code: 408 });
      expect(errorFromResponse(synthetic(503, 'Service Unavailable'), what)).toMatchObject({
        kind: 'transport',
        code: 503,
      });
      for (const code of [401, 407, 403])
        expect(errorFromResponse(real(`${code} No`), what)).toMatchObject({ kind: 'auth', code });
      for (const code of [404, 486, 488, 500, 603, 302]) {
        expect(errorFromResponse(real(`${code} Whatever`), what)).toMatchObject({
          kind: 'rejected',
          code,
          reason: 'Whatever',
        });
      }
      expect(errorFromResponse(real('404 Not Found'), what).message).toBe(`${what} rejected: 404 Not Found`);
    },
  );

  it('a 503 the server sent (it has a Call-ID) is a rejection with its Retry-After, not a transport failure', () => {
    const error = errorFromResponse(real('503 Service Unavailable', ['Retry-After: 30']), 'MESSAGE');
    expect(error).toBeInstanceOf(SipError);
    expect(error).toMatchObject({ kind: 'rejected', code: 503, retryAfter: 30 });
  });

  it.each([
    ['120', 120],
    ['120 (maintenance);duration=60', 120],
    ['0x10', undefined],
    ['1e300', undefined],
    ['-5', undefined],
    ['12345678901', undefined],
    ['Fri, 01 Jan 2100 00:00:00 GMT', undefined],
  ])('Retry-After %j: strict delta-seconds only → %s', (value, expected) => {
    expect(parseRetryAfter(value)).toBe(expected);
    const error = errorFromResponse(real('500 Oops', [`Retry-After: ${value}`]), 'INVITE');
    expect(error.retryAfter).toBe(expected);
  });

  it('no reason phrase: the status alone, and no empty reason', () => {
    const error = errorFromResponse(synthetic(500, ''), 'BYE');
    expect(error.message).toBe('BYE rejected: 500');
    expect(error.reason).toBeUndefined();
  });
});

describe('InFlightRequests: a transport failure inside a transaction is kind transport, at once', () => {
  it('abandonAll disposes each request waiting and fails it with kind transport; untracked ones are left alone', () => {
    const inFlight = new InFlightRequests();
    const disposed: string[] = [];
    const failures: SipError[] = [];
    inFlight.track('MESSAGE to sip:bob@x', { dispose: () => disposed.push('message') }, (error) =>
      failures.push(error),
    );
    const untrack = inFlight.track('BYE', { dispose: () => disposed.push('bye') }, (error) => failures.push(error));
    untrack();
    expect(inFlight.size).toBe(1);
    inFlight.abandonAll();
    expect(disposed).toEqual(['message']);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ kind: 'transport' });
    expect(failures[0]!.message).toMatch(/^MESSAGE to sip:bob@x failed: connection lost/);
    expect(inFlight.size).toBe(0);
    // nothing left to abandon
    inFlight.abandonAll();
    expect(failures).toHaveLength(1);
  });

  it('a request whose dispose throws (already gone) still fails', () => {
    const inFlight = new InFlightRequests();
    const failures: SipError[] = [];
    inFlight.track(
      'REFER',
      {
        dispose: () => {
          throw new Error('gone');
        },
      },
      (error) => failures.push(error),
    );
    inFlight.abandonAll('Stopped');
    expect(failures[0]).toEqual(connectionLostError('REFER', 'Stopped'));
  });
});
