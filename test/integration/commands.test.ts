/**
 * Commands in any state: start, stop, register, unregister, reconnect and dispose fired at random moments, without
 * awaiting, against the real Kamailio. A seeded PRNG makes a failing run repeatable: `CHAOS_SEED=n` reruns seed n.
 */
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSipClient, SipError, type SipClient } from '../../src/index';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { prng } from '../support/prng';
import { startKamailio, type KamailioServer } from '../support/kamailio';

const SEED = Number(process.env.CHAOS_SEED ?? 20261129);
const COMMANDS = Number(process.env.CHAOS_COMMANDS ?? 300);
/** Every promise must have settled this long after the final stop() resolved. */
const SETTLE_MS = 1_000;

type CommandName = 'start' | 'stop' | 'register' | 'unregister' | 'reconnect' | 'dispose' | 'reset';
// dispose is rare (it ends a client: the next command goes to a new one); `reset` cuts the connection at the proxy.
const WEIGHTS: [CommandName, number][] = [
  ['start', 20],
  ['stop', 18],
  ['register', 20],
  ['unregister', 14],
  ['reconnect', 12],
  ['reset', 6],
  ['dispose', 2],
];

interface Issued {
  client: number;
  name: CommandName;
  settled: 'pending' | 'resolved' | 'rejected';
  error?: unknown;
}

let kamailio: KamailioServer;
let proxy: FaultProxy;

beforeAll(async () => {
  kamailio = await startKamailio();
  proxy = await startFaultProxy({ targetPort: kamailio.wsPort });
});
afterAll(async () => {
  await proxy?.close();
  await kamailio?.stop();
});

function socketsTo(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (handle) =>
      (handle as { remotePort?: number }).remotePort === port && !(handle as { destroyed?: boolean }).destroyed,
  ).length;
}

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('commands in any state', () => {
  it(`${COMMANDS} random commands without awaiting (seed ${SEED}): none throws, all settle, the client ends clean`, async () => {
    const random = prng(SEED);
    const pick = (): CommandName => {
      const total = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
      let r = random() * total;
      for (const [name, weight] of WEIGHTS) {
        r -= weight;
        if (r < 0) return name;
      }
      return 'start';
    };
    const makeClient = (): SipClient =>
      createSipClient({
        server: proxy.url,
        uri: 'sip:alice@sipstate.test',
        authorizationUsername: 'alice',
        authorizationPassword: kamailio.users.alice,
        webSocket: WebSocket,
        logLevel: 'error',
        expires: 60,
        keepAliveIntervalSec: 1,
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      });

    const clients: SipClient[] = [makeClient()];
    const issued: Issued[] = [];
    const thrown: unknown[] = [];
    const promises: Promise<void>[] = [];
    for (let index = 0; index < COMMANDS; index++) {
      const name = pick();
      const clientIndex = clients.length - 1;
      const current = clients[clientIndex]!;
      try {
        if (name === 'reset') {
          proxy.reset();
        } else if (name === 'dispose') {
          current.dispose();
          clients.push(makeClient());
        } else {
          const entry: Issued = { client: clientIndex, name, settled: 'pending' };
          issued.push(entry);
          const promise = current[name]();
          promises.push(
            promise.then(
              () => {
                entry.settled = 'resolved';
              },
              (error: unknown) => {
                entry.settled = 'rejected';
                entry.error = error;
              },
            ),
          );
        }
      } catch (error) {
        thrown.push(error);
      }
      // Gaps from 0 (same tick) to ~40 ms: commands land in every state, including mid-transition.
      const gap = random();
      if (gap < 0.3) continue;
      if (gap < 0.5) await Promise.resolve();
      else await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
    }
    expect(thrown).toEqual([]);

    // The last client is still alive: stop it, and every promise (of every client) must settle.
    const last = clients.at(-1)!;
    const stopped = await Promise.race([
      last.stop().then(() => 'stopped' as const),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000)),
    ]);
    expect(stopped).toBe('stopped');
    // (this found two bugs, now fixed: test/unit/commands.regressions.test.ts)
    expect(last.getState()).toMatchObject({
      transport: { status: 'disconnected' },
      userAgent: { status: 'stopped' },
      registration: { status: 'unregistered' },
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const pending = issued.filter((entry) => entry.settled === 'pending');
    expect(pending).toEqual([]);
    // Rejections are SipErrors that say why.
    const notSipErrors = issued.filter((entry) => entry.settled === 'rejected' && !(entry.error instanceof SipError));
    expect(notSipErrors).toEqual([]);
    // The mix did reach the interesting outcomes (else the test proved little).
    const resolvedNames = new Set(issued.filter((entry) => entry.settled === 'resolved').map((entry) => entry.name));
    expect(resolvedNames.has('register')).toBe(true);
    expect(resolvedNames.has('start')).toBe(true);
    expect(issued.some((entry) => entry.settled === 'rejected')).toBe(true);

    // Not stuck: the surviving client still registers and stops.
    await last.register();
    expect(last.getState().registration.status).toBe('registered');
    await last.stop();
    last.dispose();
    // After dispose, no socket to the server is left (the proxy's port, from this side).
    const clean = await eventually(() => socketsTo(proxy.port) === 0, 5_000);
    expect(socketsTo(proxy.port)).toBe(0);
    expect(clean).toBe(true);
    await Promise.allSettled(promises);
  }, 60_000);

  it('dispose() in every state leaves nothing running and rejects pending commands as cancelled', async () => {
    const states = ['stopped', 'starting', 'started', 'registering', 'registered', 'stopping'] as const;
    for (const target of states) {
      const client = createSipClient({
        server: kamailio.wsUrl,
        uri: 'sip:bob@sipstate.test',
        authorizationUsername: 'bob',
        authorizationPassword: kamailio.users.bob,
        webSocket: WebSocket,
        logLevel: 'error',
      });
      const pending: Promise<void>[] = [];
      if (target !== 'stopped') pending.push(client.start());
      if (target === 'started' || target === 'registered' || target === 'stopping') await pending[0];
      if (target === 'registering') pending.push(client.register());
      if (target === 'registered') await client.register();
      if (target === 'stopping') {
        pending.push(client.stop());
        await firstValueFrom(
          client.userAgent$.pipe(
            filter((s) => s.status === 'stopping'),
            timeout(5_000),
          ),
        );
      }
      const completed: string[] = [];
      client.state$.subscribe({ complete: () => completed.push('state$') });
      expect(() => client.dispose()).not.toThrow();
      expect(completed, target).toEqual(['state$']);
      const outcomes = await Promise.allSettled(pending);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason, target).toMatchObject({ kind: 'cancelled' });
      }
      await expect(client.start()).rejects.toMatchObject({ kind: 'cancelled' });
      expect(() => client.dispose()).not.toThrow();
    }
    const clean = await eventually(() => socketsTo(kamailio.wsPort) === 0, 5_000);
    expect(socketsTo(kamailio.wsPort)).toBe(0);
    expect(clean).toBe(true);
  });
});
