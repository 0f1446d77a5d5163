import type { Core, UserAgent } from 'sip.js';
import { MAX_EXPIRES_SEC, type RegisterOutcome } from '../../machines/registration.machine';
import { SipError } from '../errors';
import type { Logger } from '../logger';
import { errorFromResponse, parseDeltaSeconds } from './response-error';

export { parseDeltaSeconds, parseRetryAfter } from './response-error';

type IncomingResponse = Core.IncomingResponse;
type OutgoingRequest = Core.OutgoingRequest;
type OutgoingRequestMessage = Core.OutgoingRequestMessage;

const ALLOW = 'ACK,CANCEL,INVITE,MESSAGE,BYE,OPTIONS,INFO,NOTIFY,REFER';

/**
 * The `expires` value to put in a REGISTER's Contact: the decimal digits of an integer 0..MAX_EXPIRES_SEC, or
 * `undefined` for anything else (a float would print as `1e+300`), which is then never sent.
 *
 * @example
 * ```ts
 * formatExpires(600);   // '600'
 * formatExpires(1e300); // undefined
 * ```
 */
export function formatExpires(expires: number): string | undefined {
  return Number.isSafeInteger(expires) && expires >= 0 && expires <= MAX_EXPIRES_SEC ? expires.toFixed(0) : undefined;
}

/** The `reg-id` of our one flow (RFC 5626 4.2): one connection at a time, so always 1. */
const REG_ID = 1;

/** Largest Flow-Timer honoured, in seconds (as for `keepAliveIntervalSec`): a larger one is ignored. */
export const MAX_FLOW_TIMER_SEC = 3_600;

/**
 * The Flow-Timer of a registrar's 200 to REGISTER (RFC 5626 4.4.1): delta-seconds 1..{@link MAX_FLOW_TIMER_SEC}, or
 * `undefined` when absent or anything else (then the client's own keep-alive interval applies).
 *
 * @example
 * ```ts
 * parseFlowTimer('120'); // 120
 * parseFlowTimer('0');   // undefined
 * parseFlowTimer('5.5'); // undefined
 * ```
 */
export function parseFlowTimer(value: string | undefined): number | undefined {
  const seconds = parseDeltaSeconds(value);
  return seconds !== undefined && seconds >= 1 && seconds <= MAX_FLOW_TIMER_SEC ? seconds : undefined;
}

/** Options of a {@link RegistrationChannel}. */
export interface RegistrationChannelOptions {
  /** The RFC 5626 instance id (a UUID), sent as `+sip.instance` with `reg-id=1`. */
  readonly instanceId: string;
  /**
   * Called with the Flow-Timer of each 200 to a REGISTER that keeps a binding (`undefined` when it has none): the
   * keep-alive interval the registrar asks for this connection.
   */
  readonly onFlowTimer?: (seconds: number | undefined) => void;
}

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
 * rather than leaving it to block the next REGISTER until Timer F fires, 32 s later. For the same reason a transaction
 * whose `signal` aborts (the machine stopped waiting: its deadline ran out, or it moved on) is ended at once too.
 */
export class RegistrationChannel {
  private readonly request: OutgoingRequestMessage;
  private inFlight: InFlight | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private readonly contactParams: string;

  constructor(
    private readonly userAgent: UserAgent,
    private readonly logger: Logger,
    private readonly options: RegistrationChannelOptions,
  ) {
    // RFC 5626 4.2: the instance id, so the registrar replaces this instance's binding rather than adding one.
    this.contactParams = `;reg-id=${REG_ID};+sip.instance="<urn:uuid:${options.instanceId}>"`;
    const aor = userAgent.configuration.uri;
    const registrar = aor.clone();
    registrar.user = undefined;
    this.request = userAgent.userAgentCore.makeOutgoingRequestMessage('REGISTER', registrar, aor, aor, {});
  }

