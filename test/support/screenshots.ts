import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where a test saves a screenshot named `name` (e.g. `react-registered.png`). Test runs write to test/artifacts/
 * (ignored by git), so `npm test` leaves the working tree as it found it; with `SIPSTATE_UPDATE_SCREENSHOTS=1` they
 * write to docs/screenshots/, the copies the README shows. The folder is created.
 *
 * @example
 * ```ts
 * await page.screenshot({ path: screenshotPath('statechart-reconnecting.png') });
 * ```
 */
export function screenshotPath(name: string): string {
  const folder =
    process.env.SIPSTATE_UPDATE_SCREENSHOTS === '1'
      ? join(ROOT, 'docs', 'screenshots')
      : join(ROOT, 'test', 'artifacts', 'screenshots');
  mkdirSync(folder, { recursive: true });
  return join(folder, name);
}
