import type { Observable } from 'rxjs';
import type { UserAgentCommand } from '../../machines/user-agent.machine';
import type { Logger } from '../logger';
import type { LifecycleEvent, PlatformLifecycle } from '../platform/lifecycle';
import type { SipClientState, UserAgentState } from '../state';

/**
 * What one client does when its page or process wakes, hides, goes into the back/forward cache and comes back:
 *
 * - `wake` (a sleep, a freeze, the tab coming back, the network back): `CHECK_CONNECTION` to the transport (a
 *   keep-alive probe; a dead connection is given up and reconnected) and `CHECK_BINDING` to the registration (a binding past
 *   `expiresAt` is no longer 'registered' and is registered again at once; one past `refreshAt` is refreshed).
 * - `hidden` / `visible`: `PAGE_HIDDEN` / `PAGE_VISIBLE` to the registration (refreshes leave room for
 *   timers a minute late while hidden).
 * - `cached` (`pagehide` with `persisted`): a page with an open WebSocket cannot go into the back/forward cache, and
 *   one that does runs nothing there (no refresh, no keep-alive), so the client leaves: a best-effort unREGISTER is
 *   written to the socket and the socket closed, at once (nothing is awaited: the page is about to be frozen), then the
 *   machines are stopped (`STOP`, and `DISCONNECT` to the transport at once). Pending `start()`/`register()` promises settle as superseded.
 * - `restored` (`pageshow` with `persisted`): a client that was started (or starting) when cached starts again, and
 *   registers again if registration was wanted. Nothing else is started by the page coming back.
 *
 * The client listens only while its user agent is not stopped, or while it waits to be restored: a stopped client
 * keeps no watchdog running.
 *
 * @example
 * ```ts
 * const binding: LifecycleBinding = {
 *   sendTo: (child, event) => actor.system.get(child)?.send(event),
 *   command: (event) => actor.send(event),
 *   leaveForPageCache: (unregister) => runtime.leaveForPageCache(unregister),
 *   read: () => streams.read(),
 * };
 * ```
 */
export interface LifecycleBinding {
  /** Sends an event to the client's transport or registration machine (through the actor system). */
  sendTo(child: 'transport' | 'registration', event: { type: string }): void;
  /** Sends an application command to the client's root machine. */
  command(event: UserAgentCommand): void;
  /** Writes a best-effort unREGISTER (when `unregister`) and closes the socket, at once. */
  leaveForPageCache(unregister: boolean): void;
  /** The client's state now. */
  read(): SipClientState;
}

/**
 * Follows `lifecycle` for one client while `userAgent$` says it is in use; returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = followLifecycle(platformLifecycle(), streams.userAgent$, binding, logger);
 * ```
 */
export function followLifecycle(
  lifecycle: PlatformLifecycle,
  userAgent$: Observable<UserAgentState>,
  client: LifecycleBinding,
  logger: Logger,
): () => void {
  let unsubscribe: (() => void) | undefined;
  // Set while the page is in the back/forward cache and the client should come back with it.
  let restore: { register: boolean } | undefined;

  const onEvent = (event: LifecycleEvent): void => {
    const { userAgent, registration } = client.read();
    switch (event.type) {
      case 'wake':
        if (userAgent.status !== 'started') return;
        logger.debug(
          `woke (${event.reason}${event.lateByMs !== undefined ? `, timers ${event.lateByMs} ms late` : ''}): checking the connection and the binding`,
        );
        client.sendTo('transport', { type: 'CHECK_CONNECTION' });
        client.sendTo('registration', { type: 'CHECK_BINDING' });
        return;
      case 'hidden':
        client.sendTo('registration', { type: 'PAGE_HIDDEN' });
        return;
      case 'visible':
        client.sendTo('registration', { type: 'PAGE_VISIBLE' });
        return;
      case 'cached': {
        if (userAgent.status !== 'started' && userAgent.status !== 'starting') return;
        const wanted =
          registration.status === 'registered' ||
          registration.status === 'registering' ||
          registration.status === 'retrying';
        const bound =
          registration.status === 'registered' ||
          (registration.status === 'retrying' && registration.expiresAt !== undefined);
        logger.log('page going into the back/forward cache: unregistering and closing the connection');
        restore = { register: wanted };
        client.leaveForPageCache(bound);
        client.command({ type: 'STOP' });
        // At once, not after the unregister step of stopping: no keep-alive or reconnect timer may open a socket
        // before the page is frozen.
        client.sendTo('transport', { type: 'DISCONNECT' });
        return;
      }
      case 'restored': {
        const wanted = restore;
        restore = undefined;
        if (!wanted) return;
        logger.log('page restored from the back/forward cache: starting again');
        client.command({ type: wanted.register ? 'REGISTER' : 'START' });
        return;
      }
    }
  };

  const follow = (userAgent: UserAgentState): void => {
    const inUse = userAgent.status !== 'stopped' || restore !== undefined;
    if (inUse && !unsubscribe) {
      unsubscribe = lifecycle.subscribe(onEvent);
      // Hidden or not may have changed while nobody listened.
      client.sendTo('registration', { type: lifecycle.isHidden() ? 'PAGE_HIDDEN' : 'PAGE_VISIBLE' });
    } else if (!inUse && unsubscribe) {
      unsubscribe();
      unsubscribe = undefined;
    }
  };

  const subscription = userAgent$.subscribe(follow);
  return () => {
    subscription.unsubscribe();
    unsubscribe?.();
    unsubscribe = undefined;
  };
}
