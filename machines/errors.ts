// The error type the machines produce (and sipstate rejects with). It lives in machines/ because the machines create
// it: the pure specification owns its error, and src/errors.ts re-exports it, so there is one class and `instanceof`
// holds across `sipstate` and `sipstate/machines`.

/**
 * What went wrong, in the terms an application acts on.
 *
 * - `auth`: the server refused our credentials (a final 401, 407 or 403 after authenticating).
 * - `rejected`: the server answered with another final error (404, 486, 5xx, ...); `code` has the status.
 * - `timeout`: no answer in time (408, a transaction that timed out, a connection that did not open in time).
 * - `transport`: the WebSocket could not be opened, or it closed.
 * - `config`: the options are wrong, or the call makes no sense for this client.
 * - `cancelled`: the operation was superseded before it could finish (for example `register()` followed by `stop()`,
 *   or `dispose()`).
 *
 * @example
 * ```ts
 * client.register().catch((error: SipError) => {
 *   if (error.kind === 'auth') showLoginForm();
 * });
 * ```
 */
export type SipErrorKind = 'auth' | 'rejected' | 'timeout' | 'transport' | 'config' | 'cancelled';

/**
 * Details of a {@link SipError}.
 *
 * @example
 * ```ts
 * new SipError('rejected', 'Registration rejected: 404 Not Found', { code: 404, reason: 'Not Found' });
 * ```
 */
export interface SipErrorDetails {
  /** SIP status code of the final response that caused the error, when there was one. */
  code?: number;
  /** Reason phrase of that response, or a short cause. */
  reason?: string;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  retryAfter?: number;
  /** The underlying error, when another library threw it. */
  cause?: unknown;
}

/**
 * The one error type sipstate rejects with and puts in its stream values.
 *
 * Messages never contain credentials, nor a URL's user-info or query values (servers are shown redacted:
 * `wss://***@sip.example.com/ws?token=***`). They may quote text from the server (a reason phrase): escape it before
 * printing it to a terminal.
 *
 * @example
 * ```ts
 * import { SipError } from 'sipstate';
 *
 * try {
 *   await client.register();
 * } catch (error) {
 *   if (error instanceof SipError && error.kind === 'auth') console.log('wrong password', error.code);
 * }
 * ```
 */
export class SipError extends Error {
  /** What kind of failure this is. */
  readonly kind: SipErrorKind;
  /** SIP status code, when a response caused it. */
  readonly code?: number;
  /** SIP reason phrase or short cause. */
  readonly reason?: string;
  /** Seconds to wait before trying again, when the server said (Retry-After). */
  readonly retryAfter?: number;

  constructor(kind: SipErrorKind, message: string, details: SipErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SipError';
    this.kind = kind;
    if (details.code !== undefined) this.code = details.code;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter;
  }

  /** A plain object for logs and JSON (stack and cause left out). */
  toJSON(): { name: string; kind: SipErrorKind; message: string; code?: number; reason?: string; retryAfter?: number } {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      ...(this.code !== undefined && { code: this.code }),
      ...(this.reason !== undefined && { reason: this.reason }),
      ...(this.retryAfter !== undefined && { retryAfter: this.retryAfter }),
    };
  }
}
