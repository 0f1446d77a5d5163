/**
 * sipstate: SIP over WebSocket (sip.js 0.21) with exact states as RxJS streams.
 *
 * @example
 * ```ts
 * import { createSipClient, SipConfigError, SipError } from 'sipstate';
 * ```
 */
export { createSipClient, type IncomingMessage, type MessageOptions, type SipClient } from './client';
export type {
  AnswerOptions,
  Call,
  CallMediaOptions,
  CallOptions,
  CallState,
  DtmfMethod,
  DtmfOptions,
  TransferDecider,
  TransferRequest,
} from './call';
export type { CallDirection, CallEndReason, CallStatus } from '../machines/call.machine';
export {
  SignalingOnlySessionDescriptionHandler,
  signalingOnlySessionDescriptionHandlerFactory,
} from './sip/signaling-only-sdh';
export { activeParser, type ActiveParser, type FastParser } from './sip-parser';
export { SipConfigError, SipError, type SipErrorDetails, type SipErrorKind } from './errors';
export type { SipLogLevel, SipLogSink } from './logger';
export type { StateStream, StateSubscription } from './store';
export type {
  CallDefaults,
  IceServer,
  MediaMode,
  NetworkOptions,
  OnlineSource,
  InstanceIdStorage,
  ReconnectOptions,
  SipClientOptions,
  SipUserAgentOptions,
  TabsMode,
  Timeouts,
  Credentials,
  CredentialsChallenge,
  CredentialsProvider,
} from './options';
export { DEFAULT_TIMEOUTS } from './options';
export type { SipTraceEntry } from './sip/trace';
export type { WebSocketConstructor } from './sip/websocket-transport';
export type {
  IdentityState,
  ReconnectPhase,
  RegistrationState,
  RegistrationStatus,
  SipClientState,
  TabCall,
  TabState,
  TransportState,
  TransportStatus,
  UserAgentState,
  UserAgentStatus,
} from './state';
