import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOptions } from '../support/chromium';

// sipstate/testing in a browser: README's component test (a React Phone component, the fake server, a client), bundled
// for the browser and run in Chromium's real DOM. No SIP server and no Node API: any `node:` import in src/testing
// would fail the bundle (platform 'browser').

let http: Server;
let browser: Browser;
let pageUrl: string;

beforeAll(async () => {
  if (process.env.SIPSTATE_SKIP_BROWSER === '1') return;
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./testing-page.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"development"' },
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  const html = '<!doctype html><html><body><script src="/page.js"></script></body></html>';
  http = createServer((request, response) => {
    if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else response.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
  browser = await chromium.launch(chromiumOptions());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

// scripts/setup.sh skips installing Chromium with SIPSTATE_SKIP_BROWSER=1; this test is skipped then too.
describe.skipIf(process.env.SIPSTATE_SKIP_BROWSER === '1')('sipstate/testing in Chromium', () => {
  it("README's component test: registers, rings, answer and hang up by clicking, a MESSAGE answered 200", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pageUrl);
    const report = await page.evaluate(() =>
      (window as unknown as { runPhoneTest: () => Promise<Record<string, unknown>> }).runPhoneTest(),
    );
    expect(report).toEqual({
      status: 'registered',
      registrations: [{ user: 'alice', expires: 600 }],
      answerShown: true,
      ringingText: 'registeredsip:bob@fake.test ringingAnswer',
      answered: 200,
      hangUpShown: true,
      activeText: 'registeredsip:bob@fake.test activeHang up',
      endedBy: 'client',
      callGone: true,
      message: 200,
    });
    expect(errors).toEqual([]);
    await page.close();
  });
});
