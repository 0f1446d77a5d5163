import { Core, type UserAgent } from 'sip.js';
import type { RegisterOutcome } from '../../machines/registration.machine';
import { SipError } from '../errors';
import type { Logger } from '../logger';

type IncomingResponse = Core.IncomingResponse;
type OutgoingRequest = Core.OutgoingRequest;
type OutgoingRequestMessage = Core.OutgoingRequestMessage;

const ALLOW = 'ACK,CANCEL,INVITE,MESSAGE,BYE,OPTIONS,INFO,NOTIFY,REFER';

interface InFlight {
  readonly request: OutgoingRequest;
  readonly fail: (error: SipError) => void;
}

/**
 * REGISTER transactions for one user agent, sent through sip.js's user agent core (which answers digest challenges),
 * but with none of sip.js's `Registerer`: no refresh or expiry timers of its own, no state beside the registration
 * machine's. The machine decides when to send; this class only sends, one transaction at a time.
 *
 * All REGISTERs share one Call-ID with increasing CSeq (RFC 3261 10.2). A transaction waits for the final response of
 * the one before it (10.2: no new REGISTER until then). When the connection is lost, the transaction in flight can
 * never be answered (responses come back over the connection it left on), so `abandonInFlight()` ends it at once
 * rather than leaving it to block the next REGISTER until Timer F fires, 32 s later.
 */
export class RegistrationChannel {
  private readonly request: OutgoingRequestMessage;
  private inFlight: InFlight | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly userAgent: UserAgent,
    private readonly logger: Logger,
  ) {
    const aor = userAgent.configuration.uri;
    const registrar = aor.clone();
    registrar.user = undefined;
    this.request = userAgent.userAgentCore.makeOutgoingRequestMessage('REGISTER', registrar, aor, aor, {});
  }

  /**
   * Sends a REGISTER asking for `expires` seconds (0 removes the binding), after any transaction still in flight.
   * If `signal` aborts before its turn comes, nothing is sent. Rejects with a SipError.
   */
  send(expires: number, signal?: AbortSignal): Promise<RegisterOutcome> {
    const turn = this.queue.then(() => {
      if (signal?.aborted) throw new SipError('cancelled', 'REGISTER no longer wanted');
      return this.transact(expires);
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Ends the transaction in flight, if any, rejecting it with a transport error. */
  abandonInFlight(reason = 'Connection lost while REGISTER was in flight'): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    this.inFlight = undefined;
    try {
      inFlight.request.dispose();
    } catch {
      // the transaction may already be gone
    }
    inFlight.fail(new SipError('transport', reason));
  }

  private transact(expires: number): Promise<RegisterOutcome> {
    if (!this.userAgent.transport.isConnected()) {
      return Promise.reject(new SipError('transport', 'Not connected: REGISTER not sent'));
    }
    const request = this.request;
    request.cseq++;
    request.setHeader('cseq', `${request.cseq} REGISTER`);
    request.extraHeaders = [
      `Contact: ${this.userAgent.contact.toString({ register: true })};expires=${expires}`,
      `Allow: ${ALLOW}`,
    ];
    return new Promise<RegisterOutcome>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        if (this.inFlight?.request === outgoing) this.inFlight = undefined;
        return true;
      };
      const fail = (error: SipError): void => {
        if (settle()) reject(error);
      };
      const outgoing = this.userAgent.userAgentCore.register(request, {
        onAccept: (response) => {
          if (settle()) resolve({ type: 'registered', expires: this.grantedExpires(response, expires) });
        },
        onReject: (response) => {
          if (!settle()) return;
          const outcome = intervalTooBrief(response);
          if (outcome) resolve(outcome);
          else reject(errorFromResponse(response));
        },
        onRedirect: (response) => fail(errorFromResponse(response)),
      });
      this.inFlight = { request: outgoing, fail };
    });
  }

  /** The expiry the registrar granted our Contact: its `expires` param, else the Expires header, else what we asked. */
  private grantedExpires(response: IncomingResponse, asked: number): number {
    const message = response.message;
    const ours = this.userAgent.contact.uri;
    const count = message.getHeaders('contact').length;
    for (let index = 0; index < count; index++) {
      const contact = message.parseHeader('contact', index) as
        | { uri?: { user?: string; host?: string }; getParam(name: string): string | undefined }
        | undefined;
      if (contact && contact.uri?.user === ours.user) {
        const value = Number(contact.getParam('expires'));
        if (Number.isFinite(value) && value >= 0) return value;
      }
    }
    // sip.js computes NaN here and re-registers in a tight loop (its issue #932); we fall back instead.
    const header = Number(message.getHeader('expires'));
    if (Number.isFinite(header) && header >= 0) return header;
    if (asked > 0) this.logger.warn(`200 to REGISTER gave no expiry for our Contact; assuming the ${asked} s asked`);
    return asked;
  }
}

function intervalTooBrief(response: IncomingResponse): RegisterOutcome | undefined {
  if (response.message.statusCode !== 423) return undefined;
  const minExpires = Number(response.message.getHeader('min-expires'));
  return Number.isFinite(minExpires) && minExpires > 0 ? { type: 'intervalTooBrief', minExpires } : undefined;
}

/** Maps a final non-2xx response (real or synthesised by sip.js) to a SipError. */
export function errorFromResponse(response: IncomingResponse, method = 'REGISTER'): SipError {
  const message = response.message;
  const code = message.statusCode ?? 0;
  const reason = message.reasonPhrase || undefined;
  const status = `${code}${reason ? ` ${reason}` : ''}`;
  // sip.js synthesises 408 on transaction timeout and 503 on a transport error; neither has a Call-ID.
  const synthetic = !message.callId;
  const retryAfterHeader = Number.parseInt(message.getHeader?.('retry-after') ?? '', 10);
  const retryAfter = Number.isFinite(retryAfterHeader) && retryAfterHeader >= 0 ? retryAfterHeader : undefined;
  const details = { code, ...(reason && { reason }), ...(retryAfter !== undefined && { retryAfter }) };
  if (code === 408) return new SipError('timeout', `${method} timed out: ${status}`, details);
  if (synthetic && code === 503) return new SipError('transport', `${method} could not be sent: connection lost`, details);
  if (code === 401 || code === 407 || code === 403) {
    return new SipError('auth', `${method} refused: ${status} (credentials rejected)`, details);
  }
  return new SipError('rejected', `${method} rejected: ${status}`, details);
}
