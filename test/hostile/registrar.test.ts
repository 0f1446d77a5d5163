/**
 * A registrar that asks for the absurd (issue 15): expires=2^53, Retry-After: 3000000, a 423 whose Min-Expires is
 * always one more than asked, Min-Expires: 1e300, a 200 that grants expires=0. Before the fix these made sipstate send
 * ~1,050, ~1,150 and ~9,250 REGISTERs in 3 s (Node fires a setTimeout above 2^31-1 ms after 1 ms).
 *
 * Bound: every REGISTER sent by a timer or because of a server's answer waits at least MIN_REGISTER_INTERVAL_MS (1 s)
 * after the one before, so a window of 3 s from the first REGISTER holds at most 1 + 3 = 4 of them. Every REGISTER asks
 * for an integer expiry of at most MAX_EXPIRES_SEC (86,400).
 */
import { afterAll, describe, it } from 'vitest';
import type { RegistrationState, SipClient } from '../../src/index';
import { attackedClient, disposeClients } from '../support/hostile-client';
import {
  askedExpires,
  sleep,
  startHostileServer,
  type HostileServer,
  type ReceivedMessage,
} from '../support/hostile-server';
import { expectStatus } from '../support/state-fields';

const WINDOW_MS = 3_000;
const MIN_REGISTER_INTERVAL_MS = 1_000;
const MAX_EXPIRES_SEC = 86_400;
const MAX_REGISTERS_IN_WINDOW = 1 + Math.floor(WINDOW_MS / MIN_REGISTER_INTERVAL_MS);

const servers: HostileServer[] = [];
afterAll(async () => {
  disposeClients();
  await Promise.all(servers.map((server) => server.close()));
});

interface Run {
  server: HostileServer;
  client: SipClient;
  statuses: RegistrationState[];
  /** REGISTERs within the window that starts with the first one. */
  inWindow: ReceivedMessage[];
}

/** A client registering against a registrar scripted by `script`, watched for WINDOW_MS from its first REGISTER. */
async function registerAgainst(script: (server: HostileServer) => void, expires = 600): Promise<Run> {
  const server = await startHostileServer({ lifetimeMs: 30_000 });
  servers.push(server);
  script(server);
  const { client } = attackedClient(server, { register: true, expires });
  const statuses: RegistrationState[] = [];
  client.registration$.subscribe((state) => statuses.push(state));
  void client.start();
  const [first] = await server.waitForRequests('REGISTER', 1);
  await sleep(Math.max(0, first!.at + WINDOW_MS - server.now()));
  const inWindow = server.requests('REGISTER').filter((r) => r.at <= first!.at + WINDOW_MS);
  return { server, client, statuses, inWindow };
}

/** Every REGISTER asks for an integer expiry in 0..86,400 (0 only to unregister). */
function badExpiries(registers: readonly ReceivedMessage[]): string[] {
  return registers
    .map((r) => askedExpires(r) ?? '(none)')
    .filter((value) => !/^\d+$/.test(value) || Number(value) > MAX_EXPIRES_SEC);
}

describe('a hostile registrar', () => {
  it.concurrent('granting expires=2^53: the expiry is capped, the refresh is not a storm', async ({ expect }) => {
    const { inWindow, client, server } = await registerAgainst((server) =>
      server.onRequest('REGISTER', (request) => server.reply(request, 200, { contactExpires: 2 ** 53 })),
    );
    expect(inWindow.length, `REGISTERs in ${WINDOW_MS} ms`).toBeLessThanOrEqual(MAX_REGISTERS_IN_WINDOW);
    expect(badExpiries(server.requests('REGISTER'))).toEqual([]);
    const state = expectStatus(client.getState().registration, 'registered');
    expect(state.expires).toBeLessThanOrEqual(MAX_EXPIRES_SEC);
  });

  it.concurrent('answering 503 with Retry-After: 3000000: the wait is capped at an hour, no storm', async ({
    expect,
  }) => {
    const { inWindow, client } = await registerAgainst((server) =>
      server.onRequest('REGISTER', (request) => server.reply(request, 503, { headers: { 'Retry-After': '3000000' } })),
    );
    expect(inWindow.length, `REGISTERs in ${WINDOW_MS} ms`).toBeLessThanOrEqual(MAX_REGISTERS_IN_WINDOW);
    const state = expectStatus(client.getState().registration, 'retrying');
    // MAX_RETRY_AFTER_SEC = 3,600: the next attempt is at most an hour away (and not in the past).
    expect(state.retryAt - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(state.retryAt - Date.now()).toBeGreaterThan(0);
  });

  it.concurrent('answering 423 with Min-Expires one more than asked, forever: at most three retries, then failed', async ({
    expect,
  }) => {
    const { inWindow, client, server } = await registerAgainst((server) =>
      server.onRequest('REGISTER', (request) => {
        const asked = Number(askedExpires(request) ?? 600);
        server.reply(request, 423, { headers: { 'Min-Expires': String(asked + 1) } });
      }),
    );
    expect(inWindow.length, `REGISTERs in ${WINDOW_MS} ms`).toBeLessThanOrEqual(MAX_REGISTERS_IN_WINDOW);
    // MAX_INTERVAL_TOO_BRIEF_RETRIES = 3: the first REGISTER and three retries, then the registration fails.
    await server
      .waitFor(() => client.getState().registration.status === 'failed', 3_000, "registration 'failed'")
      .catch(() => undefined);
    expect(client.getState().registration.status).toBe('failed');
    expect(server.requests('REGISTER').length).toBeLessThanOrEqual(4);
    expect(badExpiries(server.requests('REGISTER'))).toEqual([]);
  });

  it.concurrent('answering 423 with Min-Expires: 1e300: no REGISTER asks for a non-integer or more than a day', async ({
    expect,
  }) => {
    const { inWindow, server } = await registerAgainst((server) =>
      server.onRequest('REGISTER', (request) => server.reply(request, 423, { headers: { 'Min-Expires': '1e300' } })),
    );
    expect(inWindow.length, `REGISTERs in ${WINDOW_MS} ms`).toBeLessThanOrEqual(MAX_REGISTERS_IN_WINDOW);
    expect(badExpiries(server.requests('REGISTER'))).toEqual([]);
  });

  it.concurrent('granting expires=0: never registered, no storm', async ({ expect }) => {
    const { inWindow, statuses, server } = await registerAgainst((server) =>
      server.onRequest('REGISTER', (request) => server.reply(request, 200, { contactExpires: 0 })),
    );
    expect(inWindow.length, `REGISTERs in ${WINDOW_MS} ms`).toBeLessThanOrEqual(MAX_REGISTERS_IN_WINDOW);
    expect(statuses.map((s) => s.status)).not.toContain('registered');
    expect(badExpiries(server.requests('REGISTER'))).toEqual([]);
  });
});
