/**
 * `sipstate/fast-parser`: sipstate's fast SIP parser, for the builds that do not bundle it by default. The Node build
 * of `sipstate` installs it on its own (`fastParser: true` is the default there); the browser build, which bundlers
 * pick for a page, leaves it out (~14 kB gzipped) and installs it only when it is passed as the `fastParser` option.
 *
 * @example
 * ```ts
 * import { createSipClient } from 'sipstate';
 * import { fastParser } from 'sipstate/fast-parser';
 *
 * const client = createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', fastParser });
 * ```
 *
 * @module
 */
import { fastParser as installableFastParser } from './fast-parser';
import type { FastParser } from './sip-parser';

export type { FastParser } from './sip-parser';

/**
 * The fast SIP parser, to pass as the `fastParser` option: the first client created with it installs it into sip.js
 * for the whole page or process (as `fastParser: true` does in Node), after checking that the installed sip.js is the
 * one it was generated from (else sip.js's own parser stays, with one warning).
 *
 * @example
 * ```ts
 * import { activeParser, createSipClient } from 'sipstate';
 * import { fastParser } from 'sipstate/fast-parser';
 *
 * createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', fastParser });
 * activeParser(); // 'fast'
 * ```
 */
export const fastParser: FastParser = installableFastParser;
