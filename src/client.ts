import { BehaviorSubject, type Observable } from 'rxjs';
import type { UserAgent } from 'sip.js';
import { createActor, fromCallback, fromPromise, type ActorRefFrom } from 'xstate';
import type { RegisterOutcome, RegistrationActorRef } from '../machines/registration.machine';
import { registrationMachine } from '../machines/registration.machine';
import type { TransportActorRef } from '../machines/transport.machine';
import { transportMachine } from '../machines/transport.machine';
import { userAgentMachine, type UserAgentCommand } from '../machines/user-agent.machine';
import { SipError } from './errors';
import { createLogger } from './logger';
import { resolveOptions, type SipClientOptions } from './options';
import { RegistrationChannel } from './sip/registration-channel';
import { createUserAgent } from './sip/user-agent';
import { SipWebSocketTransport } from './sip/websocket-transport';
import {
  sameState,
  selectRegistrationState,
  selectTransportState,
  selectUserAgentState,
  type RegistrationState,
  type SipClientState,
  type TransportState,
  type UserAgentState,
} from './state';

/**
 * A SIP client: a sip.js user agent run by sipstate's machines, with its state as streams.
 *
 * Every command can be called in any state, repeatedly, without awaiting: none throws, each returns a promise that
 * settles, and a rejected promise that nobody handles does not crash the process (the failure is in the streams too).
 *
 * @example
 * ```ts
 * const client = createSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', register: true });
 * client.registration$.subscribe(({ status }) => console.log(status));
 * await client.start();
 * ```
 */
export interface SipClient {
  /** The WebSocket connection. Emits its current value on subscribe, then each change; completes on `dispose()`. */
  readonly transport$: Observable<TransportState>;
  /** The SIP user agent's lifecycle. Same replay and completion rules. */
  readonly userAgent$: Observable<UserAgentState>;
  /** Registration with the registrar. Same replay and completion rules. */
  readonly registration$: Observable<RegistrationState>;
  /** The three together: emits when any of them changes. */
  readonly state$: Observable<SipClientState>;
  /** The combined state, now. */
  getState(): SipClientState;
  /**
   * Connects and starts the user agent. Resolves when started and connected; rejects with a SipError when the start
   * fails for good (the transport 'failed') or is superseded by `stop()` (kind `cancelled`). A first connection that
   * fails is retried with backoff while the promise waits.
   */
  start(): Promise<void>;
  /**
   * Registers, starting the client first if it is stopped, and keeps the registration up until `unregister()` or
   * `stop()`. Resolves when registered; rejects with the SipError of a registration that ended 'failed', or kind
   * `cancelled` when superseded.
   */
  register(): Promise<void>;
  /** Removes the registration (REGISTER with expires 0). Resolves when unregistered. */
  unregister(): Promise<void>;
  /** Tries to connect now, from 'reconnecting' or 'failed'. Resolves when connected. */
  reconnect(): Promise<void>;
  /** Unregisters if registered, stops the user agent, then disconnects. Resolves when stopped. */
  stop(): Promise<void>;
  /** Stops everything at once: every stream completes, pending promises reject (`cancelled`), nothing is left. */
  dispose(): void;
}

type Verdict = 'wait' | 'resolve' | SipError;

interface Waiter {
  check(state: SipClientState): Verdict;
  resolve(): void;
  reject(error: SipError): void;
}

function cancelled(message: string): SipError {
  return new SipError('cancelled', message);
}

/** The side effects of one client, as the machines' actors need them. */
interface ClientRuntime {
  connect(server: string, signal: AbortSignal): Promise<void>;
  disconnect(): Promise<void>;
  watch(lost: (error: SipError) => void): () => void;
  ping(signal: AbortSignal): Promise<void>;
  sendRegister(expires: number, signal: AbortSignal): Promise<RegisterOutcome>;
  sendUnregister(signal: AbortSignal): Promise<void>;
  startUserAgent(): Promise<void>;
  stopUserAgent(): Promise<void>;
}

/** Each client's runtime, keyed by its actor system (shared by the root actor and every child). */
const runtimes = new WeakMap<object, ClientRuntime>();

function runtimeOf(system: object): ClientRuntime {
  const runtime = runtimes.get(system);
  if (!runtime) throw new SipError('config', 'sipstate: no client runtime for this actor system');
  return runtime;
}

let sharedMachine: ReturnType<typeof buildClientMachine> | undefined;

/**
 * The user agent machine with sipstate's actors, built once and shared by every client: `provide()` copies the whole
 * machine definition (every state node of the three machines), which cost about 100 KB of heap per client when it
 * was done per client. The actors reach their client's side effects through `runtimeOf(system)`.
 */
function clientMachine(): ReturnType<typeof buildClientMachine> {
  return (sharedMachine ??= buildClientMachine());
}

