import { createActor, fromCallback, type AnyActorRef } from 'xstate';
import { registrationMachine, registrationStatusOf, type RegisterOutcome } from '../../machines/registration.machine';
import {
  transportMachine,
  transportStatusOf,
  type TransportEvent,
  type TransportInput,
} from '../../machines/transport.machine';
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
  let network: ((online: boolean) => void) | undefined;
  let lose: ((error: SipError) => void) | undefined;
  let watching = 0;
  const actors = {
    connectTransport: connect.logic,
    disconnectTransport: disconnect.logic,
    sendKeepAlive: keepAlive.logic,
    sendOptionsKeepAlive: optionsKeepAlive.logic,
    watchNetwork: fromCallback<TransportEvent>(({ sendBack }) => {
      network = (online) => sendBack({ type: online ? 'NETWORK_ONLINE' : 'NETWORK_OFFLINE' });
      return () => (network = undefined);
    }),
    watchConnection: fromCallback<TransportEvent, { server: string }>(({ sendBack }) => {
      watching++;
      lose = (error) => sendBack({ type: 'CONNECTION_LOST', error });
      return () => {
        watching--;
        lose = undefined;
      };
    }),
  };
  return {
    actors,
    connect,
    disconnect,
    keepAlive,
    optionsKeepAlive,
    /** Reports connectivity; does nothing while no `watchNetwork` runs. */
    setOnline: (online: boolean) => network?.(online),
    /** Drops the open connection; does nothing while no `watchConnection` runs (nothing is open). */
    lose: (error = new SipError('transport', 'closed')) => lose?.(error),
    /** How many `watchConnection` actors run (1 while connected, else 0). */
    get watching(): number {
      return watching;
    },
    get watchingNetwork(): boolean {
      return network !== undefined;
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
  const actor = createActor(transportMachine.provide({ actors: fakes.actors }), { input }).start();
  return Object.assign(fakes, { actor });
}

/**
 * A started user agent machine with its transport and registration children, every side effect a fake the test
 * drives. The transport gets the fakes it needs at this level (connect, disconnect, CRLF keep-alive, connection loss);
 * its OPTIONS keep-alive and network watch keep their defaults (answered at once; always online). `order` lists the
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
  const { connectTransport, disconnectTransport, sendKeepAlive, watchConnection } = transport.actors;
  const machine = userAgentMachine.provide({
    actors: {
      transport: transportMachine.provide({
        actors: { connectTransport, disconnectTransport, sendKeepAlive, watchConnection },
      }),
      registration: registrationMachine.provide({
        actors: { sendRegister: register.logic, sendUnregister: unregister.logic },
      }),
      startUserAgent: startUa.logic,
      stopUserAgent: stopUa.logic,
    },
  });
  const actor = createActor(machine, { input });
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
    /** Whether the transport's `watchConnection` runs (it is connected). */
    watchingConnection: () => transport.watching > 0,
    status: () => ({
      userAgent: userAgentStatusOf(actor.getSnapshot()),
      transport: transportStatusOf(child('transport').getSnapshot()),
      registration: registrationStatusOf(child('registration').getSnapshot()),
    }),
  };
}
