// Entry of the page test/browser/testing.test.ts serves: README's "Testing with sipstate/testing" component test, run
// in Chromium (a real DOM, no Node API): the Phone component there, written with createElement instead of JSX (the
// bundle is built from .ts), and the same steps, with assertions turned into a report the Node side checks.
import { act, createElement, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { type Call, createSipClient, type SipClient } from '../../src/index';
import { useSipState } from '../../src/react';
import { createFakeSipServer } from '../../src/testing/index';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function Phone({ client }: { client: SipClient }): ReactNode {
  const registration = useSipState(client.registration$);
  const calls = useSipState(client.calls$);
  const call = calls[0];
  return createElement(
    'div',
    null,
    createElement('p', { role: 'status' }, registration.status),
    call ? createElement(CallView, { call, key: call.id }) : null,
  );
}

function CallView({ call }: { call: Call }): ReactNode {
  const state = useSipState(call.state$);
  return createElement(
    'p',
    null,
    `${state.remote.uri} ${state.status}`,
    state.status === 'ringing'
      ? createElement('button', { type: 'button', onClick: () => void call.answer() }, 'Answer')
      : null,
    state.status === 'active'
      ? createElement('button', { type: 'button', onClick: () => void call.hangup() }, 'Hang up')
      : null,
  );
}

async function until(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !check(); i++) await act(() => new Promise((resolve) => setTimeout(resolve, 10)));
  return check();
}

async function run(): Promise<Record<string, unknown>> {
  const report: Record<string, unknown> = {};
  const fake = await createFakeSipServer({ users: { alice: 'secret' } });
  const client = createSipClient({
    server: fake.url,
    webSocket: fake.WebSocket,
    uri: `sip:alice@${fake.domain}`,
    authorizationUsername: 'alice',
    authorizationPassword: 'secret',
    calls: { media: 'signaling' },
  });
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  await act(async () => root.render(createElement(Phone, { client })));
  await act(() => client.register());
  report.status = container.querySelector('[role=status]')?.textContent;
  report.registrations = fake.registrations.map(({ user, expires }) => ({ user, expires }));

  const ringing = fake.ring('alice', { from: 'bob' });
  const button = (label: string) =>
    Array.from(container.querySelectorAll('button')).find((candidate) => candidate.textContent === label);
  report.answerShown = await until(() => button('Answer') !== undefined);
  report.ringingText = container.textContent;
  await act(async () => button('Answer')?.click());
  report.answered = await ringing.answered();
  report.hangUpShown = await until(() => button('Hang up') !== undefined);
  report.activeText = container.textContent;
  await act(async () => button('Hang up')?.click());
  await ringing.ended();
  report.endedBy = ringing.endedBy;
  report.callGone = await until(
    () => container.querySelector('button') === null && !container.textContent?.includes('bob'),
  );

  report.message = await fake.sendMessage('alice', { from: 'bob', body: 'hi' });
  root.unmount();
  client.dispose();
  await fake.close();
  return report;
}

(globalThis as { runPhoneTest?: () => Promise<Record<string, unknown>> }).runPhoneTest = run;
