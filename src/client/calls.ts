import { Subject } from 'rxjs';
import { UserAgent, type Invitation, type Message, type URI, type UserAgentDelegate } from 'sip.js';
import { createCall, type Call, type CallDependencies, type CallHandle, type CallOptions } from '../call';
import { LiveCallList } from '../call-list';
import { stateStream } from '../store';
import { validateCallOptions, validateMessageOptions } from '../call-options';
import { SipError, toSipError } from '../errors';
import type { Logger } from '../logger';
import type { ResolvedOptions } from '../options';
import { handled, refused } from '../settle';
import type { SipRuntime } from './runtime';

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

/**
 * Why the client cannot place a call or send a MESSAGE now (disposed, not started, not connected); undefined: it can.
 *
 * @example
 * ```ts
 * const readiness: Readiness = (what) =>
 *   connected ? undefined : new SipError('transport', `${what} needs a connection`);
 * ```
 */
export type Readiness = (what: string) => SipError | undefined;

/**
 * One client's calls and messages: the live calls (against `calls.maxIncoming`, listed by `calls$`), incoming INVITE
 * and MESSAGE, outgoing calls and MESSAGEs, transfers the application accepted, and what the calls hear about the
 * connection. It owns its streams (`incomingCalls$`, `calls$`, `messages$`) and completes them on `close()`.
 *
 * @example
 * ```ts
 * const calls = new CallsAndMessages(config, logger);
 * calls.connect(runtime, readiness);
 * const call = calls.place('bob', undefined, readiness);
 * ```
 */
export class CallsAndMessages {
  readonly #live = new Map<Call, CallHandle>();
  readonly #list = new LiveCallList<Call>();
  readonly #incomingCalls$ = new Subject<Call>();
  readonly #messages$ = new Subject<IncomingMessage>();
  /** Incoming calls not yet ended, against calls.maxIncoming. */
  #liveIncoming = 0;
  #closed = false;
  readonly #config: ResolvedOptions;
  readonly #logger: Logger;
  readonly #ownDomain: string | undefined;
  readonly #dependencies: CallDependencies;
  #runtime: SipRuntime | undefined;

