import { createEnvironmentInjector, type EnvironmentInjector, Injector, runInInjectionContext } from '@angular/core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { injectSipClient } from '../../src/angular';
import type { SipClientOptions } from '../../src/index';

const options: SipClientOptions = { server: 'ws://127.0.0.1:9', uri: 'sip:alice@example.com', webSocket: WebSocket };

/** A root environment injector, as an Angular application has; no compiler or platform needed. */
const rootInjector = (): EnvironmentInjector => Injector.create({ providers: [] }) as EnvironmentInjector;

function completes(stream$: { subscribe(observer: { complete(): void }): unknown }): () => boolean {
  let completed = false;
  stream$.subscribe({ complete: () => (completed = true) });
  return () => completed;
}

describe('injectSipClient (sipstate/angular)', () => {
  it('disposes the client when the injection context it was created in is destroyed', () => {
    const scope = createEnvironmentInjector([], rootInjector());
    const client = runInInjectionContext(scope, () => injectSipClient(options));
    const transportDone = completes(client.transport$);
    const registrationDone = completes(client.registration$);
    expect(client.getState().userAgent.status).toBe('stopped');
    expect(transportDone()).toBe(false);
    scope.destroy();
    expect(transportDone()).toBe(true);
    expect(registrationDone()).toBe(true);
  });

  it('takes an injector to tie the client to outside an injection context', () => {
    const scope = createEnvironmentInjector([], rootInjector());
    const client = injectSipClient(options, { injector: scope });
    const done = completes(client.state$);
    scope.destroy();
    expect(done()).toBe(true);
  });

  it('throws outside an injection context without an injector, and for bad options like createSipClient', () => {
    expect(() => injectSipClient(options)).toThrow(/injection context/);
    const scope = createEnvironmentInjector([], rootInjector());
    expect(() => injectSipClient({ ...options, expires: 0 }, { injector: scope })).toThrow(
      /`expires` must be an integer from 1 to 86400/,
    );
    scope.destroy();
  });
});
