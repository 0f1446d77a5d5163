import type { CallMediaOptions, CallOptions, DtmfMethod } from './call';
import type { MessageOptions } from './client/calls';
import { SipConfigError } from './errors';
import { isExtraHeader, isSafeHeaderValue } from './header-values';

/**
 * Checks of the options given to one `client.call()` or `client.message()`, the same way `createSipClient` checks its
 * own: own keys only, unknown keys refused, numbers bounded, header text without CR, LF or NUL. The result is either
 * the options to use or a {@link SipConfigError} naming the option (`call().unansweredTimeoutSec`), which `call()`
 * puts in an already failed Call and `message()` rejects with: neither ever throws.
 *
 * @example
 * ```ts
 * const checked = validateCallOptions({ unansweredTimeoutSec: 3e6 });
 * if (checked instanceof SipConfigError) console.log(checked.field); // 'call().unansweredTimeoutSec'
 * ```
 */

/** Longest `unansweredTimeoutSec`, for the client (`calls.unansweredTimeoutSec`) and for one call: one hour. */
export const MAX_UNANSWERED_TIMEOUT_SEC = 3_600;

/**
 * Whether `value` is a number of seconds a call may ring: more than 0, at most {@link MAX_UNANSWERED_TIMEOUT_SEC}.
 *
 * @example
 * ```ts
 * isUnansweredTimeoutSec(1.5); // true
 * isUnansweredTimeoutSec(3e6); // false
 * ```
 */
export function isUnansweredTimeoutSec(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_UNANSWERED_TIMEOUT_SEC;
}

/**
 * Every key of an options type, each marked `true`: the list of known options, written as an object so the compiler
 * checks it against the type. `{ ... } satisfies OptionKeys<CallOptions>` fails to compile when a key of the type is
 * missing from the object (added to the type, forgotten in the list) and when the object has a key the type lacks.
 *
 * @example
 * ```ts
 * const CALL_OPTION_KEYS = { media: true, unansweredTimeoutSec: true, extraHeaders: true } satisfies OptionKeys<CallOptions>;
 * unknownKey({ medai: {} }, CALL_OPTION_KEYS); // 'medai'
 * ```
 */
export type OptionKeys<T> = Record<keyof T, true>;

/**
 * The first own key of `value` that `known` does not list, or undefined when every key is known. `known` is an
 * {@link OptionKeys} object; only its own keys count (`toString`, `__proto__` and the like are never known).
 *
 * @example
 * ```ts
 * unknownKey({ contentType: 'text/plain', priority: 1 }, MESSAGE_OPTION_KEYS); // 'priority'
 * ```
 */
export function unknownKey(value: object, known: object): string | undefined {
  return Object.keys(value).find((key) => !Object.hasOwn(known, key));
}

const CALL_OPTION_KEYS = {
  media: true,
  unansweredTimeoutSec: true,
  extraHeaders: true,
} satisfies OptionKeys<CallOptions>;
const CALL_MEDIA_KEYS = { constraints: true, remoteAudio: true } satisfies OptionKeys<CallMediaOptions>;
const MESSAGE_OPTION_KEYS = { contentType: true, extraHeaders: true } satisfies OptionKeys<MessageOptions>;

/**
 * The DTMF methods, each marked `true`: checked against {@link DtmfMethod} like {@link OptionKeys}, so a method added
 * to the type and not here (or here and not in the type) fails to compile.
 *
 * @example
 * ```ts
 * Object.keys(DTMF_METHODS); // ['auto', 'rfc4733', 'info']
 * ```
 */
export const DTMF_METHODS = { auto: true, rfc4733: true, info: true } satisfies Record<DtmfMethod, true>;

/**
 * Whether `value` is one of the {@link DtmfMethod}s (`'auto'`, `'rfc4733'`, `'info'`).
 *
 * @example
 * ```ts
 * isDtmfMethod('info'); // true
 * isDtmfMethod('inband'); // false
 * ```
 */
