/**
 * Checks for text that ends up inside a SIP message sipstate sends (extra headers, the User-Agent string, display
 * names, content types). A CR or LF there would end the header and start another one of the caller's choosing (header
 * injection); a NUL cuts the message short in some parsers.
 *
 * @example
 * ```ts
 * isSafeHeaderValue('my-phone/1.0');            // true
 * isSafeHeaderValue('x\r\nRoute: <sip:evil>');  // false
 * isExtraHeader('X-Campaign: 7');               // true
 * isExtraHeader('X-Campaign 7');                // false: no colon
 * ```
 */

/** CR, LF or NUL anywhere: text that could end a SIP header line early. */
const LINE_BREAK = /[\r\n\0]/;

/** RFC 3261 `token` characters, which a header name consists of. */
const HEADER_LINE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+[ \t]*:[^\r\n\0]*$/;

/**
 * Whether `value` can go into a SIP header as it is: a string with no CR, LF or NUL.
 *
 * @example
 * ```ts
 * isSafeHeaderValue('Alice'); // true
 * ```
 */
export function isSafeHeaderValue(value: unknown): value is string {
  return typeof value === 'string' && !LINE_BREAK.test(value);
}

/**
 * Whether `line` is one well-formed extra header, `Name: value`, with a token for its name and no CR, LF or NUL.
 *
 * @example
 * ```ts
 * isExtraHeader('X-Account: 42'); // true
 * ```
 */
export function isExtraHeader(line: unknown): line is string {
  return typeof line === 'string' && HEADER_LINE.test(line);
}
