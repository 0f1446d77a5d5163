import type { UserAgent } from 'sip.js';
import { SipError } from '../errors';

/**
 * Keep-alive for servers that do not answer CRLF pings: an OPTIONS to the registrar's domain. Any real response,
 * even an error, proves the connection alive; only sip.js's synthetic 408/503 (timeout, transport error), which carry
 * no Call-ID, do not. Stopping it (the signal) ends the transaction.
 */
export function sendOptionsPing(userAgent: UserAgent | undefined, signal: AbortSignal): Promise<void> {
  if (!userAgent) return Promise.reject(new SipError('transport', 'No user agent to send the OPTIONS keep-alive'));
  const aor = userAgent.configuration.uri;
  const target = aor.clone();
  target.user = undefined;
  const core = userAgent.userAgentCore;
  const message = core.makeOutgoingRequestMessage('OPTIONS', target, aor, target, {});
  return new Promise<void>((resolve, reject) => {
    const answered = (response: { message: { callId?: string; statusCode?: number } }): void => {
      if (response.message.callId) resolve();
      else reject(new SipError('transport', `OPTIONS keep-alive failed (${response.message.statusCode})`));
    };
    const request = core.request(message, { onAccept: answered, onReject: answered, onRedirect: answered });
    signal.addEventListener('abort', () => request.dispose(), { once: true });
  });
}
