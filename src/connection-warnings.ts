import type { Observable, Subscription } from 'rxjs';
import type { Logger } from './logger';
import type { SipError } from './errors';
import type { TransportState } from './state';

/**
 * Logs each connection failure at warn, once: a failed attempt or a lost connection with what happens next, and the
 * transport giving up. Without it a start that failed for good left nothing in the log, not even at debug.
 *
 * @example
 * ```ts
 * const subscription = warnConnectionFailures(transport$, logger);
 * // "connection to wss://sip.example.com failed: WebSocket ... failed to open (code 1006); attempt 2 in 1.3 s"
 * ```
 */
export function warnConnectionFailures(transport$: Observable<TransportState>, logger: Logger): Subscription {
  // The error instance last reported: a state re-emitted with the same error (e.g. waiting, then attempting) is not
  // a new failure.
  let reported: SipError | undefined;
  return transport$.subscribe((transport) => {
    if (transport.status !== 'reconnecting' && transport.status !== 'failed') return;
    const { error } = transport;
    if (!error || error === reported) return;
    reported = error;
    const next =
      transport.status === 'failed'
        ? `gave up after ${transport.attempt} reconnection attempts; reconnect() tries once more, start() starts over`
        : transport.phase === 'waiting'
          ? `attempt ${transport.attempt} in ${(Math.max(0, transport.retryAt - Date.now()) / 1000).toFixed(1)} s`
          : transport.phase === 'offline'
            ? 'waiting for the network'
            : `attempt ${transport.attempt} now`;
    logger.warn(`connection failed: ${error.message}; ${next}`);
  });
}
