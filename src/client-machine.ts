import { fromCallback, fromPromise } from 'xstate';
import type { RegisterOutcome } from '../machines/registration.machine';
import { registrationMachine } from '../machines/registration.machine';
import { transportMachine, type TransportEvent } from '../machines/transport.machine';
import { userAgentMachine } from '../machines/user-agent.machine';
import { SipError } from './errors';

/**
 * What the machines' actors do for one client: its socket, its sip.js user agent, its REGISTER channel. Each client
 * registers one under its actor system; the shared machine's actors look it up there.
 */
export interface ClientRuntime {
  /** Opens the connection to the server at `serverIndex` of the client's list (the machine holds redacted URLs only). */
  connectTransport(serverIndex: number, signal: AbortSignal): Promise<void>;
  disconnectTransport(): Promise<void>;
  /** Calls `onLost` when the open connection drops; returns the cleanup run when leaving 'connected'. */
  watchConnection(onLost: (error: SipError) => void): () => void;
  sendKeepAlive(signal: AbortSignal): Promise<void>;
  sendOptionsKeepAlive(signal: AbortSignal): Promise<void>;
  /** Calls `onChange` with connectivity changes; returns the unsubscribe function. */
  watchNetwork(onChange: (online: boolean) => void): () => void;
  sendRegister(expires: number, signal: AbortSignal): Promise<RegisterOutcome>;
  startUserAgent(): Promise<void>;
  stopUserAgent(): Promise<void>;
}

// Keyed by the client's root actor system, which every actor of that client shares.
const runtimes = new WeakMap<object, ClientRuntime>();

/** Ties a runtime to a client's actor system; call before starting the actor. */
export function attachRuntime(system: object, runtime: ClientRuntime): void {
  runtimes.set(system, runtime);
}

function runtimeOf(system: object): ClientRuntime {
  const runtime = runtimes.get(system);
  if (!runtime) throw new SipError('config', 'sipstate: a client actor was started outside createSipClient');
  return runtime;
}

function provideClientMachine() {
  return userAgentMachine.provide({
    actors: {
      transport: transportMachine.provide({
        actors: {
          connectTransport: fromPromise<void, { server: string; serverIndex: number }>(({ input, signal, system }) =>
            runtimeOf(system).connectTransport(input.serverIndex, signal),
          ),
          disconnectTransport: fromPromise<void, void>(({ system }) => runtimeOf(system).disconnectTransport()),
          watchConnection: fromCallback<TransportEvent, { server: string }>(({ sendBack, system }) =>
            runtimeOf(system).watchConnection((error) => sendBack({ type: 'CONNECTION_LOST', error })),
          ),
          sendKeepAlive: fromPromise<void, void>(({ signal, system }) => runtimeOf(system).sendKeepAlive(signal)),
          sendOptionsKeepAlive: fromPromise<void, void>(({ signal, system }) =>
            runtimeOf(system).sendOptionsKeepAlive(signal),
          ),
          watchNetwork: fromCallback<TransportEvent>(({ sendBack, system }) =>
            runtimeOf(system).watchNetwork((online) => sendBack({ type: online ? 'NETWORK_ONLINE' : 'NETWORK_OFFLINE' })),
          ),
        },
      }),
      registration: registrationMachine.provide({
        actors: {
          sendRegister: fromPromise<RegisterOutcome, { expires: number }>(({ input, signal, system }) =>
            runtimeOf(system).sendRegister(input.expires, signal),
          ),
          sendUnregister: fromPromise<void, void>(({ signal, system }) =>
            runtimeOf(system).sendRegister(0, signal).then(() => undefined),
          ),
        },
      }),
      startUserAgent: fromPromise<void, void>(({ system }) => runtimeOf(system).startUserAgent()),
      stopUserAgent: fromPromise<void, void>(({ system }) => runtimeOf(system).stopUserAgent()),
    },
  });
}

/** The user agent machine with sipstate's actors. */
export type ClientMachine = ReturnType<typeof provideClientMachine>;

let shared: ClientMachine | undefined;

/**
 * The machine every client runs, built on first use (not on import, to keep the package free of side effects) and
 * shared: providing a machine per client cost ~80 KB of heap and milliseconds each, which dominated creating
 * thousands of clients.
 */
export function clientMachine(): ClientMachine {
  shared ??= provideClientMachine();
  return shared;
}
