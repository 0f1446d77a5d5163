import { useEffect, useState, type FormEvent } from 'react';
import { createSipClient, type SipClient, type SipClientOptions, type SipClientState, type SipError } from 'sipstate';
import { useSipState } from 'sipstate/react';
import { Phone } from './Phone';
import { useNow } from './useNow';

interface Settings {
  server: string;
  uri: string;
  username: string;
  password: string;
}

const DEFAULT_SETTINGS: Settings = {
  server: 'ws://127.0.0.1:8080',
  uri: 'sip:alice@sipstate.test',
  username: 'alice',
  password: '',
};

// Short delays so that a restarted server is found again within seconds (the default backs off up to 30 s).
const RECONNECT: SipClientOptions['reconnect'] = { initialDelayMs: 2_000, maxDelayMs: 4_000 };

function toOptions(settings: Settings): SipClientOptions {
  return {
    server: settings.server.trim(),
    uri: settings.uri.trim(),
    ...(settings.username && { authorizationUsername: settings.username }),
    ...(settings.password && { authorizationPassword: settings.password }),
    reconnect: RECONNECT,
  };
}

const same = (a: Settings, b: Settings) => (Object.keys(a) as (keyof Settings)[]).every((key) => a[key] === b[key]);
const ignore = () => undefined; // commands also report failures in the streams: nothing more to do with a rejection
const seconds = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
const clock = (epochMs: number) => new Date(epochMs).toLocaleTimeString();
const describeError = (error: SipError) => `${error.kind}${error.code ? ` ${error.code}` : ''}: ${error.message}`;

export function App() {
  const [settings, setSettings] = useState(DEFAULT_SETTINGS);
  const [session, setSession] = useState<{ client: SipClient; settings: Settings }>();
  const [formError, setFormError] = useState<string>();
  // One client per applied form; replacing it (or leaving the page) disposes the old one.
  useEffect(() => () => session?.client.dispose(), [session]);

  // The client's state, re-rendering on each change; undefined until a client exists.
  const state = useSipState(session?.client.state$);

  /** The client for the current form: the running one, or a new one when the form changed. */
  function applySettings(): SipClient | undefined {
    if (session && same(session.settings, settings)) return session.client;
    try {
      const client = createSipClient(toOptions(settings));
      setSession({ client, settings });
      setFormError(undefined);
      return client;
    } catch (error) {
      setFormError((error as Error).message); // SipConfigError names the field
      return undefined;
    }
  }

  const field = (key: keyof Settings) => ({
    value: settings[key],
    onChange: (event: { target: { value: string } }) => setSettings({ ...settings, [key]: event.target.value }),
  });

  return (
    <main>
      <header>
        <h1>sipstate</h1>
        <span className="framework">React</span>
      </header>
      <form
        className="card settings"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          applySettings()?.start().catch(ignore);
        }}
      >
        <label>
          Server <input data-testid="server" {...field('server')} placeholder="wss://sip.example.com" />
        </label>
        <label>
          SIP URI <input data-testid="uri" {...field('uri')} placeholder="sip:alice@example.com" />
        </label>
        <label>
          Username <input data-testid="username" {...field('username')} autoComplete="username" />
        </label>
        <label>
          Password{' '}
          <input data-testid="password" type="password" {...field('password')} autoComplete="current-password" />
        </label>
        {formError && (
          <p className="error" data-testid="form-error">
            {formError}
          </p>
        )}
        <div className="actions">
          <button type="submit" data-testid="start">
            Start
          </button>
          <button type="button" data-testid="register" onClick={() => applySettings()?.register().catch(ignore)}>
            Register
          </button>
          <button
            type="button"
            data-testid="unregister"
            disabled={!session}
            onClick={() => session?.client.unregister().catch(ignore)}
          >
            Unregister
          </button>
          <button
            type="button"
            data-testid="stop"
            disabled={!session}
            onClick={() => session?.client.stop().catch(ignore)}
          >
            Stop
          </button>
        </div>
      </form>
      {state ? <Status state={state} /> : <p className="card hint">Fill in the form and press Start.</p>}
      {session && <Phone client={session.client} />}
    </main>
  );
}

function Status({ state: { transport, userAgent, registration } }: { state: SipClientState }) {
  // Each status has its own fields: narrow on `status` (and the transport's `phase`) before reading them.
  const recovering = transport.status === 'reconnecting' || transport.status === 'failed' ? transport : undefined;
  const waiting = transport.status === 'reconnecting' && transport.phase === 'waiting' ? transport : undefined;
  const now = useNow(Boolean(waiting) || registration.status === 'retrying' || registration.status === 'registered');
  return (
    <section className="card status">
      <div className="row">
        <h2>Transport</h2>
        <span className={`pill ${transport.status}`} data-testid="transport-status">
          {transport.status}
        </span>
        <ul>
          {transport.status !== 'disconnected' && <li>{transport.server}</li>}
          {recovering && recovering.attempt > 0 && (
            <li data-testid="transport-attempt">attempt {recovering.attempt}</li>
          )}
          {transport.status === 'reconnecting' && <li data-testid="transport-phase">{transport.phase}</li>}
          {waiting && <li data-testid="transport-retry-in">next try in {seconds(waiting.retryAt - now)}</li>}
          {recovering?.error && (
            <li className="error" data-testid="transport-error">
              {describeError(recovering.error)}
            </li>
          )}
        </ul>
      </div>
      <div className="row">
        <h2>User agent</h2>
        <span className={`pill ${userAgent.status}`} data-testid="user-agent-status">
          {userAgent.status}
        </span>
        <ul>
          {userAgent.status === 'stopped' && userAgent.error && (
            <li className="error" data-testid="user-agent-error">
              {describeError(userAgent.error)}
            </li>
          )}
        </ul>
      </div>
      <div className="row">
        <h2>Registration</h2>
        <span className={`pill ${registration.status}`} data-testid="registration-status">
          {registration.status}
        </span>
        <ul>
          {registration.status === 'registered' && (
            <>
              <li data-testid="registration-expires">granted {registration.expires} s</li>
              <li data-testid="registration-expires-at">expires at {clock(registration.expiresAt)}</li>
              <li data-testid="registration-refresh-in">refresh in {seconds(registration.refreshAt - now)}</li>
            </>
          )}
          {registration.status === 'retrying' && (
            <>
              {/* a refresh that failed: the old binding stands until it lapses */}
              {registration.expires !== undefined && (
                <li data-testid="registration-expires">granted {registration.expires} s</li>
              )}
              {registration.expiresAt !== undefined && (
                <li data-testid="registration-expires-at">expires at {clock(registration.expiresAt)}</li>
              )}
              <li data-testid="registration-attempt">attempt {registration.attempt}</li>
              <li data-testid="registration-retry-in">next try in {seconds(registration.retryAt - now)}</li>
            </>
          )}
          {'error' in registration && registration.error && (
            <li className="error" data-testid="registration-error">
              {describeError(registration.error)}
            </li>
          )}
        </ul>
      </div>
    </section>
  );
}
