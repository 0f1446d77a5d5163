/**
 * Shape limits checked on every incoming SIP message before sip.js parses it.
 *
 * sip.js 0.21.2's message parser (`core/messages/parser.js`) is quadratic on some input: a header line without a
 * colon makes it take everything from the start of the message as the header's name (16,000 such lines, 156 KB, took
 * 5.8 s and 1.2 GB of heap), and each Via line, Contact entry and Record-Route entry makes it copy the list of the ones
 * before (a Contact with 40,000 entries blocked the event loop 14 s). No legitimate message comes near these limits:
 * the largest stacks in the captured Kamailio and sipp traffic (test/corpus/captured.json) are a few entries deep.
 *
 * The check is one linear pass over the header section (start line up to the first empty line), with no regular
 * expression; the body is not read. Lines end with CRLF, as sip.js splits them.
 *
 * @example
 * ```ts
 * checkMessageShape('SIP/2.0 200 OK\r\nVia: SIP/2.0/WS h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n'); // undefined
 * checkMessageShape('SIP/2.0 200 OK\r\nno colon here\r\n\r\n'); // 'header line 1 has no colon'
 * ```
 */

/**
 * Longest start line (request line or status line) accepted: 8 KiB, counted in characters (UTF-16 code units, never
 * more than the line's UTF-8 bytes).
 *
 * @example
 * ```ts
 * checkMessageShape(`MESSAGE sip:${'a'.repeat(MAX_START_LINE_LENGTH)}@x SIP/2.0\r\n\r\n`); // 'start line longer than 8192 characters'
 * ```
 */
export const MAX_START_LINE_LENGTH = 8 * 1024;

/**
 * Longest single header line accepted: 16 KiB, in characters. A folded header's continuation lines are lines of their
 * own here, each within this limit.
 *
 * @example
 * ```ts
 * checkMessageShape(`SIP/2.0 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEADER_LINE_LENGTH)}\r\n\r\n`); // 'header line 1 longer than 16384 characters'
 * ```
 */
export const MAX_HEADER_LINE_LENGTH = 16 * 1024;

/**
 * Most lines accepted in the header section, after the start line: continuation lines of folded headers count too.
 *
 * @example
 * ```ts
 * checkMessageShape(`SIP/2.0 200 OK\r\n${'X-A: 1\r\n'.repeat(MAX_HEADER_LINES + 1)}\r\n`); // 'more than 256 header lines'
 * ```
 */
export const MAX_HEADER_LINES = 256;

/**
 * Most Via entries accepted: Via (and compact `v`) header lines plus the commas separating entries in their values.
 *
 * @example
 * ```ts
 * const vias = 'Via: SIP/2.0/WS h;branch=z9hG4bK1\r\n'.repeat(MAX_VIA_ENTRIES + 1);
 * checkMessageShape(`SIP/2.0 200 OK\r\n${vias}\r\n`); // 'more than 32 Via entries'
 * ```
 */
export const MAX_VIA_ENTRIES = 32;

/**
 * Most Route entries accepted, counted as for {@link MAX_VIA_ENTRIES}.
 *
 * @example
 * ```ts
 * checkMessageShape(`BYE sip:a@b SIP/2.0\r\nRoute: ${Array(MAX_ROUTE_ENTRIES + 1).fill('<sip:p;lr>').join(',')}\r\n\r\n`); // 'more than 32 Route entries'
 * ```
 */
export const MAX_ROUTE_ENTRIES = 32;

/**
 * Most Record-Route entries accepted, counted as for {@link MAX_VIA_ENTRIES}.
 *
 * @example
 * ```ts
 * checkMessageShape(`SIP/2.0 200 OK\r\nRecord-Route: ${Array(33).fill('<sip:p;lr>').join(', ')}\r\n\r\n`); // 'more than 32 Record-Route entries'
 * ```
 */
export const MAX_RECORD_ROUTE_ENTRIES = 32;

/**
 * Most Contact entries accepted: Contact (and compact `m`) header lines plus the commas between entries, outside
 * quoted display names and outside `<...>`.
 *
 * @example
 * ```ts
 * checkMessageShape(`SIP/2.0 200 OK\r\nm: ${Array(65).fill('<sip:a@b>').join(',')}\r\n\r\n`); // 'more than 64 Contact entries'
 * ```
 */
export const MAX_CONTACT_ENTRIES = 64;

/**
 * Largest `Expires` accepted on an incoming INVITE, in seconds: sip.js 0.21.2 starts `setTimeout(expires * 1000)` for
 * it (RFC 3261 13.3.1) without a clamp, and a timer above 2^31-1 ms fires after 1 ms, so `Expires: 1e10` would end the
 * call at once with 487. An INVITE whose Expires is not 1 to 7 decimal digits within this bound is dropped.
 *
 * @example
 * ```ts
 * checkMessageShape('INVITE sip:a@b SIP/2.0\r\nExpires: 1e10\r\n\r\n'); // 'INVITE Expires is not 0..2147483 seconds'
 * ```
 */
export const MAX_INVITE_EXPIRES_SEC = Math.floor((2 ** 31 - 1) / 1000);

const SP = 0x20;
const HT = 0x09;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;

