/**
 * The CLI's output and exit codes: lines to stdout and stderr, the timestamp and column padding of the timeline, and
 * the usage error (printed with the command's usage line, exit code 2).
 *
 * @example
 * ```ts
 * out(`${timestamp()}  ${pad('sip', 12)} → REGISTER`);
 * ```
 */

/** A usage error: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {}

export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

export const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
export const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Now, as an ISO 8601 timestamp (the timeline's first column). */
export function timestamp(): string {
  return new Date().toISOString();
}

/** `text` padded with spaces to `width` columns. */
export function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
