import { SipError } from '../errors';
import { providerFailureOf } from './credentials';

/** RFC 3261 delta-seconds, at most 10 digits (above 2^32, which any cap in the machine is far below). */
const DELTA_SECONDS = /^\d{1,10}$/;
/** Retry-After: delta-seconds, then maybe a comment and parameters (RFC 3261 20.33), and nothing else. */
const LEADING_DELTA_SECONDS = /^(\d{1,10})(?=\s*(?:$|[(;]))/;

/**
 * A header or parameter value that must be RFC 3261 delta-seconds: its number when it is 1 to 10 digits (surrounding
 * white space allowed), else `undefined`. `1e300`, `0x10`, `-5`, `2.5` and 11 digits or more are not delta-seconds
 * (where `Number()` would accept most of them). The machine caps what it accepts.
 *
 * @example
 * ```ts
 * parseDeltaSeconds(' 600 ');  // 600
 * parseDeltaSeconds('1e300');  // undefined
 * ```
 */
export function parseDeltaSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  return DELTA_SECONDS.test(text) ? Number(text) : undefined;
}

/**
 * A Retry-After value: the delta-seconds it starts with when a comment, parameters or nothing follows, else
 * `undefined` (`1e300` and `0x10` start with a digit, but are not delta-seconds).
 *
 * @example
 * ```ts
 * parseRetryAfter('120 (maintenance);duration=60'); // 120
 * parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT');  // undefined
 * ```
 */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = LEADING_DELTA_SECONDS.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

/**
 * The part of a final response the mapping reads: sip.js's `IncomingResponse` (`{ message }`) or its message. Typed
 * structurally so that tests build one without sip.js.
 *
 * @example
 * ```ts
 * const timedOut: FinalResponseLike = { message: { statusCode: 408, reasonPhrase: 'Request Timeout' } };
 * ```
 */
export interface FinalResponseLike {
  readonly message: {
    readonly statusCode?: number | undefined;
    readonly reasonPhrase?: string | undefined;
    /** Absent on the responses sip.js synthesises (408 on Timer F, 503 on a transport error). */
    readonly callId?: string | undefined;
    getHeader?(name: string): string | undefined;
  };
}

/**
 * The one mapping from a final non-2xx response (real, or synthesised by sip.js) to a SipError, for every method
 * (REGISTER, MESSAGE, INVITE, re-INVITE, BYE, REFER, INFO):
 *
 * - 408 (the server's, or sip.js's after Timer F): `timeout`;
 * - sip.js's synthetic 503 (no Call-ID: the request could not be sent, the connection is gone): `transport`;
 * - 401, 407 (a challenge still refused after the core answered it, or left unanswered because the `credentials`
 *   provider failed: the message then says so) and 403: `auth`;
 * - anything else: `rejected`.
 *
 * `code` and `reason` come from the status line; `retryAfter` from a Retry-After that is strict delta-seconds
 * ({@link parseRetryAfter}), as the server sent it. `what` names the request in the message (`'MESSAGE to sip:bob@x'`).
 *
 * @example
 * ```ts
 * requestDelegate: { onReject: (response) => reject(errorFromResponse(response, 'MESSAGE')) }
 * // 404 → SipError { kind: 'rejected', code: 404, message: 'MESSAGE rejected: 404 Not Found' }
 * ```
 */
export function errorFromResponse(response: FinalResponseLike, what: string): SipError {
  const message = response.message;
  const code = message.statusCode ?? 0;
  const reason = message.reasonPhrase || undefined;
  const status = `${code}${reason ? ` ${reason}` : ''}`;
  const synthetic = !message.callId;
  const retryAfter = parseRetryAfter(message.getHeader?.('retry-after'));
  const details = { code, ...(reason && { reason }), ...(retryAfter !== undefined && { retryAfter }) };
  if (code === 408) return new SipError('timeout', `${what} timed out: ${status}`, details);
  if (synthetic && code === 503) {
    return new SipError('transport', `${what} could not be sent: connection lost`, details);
  }
  if (code === 401 || code === 407 || code === 403) {
    // The challenge was never answered: the `credentials` provider failed (why, without any secret, is kept aside).
    const providerFailure = providerFailureOf(message);
    if (providerFailure !== undefined) {
      return new SipError('auth', `${what} not authenticated: ${providerFailure}`, details);
    }
    return new SipError('auth', `${what} refused: ${status} (credentials rejected)`, details);
  }
  return new SipError('rejected', `${what} rejected: ${status}`, details);
}

/**
 * The error of a request whose connection closed while it waited for its final response: kind `transport`, at once.
 * No response can come (it would arrive on the connection that is gone), and sip.js would only say so after Timer F,
 * 32 s later, as a 408.
 *
 * @example
 * ```ts
 * inFlight.fail(connectionLostError('MESSAGE'));
 * ```
 */
export function connectionLostError(what: string, reason = 'connection lost'): SipError {
  return new SipError('transport', `${what} failed: ${reason} before its final response`);
}
