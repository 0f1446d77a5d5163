import { Observable } from 'rxjs';
import { Inviter, UserAgent, type UserAgentDelegate } from 'sip.js';
import type { ClientRuntime } from '../client-machine';
import { SipError, toSipError } from '../errors';
import type { Logger } from '../logger';
import type { ResolvedOptions } from '../options';
import { answerChallengesWith } from '../sip/credentials';
import { InFlightRequests, requestOutcome } from '../sip/in-flight';
import { sessionDescriptionHandlerFactoryFor } from '../sip/media';
import { sendOptionsPing } from '../sip/options-ping';
import { RegistrationChannel } from '../sip/registration-channel';
import { createUserAgent } from '../sip/user-agent';
import type { SipTraceSink } from '../sip/trace';
import { SipWebSocketTransport } from '../sip/websocket-transport';

/**
 * What the calls and messages part gives the runtime: who answers incoming INVITE and MESSAGE, and how calls end.
 *
 * @example
 * ```ts
 * const hooks: RuntimeHooks = { delegate: calls.delegate, endCalls: () => calls.endAll(), trace: new Subject() };
 * ```
 */
export interface RuntimeHooks {
  /** sip.js's user agent delegate (incoming INVITE and MESSAGE). */
  delegate: UserAgentDelegate;
  /** BYE, CANCEL or reject every call, while the transport is still there (the user agent is about to stop). */
  endCalls(): void;
  /** Where every SIP message sent and received goes (`client.sipTrace$`); entries are built only when observed. */
  trace?: SipTraceSink;
}

/**
 * Everything the client does through sip.js: what the machines' actors call ({@link ClientRuntime}), plus placing
 * calls, sending MESSAGEs and telling calls about the connection. Internal: a test supplies a fake one through
 * `createSipClientWith` (no sockets, no sip.js).
 *
 * @example
 * ```ts
 * const runtime: SipRuntime = createSipRuntime(config, logger, hooks);
 * if (!runtime.hasUserAgent()) console.log('not started');
 * ```
 */
export interface SipRuntime extends ClientRuntime {
  /** Whether a user agent exists (between `startUserAgent()` and `stopUserAgent()`). */
  hasUserAgent(): boolean;
  /** A sip.js Inviter to `uri` (a checked SIP URI), not yet sent. Throws when there is no user agent. */
  createInviter(uri: string, extraHeaders?: string[]): Inviter;
  /**
   * Sends a MESSAGE; resolves on a 2xx, rejects with the SipError of the final response (or `transport` at once when
   * the connection drops first, or `timeout` when no final response came within `timeouts.message`: its transaction
   * is then ended).
   */
  sendMessage(uri: string, body: string, contentType: string, extraHeaders?: string[]): Promise<void>;
  /**
   * Tracks a request of a call waiting for its final response; it fails (`transport`) at once if the connection
   * drops. Returns the untrack function.
   */
  trackRequest(what: string, request: { dispose(): void }, fail: (error: SipError) => void): () => void;
  /** Calls `listener` when the open connection drops. Returns the unsubscribe function. */
  onConnectionLost(listener: (error: SipError) => void): () => void;
  /** Drops everything at once: requests in flight, the socket, the user agent. */
  dispose(): void;
}

/**
 * Builds a client's runtime from its resolved options; the seam through which tests supply a fake one.
 *
 * @example
 * ```ts
 * const fake: RuntimeFactory = () => fakeRuntime; // test/unit/facade.test.ts
 * createSipClientWith(options, fake);
 * ```
 */
export type RuntimeFactory = (config: ResolvedOptions, logger: Logger, hooks: RuntimeHooks) => SipRuntime;

/**
 * The sip.js runtime of one client: its WebSocket transport, its sip.js user agent (which exists only while started),
 * the REGISTER channel, and the requests in flight. Every transaction still waiting when the connection leaves
 * 'connected' is ended at once with kind `transport`: its response could only come back on the connection that is gone.
 *
 * @example
 * ```ts
 * const runtime = createSipRuntime(resolveOptions(options), logger, { delegate, endCalls });
 * attachRuntime(actor.system, runtime);
 * ```
 */
