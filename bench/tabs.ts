/**
 * Benchmark 8: one registration shared by three tabs (`tabs: 'shared'`), in Chromium against Kamailio. Each round
 * opens three tabs of a fresh browser context (one profile: shared Web Locks, BroadcastChannel and localStorage) with
 * a shared client for a user of its own, and measures:
 *
 * - mirror lag: from the leader's registration$ 'registered' to each follower's (the followers' registration$ mirror
 *   the leader's over the BroadcastChannel; `register()` is called in a follower and forwarded);
 * - takeOver: from `takeOver()` in a follower until that tab leads, and until it is registered;
 * - failover: from closing the leader's tab until another tab is registered;
 * - bindings: what Kamailio holds for the address of record after each step (a REGISTER query through sipp).
 *
 *   npm run bench -- tabs [--rounds 10]
 *
 * Bounded: `--rounds` (at most 50), each step waits at most 10 s, and a hard deadline ends the process.
 */
import { chromium, type Page } from 'playwright-core';
import { chromiumOptions } from '../test/support/chromium';
import { servePage } from '../test/support/page-server';
import { loadUser, runSipp, SIP_DOMAIN, startKamailio } from '../test/support/kamailio';
import { median, parseArgs, printTable, ROOT, writeResult } from './lib';

const args = parseArgs(process.argv.slice(2));
const rounds = Math.min(50, Math.max(1, Number(args.rounds ?? 10)));
setTimeout(() => {
  console.error('tabs: hard deadline reached; exiting');
  process.exit(3);
}, 600_000).unref();

// The page loads the build (dist/), as users do.
const http = await servePage({
  script: {
    contents: `import { createSipClient } from './dist/index.js'; globalThis.sipstate = { createSipClient };`,
    resolveDir: ROOT,
  },
});
const pageUrl = http.url;
const kamailio = await startKamailio();
const browser = await chromium.launch(chromiumOptions());

interface Entry {
  at: number;
  role: string;
  registration: string;
}

// Strings, not functions: through tsx a function gets esbuild's `__name` helper, which the page does not have.
const OPEN = (server: string, user: string, password: string) => `(() => {
  const client = sipstate.createSipClient({
    server: ${JSON.stringify(server)}, uri: 'sip:${user}@${SIP_DOMAIN}', authorizationUsername: '${user}',
    authorizationPassword: ${JSON.stringify(password)}, logLevel: 'error', tabs: 'shared',
  });
  window.client = client;
  window.entries = [];
  client.state$.subscribe((s) => window.entries.push({ at: Date.now(), role: s.tab.role, registration: s.registration.status }));
})()`;

const entries = (page: Page) => page.evaluate('window.entries') as Promise<Entry[]>;
const latestRole = async (page: Page) => (await entries(page)).at(-1)?.role;

async function firstEntry(page: Page, since: number, role: string | undefined, registration: string): Promise<Entry> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = (await entries(page)).find(
      (entry) => entry.at >= since && entry.registration === registration && (!role || entry.role === role),
    );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${role ?? ''} ${registration} within 10 s`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

async function leaderOf(pages: Page[]): Promise<Page> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const roles = await Promise.all(pages.map(latestRole));
    if (roles.filter((role) => role === 'leader').length === 1) return pages[roles.indexOf('leader')]!;
    if (Date.now() > deadline) throw new Error(`no single leader: ${roles.join(', ')}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

async function bindings(user: string, password: string): Promise<number> {
  const result = await runSipp({ target: kamailio, scenario: 'register-query.xml', service: user, password });
  const ok = result.responses.find((response) => response.status === 200);
  return (ok?.headers.contact ?? []).flatMap((value) => value.split(/,(?=\s*<)/)).length;
}

const rows: Record<string, number>[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const { user, password } = loadUser(round);
    const context = await browser.newContext();
    try {
      const pages: Page[] = [];
      for (let i = 0; i < 3; i++) {
        const page = await context.newPage();
        await page.goto(pageUrl);
        await page.evaluate(OPEN(kamailio.wsUrl, user, password));
        pages.push(page);
      }
      const leader = await leaderOf(pages);
      const followers = pages.filter((page) => page !== leader);
      const registerAt = Date.now();
      await followers[0]!.evaluate('window.client.register()');
      const registered = await firstEntry(leader, registerAt, 'leader', 'registered');
      const lags = await Promise.all(
        followers.map(
          async (page) => (await firstEntry(page, registerAt, 'follower', 'registered')).at - registered.at,
        ),
      );
      const afterRegister = await bindings(user, password);

      const taker = followers[1]!;
      const takeOverAt = Date.now();
      await taker.evaluate('window.client.takeOver()');
      const leading = (await entries(taker)).find((entry) => entry.at >= takeOverAt && entry.role === 'leader')!;
      const takenRegistered = await firstEntry(taker, takeOverAt, 'leader', 'registered');
      const afterTakeOver = await bindings(user, password);

      const rest = pages.filter((page) => page !== taker);
      const closeAt = Date.now();
      await taker.close();
      const next = await leaderOf(rest);
      const failedOver = await firstEntry(next, closeAt, 'leader', 'registered');
      const afterClose = await bindings(user, password);
      rows.push({
        round: round + 1,
        mirrorLagMaxMs: Math.max(...lags),
        takeOverLeadsMs: leading.at - takeOverAt,
        takeOverRegisteredMs: takenRegistered.at - takeOverAt,
        closeRegisteredMs: failedOver.at - closeAt,
        bindingsAfterRegister: afterRegister,
        bindingsAfterTakeOver: afterTakeOver,
        bindingsAfterClose: afterClose,
      });
      console.log(JSON.stringify(rows.at(-1)));
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
  await http.close();
  await kamailio.stop();
}
const column = (key: string) => rows.map((row) => row[key]!);
const summary = ['mirrorLagMaxMs', 'takeOverLeadsMs', 'takeOverRegisteredMs', 'closeRegisteredMs'].map((key) => ({
  figure: key,
  min: Math.min(...column(key)),
  median: median(column(key)),
  max: Math.max(...column(key)),
}));
const bindingCounts = [
  ...new Set(['bindingsAfterRegister', 'bindingsAfterTakeOver', 'bindingsAfterClose'].flatMap(column)),
];
printTable(`tabs: ${rows.length} rounds of three tabs (ms)`, summary);
console.log(`Kamailio's bindings for the address of record after each step, every round: ${bindingCounts.join(', ')}`);
console.log(`written to ${writeResult('tabs', { rounds: rows.length, summary, bindingCounts, rows })}`);
