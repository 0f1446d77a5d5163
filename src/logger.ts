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

// Header lines that carry credentials or digest responses: their values never reach a log line.
const SECRET_HEADER = /^((?:proxy-)?authorization|www-authenticate|proxy-authenticate)\s*:.*$/gim;

/** Replaces the value of every Authorization-like header in a SIP message with `[redacted]`. */
export function redactSipMessage(message: string): string {
  return message.replace(SECRET_HEADER, (_line, name: string) => `${name}: [redacted]`);
}

/**
 * Creates the logger sipstate and its sip.js user agent write through.
 *
 * @example
 * ```ts
 * const logger = createLogger('warn', console);
 * logger.debug(() => expensiveDump()); // not evaluated at 'warn'
 * ```
 */
export function createLogger(level: SipLogLevel, sink: SipLogSink, secrets: readonly string[] = []): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  // A last line of defence: a secret that slipped into a message (e.g. from a library error) is masked.
  const mask = (text: string): string =>
    secrets.reduce((out, secret) => (secret ? out.split(secret).join('[redacted]') : out), text);
  const write = (at: SipLogLevel) => (message: string | (() => string)) => {
    if (LOG_LEVELS.indexOf(at) < threshold) return;
    const text = typeof message === 'function' ? message() : message;
    sink[at](`[sipstate] ${mask(redactSipMessage(text))}`);
  };
  return { debug: write('debug'), log: write('log'), warn: write('warn'), error: write('error') };
}
