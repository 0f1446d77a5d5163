/**
 * sipstate: SIP over WebSocket (sip.js 0.21) with exact states as RxJS streams.
 *
 * @example
 * ```ts
 * import { createSipClient, SipConfigError, SipError } from 'sipstate';
 * ```
 */
export { createSipClient, type SipClient } from './client';
export { activeParser, type ActiveParser } from './fast-parser';
export { SipConfigError, SipError, type SipErrorDetails, type SipErrorKind } from './errors';
export type { SipLogLevel, SipLogSink } from './logger';
export type { ReconnectOptions, SipClientOptions } from './options';
export type { WebSocketConstructor } from './sip/websocket-transport';
export type {
  RegistrationState,
  RegistrationStatus,
  SipClientState,
  TransportState,
  TransportStatus,
  UserAgentState,
  UserAgentStatus,
} from './state';
