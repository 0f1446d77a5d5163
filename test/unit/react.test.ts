import { createElement, useSyncExternalStore, type FunctionComponent } from 'react';
import { renderToString } from 'react-dom/server';
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, type SipClient } from '../../src/index';
import { useSipState } from '../../src/react';
import { stateStream, type StateStream } from '../../src/store';

// The hook in a real React render (react-dom/server: no DOM needed). That it re-renders on a change is React's
// useSyncExternalStore given the store contract, tested in store.test.ts and below; the React example's end-to-end
// test (test/e2e/apps.test.ts) watches the hook follow a client against Kamailio in Chromium.

const render = <P extends object>(component: FunctionComponent<P>, props: P): string =>
  renderToString(createElement(component, props));

const Status: FunctionComponent<{ stream: StateStream<{ status: string }> | undefined }> = ({ stream }) => {
  const state = useSipState(stream);
  return createElement('p', null, state ? state.status : 'no client');
};

describe('useSipState (sipstate/react)', () => {
  it('renders the current value on the first render, and the value at each render after a change', () => {
    const subject = new BehaviorSubject({ status: 'connecting' });
    const stream = stateStream(subject);
    expect(render(Status, { stream })).toBe('<p>connecting</p>');
    subject.next({ status: 'connected' });
    expect(render(Status, { stream })).toBe('<p>connected</p>');
    subject.complete();
    expect(render(Status, { stream })).toBe('<p>connected</p>'); // a completed stream keeps its last value
  });

  it('gives undefined without a stream', () => {
    expect(render(Status, { stream: undefined })).toBe('<p>no client</p>');
  });

  it("reads a client's streams: the same state as getState()", () => {
    const client = createSipClient({ server: 'ws://127.0.0.1:9', uri: 'sip:alice@example.com', webSocket: WebSocket });
    try {
      const Client: FunctionComponent<{ client: SipClient }> = ({ client: shown }) => {
        const { transport, registration } = useSipState(shown.state$);
        const calls = useSipState(shown.calls$);
        return createElement('p', null, `${transport.status} ${registration.status} ${calls.length}`);
      };
      expect(render(Client, { client })).toBe('<p>disconnected unregistered 0</p>');
      client.start().catch(() => undefined); // port 9: refused
      const { transport } = client.getState();
      expect(transport.status).not.toBe('disconnected');
      expect(render(Client, { client })).toBe(`<p>${transport.status} unregistered 0</p>`);
    } finally {
      client.dispose();
    }
  });

  it('hands useSyncExternalStore a subscribe that notifies on each change and a stable snapshot', () => {
    // The contract useSipState relies on, checked the way React uses it: detached functions, snapshot compared by
    // Object.is between renders (a new object each time would loop forever).
    const subject = new BehaviorSubject({ status: 'connecting' });
    const { subscribe, getSnapshot } = stateStream(subject);
    let notified = 0;
    const unsubscribe = subscribe(() => notified++);
    const before = getSnapshot();
    expect(Object.is(getSnapshot(), before)).toBe(true);
    subject.next({ status: 'connected' });
    expect(notified).toBe(2); // the replay, then the change
    expect(Object.is(getSnapshot(), before)).toBe(false);
    unsubscribe();
    expect(subject.observed).toBe(false);
  });

  it('is the same as useSyncExternalStore over the stream, which needs nothing else', () => {
    const subject = new BehaviorSubject({ status: 'registered' });
    const stream = stateStream(subject);
    const Direct: FunctionComponent = () =>
      createElement('p', null, useSyncExternalStore(stream.subscribe, stream.getSnapshot, stream.getSnapshot).status);
    const ViaHook: FunctionComponent = () => createElement('p', null, useSipState(stream).status);
    expect(render(ViaHook, {})).toBe(render(Direct, {}));
    expect(render(ViaHook, {})).toBe('<p>registered</p>');
  });
});
