import { BehaviorSubject, distinctUntilChanged, Observable, Subject } from 'rxjs';
import { Invitation, Inviter, Messager, UserAgent, type Message } from 'sip.js';
import { createActor, type InspectionEvent } from 'xstate';
import type { RegistrationActorRef } from '../machines/registration.machine';
import type { TransportActorRef } from '../machines/transport.machine';
import type { UserAgentCommand } from '../machines/user-agent.machine';
import { createCall, type Call, type CallDependencies, type CallHandle, type CallOptions } from './call';
import { LiveCallList } from './call-list';
import { validateCallOptions, validateMessageOptions } from './call-options';
import { attachRuntime, clientMachine, type ClientRuntime } from './client-machine';
import { SipError, toSipError } from './errors';
import { installFastParser } from './fast-parser';
import { warnConnectionFailures } from './connection-warnings';
import { createLogger, type Logger } from './logger';
import { resolveOptions, type SipClientOptions } from './options';
import { redactUrl } from './redact';
import { sendOptionsPing } from './sip/options-ping';
import { RegistrationChannel } from './sip/registration-channel';
import { sessionDescriptionHandlerFactoryFor } from './sip/media';
import { createUserAgent } from './sip/user-agent';
import { SipWebSocketTransport } from './sip/websocket-transport';
import {
  sameState,
  selectRegistrationState,
  selectTransportState,
  selectUserAgentState,
  type RegistrationState,
  type IdentityState,
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
   * fails for good or is superseded by `stop()` (kind `cancelled`). A first connection that fails is retried with
   * backoff while the promise waits. When `reconnect.maxAttempts` are spent, the start has failed: transport$ stays
   * 'failed' with the error, userAgent$ 'stopped' with it, registration$ 'unregistered' with it when registering was
   * wanted; `reconnect()` then tries once more at once, `start()` afresh.
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
   * an unknown option), the Call comes back already ending, with `reason: 'failed'` and a SipError (kind `transport`,
   * or `config` naming the option) that `call.connected()` rejects with.
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
  readonly calls$: Observable<readonly Call[]>;
  /**
   * Sends a SIP MESSAGE. Resolves on a 2xx; rejects with a SipError otherwise (kind `rejected` with the code, e.g.
   * 404; `timeout`; `transport` when the client is not started and connected; `config` for a bad target or option:
   * a `contentType` or extra header holding CR, LF or NUL, an unknown option).
   */
  message(target: string, body: string, options?: MessageOptions): Promise<void>;
  /** Each incoming MESSAGE (answered 200 OK). An event stream: no replay. Completes on `dispose()`. */
  readonly messages$: Observable<IncomingMessage>;
}

/**
 * Options of `client.message()`.
 *
 * @example
 * ```ts
 * await client.message('bob', '{"hello":1}', { contentType: 'application/json' });
 * ```
 */
export interface MessageOptions {
  /** MIME type of the body, without CR, LF or NUL. Default `text/plain`. */
  contentType?: string;
  /** Extra SIP headers, each one `Name: value` line (no CR, LF or NUL). */
  extraHeaders?: string[];
}

/**
 * A MESSAGE received, as `client.messages$` emits it.
 *
 * @example
 * ```ts
 * client.messages$.subscribe(({ from, body }) => console.log(from, body));
 * ```
 */
export interface IncomingMessage {
  /** The sender's URI (From). */
  from: string;
  /** The sender's display name, when it gave one. */
  fromDisplayName?: string;
  /** The URI it was sent to (To). */
  to: string;
  body: string;
  contentType: string;
  /** Epoch ms. */
  receivedAt: number;
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
  const logger = createLogger(config.logLevel, config.logger);
  // Process-wide: sip.js has one parser. Installed here, never on import (the package has no side effects).
  if (config.fastParser) installFastParser(logger);
  const transport = new SipWebSocketTransport(config.webSocket, logger, {
    maxMessageBytes: config.maxMessageBytes,
  });

  // What exists only while started: the sip.js user agent and its REGISTER channel.
  let userAgent: UserAgent | undefined;
  let channel: RegistrationChannel | undefined;

