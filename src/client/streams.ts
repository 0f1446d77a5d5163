import { BehaviorSubject } from 'rxjs';
import type { RegistrationActorRef } from '../../machines/registration.machine';
import type { TransportActorRef } from '../../machines/transport.machine';
import type { ClientActor } from '../client-machine';
import type { SipError } from '../errors';
import type { Logger } from '../logger';
import { CommandSettler } from '../settle';
import {
  sameState,
  selectRegistrationState,
  selectTransportState,
  selectUserAgentState,
  LEADER_TAB,
  type IdentityState,
  type RegistrationState,
  type SipClientState,
  type TransportState,
  type UserAgentState,
} from '../state';

interface Observable {
  subscribe(observer: { next(): void; error(error: unknown): void }): { unsubscribe(): void };
}

/**
 * The client's state as streams: a projection of its three machines into one BehaviorSubject each plus the combined
 * `state$`, and the settler of the client's commands, which judges each combined state right after it goes out.
 *
 * Observer order is the point of this class: the root actor's observer goes on before anything starts (a machine
 * that fails while starting reports to it), the children's after the root has started (`observeChildren()`), so that
 * the root's own observers of its children, through which it tells the registration the link is down, run first: a
 * transport$ 'reconnecting' is never published beside a registration$ still 'registered'.
 *
 * @example
 * ```ts
 * const streams = new ClientStreams(actor, identity, logger); // root observer attached
 * actor.start();
 * streams.observeChildren(); // children's observers, then the first publish
 * ```
 */
export class ClientStreams {
  readonly transport$: BehaviorSubject<TransportState>;
  readonly userAgent$: BehaviorSubject<UserAgentState>;
  readonly registration$: BehaviorSubject<RegistrationState>;
  readonly state$: BehaviorSubject<SipClientState>;
  /** The client's command promises, settled by the states published here. */
  readonly commands: CommandSettler<SipClientState>;

  readonly #actor: ClientActor;
  readonly #transportActor: TransportActorRef;
  readonly #registrationActor: RegistrationActorRef;
  readonly #identity: IdentityState;
  readonly #logger: Logger;
  readonly #subscriptions: { unsubscribe(): void }[] = [];
  #completed = false;
  // Each machine's last snapshot and its projection: a snapshot read again (every machine's observer publishes, and
  // most snapshots change one machine) is not projected again, and its state compares by identity.
  #transportSnapshot: unknown;
  #transportState: TransportState | undefined;
  #userAgentSnapshot: unknown;
  #userAgentState: UserAgentState | undefined;
  #registrationSnapshot: unknown;
  #registrationState: RegistrationState | undefined;

  /** Attaches the root's observer at once: call before the actor starts. */
  constructor(actor: ClientActor, identity: IdentityState, logger: Logger) {
    this.#actor = actor;
    // The child machines exist from createActor on.
    this.#transportActor = actor.system.get('transport') as TransportActorRef;
    this.#registrationActor = actor.system.get('registration') as RegistrationActorRef;
    this.#identity = identity;
    this.#logger = logger;
    const initial = this.read();
    this.transport$ = new BehaviorSubject(initial.transport);
    this.userAgent$ = new BehaviorSubject(initial.userAgent);
    this.registration$ = new BehaviorSubject(initial.registration);
    this.state$ = new BehaviorSubject(initial);
    this.commands = new CommandSettler(() => this.read());
    this.#subscriptions.push(this.#observe(actor));
  }

  /** The state as the machines have it now (which may be ahead of what was published). */
  read(): SipClientState {
    const transport = this.#transportActor.getSnapshot();
    if (transport !== this.#transportSnapshot || !this.#transportState) {
      this.#transportSnapshot = transport;
      this.#transportState = selectTransportState(transport);
    }
    const userAgent = this.#actor.getSnapshot();
    if (userAgent !== this.#userAgentSnapshot || !this.#userAgentState) {
      this.#userAgentSnapshot = userAgent;
      this.#userAgentState = selectUserAgentState(userAgent);
    }
    const registration = this.#registrationActor.getSnapshot();
    if (registration !== this.#registrationSnapshot || !this.#registrationState) {
      this.#registrationSnapshot = registration;
      this.#registrationState = selectRegistrationState(registration);
    }
    return {
      transport: this.#transportState,
      userAgent: this.#userAgentState,
      registration: this.#registrationState,
      identity: this.#identity,
      tab: LEADER_TAB,
    };
  }

  /** Attaches the children's observers and publishes: call right after the root actor started. */
  observeChildren(): void {
    this.#subscriptions.push(this.#observe(this.#transportActor), this.#observe(this.#registrationActor));
    this.publish();
  }

  /**
   * Publishes what changed. Each part goes out as soon as it is known; state$ follows with all three; then the
   * commands waiting judge it (those added by subscribers while it goes out judge later values, not this one).
   */
  publish(): void {
    if (this.#completed) return;
    const next = this.read();
    let changed = false;
    if (!sameState(next.transport, this.transport$.getValue())) {
      this.transport$.next(next.transport);
      changed = true;
    }
    if (!sameState(next.userAgent, this.userAgent$.getValue())) {
      this.userAgent$.next(next.userAgent);
      changed = true;
    }
    if (!sameState(next.registration, this.registration$.getValue())) {
      this.registration$.next(next.registration);
      changed = true;
    }
    if (!changed) return;
    const combined: SipClientState = {
      transport: this.transport$.getValue(),
      userAgent: this.userAgent$.getValue(),
      registration: this.registration$.getValue(),
      identity: this.#identity,
      tab: LEADER_TAB,
    };
    this.commands.judge(combined, () => this.state$.next(combined));
  }

  /** Publishes nothing more: stops observing the machines (before they are stopped). */
  stopObserving(): void {
    this.#completed = true;
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
  }

  /** Rejects the commands still waiting with `error`, then completes every stream. */
  complete(error: SipError): void {
    this.stopObserving();
    this.commands.close(error);
    this.transport$.complete();
    this.userAgent$.complete();
    this.registration$.complete();
    this.state$.complete();
  }

  #observe(ref: Observable): { unsubscribe(): void } {
    return ref.subscribe({
      next: () => this.publish(),
      error: (error) => this.#logger.error(`machine error: ${String(error)}`),
    });
  }
}
