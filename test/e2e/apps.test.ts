/**
 * End to end: every example app (examples/angular, svelte, react), built for production and served from loopback,
 * driven in Debian's Chromium through the same scenario list, against a real Kamailio.
 * The apps are built by `npm run test:examples`; this runs as `npm run test:e2e` (npm test runs both, after the other
 * suites). Screenshots go to test/artifacts/screenshots/ (docs/screenshots/ with SIPSTATE_UPDATE_SCREENSHOTS=1).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { chromiumOptions } from '../support/chromium';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startKamailio, type KamailioServer } from '../support/kamailio';
import { screenshotPath } from '../support/screenshots';
import { scenarios, sharedTabs } from './scenarios';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Each app and the folder its production build lands in. */
const APPS = {
  angular: 'examples/angular/dist/browser',
  svelte: 'examples/svelte/dist',
  react: 'examples/react/dist',
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** A static file server for one built app on a free loopback port; unknown paths get index.html (client routing). */
async function serve(folder: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    let file = join(folder, path);
    if (!file.startsWith(folder) || !existsSync(file) || statSync(file).isDirectory())
      file = join(folder, 'index.html');
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

let kamailio: KamailioServer;
let browser: Browser;
const servers: Server[] = [];

beforeAll(async () => {
  for (const [app, dist] of Object.entries(APPS)) {
    if (!existsSync(join(ROOT, dist, 'index.html'))) {
      throw new Error(`examples/${app} is not built: run \`npm run test:examples\` first (npm test does)`);
    }
  }
  kamailio = await startKamailio();
  // launch() gives the browser a fresh, temporary user-data dir of its own and removes it on close.
  browser = await chromium.launch(chromiumOptions());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await kamailio?.stop();
});

describe.each(Object.entries(APPS))('examples/%s in Chromium', (app, dist) => {
  let url: string;
  beforeAll(async () => {
    const served = await serve(resolve(ROOT, dist));
    servers.push(served.server);
    url = served.url;
  });

  it.each(scenarios)(
    '$name',
    async (scenario) => {
      // A fresh context per scenario: no state carried over between them.
      const context = await browser.newContext({ viewport: { width: 760, height: 560 } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      try {
        await page.goto(url);
        await page.getByTestId('start').waitFor();
        await scenario.run({
          app,
          page,
          kamailio,
          screenshot: async (state) => {
            await page.screenshot({
              path: screenshotPath(`${app}-${state}.png`),
              fullPage: true,
              animations: 'disabled',
            });
          },
        });
        if (pageErrors.length > 0) throw new Error(`uncaught errors in the page: ${pageErrors.join('; ')}`);
      } finally {
        await context.close();
        if (!kamailio.running) await kamailio.start(); // a failed restart scenario must not take the next ones down
      }
    },
    90_000,
  );
});

describe('examples/svelte in two tabs of one browser', () => {
  it('"Share across tabs": one tab leads and the other follows, both registered; "Take over" swaps them', async () => {
    const served = await serve(resolve(ROOT, APPS.svelte));
    servers.push(served.server);
    // Two pages of one context: the tabs of one browser profile.
    const context = await browser.newContext({ viewport: { width: 760, height: 560 } });
    const pageErrors: string[] = [];
    try {
      const tabs = [await context.newPage(), await context.newPage()] as const;
      for (const page of tabs) {
        page.on('pageerror', (error) => pageErrors.push(error.message));
        await page.goto(served.url);
        await page.getByTestId('start').waitFor();
      }
      await sharedTabs(tabs, kamailio, (page, state) =>
        page
          .screenshot({ path: screenshotPath(`svelte-${state}.png`), fullPage: true, animations: 'disabled' })
          .then(() => undefined),
      );
      if (pageErrors.length > 0) throw new Error(`uncaught errors in the pages: ${pageErrors.join('; ')}`);
    } finally {
      await context.close();
    }
  }, 90_000);
});
