import { useEffect, useState } from 'react';
import type { Call, IncomingMessage, SipClient } from 'sipstate';
import { useSipState } from 'sipstate/react';

/** How many received MESSAGEs the page keeps: the newest ones. */
const KEPT_MESSAGES = 20;

/** The calls of a client (answer, hang up) and the MESSAGEs it received. */
export function Phone({ client }: { client: SipClient }) {
  const calls = useSipState(client.calls$);
  const [messages, setMessages] = useState<IncomingMessage[]>([]);
  // messages$ is a stream of events, not a state: collect them while this component is mounted.
  useEffect(() => {
    const subscription = client.messages$.subscribe((message) =>
      setMessages((kept) => [...kept, message].slice(-KEPT_MESSAGES)),
    );
    return () => subscription.unsubscribe();
  }, [client]);
  return (
    <section className="card phone">
      <h2>Calls</h2>
      {calls.length === 0 ? (
        <p className="hint" data-testid="no-calls">
          No calls.
        </p>
      ) : (
        <ul data-testid="calls">
          {calls.map((call) => (
            <CallRow key={call.id} call={call} />
          ))}
        </ul>
      )}
      <h2>Messages</h2>
      <ul data-testid="messages">
        {messages.map((message) => (
          <li key={`${message.receivedAt}-${message.from}-${message.body}`}>
            <span className="from">{message.fromDisplayName ?? message.from}</span> {message.body}
          </li>
        ))}
      </ul>
    </section>
  );
}

const ignore = () => undefined; // commands also report failures in the call's state: nothing more to do here

function CallRow({ call }: { call: Call }) {
  const state = useSipState(call.state$);
  return (
    <li data-testid="call">
      <span className={`pill ${state.status}`} data-testid="call-status">
        {state.status}
      </span>{' '}
      {state.direction === 'incoming' ? 'from' : 'to'} <span data-testid="call-remote">{state.remote.uri}</span>{' '}
      {state.status === 'ringing' && state.direction === 'incoming' && (
        <button type="button" onClick={() => call.answer().catch(ignore)}>
          Answer
        </button>
      )}
      {state.status !== 'ended' && (
        <button type="button" onClick={() => call.hangup().catch(ignore)}>
          Hang up
        </button>
      )}
    </li>
  );
}
