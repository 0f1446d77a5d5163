/**
 * sipstate demo: starts a local Kamailio, registers alice over WebSocket, and prints every state change of the
 * transport, user agent and registration streams. It lets one refresh happen, kills and restarts Kamailio to show the
 * client coming back by itself, then stops cleanly.
 *
 * Run from the repository root: `npm run demo`.
 */
import { filter, firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import { createSipClient, type SipClientState } from 'sipstate';
import { startKamailio } from '../../test/support/kamailio';

const started = Date.now();
const stamp = (): string => `+${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(8);

function describe(state: SipClientState): string {
  const { transport, userAgent, registration } = state;
  const parts = [
    `transport ${transport.status}${transport.attempt ? ` (attempt ${transport.attempt})` : ''}`,
    `user agent ${userAgent.status}`,
    `registration ${registration.status}`,
  ];
  if (registration.expires !== undefined) parts.push(`granted ${registration.expires}s`);
  if (transport.retryAt) parts.push(`next try in ${Math.max(0, transport.retryAt - Date.now())} ms`);
  const error = transport.error ?? registration.error ?? userAgent.error;
  if (error) parts.push(`error: ${error.kind} ${error.message}`);
  return parts.join(' | ');
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
    const { expiresAt } = client.getState().registration;
    console.log(`${stamp()}  -- registered; waiting for the automatic refresh`);
    await when((s) => (s.registration.expiresAt ?? 0) > (expiresAt ?? 0));
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
