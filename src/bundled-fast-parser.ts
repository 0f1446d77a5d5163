import { fastParser } from './fast-parser';
import type { InstallableFastParser } from './sip-parser';

/**
 * The fast parser this build bundles, which `fastParser: true` (and the option left out) installs: in the Node build,
 * sipstate's generated parser. The browser build (package.json's `browser` conditions, dist/browser/) is compiled
 * with src/bundled-fast-parser.browser.ts in this module's place (tsup.config.ts), which bundles none.
 *
 * @example
 * ```ts
 * const parser = resolveFastParser(options.fastParser, BUNDLED_FAST_PARSER); // src/options.ts
 * ```
 */
export const BUNDLED_FAST_PARSER: InstallableFastParser | undefined = fastParser;
