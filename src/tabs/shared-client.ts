import { BehaviorSubject, Observable, type Subscription } from 'rxjs';
import type { Call } from '../call';
import type { SipClient } from '../client';
import type { IncomingMessage, Readiness } from '../client/calls';
import type { SipTraceEntry } from '../sip/trace';
import { SipError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { resolveOptions, type SipClientOptions } from '../options';
import { platformLifecycle } from '../platform/lifecycle';
import { refused } from '../settle';
import {
  LEADER_TAB,
  sameState,
  type IdentityState,
  type RegistrationState,
  type SipClientState,
  type TabCall,
  type TabState,
  type TransportState,
  type UserAgentState,
} from '../state';
import { stateStream } from '../store';
import { Election } from './election';
import type { ChannelLike, TabPlatform } from './platform';
import {
  MAX_TAB_CALLS,
  parseTabMessage,
  toWire,
  type TabCommand,
  type TabIntent,
  type TabMessage,
  type TabSnapshot,
} from './protocol';

/**
 * Creates the client a tab runs while it leads (and, unstarted, while it follows); `gate` refuses its calls then.
 *
 * @example
 * ```ts
 * const factory: InnerClientFactory = (options, gate) => createSipClientWith(options, createSipRuntime, gate);
 * ```
 */
export type InnerClientFactory = (options: SipClientOptions, gate: Readiness) => SipClient;

/** Most lifecycle commands a follower keeps waiting for the leader's verdict; more are refused. */
const MAX_FORWARDED = 32;

/** Said once per page when `'shared'` cannot be had. */
let fallbackWarned = false;

const DISCONNECTED: TransportState = Object.freeze({ status: 'disconnected' });
const STOPPED: UserAgentState = Object.freeze({ status: 'stopped' });
const UNREGISTERED: RegistrationState = Object.freeze({ status: 'unregistered' });

/**
 * The name of the lock and of the channel of the tabs sharing `uri`'s registration.
 *
 * @example
 * ```ts
 * sharedName('sip:alice@example.com'); // 'sipstate.tabs sip:alice@example.com'
 * ```
 */
export function sharedName(uri: string): string {
  return `sipstate.tabs ${uri}`;
}

function newTabId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return typeof crypto?.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function cancelled(message: string): SipError {
  return new SipError('cancelled', message);
}

/** The intent after `command`, from `intent`; `register: true` makes a start a registration. */
function intentAfter(command: TabCommand, intent: TabIntent, registerOnStart: boolean): TabIntent {
  switch (command) {
    case 'start':
      return intent === 'registered' || registerOnStart ? 'registered' : 'started';
    case 'register':
      return 'registered';
    case 'unregister':
      return intent === 'stopped' ? 'stopped' : 'started';
    case 'stop':
      return 'stopped';
    case 'reconnect':
      return intent;
  }
}

/**
 * `createSipClient({ ..., tabs: 'shared' })`: a client whose tabs share one connection and registration. Falls back
 * to a client of its own (`'each'`), said once at warn, where Web Locks or BroadcastChannel are missing.
 *
 * @example
 * ```ts
 * const client = createSharedClient(
 *   options,
 *   (given, gate) => createSipClientWith(given, createSipRuntime, gate),
 *   tabPlatform(),
 * );
 * ```
 */
export function createSharedClient(
  options: SipClientOptions,
  createInner: InnerClientFactory,
  platform: TabPlatform | undefined,
): SipClient {
  const given = platform?.sharedStorage && options.instanceIdStorage === undefined && options.instanceId === undefined;
  // The tabs share one instance id (kept in localStorage), so that a new leader's REGISTER replaces the old binding.
  const config = resolveOptions(given ? { ...options, instanceIdStorage: platform.sharedStorage } : options);
  const logger = createLogger(config.logLevel, config.logger);
  const each: SipClientOptions = { ...options, tabs: 'each', instanceId: config.instanceId };
  if (!platform) {
    if (!fallbackWarned) {
      fallbackWarned = true;
      logger.warn(
        "tabs: 'shared' needs Web Locks and BroadcastChannel, which this platform lacks: each tab has its own",
      );
    }
    return createInner(each, () => undefined);
  }
  return new SharedTabs(each, config.uri ?? '', config.register, createInner, platform, logger).client;
}

/**
 * One tab of the tabs sharing a registration: the leader runs a client and tells the followers its state; a follower
 * shows the leader's state and forwards its lifecycle commands. Which it is, the election says; a message on the
 * channel never makes this tab connect or register unless it holds the lock.
 */
class SharedTabs {
  readonly client: SipClient;

  readonly #options: SipClientOptions;
  readonly #registerOnStart: boolean;
  readonly #createInner: InnerClientFactory;
  readonly #logger: Logger;
  #channel: ChannelLike;
  readonly #openChannel: () => ChannelLike;
  readonly #election: Election;
  readonly #id = newTabId();
  readonly #identity: IdentityState;

  readonly #transport$: BehaviorSubject<TransportState>;
  readonly #userAgent$: BehaviorSubject<UserAgentState>;
  readonly #registration$: BehaviorSubject<RegistrationState>;
  readonly #state$: BehaviorSubject<SipClientState>;
  readonly #calls$ = new BehaviorSubject<readonly Call[]>(Object.freeze([]));
  /** The client this tab runs now: the event streams follow it (and sipTrace$ builds entries only when followed). */
  readonly #inners$: BehaviorSubject<SipClient>;

  #inner: SipClient;
  #innerSubscriptions: Subscription[] = [];
  #callSubscriptions: Subscription[] = [];
  #leaderCalls: readonly TabCall[] = Object.freeze([]);
  #leaderId: string | undefined;
  #intent: TabIntent = 'stopped';
  #forwarded = new Map<number, { command: TabCommand; resolve(): void; reject(error: SipError): void }>();
  #nextCommandId = 0;
  #disposed = false;
  #announcing = false;
  #stopLifecycle: () => void = () => {};
  /** Between pagehide and pageshow, both `persisted`: out of the election, the channel closed. */
  #inCache = false;

  constructor(
    options: SipClientOptions,
    uri: string,
    registerOnStart: boolean,
    createInner: InnerClientFactory,
    platform: TabPlatform,
    logger: Logger,
  ) {
    this.#options = options;
    this.#registerOnStart = registerOnStart;
    this.#createInner = createInner;
    this.#logger = logger;
    this.#identity = Object.freeze({ anonymous: false, uri });
    // Nothing is requested before join() (below), once every field is set.
    this.#election = new Election(platform.locks, sharedName(uri), {
      elected: () => this.#lead(),
      deposed: () => this.#follow(),
    });
    this.#inner = this.#newInner();
    this.#inners$ = new BehaviorSubject(this.#inner);
    this.#transport$ = new BehaviorSubject(DISCONNECTED);
    this.#userAgent$ = new BehaviorSubject(STOPPED);
    this.#registration$ = new BehaviorSubject(UNREGISTERED);
    this.#state$ = new BehaviorSubject<SipClientState>(this.#combined());
    this.#openChannel = () => {
      const channel = platform.openChannel(sharedName(uri));
      channel.onmessage = (event) => this.#receive(event.data);
      return channel;
    };
    this.#channel = this.#openChannel();
    this.client = this.#facade();
    this.#post({ type: 'hello', from: this.#id });
    this.#election.join();
    // Chromium caches a page that holds a Web Lock, lock and all, while the tabs waiting in line for it wait on (seen
    // in Chromium 156): a leader going into the back/forward cache would keep the registration from every other tab.
    // It steps out instead, and joins the line again when restored.
    this.#stopLifecycle = (platform.lifecycle ?? platformLifecycle()).subscribe((event) => {
      if (event.type === 'cached') this.#stepOut();
      else if (event.type === 'restored') this.#stepIn();
    });
  }

  /** The page goes into the back/forward cache: out of the election, and a leader drops its connection. */
  #stepOut(): void {
    if (this.#disposed || this.#inCache) return;
    this.#inCache = true;
    const wasLeader = this.#role === 'leader';
    this.#election.stepOut();
    // Chromium evicts a cached page that a BroadcastChannel message reaches: deaf until restored.
    this.#channel.onmessage = null;
    this.#channel.close();
    if (!wasLeader) return;
    this.#logger.log('tabs: this page goes into the back/forward cache; the next tab takes the registration');
    // Its connection is dropped without unREGISTER: the next leader's REGISTER replaces the binding (one instance id).
    this.#dropLead();
  }

  /** The page is back from the back/forward cache: in line again, a follower until elected. */
  #stepIn(): void {
    if (this.#disposed || !this.#inCache) return;
    this.#inCache = false;
    this.#channel = this.#openChannel();
    this.#election.join();
    this.#post({ type: 'hello', from: this.#id });
  }

  get #role(): 'leader' | 'follower' {
    return this.#election.leader ? 'leader' : 'follower';
  }

  #newInner(): SipClient {
    return this.#createInner(this.#options, (what) =>
      this.#role === 'follower'
        ? new SipError(
            'transport',
            `${what} is refused in a follower tab (tabs: 'shared'): the leader tab holds the connection; call client.takeOver() first`,
          )
        : undefined,
    );
  }

  #tab(): TabState {
    return this.#role === 'leader' ? LEADER_TAB : Object.freeze({ role: 'follower', leaderCalls: this.#leaderCalls });
  }

  #combined(): SipClientState {
    return {
      transport: this.#transport$.getValue(),
      userAgent: this.#userAgent$.getValue(),
      registration: this.#registration$.getValue(),
      identity: this.#identity,
      tab: this.#tab(),
    };
  }

  /** Publishes the parts that changed, then state$ when anything did (the role included). */
  #publish(transport: TransportState, userAgent: UserAgentState, registration: RegistrationState): void {
    if (this.#disposed) return;
    if (!sameState(transport, this.#transport$.getValue())) this.#transport$.next(transport);
    if (!sameState(userAgent, this.#userAgent$.getValue())) this.#userAgent$.next(userAgent);
    if (!sameState(registration, this.#registration$.getValue())) this.#registration$.next(registration);
    const next = this.#combined();
    const last = this.#state$.getValue();
    const sameTab =
      next.tab.role === last.tab.role &&
      (next.tab.role === 'leader' || (last.tab.role === 'follower' && next.tab.leaderCalls === last.tab.leaderCalls));
    if (
      !sameTab ||
      next.transport !== last.transport ||
      next.userAgent !== last.userAgent ||
      next.registration !== last.registration
    ) {
      this.#state$.next(next);
    }
  }

  /** This tab was elected: it runs its client, does what the tabs want, and tells them. */
  #lead(): void {
    if (this.#disposed) return;
    this.#leaderId = this.#id;
    this.#leaderCalls = Object.freeze([]);
    this.#replaceInner();
    const inner = this.#inner;
    this.#innerSubscriptions.push(
      inner.state$.subscribe(({ transport, userAgent, registration }) => {
        this.#publish(transport, userAgent, registration);
        this.#announce();
      }),
      inner.calls$.subscribe((calls) => this.#watchCalls(calls)),
    );
    this.#logger.log(`tabs: this tab leads the registration of ${this.#identity.anonymous ? '' : this.#identity.uri}`);
    const ignore = () => undefined; // the outcome is in the streams
    if (this.#intent === 'registered') inner.register().catch(ignore);
    else if (this.#intent === 'started') inner.start().catch(ignore);
    // Commands that waited for a leader: this tab is it.
    for (const [id, waiting] of this.#forwarded) {
      this.#forwarded.delete(id);
      this.#run(waiting.command).then(waiting.resolve, waiting.reject);
    }
    this.#announce();
  }

  /** The lock was taken from this tab: it drops its connection (no unREGISTER: the new leader's replaces it). */
  #follow(): void {
    if (this.#disposed) return;
    this.#logger.log('tabs: another tab took over the registration');
    this.#dropLead();
    this.#post({ type: 'hello', from: this.#id });
  }

  /** No longer the leader: a fresh unstarted client, and nothing shown until the new leader says its state. */
  #dropLead(): void {
    this.#replaceInner();
    this.#leaderId = undefined;
    this.#leaderCalls = Object.freeze([]);
    this.#calls$.next(Object.freeze([]));
    this.#publish(DISCONNECTED, STOPPED, UNREGISTERED);
  }

  /** A fresh, unstarted client in place of the current one, which is disposed (its connection dropped). */
  #replaceInner(): void {
    for (const subscription of this.#innerSubscriptions.splice(0)) subscription.unsubscribe();
    for (const subscription of this.#callSubscriptions.splice(0)) subscription.unsubscribe();
    this.#inner.dispose();
    this.#inner = this.#newInner();
    this.#inners$.next(this.#inner);
  }

  /** Follows each live call's state, so that the followers see it ring, connect and end. */
  #watchCalls(calls: readonly Call[]): void {
    this.#calls$.next(calls);
    for (const subscription of this.#callSubscriptions.splice(0)) subscription.unsubscribe();
    for (const call of calls) this.#callSubscriptions.push(call.state$.subscribe(() => this.#announce()));
    this.#announce();
  }

  /**
   * The leader's state to the followers: once per microtask, however many changes (or `hello`s, which any script of
   * the origin can post in a loop) asked for it in that tick, with the state as it is then.
   */
  #announce(): void {
    if (this.#announcing) return;
    this.#announcing = true;
    queueMicrotask(() => {
      this.#announcing = false;
      this.#postState();
    });
  }

  #postState(): void {
    if (this.#disposed || this.#role !== 'leader') return;
    const calls = this.#calls$
      .getValue()
      .slice(0, MAX_TAB_CALLS)
      .map((call): TabCall => {
        const { id, direction, status, remote } = call.getState();
        return { id, direction, status, remote: remote.uri };
      });
    const { transport, userAgent, registration } = this.#combined();
    this.#post({
      type: 'state',
      from: this.#id,
      state: { transport, userAgent, registration, intent: this.#intent, calls },
    });
  }

  #post(message: TabMessage): void {
    if (this.#disposed) return; // the channel is closed: a verdict that comes after dispose() goes nowhere
    try {
      this.#channel.postMessage(toWire(message));
    } catch (error) {
      this.#logger.warn(`tabs: could not post on the channel: ${String(error)}`);
    }
  }

  #receive(data: unknown): void {
    if (this.#disposed) return;
    const message = parseTabMessage(data);
    if (!message) {
      this.#logger.debug('tabs: dropped a message of the wrong shape on the channel');
      return;
    }
    if (message.from === this.#id) return;
    switch (message.type) {
      case 'hello':
        this.#announce();
        return;
      case 'state':
        this.#mirrorState(message.from, message.state);
        return;
      case 'command':
        if (this.#role !== 'leader' || message.to !== this.#id) return;
        this.#run(message.command).then(
          () => this.#post({ type: 'result', from: this.#id, to: message.from, id: message.id }),
          (error: SipError) => this.#post({ type: 'result', from: this.#id, to: message.from, id: message.id, error }),
        );
        return;
      case 'result': {
        if (message.to !== this.#id) return;
        const waiting = this.#forwarded.get(message.id);
        if (!waiting) return;
        this.#forwarded.delete(message.id);
        if (message.error) waiting.reject(message.error);
        else waiting.resolve();
        return;
      }
    }
  }

  /** A follower takes the leader's state as its own; the leader ignores states (another tab cannot lead). */
  #mirrorState(from: string, state: TabSnapshot): void {
    if (this.#role === 'leader') return;
    this.#intent = state.intent;
    this.#leaderCalls = state.calls;
    if (from !== this.#leaderId) {
      this.#leaderId = from;
      // A new leader: the commands still waiting go to it (they are idempotent; the first verdict settles them).
      for (const [id, waiting] of this.#forwarded) {
        this.#post({ type: 'command', from: this.#id, to: from, id, command: waiting.command });
      }
    }
    this.#publish(state.transport, state.userAgent, state.registration);
  }

  /** The leader runs a lifecycle command on its client, and tells the tabs what they now want. */
  #run(command: TabCommand): Promise<void> {
    this.#intent = intentAfter(command, this.#intent, this.#registerOnStart);
    const inner = this.#inner;
    const done = inner[command]();
    this.#announce();
    return done;
  }

  /** A lifecycle command: run here by the leader, forwarded to it by a follower. */
  #command(command: TabCommand): Promise<void> {
    if (this.#disposed) return refused(cancelled('The client is disposed'));
    if (this.#role === 'leader') return this.#run(command);
    if (this.#forwarded.size >= MAX_FORWARDED) {
      return refused(cancelled(`${command}() refused: ${MAX_FORWARDED} commands already wait for the leader tab`));
    }
    // Also this tab's own wish, should it lead before the verdict comes.
    this.#intent = intentAfter(command, this.#intent, this.#registerOnStart);
    const id = this.#nextCommandId++;
    const settled = new Promise<void>((resolve, reject) => this.#forwarded.set(id, { command, resolve, reject }));
    settled.catch(() => undefined);
    if (this.#leaderId !== undefined) this.#post({ type: 'command', from: this.#id, to: this.#leaderId, id, command });
    return settled;
  }

  #takeOver(): Promise<void> {
    if (this.#disposed) return refused(cancelled('The client is disposed'));
    if (this.#role === 'leader') return Promise.resolve();
    if (this.#leaderCalls.some((call) => call.status !== 'ended')) {
      return refused(
        cancelled('takeOver() refused: a call is in progress in the leader tab, and taking over would end it'),
      );
    }
    return this.#election.takeOver().catch((error: unknown) => {
      throw this.#disposed
        ? cancelled('The client is disposed')
        : new SipError('cancelled', `takeOver() failed: ${String(error)}`);
    });
  }

  #dispose(): void {
    if (this.#disposed) return;
    this.#stopLifecycle();
    this.#election.leave();
    for (const subscription of this.#innerSubscriptions.splice(0)) subscription.unsubscribe();
    for (const subscription of this.#callSubscriptions.splice(0)) subscription.unsubscribe();
    this.#inner.dispose();
    this.#disposed = true;
    this.#channel.onmessage = null;
    this.#channel.close();
    const error = cancelled('The client was disposed');
    for (const waiting of this.#forwarded.values()) waiting.reject(error);
    this.#forwarded.clear();
    this.#calls$.next(Object.freeze([]));
    for (const subject of [this.#transport$, this.#userAgent$, this.#registration$, this.#state$, this.#calls$]) {
      subject.complete();
    }
    // The last client's event streams completed with its dispose(): these complete now.
    this.#inners$.complete();
  }

  /**
   * An event stream of the client this tab runs now, whichever it is (RxJS's switchMap, written out: the operator
   * and its helpers would cost a page 3 kB); it completes once the clients do, on dispose().
   */
  #follow$<T>(pick: (inner: SipClient) => Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      let current: Subscription | undefined;
      const clients = this.#inners$.subscribe({
        next: (inner) => {
          current?.unsubscribe();
          current = pick(inner).subscribe({ next: (value) => subscriber.next(value) });
        },
        complete: () => subscriber.complete(),
      });
      return () => {
        current?.unsubscribe();
        clients.unsubscribe();
      };
    });
  }

  #facade(): SipClient {
    return {
      transport$: stateStream(this.#transport$),
      userAgent$: stateStream(this.#userAgent$),
      registration$: stateStream(this.#registration$),
      state$: stateStream(this.#state$),
      calls$: stateStream(this.#calls$),
      incomingCalls$: this.#follow$((inner): Observable<Call> => inner.incomingCalls$),
      messages$: this.#follow$((inner): Observable<IncomingMessage> => inner.messages$),
      sipTrace$: this.#follow$((inner): Observable<SipTraceEntry> => inner.sipTrace$),
      getState: () => this.#state$.getValue(),
      start: () => this.#command('start'),
      register: () => this.#command('register'),
      unregister: () => this.#command('unregister'),
      stop: () => this.#command('stop'),
      reconnect: () => this.#command('reconnect'),
      call: (target, callOptions) => this.#inner.call(target, callOptions),
      message: (target, body, messageOptions) => this.#inner.message(target, body, messageOptions),
      takeOver: () => this.#takeOver(),
      dispose: () => this.#dispose(),
    };
  }
}
