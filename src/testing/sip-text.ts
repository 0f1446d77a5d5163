/**
 * The little SIP text handling the fake server needs: read a message sip.js sent (start line, headers in order, body)
 * and write requests and responses. Loose on purpose: it reads what sip.js writes, not every form RFC 3261 allows.
 */

/** Compact header forms (RFC 3261 7.3.3) and their full names, lower case. */
const COMPACT: Readonly<Record<string, string>> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
};

/**
 * A SIP message as the fake server read it.
 *
 * @example
 * ```ts
 * const message: SipText | undefined = parseSip(text); // { method: 'BYE', uri: 'sip:...', headers: [...], body: '' }
 * ```
 */
export interface SipText {
  /** A request's method; undefined for a response. */
  readonly method?: string;
  /** A request's Request-URI. */
  readonly uri?: string;
  /** A response's status code. */
  readonly status?: number;
  /** Header lines in order: lower-case name (compact forms expanded) and value. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/**
 * Reads one SIP message; undefined when the start line is neither a request nor a response line.
 *
 * @example
 * ```ts
 * parseSip('OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n')?.method; // 'OPTIONS'
 * ```
 */
export function parseSip(text: string): SipText | undefined {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 4);
  const [startLine = '', ...lines] = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of lines) {
    const previous = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && previous) {
      previous[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.push([COMPACT[name] ?? name, line.slice(colon + 1).trim()]);
  }
  const response = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  if (response) return { status: Number(response[1]), headers, body };
  const request = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(startLine);
  if (request) return { method: request[1], uri: request[2], headers, body };
  return undefined;
}

/**
 * The first value of header `name` (lower case), or undefined.
 *
 * @example
 * ```ts
 * header(message, 'call-id'); // 'a84b4c76e66710'
 * ```
 */
export function header(message: SipText, name: string): string | undefined {
  return message.headers.find(([key]) => key === name)?.[1];
}

/**
 * Every value of header `name` (lower case), one per line, in order.
 *
 * @example
 * ```ts
 * headers(request, 'via'); // ['SIP/2.0/WS a.invalid;branch=z9hG4bK1']
 * ```
 */
export function headers(message: SipText, name: string): string[] {
  return message.headers.filter(([key]) => key === name).map(([, value]) => value);
}

/**
 * The CSeq number and method.
 *
 * @example
 * ```ts
 * cseqOf(response); // { seq: 2, method: 'REGISTER' }
 * ```
 */
export function cseqOf(message: SipText): { seq: number; method: string } {
  const [seq = '0', method = ''] = (header(message, 'cseq') ?? '').split(/\s+/);
  return { seq: Number(seq), method };
}

/**
 * Splits a From/To/Contact value into its URI and the text of its header parameters: a quoted display name is skipped,
 * the URI ends at the first `>` after its `<` (a URI holds no `>`), and what follows is the parameters, which may
 * themselves quote a `<...>` (RFC 5626's `+sip.instance="<urn:uuid:...>"`).
 */
function splitAddress(value: string): { uri: string; params: string } {
  let start = 0;
  const trimmed = value.trim();
  if (trimmed.startsWith('"')) {
    let i = 1;
    while (i < trimmed.length && trimmed[i] !== '"') i += trimmed[i] === '\\' ? 2 : 1;
    start = i + 1;
  }
  const open = trimmed.indexOf('<', start);
  if (open >= 0) {
    const close = trimmed.indexOf('>', open);
    if (close >= 0) return { uri: trimmed.slice(open + 1, close), params: trimmed.slice(close + 1) };
  }
  const semicolon = trimmed.indexOf(';', start);
  return semicolon < 0
    ? { uri: trimmed.slice(start).trim(), params: '' }
    : { uri: trimmed.slice(start, semicolon).trim(), params: trimmed.slice(semicolon) };
}