export function isDtmfMethod(value: unknown): value is DtmfMethod {
  return typeof value === 'string' && Object.hasOwn(DTMF_METHODS, value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value[key]` when it is the object's own property, else undefined (nothing inherited is read). */
const own = (value: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(value, key) ? value[key] : undefined;

function checkExtraHeaders(value: unknown, field: string): string[] | SipConfigError | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    return new SipConfigError(field, `must be an array of "Name: value" strings, got ${describe(value)}`);
  for (let index = 0; index < value.length; index++) {
    if (!isExtraHeader(value[index])) {
      return new SipConfigError(
        `${field}[${index}]`,
        'must be one "Name: value" header (a token, a colon, no CR, LF or NUL)',
      );
    }
  }
  return [...(value as string[])];
}

function checkMedia(value: unknown, field: string): SipConfigError | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return new SipConfigError(field, `must be an object, got ${describe(value)}`);
  const extra = unknownKey(value, CALL_MEDIA_KEYS);
  if (extra !== undefined) return new SipConfigError(`${field}.${extra}`, 'is not a known option');
  const constraints = own(value, 'constraints');
  if (constraints !== undefined) {
    if (!isRecord(constraints))
      return new SipConfigError(`${field}.constraints`, `must be an object, got ${describe(constraints)}`);
    for (const kind of ['audio', 'video']) {
      const track = own(constraints, kind);
      if (track !== undefined && typeof track !== 'boolean' && !isRecord(track)) {
        return new SipConfigError(
          `${field}.constraints.${kind}`,
          `must be a boolean or an object, got ${describe(track)}`,
        );
      }
    }
  }
  const remoteAudio = own(value, 'remoteAudio');
  if (remoteAudio !== undefined && (typeof remoteAudio !== 'object' || remoteAudio === null)) {
    return new SipConfigError(
      `${field}.remoteAudio`,
      `must be an element (an object with srcObject), got ${describe(remoteAudio)}`,
    );
  }
  return undefined;
}

/**
 * The options of one `client.call()`, checked: `unansweredTimeoutSec` more than 0 and at most 3,600; each of
 * `extraHeaders` one `Name: value` header without CR, LF or NUL; `media` an object of `constraints` and `remoteAudio`.
 * `undefined` and `null` are no options. Returns the options to use (a copy), or the error naming the first bad one.
 *
 * @example
 * ```ts
 * validateCallOptions({ extraHeaders: ['X-Campaign: 7'] });          // { extraHeaders: ['X-Campaign: 7'] }
 * validateCallOptions({ extraHeaders: ['X: 1\r\nRoute: <sip:x>'] }); // SipConfigError, field 'call().extraHeaders[0]'
 * ```
 */
export function validateCallOptions(given: unknown): CallOptions | SipConfigError {
  if (given === undefined || given === null) return {};
  if (!isRecord(given)) return new SipConfigError('call().options', `must be an object, got ${describe(given)}`);
  const extra = unknownKey(given, CALL_OPTION_KEYS);
  if (extra !== undefined) return new SipConfigError(`call().${extra}`, 'is not a known option');

  const timeout = own(given, 'unansweredTimeoutSec');
  if (timeout !== undefined && !isUnansweredTimeoutSec(timeout)) {
    return new SipConfigError(
      'call().unansweredTimeoutSec',
      `must be a number of seconds above 0 and at most ${MAX_UNANSWERED_TIMEOUT_SEC}, got ${describe(timeout)}`,
    );
  }
  const extraHeaders = checkExtraHeaders(own(given, 'extraHeaders'), 'call().extraHeaders');
  if (extraHeaders instanceof SipConfigError) return extraHeaders;
  const media = own(given, 'media');
  const mediaError = checkMedia(media, 'call().media');
  if (mediaError) return mediaError;
  return {
    ...(timeout !== undefined && { unansweredTimeoutSec: timeout }),
    ...(extraHeaders !== undefined && { extraHeaders }),
    ...(media !== undefined && { media: media as NonNullable<CallOptions['media']> }),
  };
}

/**
 * The options of one `client.message()`, checked: `contentType` a non-empty string without CR, LF or NUL, and
 * `extraHeaders` as for calls. Returns the options to use (a copy), or the error naming the first bad one.
 *
 * @example
 * ```ts
 * validateMessageOptions({ contentType: 'application/json' }); // { contentType: 'application/json' }
 * validateMessageOptions({ contentType: 'text/plain\r\nX: 1' }); // SipConfigError, field 'message().contentType'
 * ```
 */
export function validateMessageOptions(given: unknown): MessageOptions | SipConfigError {
  if (given === undefined || given === null) return {};
  if (!isRecord(given)) return new SipConfigError('message().options', `must be an object, got ${describe(given)}`);
  const extra = unknownKey(given, MESSAGE_OPTION_KEYS);
  if (extra !== undefined) return new SipConfigError(`message().${extra}`, 'is not a known option');
  const contentType = own(given, 'contentType');
  if (contentType !== undefined && (!isSafeHeaderValue(contentType) || contentType.trim() === '')) {
    return new SipConfigError('message().contentType', 'must be a non-empty MIME type without CR, LF or NUL');
  }
  const extraHeaders = checkExtraHeaders(own(given, 'extraHeaders'), 'message().extraHeaders');
  if (extraHeaders instanceof SipConfigError) return extraHeaders;
  return {
    ...(contentType !== undefined && { contentType }),
    ...(extraHeaders !== undefined && { extraHeaders }),
  };
}
