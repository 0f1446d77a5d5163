import { redactUrl } from './redact';

/** How much sipstate logs: each level includes the ones after it. */
export type SipLogLevel = 'debug' | 'log' | 'warn' | 'error';

/** Where log lines go. `console` fits; so does any logger with these four methods. */
export interface SipLogSink {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The levels in order of severity. */
export const LOG_LEVELS: readonly SipLogLevel[] = ['debug', 'log', 'warn', 'error'];

/** A logger bound to a level: lines below it are dropped before they are formatted. */
export interface Logger {
  debug(message: string | (() => string)): void;
  log(message: string | (() => string)): void;
  warn(message: string | (() => string)): void;
  error(message: string | (() => string)): void;
}

/**
 * Header fields whose values are credentials or digest material: Authorization and Proxy-Authorization (the digest
 * response), WWW-Authenticate and Proxy-Authenticate (the challenge it answers). The whole value goes, continuation
 * lines (a folded header: next lines starting with a space or tab) included.
 */
const SECRET_HEADER = /^((?:proxy-)?authorization|www-authenticate|proxy-authenticate)[ \t]*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim;

/**
 * Anything shaped `scheme://...`, up to white space or quotes, and not ending in punctuation that follows a URL in
 * prose (`sent to ws://host:` keeps its colon).
 */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*[^\s"'<>:.,;)\]]/gi;

/**
 * Replaces the value of every Authorization-like header in a SIP message with `[redacted]`: the header's value, not
 * every place its text happens to appear (masking a password wherever it occurs would show it by what it changes when
 * it equals the user name).
 *
 * @example
 * ```ts
 * redactSipMessage('REGISTER sip:x SIP/2.0\r\nAuthorization: Digest username="alice", response="..."\r\n');
 * // 'REGISTER sip:x SIP/2.0\r\nAuthorization: [redacted]\r\n'
 * ```
 */
export function redactSipMessage(message: string): string {
  return message.replace(SECRET_HEADER, (_value, name: string) => `${name}: [redacted]`);
}

/**
 * Every URL in `text` with its user-info and query values redacted (see `redactUrl`), the rest of the text as it is.
 *
 * @example
 * ```ts
 * redactUrlsIn('WebSocket closed wss://alice:pw@sip.example.com/ws?token=t (code: 1006)');
 * // 'WebSocket closed wss://***@sip.example.com/ws?token=*** (code: 1006)'
 * ```
 */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url));
}

/**
 * Creates the logger sipstate and its sip.js user agent write through. Every line is redacted before the sink sees
 * it: Authorization-like header values are masked and URLs lose their user-info and query values.
 *
 * @example
 * ```ts
 * const logger = createLogger('warn', console);
 * logger.debug(() => expensiveDump()); // not evaluated at 'warn'
 * ```
 */
export function createLogger(level: SipLogLevel, sink: SipLogSink): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const write = (at: SipLogLevel) => (message: string | (() => string)) => {
    if (LOG_LEVELS.indexOf(at) < threshold) return;
    const text = typeof message === 'function' ? message() : message;
    sink[at](`[sipstate] ${redactUrlsIn(redactSipMessage(text))}`);
  };
  return { debug: write('debug'), log: write('log'), warn: write('warn'), error: write('error') };
}