  // ---- calls and messages ----
  const liveCalls = new Map<Call, CallHandle>();
  const liveCallList = new LiveCallList<Call>();
  // Incoming calls not yet ended, against calls.maxIncoming.
  let liveIncoming = 0;
  const incomingCalls$ = new Subject<Call>();
  const messages$ = new Subject<IncomingMessage>();
  let disposedCalls = false;
  const sessionDescriptionHandlerFactory = sessionDescriptionHandlerFactoryFor(config.calls.media, config.calls.iceServers);
  // An anonymous client (no uri) has no domain of its own: it calls full addresses only.
  const ownDomain = config.uri === undefined ? undefined : UserAgent.makeURI(config.uri)?.host;

  /** `sip:bob@x`, `bob@x` or `bob` (in our domain) as a URI string, or undefined when it is no SIP address. */
  const normalizeTarget = (target: string): string | undefined => {
    if (typeof target !== 'string' || target.trim() === '') return undefined;
    const trimmed = target.trim();
    const candidate = /^sips?:/i.test(trimmed)
      ? trimmed
      : trimmed.includes('@')
        ? `sip:${trimmed}`
        : ownDomain === undefined
          ? undefined
          : `sip:${trimmed}@${ownDomain}`;
    return candidate !== undefined && UserAgent.makeURI(candidate) ? candidate : undefined;
  };

  const track = (handle: CallHandle): void => {
    if (handle.ended) return;
    const incoming = handle.call.direction === 'incoming';
    liveCalls.set(handle.call, handle);
    liveCallList.add(handle.call);
    if (incoming) liveIncoming++;
    handle.onEnded(() => {
      if (!liveCalls.delete(handle.call)) return;
      if (incoming) liveIncoming--;
      liveCallList.delete(handle.call);
    });
  };

  const callDependencies: CallDependencies = {
    logger,
    unansweredTimeoutMs: config.calls.unansweredTimeoutMs,
    dtmfMethod: config.calls.dtmf,
    normalizeTarget,
    acceptTransfer: config.calls.acceptTransfer,
    // The application accepted a transfer: a brand-new call of this client to the checked target, nothing else from
    // the REFER (sip.js's makeInviter would copy its Replaces and Referred-By into the INVITE).
    followTransfer: (target) => {
      if (!disposedCalls) client.call(target);
    },
  };

  const onInvite = (invitation: Invitation): void => {
    if (disposedCalls) {
      invitation.reject({ statusCode: 480 }).catch(() => undefined);
      return;
    }
    if (liveIncoming >= config.calls.maxIncoming) {
      // No Call, no machine, no emission: sip.js's Invitation ends (and is disposed) with this final answer.
      logger.debug(`INVITE answered 486: ${liveIncoming} incoming calls already (calls.maxIncoming ${config.calls.maxIncoming})`);
      try {
        invitation.reject({ statusCode: 486 }).catch(() => undefined);
      } catch {
        // Already answered or cancelled: nothing is left to free.
      }
      return;
    }
    const identity = invitation.remoteIdentity;
    const handle = createCall(
      invitation,
      { uri: identity.uri.toString(), ...(identity.displayName && { displayName: identity.displayName }) },
      callDependencies,
    );
    track(handle);
    incomingCalls$.next(handle.call);
  };

  const onMessage = (message: Message): void => {
    const request = message.request;
    message.accept().catch((error: unknown) => logger.warn(`MESSAGE could not be answered: ${String(error)}`));
    if (disposedCalls) return;
    const from = request.from;
    messages$.next({
      from: from.uri.toString(),
      ...(from.displayName && { fromDisplayName: from.displayName }),
      to: request.to.uri.toString(),
      body: request.body ?? '',
      contentType: request.getHeader('content-type') ?? 'text/plain',
      receivedAt: Date.now(),
    });
  };

  // A session outlives a dropped connection in sip.js: tell each call, and tell it again when the link is back.
  transport.onLost((error) => {
    for (const handle of liveCalls.values()) handle.connectionLost(error);
  });

