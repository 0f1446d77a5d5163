// The Phone component against sipstate/testing's fake SIP server: a real client (sip.js, the machines, the streams)
// over a fake WebSocket, no network. `npm test` here; `npm run test:examples` in the repository root runs it too.
import { createSipClient, type SipClient } from 'sipstate';
import { createFakeSipServer, type FakeSipServer } from 'sipstate/testing';
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, expect, it } from 'vitest';
import Phone from './Phone.svelte';

let fake: FakeSipServer;
let client: SipClient;
let target: HTMLElement;
let phone: ReturnType<typeof mount>;

beforeEach(async () => {
  fake = await createFakeSipServer({ users: { alice: 'secret' } });
  client = createSipClient({
    server: fake.url,
    webSocket: fake.WebSocket,
    uri: `sip:alice@${fake.domain}`,
    authorizationUsername: 'alice',
    authorizationPassword: 'secret',
    calls: { media: 'signaling' }, // no WebRTC here: SDP is negotiated, no media moves
    logLevel: 'silent',
  });
  target = document.createElement('div');
  document.body.append(target);
  phone = mount(Phone, { target, props: { client } });
  await client.register();
});

afterEach(async () => {
  unmount(phone);
  target.remove();
  client.dispose();
  await fake.close();
});

/** Lets Svelte update until `check` holds (what Testing Library's `findBy...` does), for at most two seconds. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    flushSync();
  }
  expect(check()).toBe(true);
}

const button = (label: string) =>
  Array.from(target.querySelectorAll('button')).find((candidate) => candidate.textContent === label);
const text = (testId: string) => target.querySelector(`[data-testid="${testId}"]`)?.textContent;

it('shows an incoming call ringing, answers it, shows it active and hangs up', async () => {
  expect(fake.registrations).toMatchObject([{ user: 'alice' }]);
  expect(text('no-calls')).toBe('No calls.');

  const ringing = fake.ring('alice', { from: 'bob' });
  await until(() => button('Answer') !== undefined);
  expect(text('call-status')).toBe('ringing');
  expect(text('call-remote')).toBe('sip:bob@fake.test');

  button('Answer')?.click();
  expect(await ringing.answered()).toBe(200);
  await until(() => text('call-status') === 'active');
  expect(button('Answer')).toBeUndefined();

  button('Hang up')?.click();
  await ringing.ended();
  expect(ringing.endedBy).toBe('client');
  await until(() => text('no-calls') === 'No calls.');
});

it('shows a call the caller gave up on as gone', async () => {
  const ringing = fake.ring('alice', { from: 'carol' });
  await until(() => text('call-status') === 'ringing');
  await ringing.hangup(); // CANCEL while ringing
  await until(() => text('no-calls') === 'No calls.');
});

it('shows the MESSAGEs received, oldest first', async () => {
  expect(await fake.sendMessage('alice', { from: 'bob', body: 'hello alice' })).toBe(200);
  expect(await fake.sendMessage('alice', { from: 'carol', body: 'are you there?' })).toBe(200);
  await until(() => target.querySelectorAll('[data-testid="messages"] li').length === 2);
  const shown = Array.from(target.querySelectorAll('[data-testid="messages"] li'), (item) => item.textContent);
  expect(shown).toEqual(['sip:bob@fake.test hello alice', 'sip:carol@fake.test are you there?']);
});
