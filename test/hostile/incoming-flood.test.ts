/**
 * 500 INVITEs at once (issue 15): before the fix they became 500 ringing calls (80 KB and a 60 s timer each), calls$
 * copied the whole list on every change, and nothing was answered 486. Now at most `calls.maxIncoming` (default 4)
 * incoming calls exist at a time; the rest are answered 486 Busy Here without a Call being made.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Call } from '../../src/index';
import { attackedClient, disposeClients } from '../support/hostile-client';
import { measure, startHostileServer, type HostileServer, type ServerCall } from '../support/hostile-server';

const FLOOD = 500;
const DEFAULT_MAX_INCOMING = 4;
const servers: HostileServer[] = [];
afterAll(async () => {
  disposeClients();
  await Promise.all(servers.map((server) => server.close()));
});

describe('an INVITE flood', () => {
  it(`${FLOOD} INVITEs at once: at most ${DEFAULT_MAX_INCOMING} calls, the rest answered 486`, async () => {
    const server = await startHostileServer({ lifetimeMs: 30_000 });
    servers.push(server);
    const { client } = attackedClient(server, { register: true });
    let incoming = 0;
    let largestCalls = 0;
    let callsEmissions = 0;
    const ringing: Call[] = [];
    client.incomingCalls$.subscribe((call) => {
      incoming++;
      ringing.push(call);
    });
    client.calls$.subscribe((calls) => {
      callsEmissions++;
      largestCalls = Math.max(largestCalls, calls.length);
    });
    await client.register();

    const {
      value: calls,
      maxEventLoopDelayMs,
      elapsedMs,
    } = await measure(async () => {
      const placed: ServerCall[] = [];
      for (let i = 0; i < FLOOD; i++) placed.push(server.invite({ from: `sip:flood-${i}@hostile.test` }));
      // Every INVITE gets a final answer (486) or at least a provisional one (a call that rings).
      await server
        .waitFor(
          () => placed.every((call) => call.responses.length > 0) || undefined,
          10_000,
          `an answer to each of ${FLOOD} INVITEs`,
        )
        .catch(() => undefined);
      // The process is not wedged: an OPTIONS sent after the flood comes back (probe() rejects after 5 s otherwise).
      // How long the burst blocks the event loop is a figure (in the message below), not an assertion: it depends on
      // the machine's load, and speed belongs in the benchmarks.
      await server.probe(5_000);
      return placed;
    });

    const busy = calls.filter((call) => call.final?.status === 486).length;
    const unanswered = calls.filter((call) => call.responses.length === 0).length;
    const figures =
      `incomingCalls$ ${incoming}, largest calls$ ${largestCalls}, answered 486: ${busy}, unanswered ${unanswered}, ` +
      `calls$ emissions ${callsEmissions}, longest event-loop block ${maxEventLoopDelayMs.toFixed(0)} ms, ${elapsedMs.toFixed(0)} ms in all`;
    expect(incoming, figures).toBeLessThanOrEqual(DEFAULT_MAX_INCOMING);
    expect(largestCalls, figures).toBeLessThanOrEqual(DEFAULT_MAX_INCOMING);
    expect(busy, figures).toBeGreaterThanOrEqual(FLOOD - DEFAULT_MAX_INCOMING);
    expect(unanswered, figures).toBe(0);
    // Not vacuous: calls under the cap did reach the application.
    expect(incoming, figures).toBeGreaterThanOrEqual(1);
  });
});
