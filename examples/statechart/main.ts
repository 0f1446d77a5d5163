/**
 * A tiny standalone page: a sipstate client in the browser and the three lifecycle machines drawn live with
 * `sipstate/view`. Build it with `npm run example:statechart` and open examples/statechart/dist/index.html through any
 * static server; connection details come from the query string:
 *
 *   index.html?server=ws://127.0.0.1:5066&uri=sip:alice@sipstate.test&user=alice&password=...
 *
 * (A password in a URL is for a local test server only.)
 */
import { createSipClient } from 'sipstate';
import { mountStatechart, type StatechartView } from 'sipstate/view';

const params = new URLSearchParams(location.search);
const server = params.get('server') ?? 'ws://127.0.0.1:5066';
const uri = params.get('uri') ?? 'sip:alice@sipstate.test';
const user = params.get('user') ?? undefined;
const password = params.get('password') ?? undefined;

const client = createSipClient({
  server,
  uri,
  ...(user !== undefined && { authorizationUsername: user }),
  ...(password !== undefined && { authorizationPassword: password }),
  register: true,
  expires: 60,
  reconnect: { initialDelayMs: 500, maxDelayMs: 4_000 },
});

const views: StatechartView[] = (['transport', 'registration', 'userAgent'] as const).map((machine) =>
  mountStatechart(document.getElementById(machine)!, client, { machine }),
);

const summary = document.getElementById('summary')!;
client.state$.subscribe(({ transport, userAgent, registration }) => {
  summary.textContent = `${uri}  transport: ${transport.status}  user agent: ${userAgent.status}  registration: ${registration.status}`;
});

void client.start();

// For the browser test and for poking at it from the console.
(window as unknown as { sipstateExample: unknown }).sipstateExample = { client, views };
