// The Phone component against sipstate/testing's fake SIP server: a real client (sip.js, the machines, the streams)
// over a fake WebSocket, no network. `npm test` here; `npm run test:examples` in the repository root runs it too.
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { createSipClient, type SipClient } from 'sipstate';
import { createFakeSipServer, type FakeCall, type FakeSipServer } from 'sipstate/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Phone } from './Phone';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let fake: FakeSipServer;
let client: SipClient;
let container: HTMLElement;
let root: Root;

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
  container = document.createElement('div');
  root = createRoot(container);
  await act(async () => root.render(<Phone client={client} />));
  await act(() => client.register());
});

afterEach(async () => {
  act(() => root.unmount());
  client.dispose();
  await fake.close();
});

/** Lets React render until `check` holds (what Testing Library's `findBy...` does), for at most two seconds. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await act(() => new Promise((resolve) => setTimeout(resolve, 10)));
  expect(check()).toBe(true);
}

/** An incoming call to alice from `from` (what the fake sends makes React render: inside act()). */
function ring(from: string): FakeCall {
  let call: FakeCall | undefined;
  act(() => {
    call = fake.ring('alice', { from });
  });
  return call!;
}

const button = (label: string) =>
  Array.from(container.querySelectorAll('button')).find((candidate) => candidate.textContent === label);
const text = (testId: string) => container.querySelector(`[data-testid="${testId}"]`)?.textContent;

it('shows an incoming call ringing, answers it, shows it active and hangs up', async () => {
  expect(fake.registrations).toMatchObject([{ user: 'alice' }]);
  expect(text('no-calls')).toBe('No calls.');

  const ringing = ring('bob');
  await until(() => button('Answer') !== undefined);
  expect(text('call-status')).toBe('ringing');
  expect(text('call-remote')).toBe('sip:bob@fake.test');

  await act(async () => button('Answer')?.click());
  expect(await act(() => ringing.answered())).toBe(200);
  await until(() => text('call-status') === 'active');
  expect(button('Answer')).toBeUndefined();

  await act(async () => button('Hang up')?.click());
  await act(() => ringing.ended());
  expect(ringing.endedBy).toBe('client');
  await until(() => text('no-calls') === 'No calls.');
});

it('shows a call the caller gave up on as gone', async () => {
  const ringing = ring('carol');
  await until(() => text('call-status') === 'ringing');
  await act(() => ringing.hangup()); // CANCEL while ringing
  await until(() => text('no-calls') === 'No calls.');
});

it('shows the MESSAGEs received, oldest first', async () => {
  // What the fake sends makes React render: inside act().
  expect(await act(() => fake.sendMessage('alice', { from: 'bob', body: 'hello alice' }))).toBe(200);
  expect(await act(() => fake.sendMessage('alice', { from: 'carol', body: 'are you there?' }))).toBe(200);
  await until(() => container.querySelectorAll('[data-testid="messages"] li').length === 2);
  const shown = Array.from(container.querySelectorAll('[data-testid="messages"] li'), (item) => item.textContent);
  expect(shown).toEqual(['sip:bob@fake.test hello alice', 'sip:carol@fake.test are you there?']);
});
