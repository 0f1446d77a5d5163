import { redactSipMessage } from '../logger';

/**
 * One SIP message on the wire, as `client.sipTrace$` shows it: which way it went, when, what it is (method of a
 * request, status and reason of a response), its Call-ID and CSeq, and its text with the values of Authorization,
 * Proxy-Authorization, WWW-Authenticate and Proxy-Authenticate replaced by `[redacted]`.
 *
 * What is traced: every message sipstate sent on the socket (its requests, and its answers to the server's requests)
 * and every message it received and handed to sip.js. What is not: CRLF keep-alive pings and pongs (RFC 5626; not SIP
 * messages), and incoming messages the transport dropped before sip.js saw them (over `maxMessageBytes`, or out of the
 * shape bounds of the message guard): those are logged at warn as drops, counted, never delivered.
 *
 * The fields are read from the start line and the header lines, not parsed by sip.js: a message from the network may
 * hold anything a received message may hold (control characters included); escape before printing.
 *
 * @example
 * ```ts
 * client.sipTrace$.subscribe((entry) => {
 *   const what = entry.method ?? `${entry.status} ${entry.reason}`;
 *   console.log(`${entry.direction === 'sent' ? '→' : '←'} ${what} ${entry.cseq} ${entry.callId}`);
 * });
 * // → REGISTER 1 REGISTER 8d3h1...   ← 401 Unauthorized 1 REGISTER 8d3h1...   → REGISTER 2 REGISTER 8d3h1...
 * ```
 */
export interface SipTraceEntry {
  /** `sent` by this client, or `received` from the server. */
  readonly direction: 'sent' | 'received';
  /** When it was sent or received, in epoch milliseconds. */
  readonly at: number;
  /** A request's method (`REGISTER`, `INVITE`, ...); absent on responses. */
  readonly method?: string;
  /** A response's status code (`401`); absent on requests. */
  readonly status?: number;
  /** A response's reason phrase (`Unauthorized`, possibly empty); absent on requests. */
  readonly reason?: string;
  /** The Call-ID header's value (or compact `i`), when there is one. */
  readonly callId?: string;
  /** The CSeq header's value, sequence number and method (`2 REGISTER`), when there is one. */
  readonly cseq?: string;
  /** The whole message, credentials and digest challenges masked. */
  readonly text: string;
}

/**
 * Where the transport puts trace entries: an RxJS Subject fits. `observed` is read first, so that a client nobody
 * traces builds no entry.
 *
 * @example
 * ```ts
 * const sipTrace = new Subject<SipTraceEntry>();
 * new SipWebSocketTransport(WebSocket, logger, { trace: sipTrace });
 * ```
 */
export interface SipTraceSink {
  readonly observed: boolean;
  next(entry: SipTraceEntry): void;
}

const STATUS_LINE = /^SIP\/2\.0 (\d{3})(?: ([\s\S]*))?$/;

/**
 * The trace entry of `message`: start line, Call-ID and CSeq read in one pass over the header lines (up to the first
 * empty line, stopping once both are found), the text masked by `redactSipMessage`. Lines end with CRLF, as sip.js
 * splits them; a bare CR or LF stays inside the line (and its value).
 *
 * @example
 * ```ts
 * const challenge = 'SIP/2.0 401 Unauthorized\r\ni: abc\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest nonce="n"\r\n\r\n';
 * buildTraceEntry('received', challenge);
 * // { direction: 'received', at: Date.now(), status: 401, reason: 'Unauthorized', callId: 'abc', cseq: '1 REGISTER',
 * //   text: 'SIP/2.0 401 Unauthorized\r\ni: abc\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: [redacted]\r\n\r\n' }
 * ```
 */
export function buildTraceEntry(direction: 'sent' | 'received', message: string, at = Date.now()): SipTraceEntry {
  const headerEnd = message.indexOf('\r\n\r\n');
  const head = headerEnd < 0 ? message : message.slice(0, headerEnd);
  let lineEnd = head.indexOf('\r\n');
  const startLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
  let callId: string | undefined;
  let cseq: string | undefined;
  while (lineEnd >= 0 && (callId === undefined || cseq === undefined)) {
    const lineStart = lineEnd + 2;
    lineEnd = head.indexOf('\r\n', lineStart);
    const line = head.slice(lineStart, lineEnd < 0 ? head.length : lineEnd);
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (callId === undefined && (name === 'call-id' || name === 'i')) callId = line.slice(colon + 1).trim();
    else if (cseq === undefined && name === 'cseq') cseq = line.slice(colon + 1).trim();
  }
  const status = STATUS_LINE.exec(startLine);
  const space = startLine.indexOf(' ');
  const kind = status
    ? { status: Number(status[1]), reason: status[2] ?? '' }
    : startLine === ''
      ? {}
      : { method: space < 0 ? startLine : startLine.slice(0, space) };
  return {
    direction,
    at,
    ...kind,
    ...(callId !== undefined && { callId }),
    ...(cseq !== undefined && { cseq }),
    text: redactSipMessage(message),
  };
}