function buildClientMachine() {
  return userAgentMachine.provide({
    actors: {
      transport: transportMachine.provide({
        actors: {
          connectTransport: fromPromise<void, { server: string }>(({ input, signal, system }) =>
            runtimeOf(system).connect(input.server, signal),
          ),
          disconnectTransport: fromPromise<void, void>(({ system }) => runtimeOf(system).disconnect()),
          watchConnection: fromCallback(({ sendBack, system }) =>
            runtimeOf(system).watch((error) => sendBack({ type: 'CONNECTION_LOST', error })),
          ),
          sendKeepAlive: fromPromise<void, void>(({ signal, system }) => runtimeOf(system).ping(signal)),
        },
      }),
      registration: registrationMachine.provide({
        actors: {
          sendRegister: fromPromise(
            ({ input, signal, system }: { input: { expires: number }; signal: AbortSignal; system: object }) =>
              runtimeOf(system).sendRegister(input.expires, signal),
          ),
          sendUnregister: fromPromise<void, void>(({ signal, system }) => runtimeOf(system).sendUnregister(signal)),
        },
      }),
      startUserAgent: fromPromise<void, void>(({ system }) => runtimeOf(system).startUserAgent()),
      stopUserAgent: fromPromise<void, void>(({ system }) => runtimeOf(system).stopUserAgent()),
    },
  });
}

/**
 * Creates a SIP client. Validates the options synchronously, throwing {@link SipConfigError} naming the bad field;
 * touches the network only when started.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * import { createSipClient } from 'sipstate';
 *
 * const client = createSipClient({
 *   server: 'ws://127.0.0.1:5066',
 *   uri: 'sip:alice@sipstate.test',
 *   authorizationUsername: 'alice',
 *   authorizationPassword: 'alice-secret',
 *   register: true,
 *   webSocket: WebSocket,
 * });
 * client.state$.subscribe((state) => console.log(state.registration.status));
 * await client.start();
 * ```
 */
