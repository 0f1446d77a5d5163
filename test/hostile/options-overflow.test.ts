/**
 * Options whose delay overflows a timer (issue 15): Node fires a setTimeout above 2^31-1 ms after 1 ms, so
 * `keepAliveIntervalSec: 2.2e6` pinged every few ms and `unansweredTimeoutSec: 3e6` ended a call at once. Now they are
 * refused: keepAliveIntervalSec 0 or 1..3,600, unansweredTimeoutSec (client and per call) >0..3,600. When an option is
 * wrongly accepted, the test shows what it does against the scripted server before failing.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, SipConfigError, type CallState, type SipClientOptions } from '../../src/index';
import { attackedClient, disposeClients } from '../support/hostile-client';
import { HOSTILE_DOMAIN, sleep, startHostileServer, type HostileServer } from '../support/hostile-server';

const servers: HostileServer[] = [];
afterEach(() => disposeClients());
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function server(): Promise<HostileServer> {
  const started = await startHostileServer({ lifetimeMs: 20_000 });
  servers.push(started);
  return started;
}

/** The SipConfigError createSipClient throws for `options`, or undefined when it accepted them (then disposed). */
function configErrorOf(options: Record<string, unknown>): unknown {
  try {
    createSipClient({
      server: 'ws://127.0.0.1:9',
      uri: `sip:alice@${HOSTILE_DOMAIN}`,
      webSocket: WebSocket,
      ...options,
    } as SipClientOptions).dispose();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('options that would overflow a timer', () => {
  it('keepAliveIntervalSec: 2.2e6 is a SipConfigError (it pinged every few ms)', async () => {
    const error = configErrorOf({ keepAliveIntervalSec: 2.2e6 });
    if (error === undefined) {
      // Accepted: count the pings it sends in one second.
      const hostile = await server();
      const { client } = attackedClient(hostile, { keepAliveIntervalSec: 2.2e6 });
      await client.start();
      await sleep(1_000);
      const pings = hostile.received.filter((m) => m.kind === 'keepalive').length;
      expect.fail(`keepAliveIntervalSec: 2.2e6 was accepted; the client sent ${pings} keep-alive pings in 1 s`);
    }
    expect(error).toBeInstanceOf(SipConfigError);
    expect((error as SipConfigError).field).toBe('keepAliveIntervalSec');
  });

  it('calls.unansweredTimeoutSec: 3e6 is a SipConfigError (calls ended at once)', async () => {
    const error = configErrorOf({ calls: { unansweredTimeoutSec: 3e6 } });
    if (error === undefined) {
      const hostile = await server();
      hostile.onRequest('INVITE', (request) => hostile.reply(request, 180));
      const { client } = attackedClient(hostile, { calls: { unansweredTimeoutSec: 3e6 } });
      await client.start();
      const call = client.call(`sip:bob@${HOSTILE_DOMAIN}`);
      const started = Date.now();
      const ended = await Promise.race([call.ended(), sleep(2_000).then(() => undefined)]);
      expect.fail(
        `calls.unansweredTimeoutSec: 3e6 was accepted; a ringing call ${ended ? `ended '${ended.reason}' after ${Date.now() - started} ms` : 'still rings after 2 s'}`,
      );
    }
    expect(error).toBeInstanceOf(SipConfigError);
    expect((error as SipConfigError).field).toBe('calls.unansweredTimeoutSec');
  });

  it("a call's unansweredTimeoutSec: 3e6 fails the call with kind 'config', nothing is sent", async () => {
    const hostile = await server();
    hostile.onRequest('INVITE', (request) => hostile.reply(request, 180));
    const { client } = attackedClient(hostile);
    await client.start();
    const call = client.call(`sip:bob@${HOSTILE_DOMAIN}`, { unansweredTimeoutSec: 3e6 });
    const final: CallState | undefined = await Promise.race([call.ended(), sleep(2_000).then(() => undefined)]);
    expect(final, 'the call still rings after 2 s').toBeDefined();
    // Whatever was sent has reached the server by now.
    await sleep(300);
    expect({ reason: final!.reason, kind: final!.error?.kind, invites: hostile.requests('INVITE').length }).toEqual({
      reason: 'failed',
      kind: 'config',
      invites: 0,
    });
  });
});
