/**
 * How every browser test and benchmark runs Debian's Chromium (playwright-core; downloading a browser fails here).
 * The background-networking flags keep Chromium from reaching for Google's hosts on a machine with no network.
 *
 * @example
 * ```ts
 * const browser = await chromium.launch(chromiumOptions(['--use-fake-ui-for-media-stream']));
 * ```
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags every run uses. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launch options for `chromium.launch` / `launchPersistentContext`: Debian's binary, the common flags, then `extraArgs`. */
export function chromiumOptions(extraArgs: readonly string[] = []): { executablePath: string; args: string[] } {
  return { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] };
}
