/**
 * sipstate demo: starts a local Kamailio, registers alice over WebSocket, and prints every state change of the
 * transport, user agent and registration streams. It lets one refresh happen, kills and restarts Kamailio to show the
 * client coming back by itself, then stops cleanly.
 *
 * Run from the repository root: `npm run demo`.
 */
import { filter, firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import { createSipClient, type RegistrationState, type SipClientState, type TransportState } from 'sipstate';
import { startKamailio } from '../../test/support/kamailio';

const started = Date.now();
const stamp = (): string => `+${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(8);

// Each status has its own fields: narrow on `status` (and `phase` while reconnecting) to read them.
function describeTransport(transport: TransportState): string {
  switch (transport.status) {
    case 'reconnecting':
      if (transport.phase === 'waiting') {
        const inMs = Math.max(0, transport.retryAt - Date.now());
        return `transport reconnecting: attempt ${transport.attempt} in ${inMs} ms (${transport.error.kind} ${transport.error.message})`;
      }
      return transport.phase === 'offline'
        ? 'transport reconnecting: waiting for the network'
        : `transport reconnecting: attempt ${transport.attempt} now`;
    case 'failed':
      return `transport failed after ${transport.attempt} attempts (${transport.error.kind} ${transport.error.message})`;
    default:
      return `transport ${transport.status}`;
  }
}

function describeRegistration(registration: RegistrationState): string {
  switch (registration.status) {
    case 'registered':
      return `registration registered: granted ${registration.expires}s`;
    case 'retrying':
      return `registration retrying: attempt ${registration.attempt + 1} in ${Math.max(0, registration.retryAt - Date.now())} ms (${registration.error.message})`;
    case 'failed':
      return `registration failed (${registration.error.kind} ${registration.error.message})`;
    case 'unregistered':
      return registration.error
        ? `registration unregistered (${registration.error.message})`
        : 'registration unregistered';
    default:
      return `registration ${registration.status}`;
  }
}

function describe({ transport, userAgent, registration }: SipClientState): string {
  const stopped =
    userAgent.status === 'stopped' && userAgent.error ? ` (start failed: ${userAgent.error.message})` : '';
  return [
    describeTransport(transport),
    `user agent ${userAgent.status}${stopped}`,
    describeRegistration(registration),
  ].join(' | ');
}

async function main(): Promise<void> {
  console.log('Starting Kamailio on loopback...');
  const kamailio = await startKamailio({ minExpires: 4 });
  console.log(`Kamailio listening on ${kamailio.wsUrl}\n`);

  const client = createSipClient({
    server: kamailio.wsUrl,
    uri: `sip:alice@${kamailio.domain}`,
    authorizationUsername: 'alice',
    authorizationPassword: kamailio.users.alice,
    expires: 10,
    register: true,
    webSocket: WebSocket,
    reconnect: { initialDelayMs: 250, maxDelayMs: 2_000 },
  });
  client.state$.subscribe((state) => console.log(`${stamp()}  ${describe(state)}`));
  const when = (predicate: (state: SipClientState) => boolean) => firstValueFrom(client.state$.pipe(filter(predicate)));

  try {
    await client.start();
    await when((s) => s.registration.status === 'registered');
    const first = client.getState().registration;
    const expiresAt = first.status === 'registered' ? first.expiresAt : 0;
    console.log(`${stamp()}  -- registered; waiting for the automatic refresh`);
    await when((s) => s.registration.status === 'registered' && s.registration.expiresAt > expiresAt);
    console.log(`${stamp()}  -- refreshed; killing Kamailio`);
    await kamailio.kill();
    await when((s) => s.transport.status === 'reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    console.log(`${stamp()}  -- restarting Kamailio`);
    await kamailio.start();
    await when((s) => s.registration.status === 'registered');
    console.log(`${stamp()}  -- registered again without any call from the app; stopping`);
    await client.stop();
  } finally {
    client.dispose();
    await kamailio.stop();
  }
  console.log(`${stamp()}  done`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
