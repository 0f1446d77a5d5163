// The App component against sipstate/testing's fake SIP server: the app's own client (injectSipClient with the
// form's options: sip.js, the machines, the streams) over the fake's WebSocket, no network. `npm test` here (Angular's
// unit-test builder: Vitest in happy-dom); `npm run test:examples` in the repository root runs it too.
import { TestBed } from '@angular/core/testing';
import { createFakeSipServer, type FakeSipServer } from 'sipstate/testing';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { App } from './app';

let fake: FakeSipServer;
let page: HTMLElement;

beforeEach(async () => {
  fake = await createFakeSipServer({ users: { alice: 'secret' } });
  // The app gives no `webSocket` option, as in a browser: the client takes the global WebSocket, here the fake's.
  vi.stubGlobal('WebSocket', fake.WebSocket);
  const fixture = TestBed.createComponent(App); // zoneless: signals and the async pipe schedule the rendering
  page = fixture.nativeElement;
  await fixture.whenStable();
});

afterEach(async () => {
  TestBed.resetTestingModule(); // destroys the App, whose DestroyRef disposes its client
  vi.unstubAllGlobals();
  await fake.close();
});

const field = (testId: string) => page.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
const text = (testId: string) => field(testId)?.textContent?.trim();

/**
 * Lets Angular render until the element with this test id shows `expected` (exact text or pattern), for at most `ms`
 * (what Testing Library's `findBy...` does); fails saying what it shows instead.
 */
async function waitForText(testId: string, expected: string | RegExp, ms = 2_000): Promise<void> {
  const matches = () => {
    const shown = text(testId);
    return typeof expected === 'string' ? shown === expected : shown !== undefined && expected.test(shown);
  };
  for (const end = Date.now() + ms; !matches() && Date.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (typeof expected === 'string') expect(text(testId), testId).toBe(expected);
  else expect(text(testId), testId).toMatch(expected);
}

/** Types into the form's fields as a user would (an `input` event each: the app's `update()`). */
function fill(values: Record<string, string>): void {
  for (const [testId, value] of Object.entries(values)) {
    const input = field(testId) as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }
}

const fillAlice = (password = 'secret') =>
  fill({ server: fake.url, uri: `sip:alice@${fake.domain}`, username: 'alice', password });

it('registers from the form and shows registered with the granted expiry', async () => {
  expect(page.textContent).toContain('Fill in the form and press Start.');
  fillAlice();
  field('register')?.click(); // register() starts the client first
  await waitForText('registration-status', 'registered');
  expect(text('transport-status')).toBe('connected');
  expect(text('user-agent-status')).toBe('started');
  expect(text('registration-expires')).toBe('granted 600 s');
  expect(text('registration-refresh-in')).toMatch(/^refresh in \d+\.\d s$/);
  expect(text('registration-error')).toBeUndefined();
  expect(fake.registrations).toMatchObject([{ user: 'alice', expires: 600 }]);
});

it('shows a wrong password as registration failed with the auth error', async () => {
  fillAlice('not-the-password');
  field('register')?.click();
  await waitForText('registration-status', 'failed');
  expect(text('registration-error')).toMatch(/^auth 403: /);
  expect(text('transport-status')).toBe('connected');
  expect(text('registration-expires')).toBeUndefined();
  expect(fake.registrations).toEqual([]);
});

it('shows a REGISTER the registrar refused (failNextRegister) as failed, and registers on the next click', async () => {
  fake.failNextRegister(403);
  fillAlice();
  field('register')?.click();
  await waitForText('registration-status', 'failed');
  expect(text('registration-error')).toMatch(/403/);
  expect(fake.registrations).toEqual([]);

  field('register')?.click(); // the same form: the same client registers again
  await waitForText('registration-status', 'registered');
  expect(text('registration-error')).toBeUndefined();
  expect(fake.registrations).toMatchObject([{ user: 'alice' }]);
});

it('shows a dropped connection as reconnecting, then registered again without a click', async () => {
  fillAlice();
  field('register')?.click();
  await waitForText('registration-status', 'registered');

  fake.dropConnections();
  await waitForText('transport-status', 'reconnecting');
  expect(text('transport-attempt')).toMatch(/^attempt [1-9]\d*$/);
  expect(text('transport-retry-in')).toMatch(/^next try in \d+\.\d s$/);
  expect(text('registration-status')).toBe('registering');
  expect(fake.registrations).toEqual([]); // the closed connection took its binding with it

  // The app's reconnect options: the next try within about two seconds, then it registers by itself.
  await waitForText('registration-status', 'registered', 8_000);
  expect(text('transport-status')).toBe('connected');
  expect(text('transport-attempt')).toBeUndefined();
  expect(fake.registrations).toMatchObject([{ user: 'alice' }]);
}, 15_000);

it('shows Stop as stopped, disconnected and unregistered, and the binding is gone', async () => {
  fillAlice();
  field('register')?.click();
  await waitForText('registration-status', 'registered');
  field('stop')?.click();
  await waitForText('user-agent-status', 'stopped');
  expect(text('transport-status')).toBe('disconnected');
  expect(text('registration-status')).toBe('unregistered');
  expect(fake.registrations).toEqual([]);
});

it('shows an invalid server in the form as the configuration error, and no client', async () => {
  fill({ server: 'http://127.0.0.1:8080' });
  field('start')?.click();
  await waitForText('form-error', /server/);
  expect(page.textContent).toContain('Fill in the form and press Start.');
});
