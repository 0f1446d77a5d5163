/**
 * A MEASUREMENT PROTOTYPE, not sipstate's design and not used by it: the transport, user agent and registration
 * machines folded into one parallel machine, happy path only (connect, start, register, keep-alive and refresh timers
 * pending; no failures, retries, reconnects or halting). It answers one question for BENCHMARKS.md: how much of the
 * machines' per-client cost would a single-machine design save at best? Anything real would have more states,
 * guards and context than this, so its figures are a lower bound for such a design.
 */
import { assign, fromCallback, fromPromise, raise, setup, stateIn, type AnyActorRef } from 'xstate';

interface PrototypeContext {
  expires: number;
  registeredExpires: number;
  keepAliveMs: number;
}
const INITIAL_CONTEXT: PrototypeContext = { expires: 600, registeredExpires: 600, keepAliveMs: 30_000 };
// Timers a registered client has pending: keep-alive every 30 s, refresh late in the granted expiry (sipstate picks a
// random point between 80 and 90%; here 90%). They never fire during a measurement.
const DELAYS = {
  keepAlive: ({ context }: { context: PrototypeContext }) => context.keepAliveMs,
  refresh: ({ context }: { context: PrototypeContext }) => context.registeredExpires * 900,
};

/** Builds the prototype; `watchers` adds the two long-lived callback actors sipstate's transport machine invokes. */
export function oneMachinePrototype(watchers: boolean) {
  return setup({
    types: {
      context: {} as PrototypeContext,
    },
    actors: {
      connect: fromPromise<void, void>(async () => {}),
      startUserAgent: fromPromise<void, void>(async () => {}),
      sendRegister: fromPromise<{ expires: number }, { expires: number }>(async ({ input }) => ({
        expires: input.expires,
      })),
      sendKeepAlive: fromPromise<void, void>(async () => {}),
      watchConnection: fromCallback(() => () => {}),
      watchNetwork: fromCallback(() => () => {}),
    },
    guards: { transportConnected: stateIn('#client.transport.connected') },
    delays: DELAYS,
  }).createMachine({
    id: 'client',
    type: 'parallel',
    context: INITIAL_CONTEXT,
    states: {
      lifecycle: {
        initial: 'stopped',
        states: {
          stopped: {
            on: {
              START: 'starting',
              REGISTER: { target: 'starting', actions: raise({ type: 'REGISTRATION_WANTED' }) },
            },
          },
          starting: {
            entry: raise({ type: 'CONNECT' }),
            initial: 'connecting',
            states: {
              connecting: { on: { TRANSPORT_CONNECTED: 'launching' } },
              launching: { invoke: { src: 'startUserAgent', onDone: '#client.lifecycle.started' } },
            },
          },
          started: { entry: raise({ type: 'LINK_UP' }), on: { STOP: 'stopped' } },
        },
      },
      transport: {
        initial: 'disconnected',
        ...(watchers && { invoke: { src: 'watchNetwork' } }),
        states: {
          disconnected: { on: { CONNECT: 'connecting' } },
          connecting: {
            invoke: {
              src: 'connect',
              onDone: { target: 'connected', actions: raise({ type: 'TRANSPORT_CONNECTED' }) },
            },
          },
          connected: {
            ...(watchers && { invoke: { src: 'watchConnection' } }),
            initial: 'idle',
            states: {
              idle: { after: { keepAlive: 'pinging' } },
              pinging: { invoke: { src: 'sendKeepAlive', onDone: 'idle' } },
            },
          },
        },
      },
      registration: {
        initial: 'unregistered',
        states: {
          unregistered: { on: { REGISTRATION_WANTED: 'waitingForLink' } },
          waitingForLink: {
            always: { guard: 'transportConnected', target: 'registering' },
            on: { LINK_UP: 'registering' },
          },
          registering: {
            invoke: {
              src: 'sendRegister',
              input: ({ context }) => ({ expires: context.expires }),
              onDone: {
                target: 'registered',
                actions: assign({ registeredExpires: ({ event }) => event.output.expires }),
              },
            },
          },
          registered: { after: { refresh: 'registering' } },
        },
      },
    },
  });
}

/**
 * The same happy path with no actor but the machine's own: each side effect is an action that starts the work and
 * sends the result back as an event (here at once, on a microtask), the way a runtime outside the machine would.
 * This gives up what invoked actors give (XState stopping the work when the state is left), so it is the floor of
 * any XState design with one actor per client, not a candidate design.
 */
export function oneActorPrototype() {
  const later = (self: AnyActorRef, event: { type: string; expires?: number }): void =>
    queueMicrotask(() => self.send(event));
  return setup({
    types: {
      context: {} as PrototypeContext,
      events: {} as
        | { type: 'START' | 'STOP' | 'REGISTER' | 'CONNECTED' | 'USER_AGENT_STARTED' | 'KEEP_ALIVE_ANSWERED' }
        | { type: 'REGISTERED'; expires: number },
    },
    delays: DELAYS,
    actions: {
      connect: ({ self }) => later(self, { type: 'CONNECTED' }),
      startUserAgent: ({ self }) => later(self, { type: 'USER_AGENT_STARTED' }),
      sendRegister: ({ self, context }) => later(self, { type: 'REGISTERED', expires: context.expires }),
      sendKeepAlive: ({ self }) => later(self, { type: 'KEEP_ALIVE_ANSWERED' }),
    },
  }).createMachine({
    id: 'client',
    type: 'parallel',
    context: INITIAL_CONTEXT,
    states: {
      lifecycle: {
        initial: 'stopped',
        states: {
          stopped: { on: { START: 'starting', REGISTER: 'starting' } },
          starting: { on: { USER_AGENT_STARTED: 'started' } },
          started: { on: { STOP: 'stopped' } },
        },
      },
      transport: {
        initial: 'disconnected',
        states: {
          disconnected: { on: { START: 'connecting', REGISTER: 'connecting' } },
          connecting: { entry: 'connect', on: { CONNECTED: { target: 'connected', actions: 'startUserAgent' } } },
          connected: {
            initial: 'idle',
            states: {
              idle: { after: { keepAlive: 'pinging' } },
              pinging: { entry: 'sendKeepAlive', on: { KEEP_ALIVE_ANSWERED: 'idle' } },
            },
          },
        },
      },
      registration: {
        initial: 'unregistered',
        states: {
          unregistered: { on: { REGISTER: 'waitingForLink' } },
          waitingForLink: { on: { USER_AGENT_STARTED: 'registering' } },
          registering: {
            entry: 'sendRegister',
            on: {
              REGISTERED: {
                target: 'registered',
                actions: assign({ registeredExpires: ({ event }) => event.expires }),
              },
            },
          },
          registered: { after: { refresh: 'registering' } },
        },
      },
    },
  });
}