  /**
   * Sends a REGISTER asking for `expires` seconds (0 removes the binding), after any transaction still in flight.
   * If `signal` aborts before its turn comes, nothing is sent; if it aborts while waiting for the final response, the
   * transaction is ended (disposed: no retransmission, no Timer F) and the promise rejects with kind `cancelled`.
   * Rejects with a SipError.
   */
  send(expires: number, signal?: AbortSignal): Promise<RegisterOutcome> {
    const turn = this.queue.then(() => {
      if (signal?.aborted) throw new SipError('cancelled', 'REGISTER no longer wanted');
      return this.transact(expires, signal);
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Writes a REGISTER with expires 0 to the connection now, best effort: the transaction in flight (if any) is ended
   * first, and nothing waits for the answer. For a page going into the back/forward cache, whose socket closes right
   * after (the registrar drops the binding if the request got there; else it lapses). Never throws.
   */
  unregisterNow(): void {
    this.abandonInFlight('Unregistered for the back/forward cache', 'cancelled');
    try {
      // transact writes the request synchronously (sip.js's transaction sends from its constructor).
      this.transact(0).catch(() => undefined);
    } catch {
      // best effort
    }
  }

  /** Ends the transaction in flight, if any, rejecting it with a SipError of `kind` (default `transport`). */
  abandonInFlight(
    reason = 'Connection lost while REGISTER was in flight',
    kind: 'transport' | 'cancelled' = 'transport',
  ): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    this.inFlight = undefined;
    try {
      inFlight.request.dispose();
    } catch {
      // the transaction may already be gone
    }
    inFlight.fail(new SipError(kind, reason));
  }

  private transact(expires: number, signal?: AbortSignal): Promise<RegisterOutcome> {
    const formatted = formatExpires(expires);
    if (formatted === undefined) {
      return Promise.reject(
        new SipError(
          'config',
          `REGISTER not sent: expires must be an integer 0..${MAX_EXPIRES_SEC}, got ${String(expires)}`,
        ),
      );
    }
    if (!this.userAgent.transport.isConnected()) {
      return Promise.reject(new SipError('transport', 'Not connected: REGISTER not sent'));
    }
    const request = this.request;
    request.cseq++;
    request.setHeader('cseq', `${request.cseq} REGISTER`);
    request.extraHeaders = [
      `Contact: ${this.userAgent.contact.toString({ register: true })}${this.contactParams};expires=${formatted}`,
      `Allow: ${ALLOW}`,
      'Supported: outbound, path',
    ];
    return new Promise<RegisterOutcome>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        signal?.removeEventListener('abort', stopWaiting);
        if (this.inFlight?.request === outgoing) this.inFlight = undefined;
        return true;
      };
      // Nobody waits for the answer any more: end the transaction now, so the next REGISTER need not wait for it.
      const stopWaiting = (): void => {
        if (this.inFlight?.request !== outgoing) return;
        this.abandonInFlight('REGISTER no longer awaited', 'cancelled');
      };
      const fail = (error: SipError): void => {
        if (settle()) reject(error);
      };
      const outgoing = this.userAgent.userAgentCore.register(request, {
        onAccept: (response) => {
          if (!settle()) return;
          if (expires > 0) this.options.onFlowTimer?.(parseFlowTimer(response.message.getHeader('flow-timer')));
          resolve({ type: 'registered', expires: this.grantedExpires(response, expires) });
        },
        onReject: (response) => {
          if (!settle()) return;
          const outcome = intervalTooBrief(response);
          if (outcome) resolve(outcome);
          else reject(errorFromResponse(response, 'REGISTER'));
        },
        onRedirect: (response) => fail(errorFromResponse(response, 'REGISTER')),
      });
      this.inFlight = { request: outgoing, fail };
      if (signal?.aborted) stopWaiting();
      else signal?.addEventListener('abort', stopWaiting, { once: true });
    });
  }

  /**
   * The expiry the registrar granted our Contact: its `expires` param, else the Expires header, else what we asked.
   * Only delta-seconds count (anything else is as if absent); the machine caps the value.
   */
  private grantedExpires(response: IncomingResponse, asked: number): number {
    const message = response.message;
    const ours = this.userAgent.contact.uri;
    const count = message.getHeaders('contact').length;
    for (let index = 0; index < count; index++) {
      const contact = message.parseHeader('contact', index) as
        | { uri?: { user?: string; host?: string }; getParam(name: string): string | undefined }
        | undefined;
      if (contact && contact.uri?.user === ours.user) {
        const value = parseDeltaSeconds(contact.getParam('expires'));
        if (value !== undefined) return value;
      }
    }
    // sip.js computes NaN here and re-registers in a tight loop (its issue #932); we fall back instead.
    const header = parseDeltaSeconds(message.getHeader('expires'));
    if (header !== undefined) return header;
    if (asked > 0) this.logger.warn(`200 to REGISTER gave no expiry for our Contact; assuming the ${asked} s asked`);
    return asked;
  }
}

function intervalTooBrief(response: IncomingResponse): RegisterOutcome | undefined {
  if (response.message.statusCode !== 423) return undefined;
  // A Min-Expires that is not delta-seconds: a plain 423 (failed). One above MAX_EXPIRES_SEC: the machine refuses it.
  const minExpires = parseDeltaSeconds(response.message.getHeader('min-expires'));
  return minExpires !== undefined && minExpires > 0 ? { type: 'intervalTooBrief', minExpires } : undefined;
}
