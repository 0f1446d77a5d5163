import { SipError, type SipErrorKind } from '../machines/errors';

// SipError is defined beside the machines that produce it; re-exported here so `sipstate` offers the same class.
export { SipError, type SipErrorDetails, type SipErrorKind } from '../machines/errors';

/**
 * Thrown synchronously by `createSipClient` when an option is invalid. The message names the field.
 * Its `kind` is always `'config'`.
 *
 * @example
 * ```ts
 * try {
 *   createSipClient({ server: 'http://nope', uri: 'sip:alice@example.com' });
 * } catch (error) {
 *   // SipConfigError: sipstate: `server` must be a ws:// or wss:// URL, got "http://nope"
 * }
 * ```
 */
export class SipConfigError extends SipError {
  /** The option that is wrong, e.g. `'server'` or `'expires'`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('config', `sipstate: \`${field}\` ${message}`);
    this.name = 'SipConfigError';
    this.field = field;
  }
}

/**
 * Turns anything thrown into a {@link SipError}, keeping SipErrors as they are.
 *
 * @example
 * ```ts
 * const error = toSipError(new Error('socket hang up'), 'transport');
 * ```
 */
export function toSipError(error: unknown, kind: SipErrorKind, prefix = ''): SipError {
  if (error instanceof SipError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new SipError(kind, prefix ? `${prefix}: ${text}` : text, { cause: error });
}
