import { Grammar, version as sipJsVersion } from 'sip.js';
import { parse as generatedParse, SOURCE_PACKAGE_VERSION, SOURCE_RUNTIME_VERSION } from './generated/sip-grammar';
import type { Logger } from './logger';
import {
  activeParser,
  noteInstalledParser,
  type ActiveParser,
  type GrammarParse,
  type InstallableFastParser,
} from './sip-parser';

// The generated parser and what installs it: in the Node build's `createSipClient` (the default) and in
// `sipstate/fast-parser`; never in the browser build's `sipstate` entry (see src/bundled-fast-parser.browser.ts).

/**
 * sip.js's `Grammar.parse` contract, over the parser generated from sip.js's own grammar at build time
 * (scripts/generate-grammar.ts): the result is what the grammar's actions put in `options.data`, -1 on any failure.
 */
function fastGrammarParse(input: string, startRule: string): unknown {
  const options: { startRule: string; data?: unknown } = { startRule };
  try {
    (generatedParse as (input: string, options: object) => unknown)(input, options);
  } catch {
    options.data = -1;
  }
  return options.data;
}

/**
 * Inputs whose parses must come out the same from sip.js's parser and the generated one before the generated one is
 * installed: one or more for every start rule, valid and invalid. A sip.js whose grammar differs from the one the
 * build saw (patched, or another release reporting the same version) shows up here.
 */
const PROBES: ReadonlyArray<readonly [string, string]> = [
  // Each probe through sip.js's parser re-decodes its whole grammar (~1 ms): a dozen, on the rules every message and
  // registration goes through. The differential tests cover every rule.
  ['SIP/2.0 401 Unauthorized', 'Request_Response'],
  ['REGISTER sip:sipstate.test SIP/2.0', 'Request_Response'],
  ['SIP/2.0/WSS qx2v.invalid;branch=z9hG4bK5501;received=127.0.0.1;rport=40312', 'Via'],
  ['"Load 7" <sip:load7@sipstate.test>;tag=f00d', 'From'],
  ['<sip:load7@sipstate.test>;tag=as9', 'To'],
  ['<sip:load7@qx2v.invalid;transport=ws>;expires=600;+sip.ice, <sips:b@[::1]:5061>;q=0.5', 'Contact'],
  ['<sip:127.0.0.1:5060;lr;r2=on>, <sip:127.0.0.1:5066;transport=ws;lr>', 'Record_Route'],
  ['2 REGISTER', 'CSeq'],
  ['a84b4c76e66710@pc33.atlanta.example', 'Call_ID'],
  ['Digest realm="sipstate.test", nonce="6a1f", qop="auth,auth-int", algorithm=MD5, stale=TRUE', 'WWW_Authenticate'],
  ['sip:%61lice@sipstate.test:5060;transport=ws?subject=hi%20there', 'SIP_URI'],
  ['<sip:broken', 'Contact'],
];

/** Structural equality of two parse results: same prototypes, same own keys, equal values, recursively. */
export function sameParseResult(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  const recordA = a as Record<string, unknown>;
  const recordB = b as Record<string, unknown>;
  return keysA.every((key, index) => key === keysB[index] && sameParseResult(recordA[key], recordB[key]));
}

// Process-wide (page-wide) state: sip.js's Grammar object is one per process, and so is this.
let checked = false;
let unavailableReason: string | undefined;
let warned = false;

/**
 * Why the generated parser cannot stand in for this sip.js, or undefined when it can: the version sip.js reports, then
 * the probes through `original` (sip.js's `Grammar.parse`) and the generated parser. @internal
 */
export function checkCompatible(original: GrammarParse, reportedVersion: unknown = sipJsVersion): string | undefined {
  if (reportedVersion !== SOURCE_RUNTIME_VERSION) {
    return (
      `the installed sip.js reports version ${String(reportedVersion)}; the fast parser was generated from sip.js ` +
      `${SOURCE_PACKAGE_VERSION} (which reports ${SOURCE_RUNTIME_VERSION})`
    );
  }
  for (const [input, rule] of PROBES) {
    if (!sameParseResult(original(input, rule), fastGrammarParse(input, rule))) {
      return `the installed sip.js parses ${JSON.stringify(input)} (rule ${rule}) differently from the generated parser`;
    }
  }
  return undefined;
}

/**
 * Makes sip.js parse with the generated parser, for the whole process or page. Idempotent. When the installed sip.js
 * is not the one the parser was generated from, leaves sip.js's parser in place and warns once through `logger`.
 *
 * @returns the parser active afterwards.
 */
export function installFastParser(logger: Logger): ActiveParser {
  if (Grammar.parse === fastGrammarParse) return 'fast';
  if (!checked) {
    checked = true;
    unavailableReason = checkCompatible(Grammar.parse as GrammarParse);
  }
  if (unavailableReason === undefined) {
    try {
      // sip.js calls its parser only through this property (nameAddrHeaderParse and URIParse too).
      (Grammar as { parse: GrammarParse }).parse = fastGrammarParse;
      noteInstalledParser(fastGrammarParse);
    } catch (error) {
      unavailableReason = `sip.js's Grammar object cannot be changed (${String(error)})`;
    }
  }
  if (unavailableReason !== undefined && !warned) {
    warned = true;
    logger.warn(`fast SIP parser not installed, sip.js's own parser stays in use: ${unavailableReason}`);
  }
  return activeParser();
}

/**
 * sipstate's fast SIP parser as a value (see `FastParser`): what `sipstate/fast-parser` exports, and what
 * `fastParser: true` means where it is bundled. @internal
 */
export const fastParser: InstallableFastParser = Object.freeze({
  name: 'sipstate fast SIP parser',
  install: installFastParser,
});

/** The generated parser with sip.js's `Grammar.parse` contract. @internal */
export { fastGrammarParse };
