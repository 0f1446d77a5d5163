import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOptions } from '../support/chromium';
import { servePage, type ServedPage } from '../support/page-server';
import { startKamailio, type KamailioServer } from '../support/kamailio';

// A page's life in Chromium against Kamailio: a suspended computer (Playwright's clock moves the wall clock without
// firing timers), a frozen page (the Chrome DevTools Protocol's Page.setWebLifecycleState), a hidden page, and the
// back/forward cache (real back/forward navigation; Playwright turns the cache off by default, so its flag is left out).
// Each test's figure is printed (npx vitest run test/browser/wake.test.ts) and quoted in README "In the browser".

let kamailio: KamailioServer;
let http: ServedPage | undefined;
let browser: Browser;
let pageUrl: string;

const TWO_HOURS = 2 * 3_600_000;
/** WebSocket.CLOSED. */
const WebSocketClosed = 3;

beforeAll(async () => {
  if (process.env.SIPSTATE_SKIP_BROWSER === '1') return;
  kamailio = await startKamailio();
  http = await servePage();
  pageUrl = http.url;
  browser = await chromium.launch({
    ...chromiumOptions(),
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await http?.close();
  await kamailio?.stop();
});

interface Seen {
  status: string;
  expiresAt?: number;
  at: number;
}

/** Creates `window.client` registered as `user` asking for `expires` s; `window.seen` gets each registration$ value. */
async function register(page: Page, user: string, expires: number): Promise<void> {
  await page.evaluate(
    async ({ server, user, password, expires }) => {
      const w = window as unknown as Record<string, any>;
      w.seen = [];
      w.lines = [];
      const client = w.sipstate.createSipClient({
        server,
        uri: `sip:${user}@sipstate.test`,
        authorizationUsername: user,
        authorizationPassword: password,
        expires,
        logLevel: 'debug',
        logger: {
          debug: (line: string) => w.lines.push(line),
          log: (line: string) => w.lines.push(line),
          warn: (line: string) => w.lines.push(line),
          error: (line: string) => w.lines.push(line),
        },
      });
      w.client = client;
      client.registration$.subscribe((state: Record<string, unknown>) =>
        w.seen.push({ status: state.status, expiresAt: state.expiresAt, at: Date.now() }),
      );
      await client.register();
    },
    { server: kamailio.wsUrl, user, password: kamailio.users[user]!, expires },
  );
}

const seen = (page: Page): Promise<Seen[]> => page.evaluate(() => (window as unknown as { seen: Seen[] }).seen);
const registers = (user: string) => kamailio.requests({ method: 'REGISTER', user });

describe.skipIf(process.env.SIPSTATE_SKIP_BROWSER === '1')('a page that sleeps, freezes, hides, is cached', () => {
  it('the wall clock jumps 2 h (a suspended computer): a new REGISTER within 5 s, never registered past expiresAt', async () => {
    const page = await browser.newPage();
    await page.clock.install();
    await page.goto(pageUrl);
    await register(page, 'alice', 60);
    const before = registers('alice').length;
    const seenBefore = (await seen(page)).length;
    const pageNow = await page.evaluate(() => Date.now());
    const jumpedAt = Date.now();
    await page.clock.setSystemTime(pageNow + TWO_HOURS);
    const [first] = (await kamailio.waitForRequests({ method: 'REGISTER', user: 'alice' }, before + 1, 5_000)).slice(
      before,
    );
    const delay = first!.at - jumpedAt;
    console.log(`clock jump of 2 h -> first REGISTER at Kamailio: ${delay} ms`);
    expect(delay).toBeLessThan(5_000);
    await page.waitForFunction(
      () => (window as unknown as { client: any }).client.getState().registration.expiresAt > Date.now(),
    );
    const after = (await seen(page)).slice(seenBefore);
    expect(after[0]).toMatchObject({ status: 'registering' });
    for (const state of after) if (state.status === 'registered') expect(state.expiresAt).toBeGreaterThan(state.at);
    const lines = await page.evaluate(() => (window as unknown as { lines: string[] }).lines);
    expect(lines.some((line) => line.includes('woke (clock-jump'))).toBe(true);
    await page.evaluate(() => (window as unknown as { client: any }).client.stop());
    await page.close();
  });

  // Headless Chromium 156 ignores Page.setWebLifecycleState for a visible page (a 50 ms interval ticked 21 times
  // during 1 s "frozen", no freeze or resume event), and every headless page is visible (minimizing the window or
  // opening another tab changes nothing). So the freeze is the page's clock paused (no timer fires) and the resume
  // the event Chromium fires when it unfreezes a page; the real freeze and resume are in the back/forward cache test.
  it('a page resumed from a freeze checks its binding at once (its timers held still: only resume can do it)', async () => {
    const page = await browser.newPage();
    await page.clock.install();
    await page.goto(pageUrl);
    await register(page, 'bob', 60);
    const before = registers('bob').length;
    // No timer of the page fires from here on: the watchdog cannot notice anything, nor the refresh timer fire.
    const pageNow = await page.evaluate(() => Date.now());
    await page.clock.pauseAt(pageNow + 1_000);
    await page.clock.setSystemTime(pageNow + TWO_HOURS);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(registers('bob')).toHaveLength(before);
    const resumedAt = Date.now();
    await page.evaluate(() => document.dispatchEvent(new Event('resume')));
    const [first] = (await kamailio.waitForRequests({ method: 'REGISTER', user: 'bob' }, before + 1, 5_000)).slice(
      before,
    );
    console.log(`resume after a 2 h freeze -> first REGISTER at Kamailio: ${first!.at - resumedAt} ms`);
    await page.waitForFunction(
      () => (window as unknown as { client: any }).client.getState().registration.expiresAt > Date.now(),
    );
    const lines = await page.evaluate(() => (window as unknown as { lines: string[] }).lines);
    expect(lines.filter((line) => line.includes('woke ('))).toEqual([expect.stringContaining('woke (resume)')]);
    await page.clock.resume();
    await page.evaluate(() => (window as unknown as { client: any }).client.stop());
    await page.close();
  });

  it('a hidden page refreshes 70 s before the lapse at the latest', async () => {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    await register(page, 'carol', 600);
    const hidden = await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
      return (window as unknown as { client: any }).client.getState().registration;
    });
    expect(hidden.status).toBe('registered');
    expect(hidden.refreshAt).toBeLessThanOrEqual(hidden.expiresAt - 70_000);
    await page.evaluate(() => (window as unknown as { client: any }).client.stop());
    await page.close();
  });

  it('back/forward cache: leaves unregistered and closed, is cached, comes back registered', async () => {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    await register(page, 'dave', 600);
    await page.evaluate(() => {
      const w = window as unknown as Record<string, any>;
      w.marker = 'still the same page';
      w.shows = [];
      window.addEventListener('pageshow', (event) => {
        w.shows.push(event.persisted);
        w.shownAt = Date.now();
      });
    });
    const before = registers('dave').length;
    await page.goto(`${pageUrl}elsewhere`);
    // The best-effort unREGISTER reached the registrar.
    const [unregister] = (
      await kamailio.waitForRequests({ method: 'REGISTER', user: 'dave' }, before + 1, 5_000)
    ).slice(before);
    expect(unregister!.expires).toBe('0');
    const leftAt = registers('dave').length;
    // A page restored from the cache fires no load event: wait for the navigation to commit only.
    await page.goBack({ waitUntil: 'commit' });
    const restored = await page.evaluate(() => {
      const w = window as unknown as Record<string, any>;
      const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming & {
        notRestoredReasons?: unknown;
      };
      return { marker: w.marker, shows: w.shows, notRestoredReasons: navigation.notRestoredReasons ?? null };
    });
    console.log(`back/forward cache: ${JSON.stringify(restored)}`);
    expect(restored.marker).toBe('still the same page');
    expect(restored.shows).toEqual([true]);
    await page.waitForFunction(
      () => (window as unknown as { client: any }).client.getState().registration.status === 'registered',
    );
    const sinceShown = await page.evaluate(() => Date.now() - (window as unknown as { shownAt: number }).shownAt);
    console.log(`restored from the back/forward cache -> registered again within ${sinceShown} ms of pageshow`);
    const again = registers('dave').slice(leftAt);
    expect(again.length).toBeGreaterThan(0);
    expect(again.at(-1)!.expires).toBe('600');
    await page.evaluate(() => (window as unknown as { client: any }).client.stop());
    await page.close();
  });

  // Chromium 156 caches a page with an open WebSocket by closing the socket itself: nothing is said to the registrar
  // (the binding stays until it lapses, and calls routed to it fail), and the restored page holds a closed socket.
  it('back/forward cache, for comparison: a bare open WebSocket is closed by Chromium without a word', async () => {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    await page.evaluate(
      (server) =>
        new Promise<void>((resolve, reject) => {
          const w = window as unknown as Record<string, any>;
          w.marker = 'still the same page';
          w.socket = new WebSocket(server, 'sip');
          w.socket.onopen = () => resolve();
          w.socket.onerror = () => reject(new Error('no WebSocket'));
        }),
      kamailio.wsUrl,
    );
    await page.goto(`${pageUrl}elsewhere`);
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => document.readyState === 'complete');
    const restored = await page.evaluate(() => {
      const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming & {
        notRestoredReasons?: { reasons?: { reason: string }[] } | null;
      };
      return {
        marker: (window as unknown as { marker?: string }).marker ?? null,
        socket: (window as unknown as { socket?: WebSocket }).socket?.readyState ?? null,
        reasons: navigation.notRestoredReasons?.reasons?.map(({ reason }) => reason) ?? null,
      };
    });
    console.log(`an open WebSocket: ${JSON.stringify(restored)}`);
    expect(restored).toEqual({ marker: 'still the same page', socket: WebSocketClosed, reasons: null });
    await page.close();
  });
});