  const requireChannel = (): RegistrationChannel => {
    if (!channel) throw new SipError('transport', 'The user agent is not started');
    return channel;
  };

  // This client's side effects, reached by the shared machine's actors through the actor system.
  const runtime: ClientRuntime = {
    connectTransport: (serverIndex, signal) => transport.open(config.servers[serverIndex]!, signal),
    disconnectTransport: () => transport.close(),
    watchConnection: (onLost) => {
      const stopWatching = transport.onLost(onLost);
      return () => {
        stopWatching();
        // Leaving 'connected' for any reason (lost, keep-alive timeout, disconnect, stop) ends this socket, and a
        // REGISTER in flight on it can never be answered: end it now, not 32 s later.
        channel?.abandonInFlight();
        transport.abandon();
      };
    },
    sendKeepAlive: (signal) => transport.ping(signal),
    sendOptionsKeepAlive: (signal) => sendOptionsPing(userAgent, signal),
    watchNetwork: (onChange) => {
      // config.network.online$ is already an RxJS Observable: resolveOptions converted (and checked) it once.
      const online$ = config.network?.online$ ?? browserOnline$();
      if (!online$) return () => {};
      // A broken connectivity source must not take the client down: carry on as if online.
      const assumeOnline = (error: unknown): void => {
        logger.warn(`network.online$ failed; assuming online: ${String(error)}`);
        onChange(true);
      };
      try {
        const subscription = online$.pipe(distinctUntilChanged()).subscribe({ next: onChange, error: assumeOnline });
        return () => subscription.unsubscribe();
      } catch (error) {
        assumeOnline(error);
        return () => {};
      }
    },
    sendRegister: (expires, signal) => Promise.resolve().then(() => requireChannel().send(expires, signal)),
    startUserAgent: async () => {
      const created = createUserAgent(config, transport, logger, {
        delegate: { onInvite, onMessage },
        sessionDescriptionHandlerFactory,
      });
      userAgent = created;
      // An anonymous client never registers: it gets no REGISTER channel.
      channel = config.uri === undefined ? undefined : new RegistrationChannel(created, logger);
      await created.start();
    },
    stopUserAgent: async () => {
      // BYE, CANCEL or reject every call while the transport is still there.
      for (const handle of [...liveCalls.values()]) handle.dispose();
      const stopping = userAgent;
      channel?.abandonInFlight('Stopped');
      channel = undefined;
      userAgent = undefined;
      await stopping?.stop().catch((error: unknown) => logger.warn(`sip.js stop failed: ${String(error)}`));
    },
  };

  const actor = createActor(clientMachine(), {
    input: {
      transport: {
        // The machines (and so inspectors and transport$) see URLs without their user-info or query values.
        servers: config.servers.map(redactUrl),
        reconnect: config.reconnect,
        keepAliveIntervalMs: config.keepAliveIntervalMs,
        // A pong takes a round trip: 10 s is plenty, and short intervals get a timeout no longer than themselves.
        keepAliveTimeoutMs: Math.min(10_000, config.keepAliveIntervalMs),
        connectJitterMs: config.connectJitterMs,
      },
      registration: { expires: config.expires },
      register: config.register,
    },
    ...(config.inspect !== undefined && { inspect: guardedInspector(config.inspect, logger) }),
  });
  attachRuntime(actor.system, runtime);

  // ---- streams ----
  // The child machines exist from createActor on; nothing runs until actor.start() at the end, after every observer
  // (error observers included) is attached.
  const transportActor = actor.system.get('transport') as TransportActorRef;
  const registrationActor = actor.system.get('registration') as RegistrationActorRef;

