import { createWebSocketInspector } from '@statelyai/inspect';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { InspectionEvent } from 'xstate';
import { createSipClient, type SipClient, type SipClientState } from '../../src/index';
import { activeStateIds, allStates, describeMachine, MACHINES, type MachineName } from '../../src/diagram/definition';
import { startKamailio, type KamailioServer } from '../support/kamailio';

// @statelyai/inspect's WebSocket inspector, as in the README, sending to a local `ws` server this test runs (the
// Stately UI would sit behind such a server; nothing leaves 127.0.0.1). A real client goes through start, register,
// a Kamailio kill and restart, unregister and stop; the test checks that every transition of every machine reached
// the inspector, that they agree with what the client's streams reported, and that the password never did.

let kamailio: KamailioServer;
let server: WebSocketServer;
const received: string[] = [];

beforeAll(async () => {
  kamailio = await startKamailio();
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (socket) => socket.on('message', (data) => received.push(String(data))));
});
afterAll(async () => {
  await kamailio?.stop();
  for (const socket of server?.clients ?? []) socket.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

interface Step {
  from: string;
  event: string;
  to: string;
}

const MACHINE_IDS: Record<string, MachineName> = {
  userAgent: 'userAgent',
  transport: 'transport',
  registration: 'registration',
};

/** Each machine's transitions, from inspection records in order: (state before, event, state after), value changes only. */
function stepsOf(records: { actor: string; machine: string; event: string; value: unknown }[]): Map<string, Step[]> {
  const steps = new Map<string, Step[]>();
  const last = new Map<string, string>();
  for (const record of records) {
    const to = canonical(record.value);
    const from = last.get(record.actor);
    last.set(record.actor, to);
    if (from === undefined || from === to) continue;
    const list = steps.get(record.machine) ?? [];
    list.push({ from, event: record.event, to });
    steps.set(record.machine, list);
  }
  return steps;
}

/** JSON with keys sorted (the inspector's serialiser sorts them; XState's values keep definition order). */
function canonical(value: unknown): string {
  if (!value || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonical(child)}`).join(',')}}`;
}

/** The status (tag) of a machine in a state value, read off the definition. */
function statusOf(machine: MachineName, value: unknown): string {
  const definition = describeMachine(MACHINES[machine]);
  const active = new Set(activeStateIds(definition.id, value));
  const tags = allStates(definition)
    .filter((state) => active.has(state.id))
    .flatMap((state) => state.tags);
  expect(tags.length, `${machine} ${JSON.stringify(value)}`).toBe(1);
  return tags[0]!;
}

function dedupe(list: string[]): string[] {
  return list.filter((item, index) => index === 0 || item !== list[index - 1]);
}

function until(client: SipClient, predicate: (state: SipClientState) => boolean, ms = 20_000): Promise<SipClientState> {
  return firstValueFrom(client.state$.pipe(filter(predicate), timeout(ms)));
}

describe('createSipClient({ inspect }) with @statelyai/inspect', () => {
  it('every transition of every machine reaches the inspector; the password never does', async () => {
    const { port } = server.address() as { port: number };
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}`, maxDeferredEvents: 100_000 });
    await new Promise<void>((resolve) =>
      server.clients.size > 0 ? resolve() : server.once('connection', () => resolve()),
    );

    // The same inspection events, recorded here before @statelyai/inspect serialises them: the ground truth.
    const local: { actor: string; machine: string; event: string; value: unknown }[] = [];
    const password = kamailio.users.alice!;
    const client = createSipClient({
      server: kamailio.wsUrl,
      uri: `sip:alice@${kamailio.domain}`,
      authorizationUsername: 'alice',
      authorizationPassword: password,
      expires: 60,
      webSocket: WebSocket,
      logLevel: 'error',
      reconnect: { initialDelayMs: 200, maxDelayMs: 1_000 },
      inspect: {
        next: (event: InspectionEvent) => {
          if (event.type === '@xstate.snapshot') {
            const snapshot = event.snapshot as { value?: unknown; machine?: { id: string } };
            if (snapshot.machine && snapshot.value !== undefined) {
              local.push({
                actor: event.actorRef.sessionId,
                machine: snapshot.machine.id,
                event: event.event.type,
                value: snapshot.value,
              });
            }
          }
          inspector.inspect.next?.(event);
        },
      },
    });
    const statuses = { userAgent: [] as string[], transport: [] as string[], registration: [] as string[] };
    client.userAgent$.subscribe(({ status }) => statuses.userAgent.push(status));
    client.transport$.subscribe(({ status }) => statuses.transport.push(status));
    client.registration$.subscribe(({ status }) => statuses.registration.push(status));

    try {
      await client.start();
      await client.register();
      await kamailio.kill();
      await until(client, (s) => s.transport.status === 'reconnecting' && s.transport.attempt >= 1);
      await kamailio.start();
      await until(client, (s) => s.transport.status === 'connected' && s.registration.status === 'registered');
      await client.unregister();
      await client.stop();
    } finally {
      client.dispose();
    }

    // What reached the inspector's server: Stately inspection events, JSON.
    type Message = {
      type: string;
      sessionId: string;
      name?: string;
      definition?: string;
      event?: { type: string };
      snapshot?: { value?: unknown };
    };
    const parse = (): Message[] => received.map((text) => JSON.parse(text) as Message);
    const machineSnapshots = () => {
      const messages = parse();
      const machineOf = new Map<string, string>();
      for (const message of messages) {
        if (message.type === '@xstate.actor' && message.name && message.name in MACHINE_IDS)
          machineOf.set(message.sessionId, message.name);
      }
      const snapshots = messages
        .filter((m) => m.type === '@xstate.snapshot' && machineOf.has(m.sessionId))
        .map((m) => ({
          actor: m.sessionId,
          machine: machineOf.get(m.sessionId)!,
          event: m.event!.type,
          value: m.snapshot!.value,
        }));
      return { machineOf, snapshots };
    };
    // The inspector sends asynchronously: wait (bounded) until every machine snapshot recorded here has arrived.
    const deadline = Date.now() + 15_000;
    while (machineSnapshots().snapshots.length < local.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    inspector.stop();
    const { machineOf, snapshots: remote } = machineSnapshots();
    expect([...machineOf.values()].sort()).toEqual(['registration', 'transport', 'userAgent']);
    expect(remote.length).toBe(local.length);
    // Each machine's definition went along (what the Stately inspector draws): the whole state tree, as defined.
    for (const name of ['userAgent', 'transport', 'registration'] as const) {
      const actor = parse().find((m) => m.type === '@xstate.actor' && m.name === name)!;
      const config = JSON.parse(actor.definition!) as { id: string; states: Record<string, unknown> };
      expect(config.id).toBe(name);
      expect(Object.keys(config.states).sort()).toEqual(Object.keys(MACHINES[name].config.states ?? {}).sort());
    }

    const seen = stepsOf(remote);
    const took = stepsOf(local);
    for (const machine of ['userAgent', 'transport', 'registration'] as const) {
      // Every (source, event, target) the machine took, in order, reached the inspector.
      expect(seen.get(machine), machine).toEqual(took.get(machine));
      // And they agree with what the client's streams said, status by status.
      const fromInspector = dedupe([
        statusOf(machine, remote.find((r) => r.machine === machine)!.value),
        ...seen.get(machine)!.map((step) => statusOf(machine, JSON.parse(step.to))),
      ]);
      expect(fromInspector, machine).toEqual(dedupe(statuses[machine]));
    }
    const transport = seen.get('transport')!.map((s) => `${s.from} -${s.event}-> ${s.to}`);
    expect(transport).toContain(
      '{"connection":"disconnected","network":"online"} -CONNECT-> {"connection":{"connecting":"opening"},"network":"online"}',
    );
    expect(transport).toContain(
      '{"connection":{"connected":"idle"},"network":"online"} -CONNECTION_LOST-> {"connection":"waitingToReconnect","network":"online"}',
    );
    expect(
      transport.some((line) =>
        /^\{"connection":"waitingToReconnect","network":"online"\} -xstate\.after\.reconnectDelay\.transport\.connection\.waitingToReconnect-> \{"connection":"reconnecting","network":"online"\}$/.test(
          line,
        ),
      ),
    ).toBe(true);
    expect(
      transport.some((line) =>
        /^\{"connection":"reconnecting","network":"online"\} -xstate\.done\.actor\..*-> \{"connection":\{"connected":"idle"\},"network":"online"\}$/.test(
          line,
        ),
      ),
    ).toBe(true);
    const registration = seen.get('registration')!.map((s) => `${s.from} -${s.event}-> ${s.to}`);
    expect(registration).toContain(
      '{"binding":{"active":{"registered":"bound"}},"link":"up"} -LINK_DOWN-> {"binding":{"active":"waitingForLink"},"link":"down"}',
    );
    expect(registration).toContain(
      '{"binding":{"active":{"registered":"bound"}},"link":"up"} -UNREGISTER-> {"binding":"unregistering","link":"up"}',
    );
    const userAgent = seen.get('userAgent')!.map((s) => `${s.from} -${s.event}-> ${s.to}`);
    expect(userAgent).toContain('"stopped" -START-> {"starting":"connecting"}');
    expect(userAgent.some((line) => line.startsWith('"started" -STOP-> {"halting"'))).toBe(true);
    expect(userAgent.at(-1)).toMatch(/-> "stopped"$/);

    // Credentials never reach the inspector (nor does any Authorization header).
    expect(received.length).toBeGreaterThan(100);
    for (const text of received) {
      expect(text).not.toContain(password);
      expect(text).not.toMatch(/authorization/i);
    }
  }, 90_000);
});
