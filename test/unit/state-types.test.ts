// Type-level: `npx tsc --noEmit` compiles this file (tsconfig includes test/), so a state type that makes a field a
// status guarantees optional again, or lets a field be read without narrowing, fails the type check. The runtime part
// checks that the values the selectors produce have those shapes.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  IdentityState,
  ReconnectPhase,
  RegistrationState,
  SipClientState,
  SipError,
  TransportState,
  UserAgentState,
} from '../../src/index';

type Of<T, S> = Extract<T, { status: S }>;

describe('public state types', () => {
  it('registration: what a status guarantees is not optional under it', () => {
    expectTypeOf<Of<RegistrationState, 'registered'>>().toEqualTypeOf<{
      status: 'registered';
      expires: number;
      expiresAt: number;
      refreshAt: number;
    }>();
    expectTypeOf<Of<RegistrationState, 'retrying'>['retryAt']>().toEqualTypeOf<number>();
    expectTypeOf<Of<RegistrationState, 'retrying'>['attempt']>().toEqualTypeOf<number>();
    expectTypeOf<Of<RegistrationState, 'retrying'>['error']>().toEqualTypeOf<SipError>();
    // the binding of a failed refresh may or may not still stand
    expectTypeOf<Of<RegistrationState, 'retrying'>['expiresAt']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Of<RegistrationState, 'failed'>['error']>().toEqualTypeOf<SipError>();
    expectTypeOf<Of<RegistrationState, 'unregistered'>['error']>().toEqualTypeOf<SipError | undefined>();
    expectTypeOf<RegistrationState['status']>().toEqualTypeOf<
      'unregistered' | 'registering' | 'registered' | 'unregistering' | 'retrying' | 'failed'
    >();
  });

  it('transport: reconnecting tells its phases apart; failed keeps its error', () => {
    expectTypeOf<TransportState['status']>().toEqualTypeOf<
      'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'failed'
    >();
    expectTypeOf<Of<TransportState, 'reconnecting'>['phase']>().toEqualTypeOf<ReconnectPhase>();
    expectTypeOf<ReconnectPhase>().toEqualTypeOf<'waiting' | 'attempting' | 'offline'>();
    type Waiting = Extract<TransportState, { phase: 'waiting' }>;
    expectTypeOf<Waiting['retryAt']>().toEqualTypeOf<number>();
    expectTypeOf<Waiting['error']>().toEqualTypeOf<SipError>();
    expectTypeOf<Waiting['attempt']>().toEqualTypeOf<number>();
    expectTypeOf<Of<TransportState, 'failed'>['error']>().toEqualTypeOf<SipError>();
    expectTypeOf<Of<TransportState, 'connected'>['server']>().toEqualTypeOf<string>();
    expectTypeOf<Of<TransportState, 'disconnected'>>().toEqualTypeOf<{ status: 'disconnected' }>();
  });

  it('the narrowing users write compiles under strict, and reading without it does not', () => {
    // Written as the README shows it; each function is type-checked, and run below on real values.
    const retryIn = (r: RegistrationState, now: number): number | undefined => {
      if (r.status === 'retrying') return r.retryAt - now;
      // @ts-expect-error retryAt is not there before checking the status
      void r.retryAt;
      return undefined;
    };
    const lapsesAt = (r: RegistrationState): number | undefined =>
      r.status === 'registered' ? r.expiresAt : undefined;
    const countdown = (t: TransportState, now: number): string => {
      if (t.status === 'reconnecting' && t.phase === 'waiting')
        return `attempt ${t.attempt} in ${t.retryAt - now} ms: ${t.error.message}`;
      if (t.status === 'reconnecting') {
        // @ts-expect-error only 'waiting' has a retryAt
        void t.retryAt;
        return t.phase;
      }
      if (t.status === 'failed') return t.error.message;
      return t.status;
    };
    const startError = (u: UserAgentState): SipError | undefined => (u.status === 'stopped' ? u.error : undefined);
    const who = (identity: IdentityState): string => (identity.anonymous ? 'anonymous' : identity.uri);
    expectTypeOf(startError).returns.toEqualTypeOf<SipError | undefined>();
    expectTypeOf<SipClientState['registration']>().toEqualTypeOf<RegistrationState>();

    expect(retryIn({ status: 'retrying', attempt: 1, retryAt: 1_500, error: new Error('x') as SipError }, 1_000)).toBe(
      500,
    );
    expect(retryIn({ status: 'registering' }, 1_000)).toBeUndefined();
    expect(lapsesAt({ status: 'registered', expires: 60, expiresAt: 61_000, refreshAt: 49_000 })).toBe(61_000);
    expect(countdown({ status: 'reconnecting', phase: 'offline', attempt: 0, server: 'wss://a' }, 0)).toBe('offline');
    expect(who({ anonymous: false, uri: 'sip:alice@example.com' })).toBe('sip:alice@example.com');
  });
});
