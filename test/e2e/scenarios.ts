/**
 * One list of user scenarios, run by apps.test.ts against every example app (examples/angular, svelte, react).
 * They drive the apps only through the `data-testid`s the three share, and check what a person would see.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { FAULT_USERS, type KamailioServer } from '../support/kamailio';

export interface ScenarioContext {
  /** Which example app: 'angular', 'svelte' or 'react'. */
  app: string;
  page: Page;
  kamailio: KamailioServer;
  /** Saves a screenshot of the page in this state (`<app>-<state>.png`, see test/support/screenshots.ts). */
  screenshot(state: string): Promise<void>;
}

export interface Scenario {
  name: string;
  run(context: ScenarioContext): Promise<void>;
}

const WAIT_MS = 20_000;

/** The trimmed text of the element with this test id, or undefined when there is none. */
export async function text(page: Page, testId: string): Promise<string | undefined> {
  const element = page.getByTestId(testId);
  if ((await element.count()) === 0) return undefined;
  return (await element.first().textContent())?.trim();
}

/** Waits until the element with this test id shows text matching `expected` (exact string or pattern). */
export async function waitForText(
  page: Page,
  testId: string,
  expected: string | RegExp,
  timeoutMs = WAIT_MS,
): Promise<string> {
  const pattern =
    typeof expected === 'string'
      ? { source: `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, flags: '' }
      : expected;
  try {
    await page.waitForFunction(
      ([id, source, flags]) => {
        const shown = document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
        return shown !== undefined && new RegExp(source!, flags).test(shown);
      },
      [testId, pattern.source, pattern.flags] as const,
      { timeout: timeoutMs, polling: 50 },
    );
  } catch (error) {
    throw new Error(`${testId}: expected ${String(expected)}, shows ${JSON.stringify(await text(page, testId))}`, {
      cause: error,
    });
  }
  return (await text(page, testId))!;
}

/** Waits until the text of the element changes from `before` (a live countdown does). */
async function waitForChange(page: Page, testId: string, before: string, timeoutMs = 5_000): Promise<string> {
  await page.waitForFunction(
    ([id, previous]) => {
      const shown = document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
      return shown !== undefined && shown !== previous;
    },
    [testId, before] as const,
    { timeout: timeoutMs, polling: 50 },
  );
  return (await text(page, testId))!;
}

async function fillForm(
  page: Page,
  values: { server: string; uri: string; username: string; password: string },
): Promise<void> {
  for (const [testId, value] of Object.entries(values)) await page.getByTestId(testId).fill(value);
}

async function fillAlice(context: ScenarioContext, password = context.kamailio.users.alice!): Promise<void> {
  const { kamailio } = context;
  await fillForm(context.page, {
    server: kamailio.wsUrl,
    uri: `sip:alice@${kamailio.domain}`,
    username: 'alice',
    password,
  });
}

const secondsShown = (shown: string): number => Number(/([\d.]+) s$/.exec(shown)?.[1]);

async function register(context: ScenarioContext): Promise<void> {
  const { page } = context;
  await fillAlice(context);
  await page.getByTestId('start').click();
  await waitForText(page, 'transport-status', 'connected');
  await waitForText(page, 'user-agent-status', 'started');
  await page.getByTestId('register').click();
  await waitForText(page, 'registration-status', 'registered');
}

export const scenarios: Scenario[] = [
  {
    name: 'registers and shows the granted expiry with a live refresh countdown',
    async run(context) {
      const { page, kamailio } = context;
      await context.screenshot('initial');
      await register(context);
      expect(await text(page, 'transport-status')).toBe('connected');
      expect(await text(page, 'user-agent-status')).toBe('started');
      expect(await text(page, 'registration-expires')).toBe('granted 600 s');
      expect(await text(page, 'registration-expires-at')).toMatch(/^expires at \d/);
      const refresh = await waitForText(page, 'registration-refresh-in', /^refresh in [\d.]+ s$/);
      // refresh at 80-90% of the granted 600 s
      expect(secondsShown(refresh)).toBeGreaterThan(400);
      expect(secondsShown(refresh)).toBeLessThanOrEqual(540);
      const later = await waitForChange(page, 'registration-refresh-in', refresh);
      expect(secondsShown(later)).toBeLessThan(secondsShown(refresh));
      expect(await text(page, 'registration-error')).toBeUndefined();
      const accepted = await kamailio.waitForReplies({ method: 'REGISTER', user: 'alice', code: 200 }, 1);
      expect(accepted.length).toBeGreaterThanOrEqual(1);
      await context.screenshot('registered');
    },
  },
  {
    name: 'a wrong password ends in registration failed with the auth error',
    async run(context) {
      const { page } = context;
      await fillAlice(context, 'not-the-password');
      await page.getByTestId('register').click(); // register() starts the client first
      await waitForText(page, 'registration-status', 'failed');
      expect(await waitForText(page, 'registration-error', /^auth/)).toMatch(/^auth 40[137]: /);
      expect(await text(page, 'transport-status')).toBe('connected');
      expect(await text(page, 'registration-expires')).toBeUndefined();
      await context.screenshot('auth-failed');
    },
  },
  {
    name: 'a 503 with Retry-After shows retrying with the attempt and a live countdown',
    async run(context) {
      const { page, kamailio } = context;
      await fillForm(page, {
        server: kamailio.wsUrl,
        uri: `sip:unavailable@${kamailio.domain}`,
        username: 'unavailable',
        password: FAULT_USERS.unavailable,
      });
      await page.getByTestId('register').click();
      await waitForText(page, 'registration-status', 'retrying');
      expect(await waitForText(page, 'registration-attempt', /^attempt \d+$/)).toMatch(/^attempt [1-9]/);
      expect(await waitForText(page, 'registration-error', /503/)).toMatch(/^\w+ 503: /);
      const countdown = await waitForText(page, 'registration-retry-in', /^next try in [\d.]+ s$/);
      expect(secondsShown(countdown)).toBeLessThanOrEqual(2); // the server's Retry-After: 2
      expect(await waitForChange(page, 'registration-retry-in', countdown)).toMatch(/^next try in [\d.]+ s$/);
      expect(await text(page, 'transport-status')).toBe('connected');
      await context.screenshot('retrying');
    },
  },
  {
    name: 'Kamailio killed: reconnecting with a countdown, then registered again after the restart without a click',
    async run(context) {
      const { page, kamailio } = context;
      await register(context);
      await kamailio.kill();
      await waitForText(page, 'transport-status', 'reconnecting');
      expect(await waitForText(page, 'transport-attempt', /^attempt \d+$/)).toMatch(/^attempt [1-9]/);
      const countdown = await waitForText(page, 'transport-retry-in', /^next try in [\d.]+ s$/);
      expect(secondsShown(countdown)).toBeLessThanOrEqual(4); // reconnect.maxDelayMs in the apps
      expect(await waitForChange(page, 'transport-retry-in', countdown)).toMatch(/^next try in [\d.]+ s$/);
      // never 'registered' while the link is down
      expect(await text(page, 'registration-status')).toBe('registering');
      expect(await text(page, 'transport-error')).toBeTruthy();
      if (context.app === 'svelte') {
        // The Svelte app also shows sipstate/view's live statechart, following the same client.
        await page.waitForSelector('[data-testid="statechart"][data-machine="transport"][data-status="reconnecting"]');
      }
      await context.screenshot('reconnecting');
      kamailio.clearRequests();
      await kamailio.start();
      await waitForText(page, 'transport-status', 'connected', 30_000);
      await waitForText(page, 'registration-status', 'registered', 30_000);
      // the REGISTER came from the client by itself: nothing was clicked since the kill
      const registers = await kamailio.waitForRequests({ method: 'REGISTER', user: 'alice' }, 1);
      expect(registers.length).toBeGreaterThanOrEqual(1);
      expect(await text(page, 'transport-attempt')).toBeUndefined();
      await context.screenshot('reregistered');
    },
  },
  {
    name: 'stop unregisters and shows stopped',
    async run(context) {
      const { page, kamailio } = context;
      await register(context);
      kamailio.clearRequests();
      await page.getByTestId('stop').click();
      await waitForText(page, 'user-agent-status', 'stopped');
      expect(await text(page, 'transport-status')).toBe('disconnected');
      expect(await text(page, 'registration-status')).toBe('unregistered');
      const unregisters = await kamailio.waitForRequests({ method: 'REGISTER', user: 'alice' }, 1);
      expect(unregisters.some((request) => request.expires === '0')).toBe(true);
      await context.screenshot('stopped');
    },
  },
];

/**
 * The Svelte app's "Share across tabs" switch, in two tabs of one browser profile (they share Web Locks and
 * BroadcastChannel): both register, one tab leads and the other follows, both show registered over the leader's one
 * connection; "Take over" in the follower swaps the roles, and both show registered again.
 */
export async function sharedTabs(
  tabs: readonly [Page, Page],
  kamailio: KamailioServer,
  screenshot: (page: Page, state: string) => Promise<void>,
): Promise<void> {
  for (const page of tabs) {
    await fillForm(page, {
      server: kamailio.wsUrl,
      uri: `sip:alice@${kamailio.domain}`,
      username: 'alice',
      password: kamailio.users.alice!,
    });
    await page.getByTestId('share-tabs').check();
  }
  kamailio.clearRequests();
  for (const page of tabs) await page.getByTestId('register').click();
  const roles: string[] = [];
  for (const page of tabs) {
    await waitForText(page, 'registration-status', 'registered');
    expect(await text(page, 'transport-status')).toBe('connected');
    roles.push(await waitForText(page, 'tab-role', /^(leader|follower)$/));
  }
  expect([...roles].sort()).toEqual(['follower', 'leader']);
  // One connection registered: every REGISTER Kamailio saw came from the same source.
  const registers = kamailio.requests({ method: 'REGISTER', user: 'alice' });
  expect(registers.length).toBeGreaterThanOrEqual(1);
  expect(new Set(registers.map((request) => request.src)).size).toBe(1);
  const follower = tabs[roles.indexOf('follower')]!;
  const leader = tabs[roles.indexOf('leader')]!;
  expect(await text(leader, 'take-over')).toBeUndefined();
  await screenshot(follower, 'shared-follower');

  await follower.getByTestId('take-over').click();
  await waitForText(follower, 'tab-role', 'leader');
  await waitForText(leader, 'tab-role', 'follower');
  for (const page of tabs) await waitForText(page, 'registration-status', 'registered');
}
