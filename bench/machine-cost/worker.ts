/**
 * One machine-cost measurement in a fresh process (bundled by bench/machine-cost.ts, run with --expose-gc): N clients'
 * machines at once, with instant fake actors (no sockets, no sip.js), until all are registered; prints one JSON line.
 *
 *   variant: sipstate (the machines every createSipClient runs) | one-machine | one-machine-watchers | one-actor
 *            (prototypes, see one-machine-prototype.ts) | xstate-actor (a started actor of a two-state machine)
 */
import { createActor, createMachine, type AnyActorRef, type InspectionEvent } from 'xstate';
import { DEFAULT_RECONNECT_POLICY } from '../../machines/backoff';
import type { UserAgentInput } from '../../machines/user-agent.machine';
import { attachRuntime, clientMachine, type ClientRuntime } from '../../src/client-machine';
import { oneActorPrototype, oneMachinePrototype } from './one-machine-prototype';

type Variant = 'sipstate' | 'one-machine' | 'one-machine-watchers' | 'one-actor' | 'xstate-actor';
const [variant, clientsArg] = process.argv.slice(2) as [Variant, string];
const clients = Number(clientsArg ?? 300);
const gc = (): void => (globalThis as unknown as { gc: () => void }).gc();

/** Every side effect succeeds at once; timers stay pending, as they do for a registered client. */
function instantRuntime(): ClientRuntime {
  const done = async (): Promise<void> => {};
  return {
    connectTransport: done,
    disconnectTransport: done,
    releaseConnection: () => {},
    sendKeepAlive: done,
    sendOptionsKeepAlive: done,
    sendRegister: async (expires) => ({ type: 'registered', expires }),
    startUserAgent: done,
    stopUserAgent: done,
  };
}

// What createSipClient passes for its defaults (src/client.ts).
const SIPSTATE_INPUT: UserAgentInput = {
  transport: {
    servers: ['ws://127.0.0.1:5066'],
    reconnect: DEFAULT_RECONNECT_POLICY,
    keepAliveIntervalMs: 30_000,
    keepAliveTimeoutMs: 10_000,
    connectJitterMs: 0,
  },
  registration: { expires: 600 },
  register: false,
};

const trivialMachine = createMachine({ initial: 'idle', states: { idle: { on: { GO: 'busy' } }, busy: {} } });
const prototypes = {
  'one-machine': oneMachinePrototype(false),
  'one-machine-watchers': oneMachinePrototype(true),
  'one-actor': oneActorPrototype(),
};

/** Starts one client's machines and resolves with its root actor once registered. */
function startOne(inspect?: (event: InspectionEvent) => void): Promise<AnyActorRef> {
  if (variant === 'xstate-actor') return Promise.resolve(createActor(trivialMachine, { inspect }).start());
  if (variant === 'sipstate') {
    const actor = createActor(clientMachine(), { input: SIPSTATE_INPUT, inspect });
    attachRuntime(actor.system, instantRuntime());
    actor.start();
    const registration = actor.system.get('registration') as AnyActorRef;
    return new Promise((resolve) => {
      const subscription = registration.subscribe((snapshot: { hasTag(tag: string): boolean }) => {
        if (!snapshot.hasTag('registered')) return;
        subscription.unsubscribe();
        resolve(actor);
      });
      actor.send({ type: 'REGISTER' });
    });
  }
  const actor = createActor(prototypes[variant], { inspect }).start();
  return new Promise((resolve) => {
    const subscription = actor.subscribe((snapshot) => {
      if (!snapshot.matches({ registration: 'registered' })) return;
      subscription.unsubscribe();
      resolve(actor);
    });
    actor.send({ type: 'REGISTER' });
  });
}

// What one client's registration takes: actors created, events delivered to actors, snapshots produced.
const counts = { actors: 0, events: 0, snapshots: 0 };
const counted = await startOne((event) => {
  if (event.type === '@xstate.actor') counts.actors++;
  else if (event.type === '@xstate.event') counts.events++;
  else if (event.type === '@xstate.snapshot') counts.snapshots++;
});
counted.stop();

// Warm-up (JIT, lazily built machine tables), then the measured batch.
for (const actor of await Promise.all(Array.from({ length: 200 }, () => startOne()))) actor.stop();
gc();
gc();
const heapBefore = process.memoryUsage().heapUsed;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const kept = await Promise.all(Array.from({ length: clients }, () => startOne()));
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
gc();
gc();
const heapPerClientKb = (process.memoryUsage().heapUsed - heapBefore) / clients / 1024;
console.log(
  JSON.stringify({
    variant,
    clients: kept.length,
    msPerClient: Number((ms / clients).toFixed(3)),
    cpuMsPerClient: Number(((cpu.user + cpu.system) / 1000 / clients).toFixed(3)),
    heapPerClientKb: Number(heapPerClientKb.toFixed(1)),
    ...counts,
  }),
);
for (const actor of kept) actor.stop();
