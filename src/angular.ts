/**
 * Angular glue for sipstate: a client whose lifetime is tied to an injection context.
 *
 * The streams need no adapter in Angular, but they come in two kinds:
 *
 * - State streams replay their current value synchronously: `client.transport$`, `userAgent$`, `registration$`,
 *   `state$`, `calls$` and `call.state$`. Use `toSignal(stream, { requireSync: true })` (a value at once, never
 *   `undefined`) or the `async` pipe.
 * - Event streams do not replay: `client.incomingCalls$`, `messages$` and `call.dtmf$` have no current value, and
 *   `requireSync` would throw. Subscribe (in the constructor, with `takeUntilDestroyed()`), or use `toSignal` without
 *   `requireSync` for the latest event (`undefined` until the first).
 *
 * @example
 * ```ts
 * import { injectSipClient } from 'sipstate/angular';
 *
 * @Component({ template: `{{ registration().status }}` })
 * export class Phone {
 *   readonly client = injectSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com' });
 *   readonly registration = toSignal(this.client.registration$, { requireSync: true }); // state: replays
 *   readonly lastMessage = toSignal(this.client.messages$);                            // events: no requireSync
 * }
 * ```
 *
 * @module
 */
import { assertInInjectionContext, DestroyRef, inject, type Injector } from '@angular/core';
import { createSipClient, type SipClient } from './client';
import type { SipClientOptions } from './options';

/** Options of {@link injectSipClient} beyond the client's own. */
export interface InjectSipClientOptions {
  /**
   * Tie the client to this injector instead of the current injection context: needed when creating a client outside a
   * constructor or field initializer, e.g. from a button handler with an `EnvironmentInjector` you destroy yourself.
   */
  injector?: Injector;
}

/**
 * Creates a sipstate client (see `createSipClient`) that is disposed when the current component, directive, service
 * or injector is destroyed: every stream completes, timers stop, the socket is abandoned. Call it in an injection
 * context (a constructor or field initializer), or pass `{ injector }`.
 *
 * Throws `SipConfigError` synchronously for bad options, like `createSipClient`.
 *
 * @example
 * ```ts
 * export class Phone {
 *   readonly client = injectSipClient({ server: 'wss://sip.example.com', uri: 'sip:alice@example.com', register: true });
 *   readonly transport = toSignal(this.client.transport$, { requireSync: true });
 *   constructor() {
 *     this.client.start().catch(() => undefined); // failures are also in the streams
 *   }
 * }
 * ```
 */
export function injectSipClient(options: SipClientOptions, { injector }: InjectSipClientOptions = {}): SipClient {
  if (!injector) assertInInjectionContext(injectSipClient);
  const destroyRef = injector ? injector.get(DestroyRef) : inject(DestroyRef);
  const client = createSipClient(options);
  destroyRef.onDestroy(() => client.dispose());
  return client;
}
