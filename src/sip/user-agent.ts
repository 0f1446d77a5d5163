import {
  UserAgent,
  type SessionDescriptionHandlerFactory,
  type UserAgentDelegate,
  type UserAgentOptions,
} from 'sip.js';
import { MAX_UNANSWERED_TIMEOUT_SEC } from '../call-options';
import { sipJsLogLevel, type Logger } from '../logger';
import type { ResolvedOptions } from '../options';
import type { SipWebSocketTransport } from './websocket-transport';

/**
 * Creates a sip.js UserAgent that runs over sipstate's transport instead of building its own, logs through sipstate's
 * logger, and never reconnects by itself (sip.js's default of 0 reconnection attempts; the transport machine reconnects).
 */
export function createUserAgent(
  options: ResolvedOptions,
  transport: SipWebSocketTransport,
  logger: Logger,
  // Calls and messages: who handles incoming INVITE and MESSAGE, and which media handler sessions get.
  extras: { delegate?: UserAgentDelegate; sessionDescriptionHandlerFactory?: SessionDescriptionHandlerFactory } = {},
): UserAgent {
  // sip.js constructs its transport with `new transportConstructor(logger, options)`; a constructor that returns an
  // object makes `new` return that object, so every user agent of this client shares the one transport.
  // biome-ignore lint/correctness/noComponentHookFactories: a constructor for sip.js, not a React component
  const transportConstructor = function SipstateTransport() {
    return transport;
  } as unknown as UserAgentOptions['transportConstructor'];
  // No uri: sip.js makes the user agent anonymous (sip:anonymous.xxxx@anonymous.invalid).
  const uri = options.uri === undefined ? undefined : UserAgent.makeURI(options.uri);
  return new UserAgent({
    ...options.sipOptions,
    ...(uri !== undefined && { uri }),
    ...(options.authorizationUsername !== undefined && { authorizationUsername: options.authorizationUsername }),
    ...(options.authorizationPassword !== undefined && { authorizationPassword: options.authorizationPassword }),
    ...(options.authorizationHa1 !== undefined && { authorizationHa1: options.authorizationHa1 }),
    transportConstructor,
    transportOptions: {},
    // sip.js rejects an incoming call with 480 after its own noAnswerTimeout (default 60 s); sipstate's call machine
    // owns that timeout (`unansweredTimeoutSec`, up to 3,600 s), so sip.js's is only a backstop behind it.
    noAnswerTimeout: options.sipOptions.noAnswerTimeout ?? MAX_UNANSWERED_TIMEOUT_SEC + 60,
    logBuiltinEnabled: false,
    logConfiguration: false,
    logLevel: sipJsLogLevel(options.logLevel),
    logConnector: (level, category, _label, content) => {
      logger[level](`${category}: ${content}`);
    },
    ...(extras.delegate !== undefined && { delegate: extras.delegate }),
    // A factory given in sipOptions is the application's choice: it wins over sipstate's pick.
    ...(extras.sessionDescriptionHandlerFactory !== undefined &&
      options.sipOptions.sessionDescriptionHandlerFactory === undefined && {
        sessionDescriptionHandlerFactory: extras.sessionDescriptionHandlerFactory,
      }),
  });
}
