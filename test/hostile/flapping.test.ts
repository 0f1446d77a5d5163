/**
 * A server that accepts the WebSocket and closes it at once (issue 15): before the fix every open reset the backoff,
 * 25 connections in 10 s forever with the default policy, hundreds a second with `reconnect.initialDelayMs: 0`.
 *
 * Bounds, from the decided constants: a connection counts as recovered (and the backoff resets) only after staying up
 * STABLE_CONNECTION_MS (10 s), which a flapping one never does; every reconnect delay is at least
 * MIN_RECONNECT_DELAY_MS (250 ms), whatever the options say.
 * - Default policy (500 ms initial, x2, jitter 0.5: each delay at least half its base): the delays are at least
 *   250, 500, 1,000, 2,000 ms (or 250, 250, 500, 1,000, 2,000 if the first retry after a loss counts as attempt 0), so a
 *   5 s window from the first connection holds at most 6 connections (0, .25, .5, 1, 2, 4 s). Before: ~13.
 * - `initialDelayMs: 0`: every delay is at least the floor, so a 3 s window holds at most 1 + 3,000 / 250 = 13.
 */
import { afterAll, describe, it } from 'vitest';
import { attackedClient, disposeClients } from '../support/hostile-client';
import { sleep, startHostileServer, type HostileServer } from '../support/hostile-server';

const MIN_RECONNECT_DELAY_MS = 250;
const servers: HostileServer[] = [];
afterAll(async () => {
  disposeClients();
  await Promise.all(servers.map((server) => server.close()));
});

/** Connections the flapping server saw within `windowMs` of the first one. */
async function connectionsIn(windowMs: number, reconnect: Record<string, unknown> | undefined): Promise<number> {
  const server = await startHostileServer({ closeOnOpen: true, lifetimeMs: 30_000 });
  servers.push(server);
  const { client } = attackedClient(server, reconnect ? { reconnect } : {});
  void client.start();
  const first = await server.waitFor(() => server.connections[0], 5_000, 'a first connection');
  await sleep(Math.max(0, first.openedAt + windowMs - server.now()));
  const count = server.connections.filter((c) => c.openedAt <= first.openedAt + windowMs).length;
  client.dispose();
  await server.close();
  return count;
}

describe('a flapping server (accepts the WebSocket, closes it at once)', () => {
  it.concurrent('with the default backoff: at most 6 connections in 5 s (the backoff is not reset by an open)', async ({
    expect,
  }) => {
    const count = await connectionsIn(5_000, undefined);
    expect(count, 'connections in 5 s').toBeLessThanOrEqual(6);
    // The client did keep trying (a check that cannot pass by doing nothing).
    expect(count).toBeGreaterThanOrEqual(3);
  });

  it.concurrent('with reconnect.initialDelayMs: 0: the 250 ms floor holds, at most 13 connections in 3 s', async ({
    expect,
  }) => {
    const windowMs = 3_000;
    const count = await connectionsIn(windowMs, { initialDelayMs: 0 });
    expect(count, `connections in ${windowMs} ms`).toBeLessThanOrEqual(
      1 + Math.floor(windowMs / MIN_RECONNECT_DELAY_MS),
    );
    expect(count).toBeGreaterThanOrEqual(2);
  });
});
