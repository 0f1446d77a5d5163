import { redactUrl } from './redact';
import type { SipTraceEntry } from './sip/trace';

/**
 * How much sipstate logs: each level includes the ones after it (`debug` < `info` < `warn` < `error`); `silent` logs
 * nothing. `'log'` is the former name of `'info'`, kept as an alias.
 *
 * @example
 * ```ts
 * createSipClient({ ..., logLevel: 'info' }); // connections, warnings and errors; no SIP messages
 * createSipClient({ ..., logLevel: 'silent' }); // nothing at all
 * ```
 */
export type SipLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent' | 'log';

/** The methods every log sink has, whatever it calls its `info` level (see {@link SipLogSink}). */
interface SipLogMethods {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Where log lines go: any object with `debug`, `info`, `warn` and `error` methods (`console`, pino, winston, a
 * logger of your own). A sink with `log` in place of `info` (the shape sipstate asked for before) still works; when
 * a sink has both, `info` is used. Methods are called on the sink (`sink.info(line)`), so a logger whose methods need
 * their `this` works too.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 *
 * createSipClient({ ..., logger: pino(), logLevel: 'info' });
 * createSipClient({ ..., logger: { debug() {}, info: sendToServer, warn: sendToServer, error: sendToServer } });
 * ```
 */
export type SipLogSink = SipLogMethods & ({ info(message: string): void } | { log(message: string): void });

/** The levels a line can be written at, in order of severity. */
type LineLevel = 'debug' | 'info' | 'warn' | 'error';

/** Every value `logLevel` accepts, in order of severity (`'log'`, the alias of `'info'`, last). */
export const LOG_LEVELS: readonly SipLogLevel[] = ['debug', 'info', 'warn', 'error', 'silent', 'log'];

/** Rank of each level: a line is written when its rank is at least the logger's. */
const RANK: Readonly<Record<SipLogLevel, number>> = { debug: 0, info: 1, log: 1, warn: 2, error: 3, silent: 4 };

/**
 * `level` with the alias `'log'` turned into `'info'`.
 *
 * @example
 * ```ts
 * normalizeLogLevel('log'); // 'info'
 * ```
 */
export function normalizeLogLevel(level: SipLogLevel): Exclude<SipLogLevel, 'log'> {
  return level === 'log' ? 'info' : level;
}

/**
 * The sip.js `logLevel` that lets through what sipstate's `level` writes, no more: sip.js has no `info` (its `log`)
 * and no `silent` (its `error` is the quietest; sipstate's logger then drops those lines too).
 *
 * @example
 * ```ts
 * new UserAgent({ ..., logLevel: sipJsLogLevel('info') }); // 'log'
 * ```
 */
export function sipJsLogLevel(level: SipLogLevel): 'debug' | 'log' | 'warn' | 'error' {
  switch (level) {
    case 'debug':
    case 'warn':
    case 'error':
      return level;
    case 'info':
    case 'log':
      return 'log';
    case 'silent':
      return 'error';
  }
}

/**
 * A logger bound to a level: lines below it are dropped before they are formatted. Its `log` writes at `info` (the
 * sink's `info`, or its `log`): sip.js's name for that level, since sip.js's log connector calls `logger[level]`.
 */
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
const SECRET_HEADER =
  /^((?:proxy-)?authorization|www-authenticate|proxy-authenticate)[ \t]*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim;

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
 * The debug line of a SIP message, made from its trace entry (the one formatter of SIP messages in the log): `sent to
 * <server>:` or `received from <server>:`, then the message with its credentials already masked (the logger masks
 * every line again, and redacts the server URL). `client.sipTrace$` carries the same entries.
 *
 * @example
 * ```ts
 * logger.debug(() => sipMessageLine(buildTraceEntry('sent', message), 'wss://sip.example.com'));
 * // '[sipstate] sent to wss://sip.example.com:\nREGISTER sip:example.com SIP/2.0\r\nAuthorization: [redacted]...'
 * ```
 */
export function sipMessageLine(entry: SipTraceEntry, server: string): string {
  return `${entry.direction === 'sent' ? 'sent to' : 'received from'} ${server}:\n${entry.text}`;
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
  const threshold = RANK[level];
  // `info` when the sink has it, else its `log` (the former shape); called on the sink, for loggers that need `this`.
  const infoMethod = typeof (sink as { info?: unknown }).info === 'function' ? 'info' : 'log';
  const write = (at: LineLevel) => {
    const method = at === 'info' ? infoMethod : at;
    return (message: string | (() => string)) => {
      if (RANK[at] < threshold) return;
      const text = typeof message === 'function' ? message() : message;
      (sink as unknown as Record<string, (line: string) => void>)[method]!(
        `[sipstate] ${redactUrlsIn(redactSipMessage(text))}`,
      );
    };
  };
  return { debug: write('debug'), log: write('info'), warn: write('warn'), error: write('error') };
}
