import { Subject, type Observable } from 'rxjs';
import { stateStream, type StateStream } from './store';
import type { TransportActorRef, TransportEvent } from '../machines/transport.machine';
import type { UserAgentCommand } from '../machines/user-agent.machine';
import type { Call, CallOptions } from './call';
import { CallsAndMessages, type IncomingMessage, type MessageOptions, type Readiness } from './client/calls';
import { createSipRuntime, type RuntimeFactory } from './client/runtime';
import { ClientStreams } from './client/streams';
import { followLifecycle } from './client/lifecycle';
import { platformLifecycle } from './platform/lifecycle';
import { attachRuntime, createClientActor } from './client-machine';
import { SipError, toSipError } from './errors';
import { warnConnectionFailures } from './connection-warnings';
import { createLogger } from './logger';
import { resolveOptions, type SipClientOptions } from './options';
import { watchConnectivity } from './platform/network';
import type { SipTraceEntry } from './sip/trace';
import { refused, supersedable, type Check } from './settle';
import { tabPlatform } from './tabs/platform';
import { createSharedClient } from './tabs/shared-client';
import type { IdentityState, RegistrationState, SipClientState, TransportState, UserAgentState } from './state';

export type { IncomingMessage, MessageOptions } from './client/calls';

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
  readonly transport$: StateStream<TransportState>;
  /** The SIP user agent's lifecycle. Same replay and completion rules. */
  readonly userAgent$: StateStream<UserAgentState>;
  /** Registration with the registrar. Same replay and completion rules. */
  readonly registration$: StateStream<RegistrationState>;
  /** The three together: emits when any of them changes. */
  readonly state$: StateStream<SipClientState>;
  /** The combined state, now. */
  getState(): SipClientState;
  /**
   * Connects and starts the user agent. Resolves when started and connected; rejects with a SipError when the start
   * fails for good or is superseded by `stop()` (kind `cancelled`). A first connection that fails is retried with
   * backoff while the promise waits. When `reconnect.maxAttempts` are spent, the start has failed: transport$ stays
   * 'failed' with the error, userAgent$ 'stopped' with it, registration$ 'unregistered' with it when registering was
   * wanted; `reconnect()` then tries once more at once, `start()` afresh.
   */
  start(): Promise<void>;
  /**
   * Registers, starting the client first if it is stopped, and keeps the registration up until `unregister()` or
   * `stop()`. Resolves when registered; rejects with the SipError of a registration that ended 'failed' (kind `auth`
   * for refused credentials, or a `credentials` provider that failed), with kind `timeout` when a REGISTER went
   * unanswered for `timeouts.register` (the registration keeps retrying with backoff), or kind `cancelled` when
   * superseded.
   */
  register(): Promise<void>;
  /** Removes the registration (REGISTER with expires 0). Resolves when unregistered. */
  unregister(): Promise<void>;
  /**
   * Tries to connect now, from 'reconnecting' or 'failed': one attempt at once. Resolves when connected; rejects with
   * that attempt's error when the transport is 'failed' again. After a start that failed for good (transport 'failed',
   * userAgent 'stopped' with the error) it starts the client again with that one attempt, and resolves once started.
   * On a client that was never started, or was stopped, it rejects (kind `cancelled`).
   */
  reconnect(): Promise<void>;
  /** Unregisters if registered, stops the user agent, then disconnects. Resolves when stopped. */
  stop(): Promise<void>;
  /** Stops everything at once: every stream completes, pending promises reject (`cancelled`), nothing is left. */
  dispose(): void;
  /**
   * Places a call to `target` (`sip:bob@example.com`, `bob@example.com`, or `bob` in this client's domain) and returns
   * it at once. Never throws: when the client is not started and connected, the target is not a SIP address, or an
   * option is invalid (`unansweredTimeoutSec` outside >0..3,600, an extra header that is not one `Name: value` line,
   * an unknown option), the Call comes back already ended (status `ended` as `call()` returns), with
   * `reason: 'failed'` and a SipError (kind `transport`, or `config` naming the option) that `call.connected()` rejects
   * with.
   */
  call(target: string, options?: CallOptions): Call;
  /**
   * Each incoming call, once, as it arrives (ringing). An event stream: it does NOT replay, so subscribe before
   * `start()`; `calls$` has the calls that are already there. Completes on `dispose()`.
   */
  readonly incomingCalls$: Observable<Call>;
  /**
   * The calls not yet ended, oldest first, as a frozen array. Emits the current list synchronously on subscribe
   * (correct at that moment); then, after each microtask in which calls were added or ended, the list as it is then:
   * changes made together (a burst of INVITEs handled in one tick) come out as one emission with the final list, and a
   * list equal to the last one emitted is not emitted again. Completes on `dispose()` (after an empty list).
   */
  readonly calls$: StateStream<readonly Call[]>;
  /**
   * Sends a SIP MESSAGE. Resolves on a 2xx; rejects with a SipError otherwise (kind `rejected` with the code, e.g.
   * 404; `timeout`; `transport` when the client is not started and connected; `config` for a bad target or option:
   * a `contentType` or extra header holding CR, LF or NUL, an unknown option).
   */
  message(target: string, body: string, options?: MessageOptions): Promise<void>;
  /** Each incoming MESSAGE (answered 200 OK). An event stream: no replay. Completes on `dispose()`. */
  readonly messages$: Observable<IncomingMessage>;
  /**
   * Every SIP message this client sends and receives, as it goes (see {@link SipTraceEntry}): requests and responses
   * both ways, credentials masked; no CRLF keep-alives, no incoming message the transport dropped. An event stream: no
   * replay, so subscribe before `start()`. Completes on `dispose()`. Entries are built only while someone subscribes.
   *
   * @example
   * ```ts
   * client.sipTrace$.subscribe(({ direction, method, status, cseq }) => console.log(direction, method ?? status, cseq));
   * ```
   */
  readonly sipTrace$: Observable<SipTraceEntry>;
  /**
   * Makes this tab the leader of the tabs sharing the registration (`tabs: 'shared'`): the lock is taken from the
   * leader tab, which drops its connection (without unREGISTER), and this tab connects and registers as the tabs
   * want (the new REGISTER, with the instance id the tabs share, replaces the old binding). Resolves once this tab is
   * the leader (at once when it is, and always with `tabs: 'each'`); rejects (kind `cancelled`) while a call is in
   * progress in the leader tab (it would end it), or when the client is disposed.
   *
   * @example
   * ```ts
   * window.addEventListener('focus', () => client.takeOver().catch(() => undefined));
   * ```
   */
  takeOver(): Promise<void>;
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
  if (options?.tabs === 'shared') {
    const inner = (given: SipClientOptions, gate: Readiness) => createSipClientWith(given, createSipRuntime, gate);
    return createSharedClient(options, inner, tabPlatform());
  }
  return createSipClientWith(options, createSipRuntime);
}