export const createSipRuntime: RuntimeFactory = (config, logger, hooks) => {
  // Process-wide: sip.js has one parser. Installed here, never on import (the package has no side effects).
  config.fastParser?.install(logger);
  const transport = new SipWebSocketTransport(config.webSocket, logger, {
    maxMessageBytes: config.maxMessageBytes,
    ...(hooks.trace !== undefined && { trace: hooks.trace }),
  });
  const sessionDescriptionHandlerFactory = sessionDescriptionHandlerFactoryFor(
    config.calls.media,
    config.calls.iceServers,
  );
  const inFlight = new InFlightRequests();

  // What exists only while started: the sip.js user agent and its REGISTER channel.
  let userAgent: UserAgent | undefined;
  let channel: RegistrationChannel | undefined;
  // The open connection's watcher: where a REGISTER's Flow-Timer goes (it sets that connection's keep-alive).
  let reportFlowTimer: ((seconds: number | undefined) => void) | undefined;
  // With a `credentials` provider: stops answering the user agent's challenges (drops answers still awaited).
  let stopAnswering: (() => void) | undefined;

  /** Ends every transaction in flight at once (kind `transport`); no reason: the connection was lost. */
  const abandonRequests = (reason?: string): void => {
    channel?.abandonInFlight(reason);
    inFlight.abandonAll(reason);
  };

  const requireUserAgent = (what: string): UserAgent => {
    if (!userAgent) throw new SipError('transport', `${what}: the user agent is not started`);
    return userAgent;
  };

  return {
    connectTransport: (serverIndex, signal) => transport.open(config.servers[serverIndex]!, signal),
    disconnectTransport: () => transport.close(),
    watchConnection: (onLost, onFlowTimer) => {
      const stopWatching = transport.onLost(onLost);
      reportFlowTimer = onFlowTimer;
      return () => {
        stopWatching();
        if (reportFlowTimer === onFlowTimer) reportFlowTimer = undefined;
        // Leaving 'connected' for any reason (lost, keep-alive timeout, disconnect, stop) ends this socket, and every
        // request in flight on it can never be answered: end them now, not 32 s later.
        abandonRequests();
        transport.abandon();
      };
    },
    sendKeepAlive: (signal) => transport.ping(signal),
    sendOptionsKeepAlive: (signal) => sendOptionsPing(userAgent, signal),
    watchNetwork: (onChange) => watchConnectivity(config, logger, onChange),
    sendRegister: (expires, signal) =>
      Promise.resolve().then(() => {
        if (!channel) throw new SipError('transport', 'The user agent is not started');
        return channel.send(expires, signal);
      }),
    startUserAgent: async () => {
      const created = createUserAgent(config, transport, logger, {
        delegate: hooks.delegate,
        sessionDescriptionHandlerFactory,
      });
      userAgent = created;
      stopAnswering?.();
      // A provider as slow as a REGISTER may be: its answer would come after the registration's deadline anyway.
      stopAnswering =
        config.credentials === undefined
          ? undefined
          : answerChallengesWith(created, config.credentials, logger, config.timeouts.register);
      // An anonymous client never registers: it gets no REGISTER channel.
      channel =
        config.uri === undefined
          ? undefined
          : new RegistrationChannel(created, logger, {
              instanceId: config.instanceId,
              onFlowTimer: (seconds) => reportFlowTimer?.(seconds),
            });
      await created.start();
    },
    stopUserAgent: async () => {
      hooks.endCalls();
      const stopping = userAgent;
      abandonRequests('Stopped');
      stopAnswering?.();
      stopAnswering = undefined;
      channel = undefined;
      userAgent = undefined;
      await stopping?.stop().catch((error: unknown) => logger.warn(`sip.js stop failed: ${String(error)}`));
    },

    hasUserAgent: () => userAgent !== undefined,
    createInviter: (uri, extraHeaders) =>
      new Inviter(requireUserAgent('call()'), UserAgent.makeURI(uri)!, {
        ...(extraHeaders !== undefined && { extraHeaders }),
      }),
    sendMessage: (uri, body, contentType, extraHeaders) =>
      new Promise<void>((resolve, reject) => {
        const what = `MESSAGE to ${uri}`;
        // One deadline per MESSAGE, cleared however it settles: never left running.
        let deadline: ReturnType<typeof setTimeout> | undefined;
        let finished = false;
        const done = (): void => {
          finished = true;
          clearTimeout(deadline);
        };
        // sip.js's Messager, without it: its request is the one to track (Messager keeps it private).
        const core = requireUserAgent('message()').userAgentCore;
        const target = UserAgent.makeURI(uri)!;
        const content = { contentDisposition: 'render', contentType, content: body };
        const from = core.configuration.aor;
        const request = core.makeOutgoingRequestMessage('MESSAGE', target, from, target, {}, extraHeaders, content);
        // Messager leaves a 3xx unanswered (its promise would never settle): here a redirect is not followed, it fails.
        const outcome = requestOutcome(
          what,
          () => {
            done();
            resolve();
          },
          (error) => {
            done();
            reject(error);
          },
        );
        const outgoing = core.request(request, outcome.delegate);
        outcome.trackWith((fail) => inFlight.track(what, outgoing, fail));
        const limit = config.timeouts.message;
        // A final response may already have come (a synthetic 503 when not connected): then no deadline at all.
        if (finished) return;
        deadline = setTimeout(() => {
          try {
            outgoing.dispose();
          } catch {
            // the transaction may already be gone
          }
          outcome.settle(new SipError('timeout', `${what} not answered within ${limit} ms`));
        }, limit);
      }).catch((error: unknown) => {
        throw toSipError(error, 'transport', 'MESSAGE could not be sent');
      }),
    trackRequest: (what, request, fail) => inFlight.track(what, request, fail),
    onConnectionLost: (listener) => transport.onLost(listener),
    dispose: () => {
      abandonRequests('Disposed');
      stopAnswering?.();
      stopAnswering = undefined;
      transport.abandon();
      const stopping = userAgent;
      channel = undefined;
      userAgent = undefined;
      stopping?.stop().catch(() => undefined);
    },
  };
};

/** `network.online$`, else the browser's connectivity; nothing elsewhere. Returns the unsubscribe function. */
function watchConnectivity(config: ResolvedOptions, logger: Logger, onChange: (online: boolean) => void): () => void {
  // config.network.online$ is already an RxJS Observable: resolveOptions converted (and checked) it once.
  const online$ = config.network?.online$ ?? browserOnline$();
  if (!online$) return () => {};
  // A broken connectivity source must not take the client down: carry on as if online.
  const assumeOnline = (error: unknown): void => {
    logger.warn(`network.online$ failed; assuming online: ${String(error)}`);
    onChange(true);
  };
  // Repeats dropped here rather than with RxJS's distinctUntilChanged, whose operator machinery is ~0.3 kB gzipped
  // in a page for this one use.
  let last: boolean | undefined;
  const changed = (online: boolean): void => {
    if (online === last) return;
    last = online;
    onChange(online);
  };
  try {
    const subscription = online$.subscribe({ next: changed, error: assumeOnline });
    return () => subscription.unsubscribe();
  } catch (error) {
    assumeOnline(error);
    return () => {};
  }
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