/** The headers whose entries are counted, with their limits; compact forms map to the same entry. */
const COUNTED: ReadonlyMap<string, { name: string; max: number }> = (() => {
  const via = { name: 'Via', max: MAX_VIA_ENTRIES };
  const contact = { name: 'Contact', max: MAX_CONTACT_ENTRIES };
  return new Map([
    ['via', via],
    ['v', via],
    ['contact', contact],
    ['m', contact],
    ['route', { name: 'Route', max: MAX_ROUTE_ENTRIES }],
    ['record-route', { name: 'Record-Route', max: MAX_RECORD_ROUTE_ENTRIES }],
  ]);
})();
/** Longer than any counted name, with room for the spaces sip.js trims around a name. */
const LONGEST_COUNTED_NAME = 32;

/**
 * Why an incoming SIP message must not reach sip.js's parser, or `undefined` when its shape is within the limits:
 * start line at most {@link MAX_START_LINE_LENGTH}; at most {@link MAX_HEADER_LINES} header lines, each at most
 * {@link MAX_HEADER_LINE_LENGTH} and each either holding a colon or continuing the header before it (starting with a
 * space or tab); at most {@link MAX_VIA_ENTRIES} Via, {@link MAX_ROUTE_ENTRIES} Route, {@link MAX_RECORD_ROUTE_ENTRIES}
 * Record-Route and {@link MAX_CONTACT_ENTRIES} Contact entries. The reason names the limit, never the message's bytes.
 *
 * Runs in time linear in the header section's length. Everything else (a malformed start line, a header section with
 * no end, bad header values) is left to sip.js, which rejects it cheaply.
 *
 * @example
 * ```ts
 * const reason = checkMessageShape(text);
 * if (reason === undefined) userAgentOnMessage(text);
 * else logger.warn(`dropped an incoming message: ${reason}`);
 * ```
 */
export function checkMessageShape(text: string): string | undefined {
  const length = text.length;
  const startEnd = lineEnd(text, 0);
  if (startEnd > MAX_START_LINE_LENGTH) return `start line longer than ${MAX_START_LINE_LENGTH} characters`;

  const isInvite = text.startsWith('INVITE ');
  const entries = new Map<string, number>();
  // The counted header the current line belongs to (a continuation line belongs to the header before it).
  let counted: { name: string; max: number } | undefined;
  let inQuotes = false;
  let inAngles = false;
  let sawHeader = false;
  let lines = 0;
  let position = startEnd + 2;
  while (position < length) {
    const end = lineEnd(text, position);
    if (end === position) return undefined; // the empty line: end of the header section
    lines += 1;
    if (lines > MAX_HEADER_LINES) return `more than ${MAX_HEADER_LINES} header lines`;
    if (end - position > MAX_HEADER_LINE_LENGTH) {
      return `header line ${lines} longer than ${MAX_HEADER_LINE_LENGTH} characters`;
    }

    let valueStart: number;
    const first = text.charCodeAt(position);
    if (first === SP || first === HT) {
      if (!sawHeader) return `header line ${lines} continues no header`;
      valueStart = position;
    } else {
      // indexOf may look past this line only when the line has no colon, and then the pass ends here.
      const colon = text.indexOf(':', position);
      if (colon === -1 || colon >= end) return `header line ${lines} has no colon`;
      sawHeader = true;
      const name =
        colon - position <= LONGEST_COUNTED_NAME ? text.slice(position, colon).trim().toLowerCase() : undefined;
      counted = name === undefined ? undefined : COUNTED.get(name);
      if (isInvite && name === 'expires' && !isTimerSeconds(text.slice(colon + 1, end))) {
        return `INVITE Expires is not 0..${MAX_INVITE_EXPIRES_SEC} seconds`;
      }
      inQuotes = false;
      inAngles = false;
      if (counted !== undefined) {
        const count = (entries.get(counted.name) ?? 0) + 1;
        if (count > counted.max) return `more than ${counted.max} ${counted.name} entries`;
        entries.set(counted.name, count);
      }
      valueStart = colon + 1;
    }

    if (counted !== undefined) {
      // Commas separate entries, except inside a quoted string (with backslash escapes) or a <URI>.
      let count = entries.get(counted.name) ?? 0;
      for (let index = valueStart; index < end; index += 1) {
        const code = text.charCodeAt(index);
        if (inQuotes) {
          if (code === BACKSLASH) index += 1;
          else if (code === QUOTE) inQuotes = false;
        } else if (inAngles) {
          if (code === GREATER_THAN) inAngles = false;
        } else if (code === QUOTE) {
          inQuotes = true;
        } else if (code === LESS_THAN) {
          inAngles = true;
        } else if (code === COMMA) {
          count += 1;
          if (count > counted.max) return `more than ${counted.max} ${counted.name} entries`;
        }
      }
      entries.set(counted.name, count);
    }
    position = end + 2;
  }
  return undefined;
}

/** Where the line starting at `from` ends: the index of its CRLF, or the text's length when none follows. */
function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\r\n', from);
  return end === -1 ? text.length : end;
}

/** Whether `value` is plain decimal seconds (1 to 7 digits, spaces around allowed) no larger than the INVITE bound. */
function isTimerSeconds(value: string): boolean {
  const digits = value.trim();
  if (digits.length === 0 || digits.length > 7) return false;
  for (let index = 0; index < digits.length; index += 1) {
    const code = digits.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return false;
  }
  return Number(digits) <= MAX_INVITE_EXPIRES_SEC;
}
