/**
 * What sipstate shows of values that may hold secrets or hostile bytes: URLs with credentials in them, and text from
 * the network printed to a terminal.
 *
 * @example
 * ```ts
 * redactUrl('wss://alice:secret@sip.example.com/ws?token=abc'); // 'wss://***@sip.example.com/ws?token=***'
 * escapeControl('200 OK\u001b]0;pwned\u0007');                  // '200 OK\\x1b]0;pwned\\x07'
 * ```
 */

/**
 * A URL as it may be shown (state, errors, logs, config errors, CLI): the user-info (`user:password@`) becomes `***@`
 * and every query parameter's value becomes `***` (tokens travel there). The scheme, host, port and path stay. A value
 * that does not parse as a URL is shown as `[unparsable URL]`, since its secret part cannot be found.
 *
 * @example
 * ```ts
 * redactUrl('ws://user:pw@127.0.0.1:5066/sip?token=t&x=1'); // 'ws://***@127.0.0.1:5066/sip?token=***&x=***'
 * redactUrl('wss://sip.example.com');                      // 'wss://sip.example.com'
 * ```
 */
export function redactUrl(value: string): string {
  if (typeof value !== 'string') return '[unparsable URL]';
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(value.trim());
  if (!match) return '[unparsable URL]';
  const [, scheme, authority = '', path = '', query, fragment] = match;
  const at = authority.lastIndexOf('@');
  const host = at >= 0 ? `***@${authority.slice(at + 1)}` : authority;
  const redactedQuery =
    query === undefined
      ? ''
      : `?${query
          .slice(1)
          .split('&')
          .map((pair) => {
            if (pair === '') return pair;
            const eq = pair.indexOf('=');
            return `${eq >= 0 ? pair.slice(0, eq) : pair}=***`;
          })
          .join('&')}`;
  return `${scheme}${host}${path}${redactedQuery}${fragment === undefined ? '' : '#***'}`;
}

/**
 * Text safe to print to a terminal: C0 control characters (except tab and line feed when `multiline` is true), DEL
 * and C1 control characters are written as `\xNN` (`\u{NNNN}` above 0xFF for the line and paragraph separators), so
 * that a reason phrase or header from the network cannot move the cursor, retitle or clear the terminal, or forge
 * lines of output.
 *
 * @example
 * ```ts
 * escapeControl('a\u001b[2Jb');          // 'a\\x1b[2Jb'
 * escapeControl('one\r\ntwo');           // 'one\\x0d\\x0atwo'
 * escapeControl('one\ntwo', { multiline: true }); // 'one\ntwo'
 * ```
 */
export function escapeControl(text: string, { multiline = false }: { multiline?: boolean } = {}): string {
  // C0 (0x00-0x1F), DEL (0x7F), C1 (0x80-0x9F), and U+2028/U+2029 (line breaks for some terminals and loggers).
  return String(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    if (char === '\t' || (multiline && char === '\n')) return char;
    const code = char.charCodeAt(0);
    return code > 0xff ? `\\u{${code.toString(16)}}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