/**
 * The URI inside a name-addr or an addr-spec.
 *
 * @example
 * ```ts
 * addressUri('"Bob" <sip:bob@x>;tag=1'); // 'sip:bob@x'
 * addressUri('sip:bob@x;tag=1'); // 'sip:bob@x'
 * ```
 */
export function addressUri(value: string): string {
  return splitAddress(value).uri;
}

/**
 * The header parameters after the URI, names in lower case; a parameter without a value is ''. Quoted values stay
 * quoted, and a `;` inside quotes does not split.
 *
 * @example
 * ```ts
 * addressParams('<sip:a@b>;reg-id=1;+sip.instance="<urn:uuid:1>";expires=60'); // { 'reg-id': '1', '+sip.instance': '"<urn:uuid:1>"', expires: '60' }
 * ```
 */
export function addressParams(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of splitOutsideQuotes(splitAddress(value).params, ';')) {
    const equals = part.indexOf('=');
    const key = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
    if (key) params[key] = equals < 0 ? '' : part.slice(equals + 1).trim();
  }
  return params;
}

/**
 * Splits `text` at each `separator` that is not inside double quotes.
 *
 * @example
 * ```ts
 * splitOutsideQuotes('a;b="x;y"', ';'); // ['a', 'b="x;y"']
 * ```
 */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && quoted) i++;
    else if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * The user part of a SIP URI, or ''.
 *
 * @example
 * ```ts
 * uriUser('sip:alice@host;transport=ws'); // 'alice'
 * ```
 */
export function uriUser(uri: string): string {
  const match = /^sips?:([^@;>]*)@/.exec(uri);
  return match ? decodeURIComponent(match[1] as string) : '';
}

/**
 * Digest parameters of an Authorization header, names in lower case, quotes removed.
 *
 * @example
 * ```ts
 * digestParams('Digest username="a", nc=00000001'); // { username: 'a', nc: '00000001' }
 * ```
 */
export function digestParams(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  const pattern = /([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g;
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    params[(match[1] as string).toLowerCase()] = match[2] ?? match[3] ?? '';
  }
  return params;
}

const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  200: 'OK',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  603: 'Decline',
};

/**
 * The usual reason phrase of a status code.
 *
 * @example
 * ```ts
 * reasonPhrase(486); // 'Busy Here'
 * ```
 */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 300 ? 'OK' : 'Error');
}

/**
 * Writes a SIP message: start line, header lines, Content-Length (UTF-8 bytes of the body), blank line, body.
 *
 * @example
 * ```ts
 * writeSip('OPTIONS sip:a@b SIP/2.0', ['CSeq: 1 OPTIONS']); // '...\r\nContent-Length: 0\r\n\r\n'
 * ```
 */
export function writeSip(startLine: string, lines: readonly string[], body = ''): string {
  const length = new TextEncoder().encode(body).length;
  return [startLine, ...lines, `Content-Length: ${length}`, '', body].join('\r\n');
}

/**
 * A response to `request`: its Via lines, From, To (with `toTag` added when it has none), Call-ID and CSeq echoed.
 *
 * @example
 * ```ts
 * respond(register, 200, 'fake1', [`Contact: <sip:x@y.invalid>;expires=600`]);
 * ```
 */
export function respond(
  request: SipText,
  status: number,
  toTag: string,
  extra: readonly string[] = [],
  body = '',
): string {
  const to = header(request, 'to') ?? '';
  const lines = [
    ...headers(request, 'via').map((via) => `Via: ${via}`),
    `From: ${header(request, 'from') ?? ''}`,
    `To: ${/;\s*tag=/i.test(to) ? to : `${to};tag=${toTag}`}`,
    `Call-ID: ${header(request, 'call-id') ?? ''}`,
    `CSeq: ${header(request, 'cseq') ?? ''}`,
    ...extra,
  ];
  return writeSip(`SIP/2.0 ${status} ${reasonPhrase(status)}`, lines, body);
}
