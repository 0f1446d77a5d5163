import type { Core } from 'sip.js';
import type { SipError } from '../errors';
import { connectionLostError, errorFromResponse } from './response-error';

interface Entry {
  readonly what: string;
  readonly request: { dispose(): void };
  readonly fail: (error: SipError) => void;
}

/**
 * The requests of one user agent still waiting for their final response (MESSAGE, and a call's BYE, re-INVITE, INFO
 * and REFER). When the connection is lost none of them can be answered: the response would come back over the
 * connection that is gone. `abandonAll()` ends each at once with kind `transport`, as the REGISTER channel does with
 * its transaction, where sip.js would wait for Timer F (32 s) and then report a 408.
 *
 * @example
 * ```ts
 * const untrack = inFlight.track('MESSAGE', outgoing, (error) => reject(error));
 * // on the final response: untrack();  on connection loss: inFlight.abandonAll();
 * ```
 */
export class InFlightRequests {
  readonly #entries = new Set<Entry>();

  /** Requests waiting now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Tracks `request` until the returned function is called (on its final response). */
  track(what: string, request: { dispose(): void }, fail: (error: SipError) => void): () => void {
    const entry: Entry = { what, request, fail };
    this.#entries.add(entry);
    return () => {
      this.#entries.delete(entry);
    };
  }

  /** Ends every request waiting: disposes its transaction (no retransmission, no Timer F), fails it (`transport`). */
  abandonAll(reason?: string): void {
    const entries = [...this.#entries];
    this.#entries.clear();
    for (const entry of entries) {
      try {
        entry.request.dispose();
      } catch {
        // the transaction may already be gone
      }
      entry.fail(connectionLostError(entry.what, reason));
    }
  }
}

/** The requestDelegate of a non-INVITE or in-dialog request: every final response settles it. */
export interface FinalResponseDelegate {
  onAccept(): void;
  onReject(response: Core.IncomingResponse): void;
  onRedirect(response: Core.IncomingResponse): void;
}

/**
 * One request's outcome, settled once: by its final response (a 2xx resolves; any other, a 3xx included, rejects with
 * the one response mapping), or by {@link InFlightRequests.abandonAll} once it is tracked. Whatever settles first wins,
 * and settling stops the tracking.
 *
 * @example
 * ```ts
 * new Promise<void>((resolve, reject) => {
 *   const outcome = requestOutcome('MESSAGE to sip:bob@example.com', resolve, reject);
 *   const outgoing = core.request(message, outcome.delegate);
 *   outcome.trackWith((fail) => inFlight.track(outcome.what, outgoing, fail));
 * });
 * ```
 */
export function requestOutcome(
  what: string,
  resolve: () => void,
  reject: (error: SipError) => void,
): {
  readonly what: string;
  delegate: FinalResponseDelegate;
  settle(error?: SipError): void;
  trackWith(track: (fail: (error: SipError) => void) => () => void): void;
} {
  let settled = false;
  let untrack = (): void => {};
  const settle = (error?: SipError): void => {
    if (settled) return;
    settled = true;
    untrack();
    if (error) reject(error);
    else resolve();
  };
  return {
    what,
    settle,
    delegate: {
      onAccept: () => settle(),
      onReject: (response) => settle(errorFromResponse(response, what)),
      onRedirect: (response) => settle(errorFromResponse(response, what)),
    },
    trackWith: (track) => {
      if (!settled) untrack = track(settle);
    },
  };
}