export function createSipClient(options: SipClientOptions): SipClient {
  const config = resolveOptions(options);
  const secrets = config.authorizationPassword ? [config.authorizationPassword] : [];
  const logger = createLogger(config.logLevel, config.logger, secrets);
  const transport = new SipWebSocketTransport(config.webSocket, logger);

  // What exists only while started: the sip.js user agent and its REGISTER channel.
  let userAgent: UserAgent | undefined;
  let channel: RegistrationChannel | undefined;

  // A REGISTER in flight when the connection drops can never be answered: end it now, not 32 s later.
  transport.onLost(() => channel?.abandonInFlight());

  const requireChannel = (): RegistrationChannel => {
    if (!channel) throw new SipError('transport', 'The user agent is not started');
    return channel;
  };

  // What the machines' actors do for this client. The machine definition itself is shared by every client (see
  // clientMachine()); its actors find this object through the actor system they run in.
  const runtime: ClientRuntime = {
    connect: (server, signal) => transport.open(server, signal),
    disconnect: () => transport.close(),
    watch: (lost) => {
      const stopWatching = transport.onLost(lost);
      return () => {
        stopWatching();
        // Leaving 'connected' for any reason (keep-alive timeout, disconnect, stop) ends this socket.
        channel?.abandonInFlight();
        transport.abandon();
      };
    },
    ping: (signal) => transport.ping(signal),
    sendRegister: (expires, signal) => Promise.resolve().then(() => requireChannel().send(expires, signal)),
    sendUnregister: (signal) => Promise.resolve().then(() => requireChannel().send(0, signal)).then(() => undefined),
    startUserAgent: async () => {
      const created = createUserAgent(config, transport, logger);
      userAgent = created;
      channel = new RegistrationChannel(created, logger);
      await created.start();
    },
    stopUserAgent: async () => {
      const stopping = userAgent;
      channel?.abandonInFlight('Stopped');
      channel = undefined;
      userAgent = undefined;
      await stopping?.stop().catch((error: unknown) => logger.warn(`sip.js stop failed: ${String(error)}`));
    },
  };

  const machine = clientMachine();
  const actor = createActor(machine, {
    input: {
      transport: {
        servers: config.servers,
        reconnect: config.reconnect,
        keepAliveIntervalMs: config.keepAliveIntervalMs,
        connectJitterMs: config.connectJitterMs,
      },
      registration: { expires: config.expires },
      register: config.register,
    },
    ...(config.inspect !== undefined && { inspect: config.inspect }),
  });

  // Before start(): the actors look the runtime up as soon as they run.
  runtimes.set(actor.system, runtime);

  // ---- streams ----
  actor.start();
  const transportActor = actor.system.get('transport') as TransportActorRef;
  const registrationActor = actor.system.get('registration') as RegistrationActorRef;

  const read = (): SipClientState => ({
    transport: selectTransportState(transportActor.getSnapshot()),
    userAgent: selectUserAgentState(actor.getSnapshot()),
    registration: selectRegistrationState(registrationActor.getSnapshot()),
  });

  const initial = read();
  const transport$ = new BehaviorSubject(initial.transport);
  const userAgent$ = new BehaviorSubject(initial.userAgent);
  const registration$ = new BehaviorSubject(initial.registration);
  const state$ = new BehaviorSubject<SipClientState>(initial);
  const waiters = new Set<Waiter>();
  let disposed = false;

  const publish = (): void => {
    if (disposed) return;
    const next = read();
    let changed = false;
    // Each part goes out as soon as it is known; state$ follows with all three.
    if (!sameState(next.transport, transport$.getValue())) {
      transport$.next(next.transport);
      changed = true;
    }
    if (!sameState(next.userAgent, userAgent$.getValue())) {
      userAgent$.next(next.userAgent);
      changed = true;
    }
    if (!sameState(next.registration, registration$.getValue())) {
      registration$.next(next.registration);
      changed = true;
    }
    if (!changed) return;
    const combined = { transport: transport$.getValue(), userAgent: userAgent$.getValue(), registration: registration$.getValue() };
    // Waiters added by subscribers while this value goes out judge later values, not this one.
    const current = [...waiters];
    state$.next(combined);
    for (const waiter of current) if (waiters.has(waiter)) settle(waiter, combined);
  };

  const settle = (waiter: Waiter, state: SipClientState): void => {
    const verdict = waiter.check(state);
    if (verdict === 'wait') return;
    waiters.delete(waiter);
    if (verdict === 'resolve') waiter.resolve();
    else waiter.reject(verdict);
  };

  const subscriptions = [actor, transportActor, registrationActor].map((ref) =>
    (ref as ActorRefFrom<typeof machine>).subscribe({
      next: publish,
      error: (error) => logger.error(`machine error: ${String(error)}`),
    }),
  );

  /**
   * Sends a command and returns a promise settled by `check`, which sees every state from the one right after the
   * command on. The promise is marked handled: a caller that ignores it cannot crash the process.
   */
  const command = (event: UserAgentCommand | undefined, check: () => (state: SipClientState) => Verdict): Promise<void> => {
    if (disposed) return handled(Promise.reject(cancelled('The client is disposed')));
    const promise = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { check: check(), resolve, reject };
      waiters.add(waiter);
      if (event) actor.send(event);
      if (waiters.has(waiter)) settle(waiter, read());
    });
    return handled(promise);
  };

  const client: SipClient = {
    transport$: transport$.asObservable(),
    userAgent$: userAgent$.asObservable(),
    registration$: registration$.asObservable(),
    state$: state$.asObservable(),
    getState: () => state$.getValue(),

    start: () =>
      command({ type: 'START' }, () => {
        // 'stopped' right after sending START would be a START still queued, not a verdict: wait to see it move.
        let moved = false;
        return ({ userAgent, transport }) => {
          if (userAgent.status === 'started' && transport.status === 'connected') return 'resolve';
          if (userAgent.status !== 'stopped') moved = true;
          else if (moved) return userAgent.error ?? cancelled('start() was superseded by stop()');
          return 'wait';
        };
      }),

    register: () =>
      command({ type: 'REGISTER' }, () => {
        let moved = false;
        // REGISTER always moves the registration to 'registering' first; what it shows before that is stale.
        return ({ registration }) => {
          if (registration.status === 'registered') return 'resolve';
          if (registration.status === 'registering' || registration.status === 'retrying') moved = true;
          else if (moved && registration.status === 'failed') return registration.error ?? new SipError('rejected', 'Registration failed');
          else if (moved) return cancelled('register() was superseded by unregister() or stop()');
          return 'wait';
        };
      }),

    unregister: () =>
      command({ type: 'UNREGISTER' }, () => {
        let moved = false;
        return ({ registration }) => {
          if (registration.status === 'unregistered') return 'resolve';
          if (registration.status === 'unregistering') moved = true;
          else if (moved) return cancelled('unregister() was superseded by register()');
          return 'wait';
        };
      }),

    reconnect: () =>
      command({ type: 'RECONNECT' }, () => ({ transport, userAgent }) => {
        if (transport.status === 'connected') return 'resolve';
        if (transport.status === 'failed') return transport.error ?? new SipError('transport', 'Reconnection failed');
        if (transport.status === 'disconnected' && userAgent.status === 'stopped') {
          return cancelled('reconnect() needs a started client');
        }
        return 'wait';
      }),

    stop: () =>
      command({ type: 'STOP' }, () => {
        let moved = false;
        return ({ userAgent }) => {
          if (userAgent.status === 'stopped') return 'resolve';
          if (userAgent.status === 'stopping') moved = true;
          else if (moved) return cancelled('stop() was superseded by start()');
          return 'wait';
        };
      }),

    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const subscription of subscriptions) subscription.unsubscribe();
      // Stopping the root actor stops every child: timers are cancelled, promise actors aborted, sockets abandoned.
      actor.stop();
      channel?.abandonInFlight('Disposed');
      transport.abandon();
      const stopping = userAgent;
      channel = undefined;
      userAgent = undefined;
      stopping?.stop().catch(() => undefined);
      for (const waiter of [...waiters]) waiter.reject(cancelled('The client was disposed'));
      waiters.clear();
      for (const subject of [transport$, userAgent$, registration$, state$] as BehaviorSubject<unknown>[]) {
        subject.complete();
      }
    },
  };
  return client;
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
