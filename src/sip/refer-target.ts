import { Grammar, URI } from 'sip.js';

/**
 * What sipstate makes of the `Refer-To` of a REFER received from the peer (a blind transfer), before anything else
 * looks at it: either a clean `sip:` / `sips:` URI rebuilt from its user, host and port alone, or a refusal.
 *
 * sip.js decodes a Refer-To's URI headers as they come and copies them (and `Referred-By`) into the INVITE it builds
 * for the transfer: a `Replaces` value holding an encoded CRLF becomes raw header lines of that INVITE (request
 * smuggling). So nothing from the REFER is ever handed to sip.js as it is: the new call goes to the rebuilt URI, with
 * no URI parameters, no headers and nothing else from the REFER.
 *
 * @example
 * ```ts
 * checkReferTo('"Carol" <sip:carol@example.com;transport=ws>;method=INVITE');
 * // { ok: true, target: 'sip:carol@example.com' }
 * checkReferTo('<sip:x@h?Replaces=a%0D%0AX-Injected:%20y>');
 * // { ok: false, reason: 'it holds a percent-encoded control character' }
 * ```
 */

/** Longest Refer-To (or Referred-By) value looked at, in characters: anything longer is refused unparsed. */
export const MAX_REFER_TO_LENGTH = 1024;

/**
 * The result of {@link checkReferTo}: the URI to call, or why the value is refused.
 *
 * @example
 * ```ts
 * const checked = checkReferTo(raw);
 * if (!checked.ok) logger.warn(`REFER declined: ${checked.reason}`);
 * ```
 */
export type ReferToCheck = { ok: true; target: string } | { ok: false; reason: string };

/** C0 control characters but tab, and DEL: a CR or LF would end the header; NUL cuts messages short. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** The same, percent-encoded (`%0D`, `%0a`, `%00`, ... `%7F`), which sip.js decodes before it copies. */
const ENCODED_CONTROL = /%(?:[01][0-9a-f]|7f)/i;
/**
 * The user part, decoded, that is rebuilt: RFC 3261 `unreserved` and `user-unreserved` characters but `?` (sip.js
 * writes a decoded `?` back unescaped, which would start URI headers) and no `%` (sip.js decodes the user a second
 * time when it writes it, so `%253F` would come out as `?`), no `:` (a password), nothing outside ASCII.
 */
const SAFE_USER = /^[A-Za-z0-9\-_.!~*'()&=+$,;/]+$/;

function refuse(reason: string): ReferToCheck {
  return { ok: false, reason };
}

/**
 * Checks a raw `Refer-To` header value (as received, one value) and rebuilds the URI to call from its parts.
 *
 * Refused, in this order, with a reason that never repeats the value:
 * - not a string, or longer than {@link MAX_REFER_TO_LENGTH} characters;
 * - a control character (CR, LF, NUL, ...), raw or percent-encoded (`%0d`, `%0A`, `%00`, any case);
 * - a `?` anywhere: URI headers (`Replaces`, `Route`, any), which sip.js would copy into the INVITE;
 * - not a Refer-To that sip.js's grammar parses (one `name-addr` or `addr-spec` with parameters);
 * - a scheme other than `sip` or `sips` (`tel:`, `http:`, ...);
 * - a `method` URI parameter other than INVITE (the peer asks for something other than a call);
 * - a `maddr` URI parameter (sip.js's grammar takes its host for the URI's host);
 * - a user part outside RFC 3261's user characters once decoded (`%`, `?`, `:`, control or non-ASCII characters);
 * - a port outside 1..65535.
 *
 * Accepted: `scheme:user@host[:port]` (or `scheme:host[:port]` without a user), rebuilt from the parsed parts; the
 * display name, the other URI parameters (`transport`, `user`, ...) and the header parameters are dropped.
 *
 * @example
 * ```ts
 * checkReferTo('<sips:bob@[::1]:5061;transport=ws>'); // { ok: true, target: 'sips:bob@[::1]:5061' }
 * checkReferTo('tel:+15551234');                            // { ok: false, reason: ... }
 * ```
 */
export function checkReferTo(raw: unknown): ReferToCheck {
  if (typeof raw !== 'string') return refuse('there is no single Refer-To value');
  if (raw.length > MAX_REFER_TO_LENGTH) return refuse(`it is longer than ${MAX_REFER_TO_LENGTH} characters`);
  if (CONTROL.test(raw)) return refuse('it holds a control character (CR, LF, NUL...)');
  if (ENCODED_CONTROL.test(raw)) return refuse('it holds a percent-encoded control character');
  if (raw.includes('?')) return refuse('its URI carries headers (?...)');

  const parsed: unknown = Grammar.parse(raw.trim(), 'Refer_To');
  const uri = typeof parsed === 'object' && parsed !== null ? (parsed as { uri?: unknown }).uri : undefined;
  if (!(uri instanceof URI)) return refuse('it does not parse as a SIP Refer-To');

  const scheme = uri.scheme.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return refuse('its scheme is not sip or sips');
  if (Object.keys(uri.headers).length > 0) return refuse('its URI carries headers (?...)');
  const method = uri.getParam('method');
  if (method !== undefined && (typeof method !== 'string' || method.toUpperCase() !== 'INVITE'))
    return refuse('it asks for a method other than INVITE');
  // sip.js's grammar stores a maddr's host as the URI's host: which host was meant cannot be told.
  if (uri.hasParam('maddr')) return refuse('it carries a maddr parameter');

  const user: unknown = uri.user;
  if (user !== undefined && (typeof user !== 'string' || !SAFE_USER.test(user))) {
    return refuse('its user part holds characters outside RFC 3261 user characters');
  }
  const host: unknown = uri.host;
  if (typeof host !== 'string' || host === '') return refuse('it has no host');
  const port: unknown = uri.port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535)) {
    return refuse('its port is not 1..65535');
  }

  // sip.js types the user as a string; undefined (no user part) is what its own parser gives for `sip:host`.
  const target = new URI(scheme, user as string, host, port).toString();
  // The rebuilt URI must read back as exactly these parts and nothing else: this is what the INVITE will carry.
  const reread = Grammar.URIParse(target);
  if (
    !reread ||
    reread.user !== user ||
    reread.host !== host ||
    reread.port !== port ||
    Object.keys(reread.parameters).length > 0 ||
    Object.keys(reread.headers).length > 0 ||
    CONTROL.test(target) ||
    target.includes('?')
  ) {
    return refuse('it does not rebuild into a plain SIP URI');
  }
  return { ok: true, target };
}

/**
 * A `Referred-By` value cleaned the same way as a Refer-To (see {@link checkReferTo}): the rebuilt URI, or undefined
 * when it is absent or does not pass.
 *
 * @example
 * ```ts
 * cleanReferredBy('"Alice" <sip:alice@example.com>;cid=12'); // 'sip:alice@example.com'
 * cleanReferredBy(undefined);                                // undefined
 * ```
 */
export function cleanReferredBy(raw: unknown): string | undefined {
  const checked = checkReferTo(raw);
  return checked.ok ? checked.target : undefined;
}