function cancelled(message: string): SipError {
  return new SipError('cancelled', message);
}

/**
 * Internal, not exported from the package: {@link createSipClient} with the runtime it binds sip.js through supplied
 * by `createRuntime`. The facade tests (test/unit/facade.test.ts) give it a fake runtime: no sockets, no sip.js.
 *
 * The wiring of the parts, each with one concern and its own state: the runtime (sip.js, the socket, the REGISTER
 * channel, the requests in flight), the calls and messages, the actor (the shared machine with this client's input),
 * the streams (the actor's state projected into BehaviorSubjects, and the settlement of the commands). One disposal
 * path: `dispose()`, also taken when starting the actor fails.
 *
 * @example
 * ```ts
 * const client = createSipClientWith({ server: 'ws://x', uri: 'sip:a@x' }, () => fakeRuntime);
 * ```
 */
export function createSipClientWith(
  options: SipClientOptions,
  createRuntime: RuntimeFactory,
  /** Refuses calls and messages before the connection is looked at: a follower tab's (src/tabs). */
  gate?: Readiness,
): SipClient {
  const config = resolveOptions(options);
  const logger = createLogger(config.logLevel, config.logger);
  const calls = new CallsAndMessages(config, logger);
  const sipTrace = new Subject<SipTraceEntry>();
  // What the socket, the registrar and the platform say reaches the transport machine as plain events: no watcher
  // actor per client. Undefined until the actor exists (nothing is reported before it starts).
  let transportRef: TransportActorRef | undefined;
  const toTransport = (event: TransportEvent): void => transportRef?.send(event);
  const runtime = createRuntime(config, logger, {
    delegate: calls.delegate,
    endCalls: () => calls.endAll(),
    trace: sipTrace,
    toTransport,
  });
  const actor = createClientActor(config, logger);
  attachRuntime(actor.system, runtime);
  transportRef = actor.system.get('transport') as TransportActorRef;
  let stopNetworkWatch = (): void => {};
  const identity: IdentityState = Object.freeze(
    config.uri === undefined ? { anonymous: true } : { anonymous: false, uri: config.uri },
  );
  // The root actor's observer goes on here, before anything starts; the children's after it has started (below).
  const streams = new ClientStreams(actor, identity, logger);
  let disposed = false;

  /** Why a call or MESSAGE cannot go out now: disposed, or not started and connected. */
  const readiness: Readiness = (what) => {
    if (disposed) return cancelled('The client is disposed');
    const closed = gate?.(what);
    if (closed) return closed;
    const { userAgent, transport } = streams.read();
    if (!runtime.hasUserAgent() || userAgent.status !== 'started' || transport.status !== 'connected') {
      return new SipError('transport', `${what} needs a started, connected client: await client.start() first`);
    }
    return undefined;
  };
  calls.connect(runtime, readiness);

  // A session outlives a dropped connection in sip.js: tell each call, and tell it again when the link is back.
  const stopLostWatch = runtime.onConnectionLost((error) => calls.connectionLost(error));
  let wasConnected = streams.transport$.getValue().status === 'connected';
  const restoreWatch = streams.transport$.subscribe(({ status }) => {
    const connected = status === 'connected';
    if (connected && !wasConnected) calls.connectionRestored();
    wasConnected = connected;
  });

  // Each failed attempt, lost connection and giving up is logged at warn.
  const connectionWarnings = warnConnectionFailures(streams.transport$, logger);

  // Sleep, freeze, hidden page, back/forward cache: src/client/lifecycle.ts.
  const stopLifecycle = followLifecycle(
    platformLifecycle(),
    streams.userAgent$,
    {
      sendTo: (child, event) => actor.system.get(child)?.send(event),
      command: (event) => {
        if (!disposed) actor.send(event);
      },
      leaveForPageCache: (unregister) => runtime.leaveForPageCache(unregister),
      read: () => streams.read(),
    },
    logger,
  );

  /** Sends a client command; its promise is settled by `check` (src/settle.ts) on every state from the next one on. */
  const command = (event: UserAgentCommand, check: Check<SipClientState>): Promise<void> =>
    disposed ? refused(cancelled('The client is disposed')) : streams.commands.run(() => actor.send(event), check);

  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    calls.close();
    restoreWatch.unsubscribe();
    connectionWarnings.unsubscribe();
    stopLifecycle();
    stopLostWatch();
    stopNetworkWatch();
    streams.stopObserving();
    // Stopping the root actor stops every child: timers are cancelled, promise actors aborted, sockets abandoned.
    actor.stop();
    runtime.dispose();
    sipTrace.complete();
    streams.complete(cancelled('The client was disposed'));
  };

  // Each exposed stream is here, in one place.
  const client: SipClient = {
    transport$: stateStream(streams.transport$),
    userAgent$: stateStream(streams.userAgent$),
    registration$: stateStream(streams.registration$),
    state$: stateStream(streams.state$),
    incomingCalls$: calls.incomingCalls$,
    calls$: calls.calls$,
    messages$: calls.messages$,
    sipTrace$: sipTrace.asObservable(),
    getState: () => streams.state$.getValue(),

    start: () =>
      command(
        { type: 'START' },
        // 'stopped' right after sending START would be a START still queued, not a verdict: wait to see it move.
        supersedable<SipClientState>({
          done: ({ userAgent, transport }) => userAgent.status === 'started' && transport.status === 'connected',
          inProgress: ({ userAgent }) => userAgent.status !== 'stopped',
          ended: ({ userAgent }) =>
            (userAgent.status === 'stopped' ? userAgent.error : undefined) ??
            cancelled('start() was superseded by stop()'),
        }),
      ),

    register: () =>
      config.uri === undefined
        ? refused(new SipError('config', 'Registering needs a `uri`: this client is anonymous'))
        : command(
            { type: 'REGISTER' },
            // REGISTER always moves the registration to 'registering' first; what it shows before that is stale.
            supersedable<SipClientState>({
              done: ({ registration }) => registration.status === 'registered',
              // A retry after a timeout (`timeouts.register` ran out, or a 408) is the machine's: register() has run
              // out, and says so.
              inProgress: ({ registration }) =>
                registration.status === 'registering' ||
                (registration.status === 'retrying' && registration.error.kind !== 'timeout'),
              ended: ({ registration }) =>
                registration.status === 'failed' || registration.status === 'retrying'
                  ? registration.error
                  : // 'unregistered' with an error: the start failed (the transport gave up), and that is why.
                    registration.status === 'unregistered' && registration.error
                    ? registration.error
                    : cancelled('register() was superseded by unregister() or stop()'),
            }),
          ),

    unregister: () =>
      command(
        { type: 'UNREGISTER' },
        supersedable<SipClientState>({
          done: ({ registration }) => registration.status === 'unregistered',
          inProgress: ({ registration }) => registration.status === 'unregistering',
          ended: () => cancelled('unregister() was superseded by register()'),
        }),
      ),

    // The reconnect() verdict: connected, failed for good, or nothing to reconnect.
    reconnect: () => {
      // 'failed' before the transport moved is the failure reconnect() was called to retry, not its verdict.
      let moved = false;
      return command({ type: 'RECONNECT' }, ({ transport, userAgent }) => {
        // After a failed start, reconnect() starts the client again: then it is done when started, as start() is.
        if (transport.status === 'connected' && userAgent.status !== 'starting') return 'resolve';
        if (transport.status === 'failed') return moved ? transport.error : 'wait';
        if (moved && userAgent.status === 'stopped' && userAgent.error) return userAgent.error;
        if (transport.status === 'disconnected' && userAgent.status === 'stopped') {
          return cancelled('reconnect() needs a started client, or one whose start failed');
        }
        moved = true;
        return 'wait';
      });
    },

    stop: () =>
      command(
        { type: 'STOP' },
        supersedable<SipClientState>({
          done: ({ userAgent }) => userAgent.status === 'stopped',
          inProgress: ({ userAgent }) => userAgent.status === 'stopping',
          ended: () => cancelled('stop() was superseded by start()'),
        }),
      ),

    call: (target, given) => calls.place(target, given, readiness),
    message: (target, body, given) => calls.send(target, body, given, readiness),
    // Each client is its own leader; src/tabs/shared-client.ts has the shared tabs' takeOver().
    takeOver: () => (disposed ? refused(cancelled('The client is disposed')) : Promise.resolve()),
    dispose,
  };

  // Started last, with every observer attached: a machine that fails while starting reports to its error observer,
  // not as an unhandled error thrown on a later tick (which would kill the process even after the caller caught what
  // createSipClient threw). Whatever fails here (a machine in 'error', anything that throws) takes the one disposal
  // path before it is rethrown, so nothing of this client runs later.
  try {
    actor.start();
    const started = actor.getSnapshot();
    if (started.status === 'error') throw toSipError(started.error, 'config', 'sipstate could not start its machines');
    // After the root has started: its own observers of its children run before ours (see ClientStreams).
    streams.observeChildren();
    // One subscription per connectivity source for the whole process (src/platform/network.ts); this client adds a
    // listener, told only of changes (the machine starts online).
    stopNetworkWatch = watchConnectivity(config.network?.online$, logger, (online) =>
      toTransport({ type: online ? 'NETWORK_ONLINE' : 'NETWORK_OFFLINE' }),
    );
  } catch (error) {
    dispose();
    throw error;
  }
  return client;
}
