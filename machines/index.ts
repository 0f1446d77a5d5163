/**
 * `sipstate/machines`: sipstate's pure specification. The four machines as they run inside `createSipClient`, with
 * inert default actors, and what a user needs to run, test or draw them. They import only xstate (never sip.js, never
 * `src/`), so they open unchanged in Stately's editor and run in tests with fake actors. Each one also starts with no
 * input at all, on the defaults its `*Input` interface documents.
 *
 * The list below is explicit: everything here is public API; whatever a machine file exports besides (helpers the
 * machines share, such as `backoffDelay` or `durationOr`) is internal and may change.
 *
 * @example
 * ```ts
 * import { createActor, fromPromise } from 'xstate';
 * import { registrationMachine } from 'sipstate/machines';
 *
 * const actor = createActor(
 *   registrationMachine.provide({
 *     actors: { sendRegister: fromPromise(async () => ({ type: 'registered' as const, expires: 60 })) },
 *   }),
 *   { input: { expires: 60 } },
 * ).start();
 * actor.send({ type: 'LINK_UP' });
 * actor.send({ type: 'REGISTER' });
 * ```
 */

// The user agent: the client's root machine, parent of the transport and registration machines.
export {
  DEFAULT_STOP_TIMEOUT_MS,
  userAgentMachine,
  userAgentStatusOf,
  type UserAgentActorRef,
  type UserAgentCommand,
  type UserAgentContext,
  type UserAgentEvent,
  type UserAgentInput,
  type UserAgentSnapshot,
  type UserAgentStatus,
} from './user-agent.machine';

// The WebSocket connection: connect, keep alive, reconnect with backoff and failover.
export {
  DEFAULT_TRANSPORT_SERVERS,
  MIN_RECONNECT_DELAY_MS,
  STABLE_CONNECTION_MS,
  transportMachine,
  transportStatusOf,
  type TransportActorRef,
  type TransportContext,
  type TransportEvent,
  type TransportInput,
  type TransportSnapshot,
  type TransportStatus,
} from './transport.machine';

// Registration with a registrar, and the bounds on what a registrar may ask.
export {
  DEFAULT_EXPIRES_SEC,
  DEFAULT_REGISTER_TIMEOUT_MS,
  DEFAULT_UNREGISTER_TIMEOUT_MS,
  MAX_EXPIRES_SEC,
  MAX_INTERVAL_TOO_BRIEF_RETRIES,
  MAX_RETRY_AFTER_SEC,
  MIN_REGISTER_INTERVAL_MS,
  HIDDEN_PAGE_REFRESH_MARGIN_MS,
  registrationMachine,
  registrationStatusOf,
  type RegisterOutcome,
  type RegistrationActorRef,
  type RegistrationContext,
  type RegistrationEvent,
  type RegistrationInput,
  type RegistrationSnapshot,
  type RegistrationStatus,
} from './registration.machine';

// One call, outgoing or incoming (one actor per call, not part of the user agent's tree).
export {
  callMachine,
  callStatusOf,
  isLocallyHeld,
  isRemotelyHeld,
  type CallActorRef,
  type CallCommand,
  type CallContext,
  type CallDirection,
  type CallEndReason,
  type CallEvent,
  type CallInput,
  type CallRequestResult,
  type CallSessionEvent,
  type CallSnapshot,
  type CallStatus,
} from './call.machine';

// Timing: the backoff policies, and the one clamp every timer delay goes through.
export { DEFAULT_RECONNECT_POLICY, DEFAULT_REGISTRATION_RETRY_POLICY, type BackoffPolicy } from './backoff';
export { clampDelay, MAX_TIMER_DELAY_MS } from './delay';

// The outside world the machines read (clock and random source), and the error they produce.
export { defaultMachineEnvironment, type MachineEnvironment } from './environment';
export { SipError, type SipErrorDetails, type SipErrorKind } from './errors';
