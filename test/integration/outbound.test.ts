/**
 * RFC 5626 outbound against Kamailio: REGISTER carries reg-id and +sip.instance and the registrar keeps them; a
 * registrar's Flow-Timer sets how often the client pings. kamailio.cfg adds `Flow-Timer: 5` to the REGISTER 200 of
 * user `flowtimer` only. The pings are counted on the client's socket (a `ws` WebSocket that records each CRLFCRLF it
 * sends and each CRLF pong Kamailio answers), so what is measured is what went over the wire to the real server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, type SipClient, type SipClientOptions, type SipTraceEntry } from '../../src/index';
import { startKamailio, type KamailioServer } from '../support/kamailio';

/** The user kamailio.cfg answers with `Flow-Timer: 5`, and its password. */
const FLOW_TIMER_USER = { user: 'flowtimer', password: 'flowtimer-secret' };
const INSTANCE_ID = '0e6b7f6a-5d1c-4c1e-9d3a-6c2f1b7e8a90';

let kamailio: KamailioServer;
const clients: SipClient[] = [];

beforeAll(async () => {
  kamailio = await startKamailio({ minExpires: 4 });
});
afterAll(async () => {
  await kamailio?.stop();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.dispose();
  kamailio.clearRequests();
});

/** A `ws` WebSocket that records when each CRLF keep-alive ping went out and each pong came back. */
function countingWebSocket() {
  const pings: number[] = [];
  const pongs: number[] = [];
  class CountingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.on('message', (data) => {
        if (/^(\r\n)+$/.test(data.toString())) pongs.push(Date.now());
      });
    }
    override send(data: unknown, ...rest: unknown[]): void {
      if (data === '\r\n\r\n') pings.push(Date.now());
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return { pings, pongs, CountingWebSocket };
}

/** Resolves once `condition` holds (checked every 50 ms); rejects after `ms`. */
async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

function client(user: string, password: string, options: Partial<SipClientOptions> = {}): SipClient {
  const created = createSipClient({
    server: kamailio.wsUrl,
    uri: `sip:${user}@${kamailio.domain}`,
    authorizationUsername: user,
    authorizationPassword: password,
    webSocket: WebSocket,
    logLevel: 'error',
    ...options,
  });
  clients.push(created);
  return created;
}

/** Every 200 to REGISTER the client received, as text. */
function registerOks(sipClient: SipClient): string[] {
  const texts: string[] = [];
  sipClient.sipTrace$.subscribe((entry: SipTraceEntry) => {
    if (entry.direction === 'received' && entry.status === 200 && entry.cseq?.endsWith('REGISTER')) {
      texts.push(entry.text);
    }
  });
  return texts;
}

describe('RFC 5626 outbound against Kamailio', () => {
  it('REGISTER carries Supported: outbound, path and reg-id/+sip.instance, which the registrar keeps in its binding', async () => {
    const alice = client('alice', kamailio.users.alice!, { instanceId: INSTANCE_ID, expires: 60 });
    const sent: string[] = [];
    alice.sipTrace$.subscribe((entry) => {
      if (entry.direction === 'sent' && entry.method === 'REGISTER') sent.push(entry.text);
    });
    const oks = registerOks(alice);
    await alice.start();
    await alice.register();
    expect(sent.length).toBeGreaterThan(0);
    for (const text of sent) {
      expect(text).toMatch(/\r\nSupported: outbound, path\r\n/);
      expect(text).toMatch(new RegExp(`\\r\\nContact: <[^>]+>;reg-id=1;\\+sip\\.instance="<urn:uuid:${INSTANCE_ID}>"`));
    }
    expect(oks).toHaveLength(1);
    // The registrar lists our binding with the instance it stored (RFC 5626 6: it echoes +sip.instance and reg-id).
    expect(oks[0]).toMatch(new RegExp(`\\r\\nContact: [^\\r]*\\+sip\\.instance="<urn:uuid:${INSTANCE_ID}>"`, 'i'));
    expect(oks[0]).toMatch(/\r\nContact: [^\r]*reg-id=1/i);
  });

  it("pings every 4 to 5 s on the registrar's Flow-Timer: 5 (keepAliveIntervalSec 30 notwithstanding), each answered", async () => {
    const { pings, pongs, CountingWebSocket } = countingWebSocket();
    const flow = client(FLOW_TIMER_USER.user, FLOW_TIMER_USER.password, {
      webSocket: CountingWebSocket as unknown as SipClientOptions['webSocket'],
      keepAliveIntervalSec: 30,
      expires: 600,
    });
    const oks = registerOks(flow);
    await flow.start();
    await flow.register();
    expect(oks[0]).toMatch(/\r\nFlow-Timer: 5\r\n/);
    const registeredAt = Date.now();
    // One ping every 4..5 s: the third is due 12..15 s after the 200 (30 s would be keepAliveIntervalSec's).
    await waitFor(() => pongs.length >= 3, 20_000, 'three pings answered');
    expect(pings).toHaveLength(3);
    const gaps = [pings[0]! - registeredAt, ...pings.slice(1).map((at, index) => at - pings[index]!)];
    for (const gap of gaps) {
      // 4,000..5,000 ms, with room for timers and the event loop under load (the first gap starts at the 200).
      expect(gap).toBeGreaterThanOrEqual(3_900);
      expect(gap).toBeLessThanOrEqual(5_400);
    }
    expect(flow.getState().transport.status).toBe('connected');
  }, 30_000);

  it('the Flow-Timer turns pings on with keepAliveIntervalSec 0, and each waits for its pong (no dead flow)', async () => {
    const { pings, pongs, CountingWebSocket } = countingWebSocket();
    const flow = client(FLOW_TIMER_USER.user, FLOW_TIMER_USER.password, {
      webSocket: CountingWebSocket as unknown as SipClientOptions['webSocket'],
      keepAliveIntervalSec: 0,
    });
    const transports: string[] = [];
    flow.transport$.subscribe((state) => transports.push(state.status));
    await flow.start();
    await flow.register();
    await waitFor(() => pongs.length >= 2, 15_000, 'two pings answered');
    expect(pings).toHaveLength(2);
    // Never left 'connected' since it first got there: no ping was taken for a dead flow.
    expect(transports.slice(transports.indexOf('connected'))).toEqual(['connected']);
  }, 20_000);

  it('a user whose 200 has no Flow-Timer keeps keepAliveIntervalSec', async () => {
    const { pings, CountingWebSocket } = countingWebSocket();
    const bob = client('bob', kamailio.users.bob!, {
      webSocket: CountingWebSocket as unknown as SipClientOptions['webSocket'],
      keepAliveIntervalSec: 30,
    });
    const oks = registerOks(bob);
    await bob.start();
    await bob.register();
    expect(oks[0]).not.toMatch(/Flow-Timer/i);
    await new Promise((done) => setTimeout(done, 6_000));
    expect(pings).toHaveLength(0);
  }, 20_000);
});
