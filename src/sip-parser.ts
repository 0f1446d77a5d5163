import { Grammar } from 'sip.js';
import { SipConfigError } from './errors';
import type { Logger } from './logger';

// The part of the fast parser's handling that every build has: which parser is active, and what the `fastParser`
// option may be. The parser itself (src/fast-parser.ts, ~14 kB gzipped) is bundled into the Node build only; the
// browser build reaches it only through `sipstate/fast-parser`.

/** Which SIP parser sip.js uses in this process or page. */
export type ActiveParser = 'fast' | 'sip.js';

/** sip.js's `Grammar.parse`: the one function through which sip.js parses everything. */
export type GrammarParse = (input: string, startRule: string) => unknown;

/**
 * sipstate's fast SIP parser as a value, exported by `sipstate/fast-parser`: what the `fastParser` option takes where
 * the parser is not bundled by default (sipstate's browser build, which bundlers pick for a page). Passing it installs
 * the parser exactly as `fastParser: true` does in Node.
 *
 * @example
 * ```ts
 * import { createSipClient } from 'sipstate';
 * import { fastParser } from 'sipstate/fast-parser';
 *
 * const client = createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', fastParser });
 * ```
 */
export interface FastParser {
  /** What this is, for logs and type checks: always `'sipstate fast SIP parser'`. */
  readonly name: 'sipstate fast SIP parser';
}

/** The fast parser with what installs it; the public {@link FastParser} type shows only its name. @internal */
export interface InstallableFastParser extends FastParser {
  /** Installs it into sip.js for the whole process or page (see `installFastParser`); returns the parser active then. */
  install(logger: Logger): ActiveParser;
}

// Process-wide (page-wide), like sip.js's Grammar object: the fast parse function once one was installed.
let installedParse: GrammarParse | undefined;

/** Records the parse function just put into `Grammar.parse`, for {@link activeParser}. @internal */
export function noteInstalledParser(parse: GrammarParse): void {
  installedParse = parse;
}

/**
 * Which SIP parser sip.js uses right now in this process or page: `'fast'` once a client has installed sipstate's
 * fast parser (`fastParser: true`, the default in Node; in a browser build, `fastParser` from `sipstate/fast-parser`),
 * `'sip.js'` before that, when no client asked for it, or when the installed sip.js is not one sipstate knows (then a
 * warning was logged).
 *
 * @example
 * ```ts
 * import { activeParser, createSipClient } from 'sipstate';
 *
 * const client = createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com' });
 * console.log(activeParser()); // 'fast' in Node, 'sip.js' in a browser build without `sipstate/fast-parser`
 * ```
 */
export function activeParser(): ActiveParser {
  return installedParse !== undefined && Grammar.parse === installedParse ? 'fast' : 'sip.js';
}

/**
 * The `fastParser` option resolved against the parser this build bundles (`bundled`: the fast parser in the Node
 * build, undefined in the browser build): the parser to install, or undefined for sip.js's own. Omitted means
 * `true` where a parser is bundled and `false` where none is; `true` without one is a SipConfigError, since the
 * application asked for something this build does not have. @internal
 */
export function resolveFastParser(
  value: unknown,
  bundled: InstallableFastParser | undefined,
): InstallableFastParser | undefined {
  if (value === undefined || value === true) {
    if (value === undefined || bundled !== undefined) return bundled;
    throw new SipConfigError(
      'fastParser',
      "is true, but sipstate's browser build has no fast parser: pass `fastParser` from 'sipstate/fast-parser'",
    );
  }
  if (value === false) return undefined;
  const candidate = value as Partial<InstallableFastParser> | null;
  if (candidate?.name === 'sipstate fast SIP parser' && typeof candidate.install === 'function')
    return candidate as InstallableFastParser;
  throw new SipConfigError(
    'fastParser',
    `must be true, false or \`fastParser\` from 'sipstate/fast-parser', got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`,
  );
}
