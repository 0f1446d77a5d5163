import { createActor, type AnyActorRef } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import {
  callMachine,
  callStatusOf,
  DEFAULT_EXPIRES_SEC,
  DEFAULT_RECONNECT_POLICY,
  DEFAULT_REGISTRATION_RETRY_POLICY,
  DEFAULT_TRANSPORT_SERVERS,
  registrationMachine,
  registrationStatusOf,
  SipError,
  transportMachine,
  transportStatusOf,
  userAgentMachine,
  userAgentStatusOf,
  type RegistrationSnapshot,
  type TransportSnapshot,
} from '../../machines';

// Every exported machine runs as Stately's editor, a simulator or a newcomer would run it: `createActor(machine)`,
// no input, no `.provide()`. Each must start on the defaults its Input interface documents, not end in 'error'.

/** Lets the default actors (promises) settle, so a failure they cause shows in the snapshot. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 10));

const started: AnyActorRef[] = [];
afterEach(() => {
  for (const actor of started.splice(0)) actor.stop();
});
function run<T extends AnyActorRef>(actor: T): T {
  started.push(actor);
  actor.start();
  return actor;
}

describe('each machine runs alone, with no input', () => {
  it('transport: disconnected, on wss://sip.example.com and the default timings', async () => {
    const actor = run(createActor(transportMachine));
    await settle();
    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(transportStatusOf(snapshot)).toBe('disconnected');
    expect(snapshot.context).toMatchObject({
      servers: ['wss://sip.example.com'],
      reconnect: DEFAULT_RECONNECT_POLICY,
      connectTimeoutMs: 10_000,
      connectJitterMs: 0,
      keepAliveIntervalMs: 30_000,
      keepAliveTimeoutMs: 10_000,
    });
    expect(snapshot.context.servers).toEqual(DEFAULT_TRANSPORT_SERVERS);
  });

  it('transport: CONNECT with the default connectTransport fails the attempt and backs off, still active', async () => {
    const actor = run(createActor(transportMachine));
    actor.send({ type: 'CONNECT' });
    await settle();
    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(transportStatusOf(snapshot)).toBe('reconnecting');
    expect(snapshot.context.error).toBeInstanceOf(SipError);
    expect(snapshot.context.error?.message).toBe('transport: connectTransport actor not provided');
  });

  it('registration: unregistered, asking for 600 s with the default retry policy', async () => {
    const actor = run(createActor(registrationMachine));
    await settle();
    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(registrationStatusOf(snapshot)).toBe('unregistered');
    expect(DEFAULT_EXPIRES_SEC).toBe(600);
    expect(snapshot.context).toMatchObject({
      requestedExpires: 600,
      expires: 600,
      retry: DEFAULT_REGISTRATION_RETRY_POLICY,
      refreshWindow: [0.8, 0.9],
    });
  });

  it('user agent: stopped, its children on their own defaults, no auto-register', async () => {
    const actor = run(createActor(userAgentMachine));
    await settle();
    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    expect(userAgentStatusOf(snapshot)).toBe('stopped');
    expect(snapshot.context).toMatchObject({
      autoRegister: false,
      stopStepTimeoutMs: 5_000,
      transportInput: {},
      registrationInput: {},
    });
    const transport = actor.system.get('transport') as AnyActorRef;
    const registration = actor.system.get('registration') as AnyActorRef;
    expect((transport.getSnapshot() as TransportSnapshot).context.servers).toEqual(['wss://sip.example.com']);
    expect((registration.getSnapshot() as RegistrationSnapshot).context.expires).toBe(600);
  });

  it('call: an outgoing call in dialing, on the default timeouts, driven by session events', async () => {
    const actor = run(createActor(callMachine));
    await settle();
    let snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('active');
    // The default invite sends nothing and does not fail: the call waits for the responses, as events.
    expect(callStatusOf(snapshot)).toBe('dialing');
    expect(snapshot.context).toMatchObject({
      direction: 'outgoing',
      unansweredTimeoutMs: 60_000,
      holdRetryRangeMs: [500, 2000],
      maxHoldAttempts: 4,
      endingTimeoutMs: 10_000,
    });
    expect(snapshot.context.error).toBeUndefined();
    actor.send({ type: 'PROGRESS', earlyMedia: false });
    expect(callStatusOf(actor.getSnapshot())).toBe('ringing');
    actor.send({ type: 'ACCEPTED' });
    expect(callStatusOf(actor.getSnapshot())).toBe('active');
    actor.send({ type: 'HANGUP' });
    await settle();
    snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('done');
    expect(snapshot.context.reason).toBe('local-hangup');
  });

  it('call: an incoming call answers with the default answer actor', async () => {
    const actor = run(createActor(callMachine, { input: { direction: 'incoming' } }));
    expect(callStatusOf(actor.getSnapshot())).toBe('ringing');
    actor.send({ type: 'ANSWER' });
    await settle();
    expect(callStatusOf(actor.getSnapshot())).toBe('active');
  });
});
