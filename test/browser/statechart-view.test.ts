import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumOptions } from '../support/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatechartExample } from '../../examples/statechart/build';
import { copyOfDist } from '../support/built';
import { startKamailio, type KamailioServer } from '../support/kamailio';
import { screenshotPath } from '../support/screenshots';

// examples/statechart bundled with esbuild from the built package, served on 127.0.0.1, in Debian's Chromium,
// registered with the test Kamailio. Kamailio is killed: the view must highlight the reconnecting states, and the
// screenshot (the README's, with SIPSTATE_UPDATE_SCREENSHOTS=1) is taken right then.

const SCREENSHOT = screenshotPath('statechart-reconnecting.png');

let kamailio: KamailioServer;
let http: Server;
let browser: BrowserContext;
let page: Page;
let cleanup: (() => void)[] = [];

beforeAll(async () => {
  kamailio = await startKamailio();
  const dist = await copyOfDist('statechart');
  cleanup.push(dist.remove);
  const www = join(dist.dir, 'www');
  await buildStatechartExample(www, join(dist.dir, 'dist'));
  http = createServer((request, response) => {
    const path = join(www, new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    if (!path.startsWith(www) || !statSync(path, { throwIfNoEntry: false })?.isFile()) {
      response.writeHead(404).end();
      return;
    }
    const type = extname(path) === '.html' ? 'text/html' : 'text/javascript';
    response.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(readFileSync(path));
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  const profile = mkdtempSync(join(tmpdir(), 'sipstate-chromium-'));
  cleanup.push(() => rmSync(profile, { recursive: true, force: true }));
  // A fresh profile directory for this run.
  browser = await chromium.launchPersistentContext(profile, {
    ...chromiumOptions(),
    viewport: { width: 1700, height: 1000 },
  });
  page = await browser.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((done) => (http ? http.close(() => done()) : done()));
  await kamailio?.stop();
  for (const step of cleanup) step();
  cleanup = [];
});

const activeStates = (machine: string): Promise<string[]> =>
  page.$$eval(`[data-machine="${machine}"] g.active`, (groups) =>
    groups.map((group) => group.getAttribute('data-state') ?? ''),
  );

describe('sipstate/view in Chromium', () => {
  it('highlights the live state, including reconnecting while Kamailio is down, and disposes cleanly', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const { port } = http.address() as { port: number };
    const query = new URLSearchParams({
      server: kamailio.wsUrl,
      uri: `sip:alice@${kamailio.domain}`,
      user: 'alice',
      password: kamailio.users.alice!,
    });
    await page.goto(`http://127.0.0.1:${port}/index.html?${query}`);

    // Registered: exactly the states tagged with each machine's status are highlighted.
    await page.waitForSelector('[data-machine="registration"][data-status="registered"]', { timeout: 20_000 });
    expect(await activeStates('registration')).toEqual(['registration.binding.active.registered']);
    expect(await activeStates('transport')).toEqual(['transport.connection.connected']);
    expect(await activeStates('userAgent')).toEqual(['userAgent.started']);

    await kamailio.kill();
    await page.waitForSelector('[data-machine="transport"][data-status="reconnecting"]', { timeout: 20_000 });
    expect(await activeStates('transport')).toEqual([
      'transport.connection.attemptFailed',
      'transport.connection.waitingToReconnect',
      'transport.connection.waitingForNetwork',
      'transport.connection.reconnecting',
    ]);
    expect(await page.getAttribute('[data-machine="registration"]', 'data-status')).toBe('registering');
    expect(await activeStates('registration')).toEqual([
      'registration.binding.active.waitingForLink',
      'registration.binding.active.registering',
      'registration.binding.active.raisingExpires',
    ]);
    // The highlight is drawn: the active boxes use the highlight fill, the others do not.
    const fills = await page.$$eval('[data-machine="transport"] g[data-state] > rect.box', (rects) =>
      rects.map((rect) => [rect.parentElement?.getAttribute('data-state'), getComputedStyle(rect).fill]),
    );
    const highlighted = fills.filter(([, fill]) => fill === 'rgb(255, 241, 194)').map(([state]) => state);
    expect(highlighted).toEqual([
      'transport.connection.attemptFailed',
      'transport.connection.waitingToReconnect',
      'transport.connection.waitingForNetwork',
      'transport.connection.reconnecting',
    ]);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);

    // Back: registered again by itself, and the view follows.
    await kamailio.start();
    await page.waitForSelector('[data-machine="registration"][data-status="registered"]', { timeout: 30_000 });
    expect(await activeStates('transport')).toEqual(['transport.connection.connected']);

    // dispose(): the element gets its previous (empty) content back and stops following the client.
    const after = await page.evaluate(() => {
      const example = (window as unknown as { sipstateExample: { views: { dispose(): void }[] } }).sipstateExample;
      for (const view of example.views) view.dispose();
      return ['transport', 'registration', 'userAgent'].map((id) => document.getElementById(id)!.innerHTML);
    });
    expect(after).toEqual(['', '', '']);
    expect(await page.$$('[data-machine]')).toHaveLength(0);
    expect(errors).toEqual([]);
  }, 120_000);
});
