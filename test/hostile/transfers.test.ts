/**
 * A caller in an answered call sends REFERs (issue 15). Before the fix sipstate dialled every Refer-To by itself
 * (toll fraud), and a Refer-To whose Replaces value held an encoded CRLF put `X-Injected:` and `Route:` lines into the
 * INVITE that followed (request smuggling). Now a transfer is the application's decision (`calls.acceptTransfer`), at
 * most one per call is followed, and a Refer-To with header parameters or CR/LF is refused.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SipClient } from '../../src/index';
import { attackedClient, disposeClients } from '../support/hostile-client';
import {
  sleep,
  startHostileServer,
  type HostileServer,
  type ReceivedMessage,
  type ServerCall,
} from '../support/hostile-server';

/** How long after the last REFER an INVITE from the client would have shown up by now. */
const SETTLE_MS = 1_500;
const INJECTING_REPLACES =
  '<sip:premium-9@toll.example?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2%0D%0AX-Injected:%20yes%0D%0ARoute:%20%3Csip:attacker.example%3Blr%3E>';
const ROUTE_HEADER = '<sip:premium-8@toll.example?Route=%3Csip:attacker.example%3Blr%3E>';

const servers: HostileServer[] = [];
afterEach(() => disposeClients());
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** A registered client that answers every incoming call, and an answered call from the scripted caller to it. */
async function answeredCall(
  options: Record<string, unknown> = {},
): Promise<{ server: HostileServer; client: SipClient; call: ServerCall }> {
  const server = await startHostileServer({ lifetimeMs: 30_000 });
  servers.push(server);
  const { client } = attackedClient(server, { register: true, ...options });
  client.incomingCalls$.subscribe((incoming) => void incoming.answer());
  await client.register();
  const call = server.invite();
  await call.response(200);
  return { server, client, call };
}

/** The requests the client sent that carry a smuggled header or a Route to the attacker. */
function smuggled(server: HostileServer): string[] {
  return server
    .requests()
    .filter((r) => /^X-Injected\s*:/im.test(r.raw) || /^Route\s*:[^\r\n]*attacker/im.test(r.raw))
    .map((r) => r.raw.split('\r\n', 1)[0]!);
}

const statusesOf = (finals: readonly ReceivedMessage[]): number[] => finals.map((f) => f.status!);

describe('REFER from the peer', () => {
  it('without acceptTransfer: every REFER is declined and nothing is dialled', async () => {
    const { server, call } = await answeredCall();
    // The injecting ones first: whichever a vulnerable client follows, it shows.
    const referTos = [
      INJECTING_REPLACES,
      ROUTE_HEADER,
      '<sip:premium-1@toll.example>',
      '<sip:premium-2@toll.example>',
      '<sip:premium-3@toll.example>',
    ];
    const cseqs = referTos.map((referTo) => call.sendRefer(referTo));
    const finals = await Promise.all(cseqs.map((cseq) => call.finalFor(cseq, 5_000)));
    await sleep(SETTLE_MS);
    const dialled = server.requests('INVITE').map((r) => r.ruri);
    expect({ dialled, smuggled: smuggled(server) }).toEqual({ dialled: [], smuggled: [] });
    for (const status of statusesOf(finals)) expect(status, 'REFER answered').toBeGreaterThanOrEqual(400);
  });

  it('with acceptTransfer () => true: three REFERs, one transfer followed', async () => {
    const asked: unknown[] = [];
    const { server, call } = await answeredCall({
      calls: {
        acceptTransfer: (request: unknown) => {
          asked.push(request);
          return true;
        },
      },
    });
    const cseqs = [1, 2, 3].map((n) => call.sendRefer(`<sip:premium-${n}@toll.example>`));
    await Promise.all(cseqs.map((cseq) => call.finalFor(cseq, 5_000)));
    await sleep(SETTLE_MS);
    const dialled = server.requests('INVITE').map((r) => r.ruri);
    expect(dialled, 'INVITEs the client sent').toHaveLength(1);
    expect(dialled[0]).toMatch(/^sip:premium-[123]@toll\.example$/);
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(String((asked[0] as { target?: unknown }).target)).toMatch(/premium-[123]@toll\.example/);
  });

  it('with acceptTransfer () => true: a Refer-To carrying headers (Replaces with CRLF, Route) is refused', async () => {
    const accept = { calls: { acceptTransfer: () => true } };
    for (const referTo of [INJECTING_REPLACES, ROUTE_HEADER]) {
      const { server, call } = await answeredCall(accept);
      const final = await call.refer(referTo, { timeoutMs: 5_000 });
      await sleep(SETTLE_MS);
      expect(final.status, `REFER to ${referTo} answered`).toBeGreaterThanOrEqual(400);
      expect({ dialled: server.requests('INVITE').map((r) => r.ruri), smuggled: smuggled(server) }).toEqual({
        dialled: [],
        smuggled: [],
      });
      disposeClients();
    }
  });
});