  /** Incoming calls, as they arrive (no replay). */
  readonly incomingCalls$ = this.#incomingCalls$.asObservable();
  /** The calls not yet ended, coalesced per microtask (src/call-list.ts). */
  readonly calls$ = stateStream(this.#list.calls$, () => this.#list.current());
  /** Incoming MESSAGEs (no replay). */
  readonly messages$ = this.#messages$.asObservable();

  /** sip.js's delegate for this client's user agent: incoming INVITE and MESSAGE. */
  readonly delegate: UserAgentDelegate = {
    onInvite: (invitation) => this.#onInvite(invitation),
    onMessage: (message) => this.#onMessage(message),
  };

  constructor(config: ResolvedOptions, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    // An anonymous client (no uri) has no domain of its own: it calls full addresses only.
    this.#ownDomain = config.uri === undefined ? undefined : parseUri(config.uri)?.host;
    this.#dependencies = {
      logger,
      unansweredTimeoutMs: config.calls.unansweredTimeoutMs,
      dtmfMethod: config.calls.dtmf,
      normalizeTarget: (target) => this.normalizeTarget(target),
      acceptTransfer: config.calls.acceptTransfer,
      // The application accepted a transfer: a brand-new call of this client to the checked target, nothing else from
      // the REFER (sip.js's makeInviter would copy its Replaces and Referred-By into the INVITE).
      followTransfer: (target) => {
        if (!this.#closed && this.#readiness) this.place(target, undefined, this.#readiness);
      },
      trackRequest: (what, request, fail) => this.#runtime?.trackRequest(what, request, fail) ?? (() => {}),
    };
  }

  #readiness: Readiness | undefined;

  /** Ties this part to the runtime it sends through, and to the client's readiness check. */
  connect(runtime: SipRuntime, readiness: Readiness): void {
    this.#runtime = runtime;
    this.#readiness = readiness;
  }

  /** `sip:bob@x`, `bob@x` or `bob` (in our domain) as a URI string, or undefined when it is no SIP address. */
  normalizeTarget(target: string): string | undefined {
    if (typeof target !== 'string' || target.trim() === '') return undefined;
    const trimmed = target.trim();
    const candidate = /^sips?:/i.test(trimmed)
      ? trimmed
      : trimmed.includes('@')
        ? `sip:${trimmed}`
        : this.#ownDomain === undefined
          ? undefined
          : `sip:${trimmed}@${this.#ownDomain}`;
    return candidate !== undefined && parseUri(candidate) ? candidate : undefined;
  }

  /**
   * Places a call (`client.call()`). A call that cannot be placed (closed, bad option, not ready, bad target) comes
   * back already ended `failed`, with its SipError.
   */
  place(target: string, given: CallOptions | undefined, readiness: Readiness): Call {
    const checked = validateCallOptions(given);
    const options: CallOptions = checked instanceof SipError ? {} : checked;
    const uri = this.normalizeTarget(target);
    let session: ReturnType<SipRuntime['createInviter']> | SipError;
    // Disposed first (cancelled), then the options (config), then the connection, then the target.
    const offline = readiness('call()');
    if (this.#closed && offline) session = offline;
    else if (checked instanceof SipError) session = checked;
    else if (offline) session = offline;
    else if (!uri) session = new SipError('config', `call() needs a SIP URI or user name, got ${showTarget(target)}`);
    else {
      try {
        session = this.#runtime!.createInviter(uri, options.extraHeaders);
      } catch (error) {
        session = toSipError(error, 'config', 'call() failed');
      }
    }
    const remote = { uri: uri ?? (typeof target === 'string' ? target : showTarget(target)) };
    const handle = createCall(session, remote, this.#dependencies, options);
    if (!(session instanceof SipError)) this.#track(handle);
    return handle.call;
  }

  /** Sends a MESSAGE (`client.message()`). */
  send(target: string, body: string, given: MessageOptions | undefined, readiness: Readiness): Promise<void> {
    if (this.#closed) return refused(new SipError('cancelled', 'The client is disposed'));
    const options = validateMessageOptions(given);
    if (options instanceof SipError) return refused(options);
    const offline = readiness('message()');
    if (offline) return refused(offline);
    const uri = this.normalizeTarget(target);
    if (!uri) {
      return refused(new SipError('config', `message() needs a SIP URI or user name, got ${showTarget(target)}`));
    }
    if (typeof body !== 'string') return refused(new SipError('config', 'message() needs a string body'));
    return handled(this.#runtime!.sendMessage(uri, body, options.contentType ?? 'text/plain', options.extraHeaders));
  }

  /** The connection dropped: a sip.js session outlives it, so each call is told. */
  connectionLost(error: SipError): void {
    for (const handle of this.#live.values()) handle.connectionLost(error);
  }

  /** The connection is back. */
  connectionRestored(): void {
    for (const handle of this.#live.values()) handle.connectionRestored();
  }

  /** Ends every live call (BYE, CANCEL or reject while the transport is still there). */
  endAll(): void {
    for (const handle of [...this.#live.values()]) handle.dispose();
  }

  /** Ends every call and completes the streams; later INVITEs get 480, later MESSAGEs are not emitted. */
  close(): void {
    if (this.#closed) return;
    this.endAll();
    this.#closed = true;
    this.#live.clear();
    this.#list.close();
    this.#incomingCalls$.complete();
    this.#messages$.complete();
  }

  #track(handle: CallHandle): void {
    if (handle.ended) return;
    const incoming = handle.call.direction === 'incoming';
    this.#live.set(handle.call, handle);
    this.#list.add(handle.call);
    if (incoming) this.#liveIncoming++;
    handle.onEnded(() => {
      if (!this.#live.delete(handle.call)) return;
      if (incoming) this.#liveIncoming--;
      this.#list.delete(handle.call);
    });
  }

  #onInvite(invitation: Invitation): void {
    if (this.#closed) {
      invitation.reject({ statusCode: 480 }).catch(() => undefined);
      return;
    }
    const max = this.#config.calls.maxIncoming;
    if (this.#liveIncoming >= max) {
      // No Call, no machine, no emission: sip.js's Invitation ends (and is disposed) with this final answer.
      this.#logger.debug(
        `INVITE answered 486: ${this.#liveIncoming} incoming calls already (calls.maxIncoming ${max})`,
      );
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
      this.#dependencies,
    );
    this.#track(handle);
    this.#incomingCalls$.next(handle.call);
  }

  #onMessage(message: Message): void {
    const request = message.request;
    message.accept().catch((error: unknown) => this.#logger.warn(`MESSAGE could not be answered: ${String(error)}`));
    if (this.#closed) return;
    const from = request.from;
    this.#messages$.next({
      from: from.uri.toString(),
      ...(from.displayName && { fromDisplayName: from.displayName }),
      to: request.to.uri.toString(),
      body: request.body ?? '',
      contentType: request.getHeader('content-type') ?? 'text/plain',
      receivedAt: Date.now(),
    });
  }
}

/** A SIP URI as sip.js parses it, or undefined. */
function parseUri(text: string): URI | undefined {
  return UserAgent.makeURI(text);
}

/** A target as an error message shows it; never throws (a BigInt or an object with a throwing toString). */
function showTarget(target: unknown): string {
  return typeof target === 'string' ? JSON.stringify(target) : `a ${typeof target}`;
}