  const identity: IdentityState = Object.freeze(
    config.uri === undefined ? { anonymous: true } : { anonymous: false, uri: config.uri },
  );
  const read = (): SipClientState => ({
    transport: selectTransportState(transportActor.getSnapshot()),
    userAgent: selectUserAgentState(actor.getSnapshot()),
    registration: selectRegistrationState(registrationActor.getSnapshot()),
    identity,
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
    const combined = {
      transport: transport$.getValue(),
      userAgent: userAgent$.getValue(),
      registration: registration$.getValue(),
      identity,
    };
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

  let wasConnected = initial.transport.status === 'connected';
  const restoreWatch = transport$.subscribe(({ status }) => {
    const connected = status === 'connected';
    if (connected && !wasConnected) for (const handle of liveCalls.values()) handle.connectionRestored();
    wasConnected = connected;
  });

  const connectionWarnings = warnConnectionFailures(transport$, logger);

  const observe = (ref: { subscribe(observer: { next(): void; error(error: unknown): void }): { unsubscribe(): void } }) =>
    ref.subscribe({ next: publish, error: (error) => logger.error(`machine error: ${String(error)}`) });
  // The root's observer (errors included) goes on before anything starts; a child's error reaches the root too.
  const subscriptions = [observe(actor)];

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

  const notConnected = (what: string): SipError | undefined => {
    if (disposed) return cancelled('The client is disposed');
    const state = read();
    if (!userAgent || state.userAgent.status !== 'started' || state.transport.status !== 'connected') {
      return new SipError('transport', `${what} needs a started, connected client: await client.start() first`);
    }
    return undefined;
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
      config.uri === undefined
        ? handled(Promise.reject(new SipError('config', 'Registering needs a `uri`: this client is anonymous')))
        : command({ type: 'REGISTER' }, () => {
        let moved = false;
        // REGISTER always moves the registration to 'registering' first; what it shows before that is stale.
        return ({ registration }) => {
          if (registration.status === 'registered') return 'resolve';
          if (registration.status === 'registering' || registration.status === 'retrying') moved = true;
          else if (moved && registration.status === 'failed') return registration.error;
          // 'unregistered' with an error: the start failed (the transport gave up), and that is why.
          else if (moved && registration.status === 'unregistered' && registration.error) return registration.error;
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
      command({ type: 'RECONNECT' }, () => {
        // 'failed' before the transport moved is the failure reconnect() was called to retry, not its verdict.
        let moved = false;
        return ({ transport, userAgent }) => {
          // After a failed start, reconnect() starts the client again: then it is done when started, as start() is.
          if (transport.status === 'connected' && userAgent.status !== 'starting') return 'resolve';
          if (transport.status === 'failed') return moved ? transport.error : 'wait';
          if (moved && userAgent.status === 'stopped' && userAgent.error) return userAgent.error;
          if (transport.status === 'disconnected' && userAgent.status === 'stopped') {
            return cancelled('reconnect() needs a started client, or one whose start failed');
          }
          moved = true;
          return 'wait';
        };
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

    call: (target, given) => {
      const checked = validateCallOptions(given);
      const options: CallOptions = checked instanceof SipError ? {} : checked;
      const uri = normalizeTarget(target);
      let session: Inviter | SipError;
      // Disposed first (cancelled), then the options (config), then the connection, then the target.
      const offline = notConnected('call()');
      if (disposed && offline) session = offline;
      else if (checked instanceof SipError) session = checked;
      else if (offline) session = offline;
      else if (!uri) session = new SipError('config', `call() needs a SIP URI or user name, got ${showTarget(target)}`);
      else {
        try {
          session = new Inviter(userAgent!, UserAgent.makeURI(uri)!, {
            ...(options.extraHeaders !== undefined && { extraHeaders: options.extraHeaders }),
          });
        } catch (error) {
          session = toSipError(error, 'config', 'call() failed');
        }
      }
      const handle = createCall(session, { uri: uri ?? (typeof target === 'string' ? target : showTarget(target)) }, callDependencies, options);
      if (!(session instanceof SipError)) track(handle);
      return handle.call;
    },
    incomingCalls$: incomingCalls$.asObservable(),
    calls$: liveCallList.calls$,
    messages$: messages$.asObservable(),

    message: (target, body, given) => {
      if (disposed) return handled(Promise.reject(cancelled('The client is disposed')));
      const options = validateMessageOptions(given);
      if (options instanceof SipError) return handled(Promise.reject(options));
      const offline = notConnected('message()');
      if (offline) return handled(Promise.reject(offline));
      const uri = normalizeTarget(target);
      if (!uri) return handled(Promise.reject(new SipError('config', `message() needs a SIP URI or user name, got ${showTarget(target)}`)));
      if (typeof body !== 'string') return handled(Promise.reject(new SipError('config', 'message() needs a string body')));
      const ua = userAgent!;
      return handled(
        new Promise<void>((resolve, reject) => {
          const messager = new Messager(ua, UserAgent.makeURI(uri)!, body, options.contentType ?? 'text/plain', {
            ...(options.extraHeaders !== undefined && { extraHeaders: options.extraHeaders }),
          });
          messager
            .message({
              requestDelegate: {
                onAccept: () => resolve(),
                onReject: (response) => {
                  const code = response.message.statusCode ?? 0;
                  const reason = response.message.reasonPhrase ?? '';
                  const kind = code === 408 ? 'timeout' : code === 401 || code === 407 || code === 403 ? 'auth' : 'rejected';
                  reject(new SipError(kind, `MESSAGE to ${uri} failed: ${code} ${reason}`.trim(), { code, reason }));
                },
              },
            })
            .catch((error: unknown) => reject(toSipError(error, 'transport', 'MESSAGE could not be sent')));
        }),
      );
    },

    dispose: () => {
      if (disposed) return;
      for (const handle of [...liveCalls.values()]) handle.dispose();
      disposedCalls = true;
      liveCalls.clear();
      restoreWatch.unsubscribe();
      connectionWarnings.unsubscribe();
      liveCallList.close();
      incomingCalls$.complete();
      messages$.complete();
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

  // Started last, with every observer attached: a machine that fails while starting reports to its error observer,
  // not as an unhandled error thrown on a later tick (which would kill the process even after the caller caught what
  // createSipClient threw). Whatever fails here (a machine in 'error', anything that throws) stops everything
  // before it is rethrown, so nothing of this client runs later.
  try {
    actor.start();
    const started = actor.getSnapshot();
    if (started.status === 'error') throw toSipError(started.error, 'config', 'sipstate could not start its machines');
    // The children's observers go on after the root has started, so that the root's own observers of its children
    // (through which it tells the registration the link is down) run first: a transport$ 'reconnecting' must never
    // be published beside a registration$ still 'registered'.
    subscriptions.push(observe(transportActor), observe(registrationActor));
    publish();
  } catch (error) {
    client.dispose();
    throw error;
  }
  return client;
}

/**
 * The `inspect` option as XState gets it: an inspector that throws is the application's bug, and must not stop a
 * machine or surface as an uncaught exception from inside sip.js or RxJS. The first throw is logged, later ones not
 * (an inspector that always throws would flood the log).
 */
function guardedInspector(inspect: NonNullable<SipClientOptions['inspect']>, logger: Logger): (event: InspectionEvent) => void {
  const next = typeof inspect === 'function' ? inspect : (event: InspectionEvent) => inspect.next?.(event);
  let reported = false;
  return (event) => {
    try {
      next(event);
    } catch (error) {
      if (reported) return;
      reported = true;
      logger.error(`the inspect option threw (this and later throws are ignored): ${String(error)}`);
    }
  };
}

/** The browser's connectivity (`navigator.onLine` and the window's online/offline events), or undefined elsewhere. */
function browserOnline$(): Observable<boolean> | undefined {
  const global = globalThis as {
    navigator?: { onLine?: boolean };
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
  };
  if (typeof global.navigator?.onLine !== 'boolean' || typeof global.addEventListener !== 'function') return undefined;
  return new Observable<boolean>((subscriber) => {
    const online = (): void => subscriber.next(true);
    const offline = (): void => subscriber.next(false);
    subscriber.next(global.navigator!.onLine!);
    global.addEventListener!('online', online);
    global.addEventListener!('offline', offline);
    return () => {
      global.removeEventListener?.('online', online);
      global.removeEventListener?.('offline', offline);
    };
  });
}

/** A target as an error message shows it; never throws (a BigInt or an object with a throwing toString). */
function showTarget(target: unknown): string {
  return typeof target === 'string' ? JSON.stringify(target) : `a ${typeof target}`;
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
