import { AsyncPipe } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  createEnvironmentInjector,
  DestroyRef,
  EnvironmentInjector,
  inject,
  signal,
} from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { BehaviorSubject, distinctUntilChanged, interval, map, of, startWith, switchMap } from 'rxjs';
import type { SipClient, SipClientOptions, SipError } from 'sipstate';
import { injectSipClient } from 'sipstate/angular';

interface Settings {
  server: string;
  uri: string;
  username: string;
  password: string;
}

// Short delays so that a restarted server is found again within seconds (the default backs off up to 30 s).
const RECONNECT: SipClientOptions['reconnect'] = { initialDelayMs: 2_000, maxDelayMs: 4_000 };

function toOptions(settings: Settings): SipClientOptions {
  return {
    server: settings.server.trim(),
    uri: settings.uri.trim(),
    ...(settings.username && { authorizationUsername: settings.username }),
    ...(settings.password && { authorizationPassword: settings.password }),
    reconnect: RECONNECT,
  };
}

const same = (a: Settings, b: Settings) => (Object.keys(a) as (keyof Settings)[]).every((key) => a[key] === b[key]);
const ignore = () => undefined; // commands also report failures in the streams: nothing more to do with a rejection

@Component({
  selector: 'app-root',
  imports: [AsyncPipe],
  templateUrl: './app.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  private readonly environment = inject(EnvironmentInjector);
  /** Owns the current client: destroying it disposes the client (injectSipClient ties the two together). */
  private scope?: EnvironmentInjector;
  private readonly session = new BehaviorSubject<{ client: SipClient; settings: Settings } | undefined>(undefined);

  readonly settings = signal<Settings>({
    server: 'ws://127.0.0.1:8080',
    uri: 'sip:alice@sipstate.test',
    username: 'alice',
    password: '',
  });
  readonly formError = signal<string | undefined>(undefined);
  readonly hasClient = toSignal(this.session.pipe(map(Boolean)), { requireSync: true });

  // The current client's streams. Each replays its value synchronously, so `requireSync` holds and the async pipe
  // never shows a null first; switchMap moves to the new client's streams when the form is applied again.
  readonly transport$ = this.session.pipe(switchMap((session) => session?.client.transport$ ?? of(undefined)));
  readonly userAgent = toSignal(
    this.session.pipe(switchMap((session) => session?.client.userAgent$ ?? of(undefined))),
    {
      requireSync: true,
    },
  );
  readonly registration = toSignal(
    this.session.pipe(switchMap((session) => session?.client.registration$ ?? of(undefined))),
    {
      requireSync: true,
    },
  );

  /** `Date.now()` for the countdowns, ticking only while a retry or refresh is pending. */
  readonly now = toSignal(
    this.session.pipe(
      switchMap((session) => session?.client.state$ ?? of(undefined)),
      map(
        (state) =>
          state !== undefined &&
          ((state.transport.status === 'reconnecting' && state.transport.phase === 'waiting') ||
            state.registration.status === 'retrying' ||
            state.registration.status === 'registered'),
      ),
      distinctUntilChanged(),
      switchMap((ticking) => (ticking ? interval(200).pipe(startWith(0)) : of(0))),
      map(() => Date.now()),
    ),
    { requireSync: true },
  );

  readonly seconds = (epochMs: number) => `${(Math.max(0, epochMs - this.now()) / 1000).toFixed(1)} s`;
  readonly clock = (epochMs: number) => new Date(epochMs).toLocaleTimeString();
  readonly describeError = (error: SipError) => `${error.kind}${error.code ? ` ${error.code}` : ''}: ${error.message}`;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.scope?.destroy());
  }

  update(key: keyof Settings, event: Event): void {
    const value = (event.target as HTMLInputElement).value;
    this.settings.update((settings) => ({ ...settings, [key]: value }));
  }

  start(event: Event): void {
    event.preventDefault();
    this.applySettings()?.start().catch(ignore);
  }

  register(): void {
    this.applySettings()?.register().catch(ignore);
  }

  unregister(): void {
    this.session.value?.client.unregister().catch(ignore);
  }

  stop(): void {
    this.session.value?.client.stop().catch(ignore);
  }

  /** The client for the current form: the running one, or a new one when the form changed. */
  private applySettings(): SipClient | undefined {
    const settings = this.settings();
    const current = this.session.value;
    if (current && same(current.settings, settings)) return current.client;
    const scope = createEnvironmentInjector([], this.environment);
    try {
      const client = injectSipClient(toOptions(settings), { injector: scope });
      const previous = this.scope;
      this.scope = scope;
      this.session.next({ client, settings });
      previous?.destroy(); // disposes the previous client
      this.formError.set(undefined);
      return client;
    } catch (error) {
      scope.destroy();
      this.formError.set((error as Error).message); // SipConfigError names the field
      return undefined;
    }
  }
}
