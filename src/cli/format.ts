/**
 * How the `sipstate` CLI turns what it sees into lines of terminal output. Everything that came from the network (a
 * reason phrase, a method, a header value, an error message quoting them) goes through {@link terminalText} first: a
 * server cannot retitle or clear the terminal, move the cursor or forge lines of output, and no URL shows a secret.
 *
 * @example
 * ```ts
 * sipSummary(buildTraceEntry('received', 'SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\n\r\n'));
 * // '← 200 OK (REGISTER)'
 * ```
 */
import { allStates, describeMachine, MACHINE_NAMES, MACHINES } from '../diagram/definition';
import { SipError } from '../errors';
import { redactUrlsIn } from '../logger';
import { escapeControl } from '../redact';
import type { SipTraceEntry } from '../sip/trace';

/** Longest piece of network text shown on one line; the rest is cut (a reason phrase may be 60 KB). */
const MAX_SHOWN_CHARS = 200;

/**
 * `text` as one line that is safe to print: URLs without user-info or query values, control characters (C0, DEL, C1,
 * U+2028/9) written as `\xNN`, so CR, LF and escape sequences print as text.
 *
 * @example
 * ```ts
 * terminalText('Busy\u001b]0;pwned\u0007'); // 'Busy\\x1b]0;pwned\\x07'
 * ```
 */
export function terminalText(text: unknown): string {
  return escapeControl(redactUrlsIn(String(text)));
}

/** {@link terminalText}, cut to `MAX_SHOWN_CHARS` characters (before escaping: an escape is never cut in half). */
function clipped(text: string): string {
  return terminalText(text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text);
}

/**
 * One line for a SIP message of `client.sipTrace$`, or undefined for an entry without a start line. The arrow is the
 * entry's direction: `→` sent by sipstate (its requests, and its answers to the server's requests), `←` received
 * (responses, and requests the server sends: INVITE, MESSAGE, OPTIONS, NOTIFY, ...). A REGISTER and its responses
 * show the expiry (Contact `expires`, else the Expires header).
 *
 * @example
 * ```ts
 * sipSummary(buildTraceEntry('sent', 'REGISTER sip:example.com SIP/2.0\r\nContact: <sip:a@b>;expires=60\r\n\r\n'));
 * // '→ REGISTER expires=60'
 * sipSummary(buildTraceEntry('received', 'INVITE sip:alice@example.com SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n'));
 * // '← INVITE'
 * ```
 */
export function sipSummary(entry: SipTraceEntry): string | undefined {
  const arrow = entry.direction === 'sent' ? '→' : '←';
  const expires = expiresOf(entry);
  if (entry.status !== undefined) {
    const cseqMethod = /^\S*\s+(\S+)/.exec(entry.cseq ?? '')?.[1] ?? '?';
    const reason = entry.reason ?? '';
    const expiry = expires !== undefined ? `, expires=${expires}` : '';
    return `${arrow} ${entry.status} ${clipped(reason)} (${clipped(cseqMethod)}${expiry})`;
  }
  if (entry.method === undefined) return undefined;
  return `${arrow} ${clipped(entry.method)}${expires !== undefined ? ` expires=${expires}` : ''}`;
}

/**
 * The expiry a message asks for or grants: the `expires` parameter of its (first) Contact, else its Expires header;
 * undefined when it has neither. Read from the header section only.
 *
 * @example
 * ```ts
 * expiresOf(buildTraceEntry('sent', 'REGISTER sip:x SIP/2.0\r\nContact: *\r\nExpires: 0\r\n\r\n')); // 0
 * ```
 */
export function expiresOf(entry: SipTraceEntry): number | undefined {
  const headerEnd = entry.text.indexOf('\r\n\r\n');
  const head = headerEnd < 0 ? entry.text : entry.text.slice(0, headerEnd);
  const value =
    /^(?:Contact|m)[ \t]*:[^\r\n]*;[ \t]*expires=(\d{1,10})/im.exec(head)?.[1] ??
    /^Expires[ \t]*:[ \t]*(\d{1,10})/im.exec(head)?.[1];
  return value === undefined ? undefined : Number(value);
}

/**
 * `{ connected: 'idle' }` as `connected.idle`; parallel regions joined with ` | `.
 *
 * @example
 * ```ts
 * stateValueText({ network: 'online', connection: { connected: 'idle' } }); // 'network.online | connection.connected.idle'
 * ```
 */
export function stateValueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([key, child]) => {
      const inner = stateValueText(child);
      return inner.includes(' | ') ? `${key}.(${inner})` : `${key}.${inner}`;
    })
    .join(' | ');
}

/** Invoke id (`0.transport.connecting`) to the invoked actor's name (`connectTransport`), from the definitions. */
const INVOKED_ACTORS = new Map(
  MACHINE_NAMES.flatMap((name) =>
    allStates(describeMachine(MACHINES[name])).flatMap((state) =>
      state.invokes.map((invoke) => [invoke.id, invoke.src] as const),
    ),
  ),
);

/**
 * A SipError as `kind code: message`, safe to print (the message may quote a reason phrase from the server).
 *
 * @example
 * ```ts
 * errorText(new SipError('rejected', 'Registration rejected: 403 Forbidden', { code: 403 })); // 'rejected 403: Registration rejected: 403 Forbidden'
 * ```
 */
export function errorText(error: SipError): string {
  return terminalText(`${error.kind}${error.code !== undefined ? ` ${error.code}` : ''}: ${error.message}`);
}

/**
 * What caused a transition, with the SIP status code when there is one; safe to print.
 *
 * @example
 * ```ts
 * eventText({ type: 'xstate.done.actor.0.transport.connecting' }); // 'done connectTransport'
 * ```
 */
export function eventText(event: { type: string; error?: unknown; output?: unknown }): string {
  const actor = (id: string): string => INVOKED_ACTORS.get(id) ?? id;
  let text = event.type
    .replace(/^xstate\.(done|error)\.actor\.(.*)$/, (_all, kind: string, id: string) => `${kind} ${actor(id)}`)
    .replace(/^xstate\.after\.([^.]+)\..*$/, 'after $1')
    .replace(/^xstate\.snapshot\.(.*)$/, (_all, id: string) => `snapshot ${actor(id)}`);
  const { error, output } = event;
  if (error instanceof SipError) {
    text += ` (${error.kind}${error.code !== undefined ? ` ${error.code}` : ''}${error.reason ? ` ${error.reason}` : ''}: ${error.message})`;
  } else if (error !== undefined) {
    text += ` (${String((error as Error)?.message ?? error)})`;
  }
  const outcome = output as { type?: string; expires?: number; minExpires?: number } | undefined;
  if (outcome?.type === 'registered') text += ` (2xx, expires ${outcome.expires} s granted)`;
  if (outcome?.type === 'intervalTooBrief') text += ` (423 Interval Too Brief, Min-Expires ${outcome.minExpires})`;
  return terminalText(text);
}

/**
 * An error nobody expected, for stderr: its message on one escaped line, then its stack frames (which are ours).
 *
 * @example
 * ```ts
 * unexpectedErrorText(new Error('boom\u001b[2J')); // 'Error: boom\\x1b[2J\n    at ...'
 * ```
 */
export function unexpectedErrorText(error: unknown): string {
  if (!(error instanceof Error)) return terminalText(error);
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return [terminalText(`${error.name}: ${error.message}`), ...frames.map((frame) => terminalText(frame))].join('\n');
}
