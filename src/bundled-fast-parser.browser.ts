import type { InstallableFastParser } from './sip-parser';

/**
 * The browser build's stand-in for src/bundled-fast-parser.ts (tsup.config.ts swaps it in): no parser bundled. A page
 * runs one client, where the parser's ~14 kB gzipped would buy little; `fastParser` is then off unless the
 * application passes the parser from `sipstate/fast-parser`, and `fastParser: true` is a SipConfigError.
 *
 * @example
 * ```ts
 * const parser = resolveFastParser(options.fastParser, BUNDLED_FAST_PARSER); // undefined unless passed
 * ```
 */
export const BUNDLED_FAST_PARSER: InstallableFastParser | undefined = undefined;
