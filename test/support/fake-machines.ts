import { createActor, type AnyActorRef } from 'xstate';
import { registrationMachine, registrationStatusOf, type RegisterOutcome } from '../../machines/registration.machine';
import { transportMachine, transportStatusOf, type TransportInput } from '../../machines/transport.machine';
import { userAgentMachine, userAgentStatusOf, type UserAgentInput } from '../../machines/user-agent.machine';
import { SipError } from '../../src/errors';
import { controllable } from './fake-actors';

/**
 * Every side effect of the transport machine as a fake the test drives: promise actors settled by hand
 * ({@link controllable}), connection loss and connectivity changes sent on demand. `record` hears the name of each
 * promise actor as it is invoked.
 *
 * @example
 * ```ts
 * const fakes = fakeTransportActors();
 * const actor = createActor(transportMachine.provide({ actors: fakes.actors }), { input }).start();
 * actor.send({ type: 'CONNECT' });
 * fakes.connect.last.resolve();
 * fakes.lose(); // the open connection drops
 * ```
 */
export function fakeTransportActors(record?: (name: string) => void) {
  const connect = controllable<void, { server: string; serverIndex: number }>(() => record?.('connect'));
  const disconnect = controllable<void>(() => record?.('disconnect'));
  const keepAlive = controllable<void>(() => record?.('keepAlive'));
  const optionsKeepAlive = controllable<void>(() => record?.('optionsKeepAlive'));
  // The transport machine the events go to, as the binding in src/ sends them; set by attach().
  let target: AnyActorRef | undefined;
  // Connections entered and not yet released: what src/ holds for the open socket (1 while connected, else 0).
  let held = 0;
  let wasConnected = false;
  const actors = {
    connectTransport: connect.logic,
    disconnectTransport: disconnect.logic,
    sendKeepAlive: keepAlive.logic,
    sendOptionsKeepAlive: optionsKeepAlive.logic,
  };
  const actions = {
    releaseConnection: () => {
      held--;
    },
  };
  return {
    actors,
    actions,
    connect,
    disconnect,
    keepAlive,
    optionsKeepAlive,
    /** Sends connectivity and connection events to `transport` from now on, as src/ does. */
    attach: (transport: AnyActorRef) => {
      target = transport;
      transport.subscribe((snapshot: { matches(value: unknown): boolean }) => {
        const connected = snapshot.matches({ connection: 'connected' });
        if (connected && !wasConnected) held++;
        wasConnected = connected;
      });
    },
    /** Reports connectivity (NETWORK_ONLINE / NETWORK_OFFLINE). */
    setOnline: (online: boolean) => target?.send({ type: online ? 'NETWORK_ONLINE' : 'NETWORK_OFFLINE' }),
    /** The open connection drops (CONNECTION_LOST; the machine heeds it only while connected). */
    lose: (error = new SipError('transport', 'closed')) => target?.send({ type: 'CONNECTION_LOST', error }),
    /** The registrar's Flow-Timer for the open connection. */
    flowTimer: (seconds: number | undefined) => target?.send({ type: 'FLOW_TIMER', seconds }),
    /** Connections entered and not released by `releaseConnection` (1 while connected, else 0). */
    get watching(): number {
      return held;
    },
  };
}

/**
 * A started transport machine over {@link fakeTransportActors}.
 *
 * @example
 * ```ts
 * const t = fakeTransport({ servers: ['ws://a.test'], keepAliveIntervalMs: 0 });
 * t.actor.send({ type: 'CONNECT' });
 * ```
 */
export function fakeTransport(input: TransportInput) {
  const fakes = fakeTransportActors();
  const actor = createActor(transportMachine.provide({ actors: fakes.actors, actions: fakes.actions }), { input });
  fakes.attach(actor);
  actor.start();
  return Object.assign(fakes, { actor });
}

/**
 * A started user agent machine with its transport and registration children, every side effect a fake the test
 * drives. The transport gets the fakes it needs at this level (connect, disconnect, CRLF keep-alive, connection loss);
 * its OPTIONS keep-alive keeps its default (answered at once), and connectivity is online unless `setOnline`
 * says otherwise. `order` lists the
 * promise actors in the order they were invoked.
 *
 * @example
 * ```ts
 * const u = fakeUserAgent({ transport: { servers: ['ws://a.test'], keepAliveIntervalMs: 0 }, registration: { expires: 600 } });
 * u.actor.send({ type: 'START' });
 * u.connect.last.resolve();
 * ```
 */
export function fakeUserAgent(input: UserAgentInput) {
  const order: string[] = [];
  const record = (name: string) => order.push(name);
  const transport = fakeTransportActors(record);
  const register = controllable<RegisterOutcome, { expires: number }>(() => record('register'));
  const unregister = controllable<void>(() => record('unregister'));
  const startUa = controllable<void>(() => record('startUa'));
  const stopUa = controllable<void>(() => record('stopUa'));
  const { connectTransport, disconnectTransport, sendKeepAlive } = transport.actors;
  const machine = userAgentMachine.provide({
    actors: {
      transport: transportMachine.provide({
        actors: { connectTransport, disconnectTransport, sendKeepAlive },
        actions: transport.actions,
      }),
      registration: registrationMachine.provide({
        actors: { sendRegister: register.logic, sendUnregister: unregister.logic },
      }),
      startUserAgent: startUa.logic,
      stopUserAgent: stopUa.logic,
    },
  });
  const actor = createActor(machine, { input });
  transport.attach(actor.system.get('transport') as AnyActorRef);
  actor.start();
  const child = (id: string) => actor.system.get(id) as AnyActorRef;
  return {
    actor,
    child,
    connect: transport.connect,
    disconnect: transport.disconnect,
    keepAlive: transport.keepAlive,
    register,
    unregister,
    startUa,
    stopUa,
    order,
    lose: transport.lose,
    /** Whether the transport holds a connection it has not released (it is connected). */
    watchingConnection: () => transport.watching > 0,
    status: () => ({
      userAgent: userAgentStatusOf(actor.getSnapshot()),
      transport: transportStatusOf(child('transport').getSnapshot()),
      registration: registrationStatusOf(child('registration').getSnapshot()),
    }),
  };
}
