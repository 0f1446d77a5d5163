import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import {
  callMachine,
  callStatusOf,
  isLocallyHeld,
  isRemotelyHeld,
  reasonForResponse,
  type CallInput,
} from '../../machines/call.machine';
import { SipError } from '../../src/errors';
import { controllable, flush } from '../support/fake-actors';

const environment = { now: () => Date.now(), random: () => 0.5 };

function setup(input: Partial<CallInput> & Pick<CallInput, 'direction'>) {
  const invite = controllable<void>();
  const answer = controllable<void>();
  const reject = controllable<void, { code: number }>();
  const cancel = controllable<void>();
  const bye = controllable<void>();
  const reinvite = controllable<void, { hold: boolean }>();
  const dtmf = controllable<void, { digits: string }>();
  const refer = controllable<void, { target: string }>();
  const effects: string[] = [];
  const machine = callMachine.provide({
    actors: {
      invite: invite.logic,
      answer: answer.logic,
      reject: reject.logic,
      cancel: cancel.logic,
      bye: bye.logic,
      reinvite: reinvite.logic,
      sendDtmf: dtmf.logic,
      refer: refer.logic,
    },
    actions: {
      sendRinging: () => effects.push('ringing'),
      applyMute: (_, params) => effects.push(params.muted ? 'mute' : 'unmute'),
      release: () => effects.push('release'),
    },
  });
  const actor = createActor(machine, {
    input: {
      unansweredTimeoutMs: 30_000,
      holdRetryDelayMs: [1000, 3000],
      endingTimeoutMs: 5000,
      environment,
      ...input,
    },
  }).start();
  return {
    actor,
    invite,
    answer,
    reject,
    cancel,
    bye,
    reinvite,
    dtmf,
    refer,
    effects,
    status: () => callStatusOf(actor.getSnapshot()),
    context: () => actor.getSnapshot().context,
  };
}

type Harness = ReturnType<typeof setup>;

async function activeOutgoing(): Promise<Harness> {
  const c = setup({ direction: 'outgoing' });
  c.invite.last.resolve();
  c.actor.send({ type: 'ACCEPTED' });
  await flush();
  return c;
}

async function activeIncoming(): Promise<Harness> {
  const c = setup({ direction: 'incoming' });
  c.actor.send({ type: 'ANSWER' });
  c.answer.last.resolve();
  await flush();
  return c;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(5_000_000);
});
afterEach(() => vi.useRealTimers());

describe('call machine: outgoing', () => {
  it('dials, rings, is answered, and ends with a local hangup (BYE)', async () => {
    const c = setup({ direction: 'outgoing' });
    expect(c.status()).toBe('dialing');
    expect(c.invite.calls).toHaveLength(1);
    expect(c.context()).toMatchObject({ direction: 'outgoing', startedAt: 5_000_000, muted: false });
    c.invite.last.resolve();
    c.actor.send({ type: 'PROGRESS', earlyMedia: false });
    expect(c.status()).toBe('ringing');
    vi.setSystemTime(5_002_000);
    c.actor.send({ type: 'ACCEPTED' });
    expect(c.status()).toBe('active');
    expect(c.context().answeredAt).toBe(5_002_000);
    vi.setSystemTime(5_010_000);
    c.actor.send({ type: 'HANGUP' });
    expect(c.status()).toBe('ending');
    expect(c.bye.calls).toHaveLength(1);
    c.bye.last.resolve();
    await flush();
    expect(c.status()).toBe('ended');
    expect(c.context()).toMatchObject({ reason: 'local-hangup', endedAt: 5_010_000 });
    expect(c.effects).toEqual(['release']);
    expect(c.actor.getSnapshot().status).toBe('done');
  });

  it('goes to early media on 183 with SDP, from dialing or ringing', () => {
    const a = setup({ direction: 'outgoing' });
    a.actor.send({ type: 'PROGRESS', earlyMedia: true });
    expect(a.status()).toBe('early-media');
    const b = setup({ direction: 'outgoing' });
    b.actor.send({ type: 'PROGRESS', earlyMedia: false });
    b.actor.send({ type: 'PROGRESS', earlyMedia: true });
    expect(b.status()).toBe('early-media');
    b.actor.send({ type: 'PROGRESS', earlyMedia: false });
    expect(b.status()).toBe('early-media');
    b.actor.send({ type: 'ACCEPTED' });
    expect(b.status()).toBe('active');
  });

  it.each([
    [486, 'busy'],
    [600, 'busy'],
    [603, 'declined'],
    [404, 'not-found'],
    [408, 'unanswered'],
    [487, 'cancelled'],
  ] as const)('ends on %i as %s', (code, reason) => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'PROGRESS', earlyMedia: false });
    c.actor.send({ type: 'REJECTED', code });
    expect(c.status()).toBe('ended');
    expect(c.context()).toMatchObject({ reason, code });
    expect(c.context().error).toBeUndefined();
  });

  it('ends failed with the SIP code on any other final response', () => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'REJECTED', code: 503, reasonPhrase: 'Service Unavailable' });
    expect(c.context()).toMatchObject({ reason: 'failed', code: 503, error: { kind: 'rejected', code: 503 } });
    expect(reasonForResponse(480)).toBe('failed');
  });

  it('ends failed when the INVITE cannot be sent', async () => {
    const c = setup({ direction: 'outgoing' });
    c.invite.last.reject(new SipError('transport', 'not connected'));
    await flush();
    expect(c.context()).toMatchObject({ reason: 'failed', error: { kind: 'transport' } });
  });

  it('cancels when hung up before an answer', async () => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'PROGRESS', earlyMedia: false });
    c.actor.send({ type: 'HANGUP' });
    expect(c.status()).toBe('ending');
    expect(c.cancel.calls).toHaveLength(1);
    expect(c.bye.calls).toHaveLength(0);
    // a 200 racing the CANCEL does not make it active (sip.js ACKs and BYEs it)
    c.actor.send({ type: 'ACCEPTED' });
    expect(c.status()).toBe('ending');
    c.cancel.last.resolve();
    await flush();
    expect(c.context().reason).toBe('cancelled');
    expect(c.status()).toBe('ended');
  });

  it('cancels as unanswered after the unanswered timeout', async () => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'PROGRESS', earlyMedia: false });
    await vi.advanceTimersByTimeAsync(29_999);
    expect(c.status()).toBe('ringing');
    await vi.advanceTimersByTimeAsync(1);
    expect(c.cancel.calls).toHaveLength(1);
    c.actor.send({ type: 'REJECTED', code: 487 });
    expect(c.status()).toBe('ended');
    expect(c.context().reason).toBe('unanswered');
  });

  it('is ended by the ending timeout when a CANCEL hears nothing back', async () => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'HANGUP' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.status()).toBe('ended');
    expect(c.context().reason).toBe('cancelled');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends failed when the connection drops before an answer', () => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'CONNECTION_LOST', error: new SipError('transport', 'gone') });
    expect(c.context()).toMatchObject({ reason: 'failed', error: { kind: 'transport', message: 'gone' } });
  });

  it('ends failed when sip.js terminates the session unexpectedly', () => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'TERMINATED' });
    expect(c.context()).toMatchObject({ reason: 'failed', error: { kind: 'transport' } });
  });
});

describe('call machine: incoming', () => {
  it('rings (sending 180), answers, and ends with a remote hangup', async () => {
    const c = setup({ direction: 'incoming' });
    expect(c.status()).toBe('ringing');
    expect(c.effects).toEqual(['ringing']);
    c.actor.send({ type: 'ANSWER' });
    expect(c.status()).toBe('answering');
    c.actor.send({ type: 'ANSWER' });
    expect(c.answer.calls).toHaveLength(1);
    c.answer.last.resolve();
    await flush();
    expect(c.status()).toBe('active');
    c.actor.send({ type: 'REMOTE_BYE' });
    expect(c.context().reason).toBe('remote-hangup');
    expect(c.bye.calls).toHaveLength(0);
  });

  it('rejects with 603 by default, or the code given', async () => {
    const a = setup({ direction: 'incoming' });
    a.actor.send({ type: 'REJECT' });
    expect(a.status()).toBe('ending');
    expect(a.reject.last.input).toEqual({ code: 603 });
    a.reject.last.resolve();
    await flush();
    expect(a.context()).toMatchObject({ reason: 'rejected' });
    const b = setup({ direction: 'incoming' });
    b.actor.send({ type: 'REJECT', code: 486 });
    expect(b.reject.last.input).toEqual({ code: 486 });
  });

  it('treats hangup while ringing as a rejection', () => {
    const c = setup({ direction: 'incoming' });
    c.actor.send({ type: 'HANGUP' });
    expect(c.reject.last.input).toEqual({ code: 603 });
  });

  it('is missed when the caller cancels', () => {
    const c = setup({ direction: 'incoming' });
    c.actor.send({ type: 'REMOTE_CANCEL' });
    expect(c.status()).toBe('ended');
    expect(c.context().reason).toBe('missed');
    expect(c.reject.calls).toHaveLength(0);
  });

  it('is missed, rejected with 480, when left unanswered', async () => {
    const c = setup({ direction: 'incoming' });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.reject.last.input).toEqual({ code: 480 });
    c.reject.last.resolve();
    await flush();
    expect(c.context().reason).toBe('missed');
  });

  it('sends the BYE after the answer completes when hung up while answering', async () => {
    const c = setup({ direction: 'incoming' });
    c.actor.send({ type: 'ANSWER' });
    c.actor.send({ type: 'HANGUP' });
    expect(c.status()).toBe('answering');
    c.answer.last.resolve();
    await flush();
    expect(c.status()).toBe('ending');
    expect(c.bye.calls).toHaveLength(1);
    expect(c.context().reason).toBe('local-hangup');
  });

  it("ends remote-hangup, answered, when the peer's BYE comes before the answer has completed", () => {
    const c = setup({ direction: 'incoming' });
    c.actor.send({ type: 'ANSWER' });
    expect(c.status()).toBe('answering');
    c.actor.send({ type: 'REMOTE_BYE' });
    expect(c.status()).toBe('ended');
    expect(c.context().reason).toBe('remote-hangup');
    expect(c.context().answeredAt).toBeTypeOf('number');
    // sip.js ends the session right after: that is no failure.
    c.actor.send({ type: 'TERMINATED' });
    expect(c.context().reason).toBe('remote-hangup');
  });

  it('ends failed when the answer fails', async () => {
    const c = setup({ direction: 'incoming' });
    c.actor.send({ type: 'ANSWER' });
    c.answer.last.reject(new SipError('transport', 'ACK timeout'));
    await flush();
    expect(c.context()).toMatchObject({ reason: 'failed', error: { message: 'ACK timeout' } });
  });

  it('ignores commands that make no sense for the state', () => {
    const c = setup({ direction: 'incoming' });
    const snapshot = c.actor.getSnapshot();
    expect(snapshot.can({ type: 'HOLD' })).toBe(false);
    expect(snapshot.can({ type: 'SEND_DTMF', digits: '1' })).toBe(false);
    expect(snapshot.can({ type: 'ANSWER' })).toBe(true);
    const out = setup({ direction: 'outgoing' });
    expect(out.actor.getSnapshot().can({ type: 'ANSWER' })).toBe(false);
    expect(out.actor.getSnapshot().can({ type: 'REJECT' })).toBe(false);
  });
});

describe('call machine: active', () => {
  it('holds and unholds with re-INVITEs', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'HOLD' });
    expect(c.reinvite.last.input).toEqual({ hold: true });
    expect(isLocallyHeld(c.actor.getSnapshot())).toBe(false);
    c.reinvite.last.resolve();
    await flush();
    expect(isLocallyHeld(c.actor.getSnapshot())).toBe(true);
    c.actor.send({ type: 'HOLD' });
    expect(c.reinvite.calls).toHaveLength(1);
    c.actor.send({ type: 'UNHOLD' });
    expect(c.reinvite.last.input).toEqual({ hold: false });
    c.reinvite.last.resolve();
    await flush();
    expect(isLocallyHeld(c.actor.getSnapshot())).toBe(false);
  });

  it('retries a hold answered 491 or 500 after the named delay, then gives up', async () => {
    const c = await activeIncoming();
    c.actor.send({ type: 'HOLD' });
    c.reinvite.last.reject(new SipError('rejected', '500', { code: 500 }));
    await flush();
    expect(c.context().holdRetryDelayMs).toBe(2000);
    await vi.advanceTimersByTimeAsync(1999);
    expect(c.reinvite.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.reinvite.calls).toHaveLength(2);
    c.reinvite.last.reject(new SipError('rejected', '491', { code: 491 }));
    await flush();
    await vi.advanceTimersByTimeAsync(2000);
    c.reinvite.last.reject(new SipError('rejected', '491', { code: 491 }));
    await flush();
    await vi.advanceTimersByTimeAsync(2000);
    expect(c.reinvite.calls).toHaveLength(4);
    c.reinvite.last.reject(new SipError('rejected', '491', { code: 491 }));
    await flush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.reinvite.calls).toHaveLength(4);
    expect(isLocallyHeld(c.actor.getSnapshot())).toBe(false);
    expect(c.context().holdError?.code).toBe(491);
  });

  it('does not retry a hold rejected with another code', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'HOLD' });
    c.reinvite.last.reject(new SipError('rejected', '488', { code: 488 }));
    await flush();
    expect(c.context().holdError?.code).toBe(488);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries an unhold too, and UNHOLD during a hold retry wait abandons the hold', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'HOLD' });
    c.reinvite.last.reject(new SipError('rejected', '500', { code: 500 }));
    await flush();
    c.actor.send({ type: 'UNHOLD' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.reinvite.calls).toHaveLength(1);
    c.actor.send({ type: 'HOLD' });
    c.reinvite.last.resolve();
    await flush();
    c.actor.send({ type: 'UNHOLD' });
    c.reinvite.last.reject(new SipError('rejected', '491', { code: 491 }));
    await flush();
    expect(isLocallyHeld(c.actor.getSnapshot())).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(c.reinvite.last.input).toEqual({ hold: false });
    c.reinvite.last.resolve();
    await flush();
    expect(isLocallyHeld(c.actor.getSnapshot())).toBe(false);
  });

  it('tracks the remote hold separately', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'REMOTE_HOLD', held: true });
    expect(isRemotelyHeld(c.actor.getSnapshot())).toBe(true);
    expect(isLocallyHeld(c.actor.getSnapshot())).toBe(false);
    c.actor.send({ type: 'REMOTE_HOLD', held: false });
    expect(isRemotelyHeld(c.actor.getSnapshot())).toBe(false);
  });

  it('mutes and unmutes in any live state, through the applyMute action', async () => {
    const c = setup({ direction: 'outgoing' });
    c.actor.send({ type: 'MUTE' });
    expect(c.context().muted).toBe(true);
    c.invite.last.resolve();
    c.actor.send({ type: 'ACCEPTED' });
    c.actor.send({ type: 'UNMUTE' });
    expect(c.context().muted).toBe(false);
    expect(c.effects).toEqual(['mute', 'unmute']);
  });

  it('sends DTMF and reports each result by sequence number', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'SEND_DTMF', digits: '12#' });
    expect(c.dtmf.last.input).toEqual({ digits: '12#' });
    expect(c.context().dtmfSeq).toBe(1);
    c.dtmf.last.resolve();
    await flush();
    expect(c.context().dtmfResult).toEqual({ seq: 1 });
    c.actor.send({ type: 'SEND_DTMF', digits: '9' });
    c.dtmf.last.reject(new SipError('rejected', '415', { code: 415 }));
    await flush();
    expect(c.context().dtmfResult).toMatchObject({ seq: 2, error: { code: 415 } });
  });

  it('transfers blind: REFER accepted, then BYE, ended as transferred', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'TRANSFER', target: 'sip:carol@x.test' });
    expect(c.refer.last.input).toEqual({ target: 'sip:carol@x.test' });
    c.refer.last.resolve();
    await flush();
    expect(c.status()).toBe('ending');
    c.bye.last.resolve();
    await flush();
    expect(c.context()).toMatchObject({ reason: 'transferred', transferResult: { seq: 1 } });
  });

  it('stays active when the REFER is refused', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'TRANSFER', target: 'sip:carol@x.test' });
    c.refer.last.reject(new SipError('rejected', '403', { code: 403 }));
    await flush();
    expect(c.status()).toBe('active');
    expect(c.context().transferResult).toMatchObject({ seq: 1, error: { code: 403 } });
  });

  it('ends as transferred on the BYE that follows a REFER from the peer', async () => {
    const c = await activeIncoming();
    c.actor.send({ type: 'REFERRED' });
    c.actor.send({ type: 'REMOTE_BYE' });
    expect(c.context().reason).toBe('transferred');
  });

  it('reports a connection drop without ending the call, and its return', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'CONNECTION_LOST' });
    expect(c.status()).toBe('active');
    expect(c.context().interrupted).toBe(true);
    c.actor.send({ type: 'CONNECTION_RESTORED' });
    expect(c.context().interrupted).toBe(false);
  });

  it('is ended by the ending timeout when a BYE hears nothing back', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'HANGUP' });
    c.actor.send({ type: 'HANGUP' });
    expect(c.bye.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.status()).toBe('ended');
    expect(c.context().reason).toBe('local-hangup');
  });

  it('ends failed when sip.js terminates an established session', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'TERMINATED', error: new SipError('timeout', 'ACK timeout') });
    expect(c.context()).toMatchObject({ reason: 'failed', error: { kind: 'timeout' } });
  });

  it('leaves no timer running once ended', async () => {
    const c = await activeOutgoing();
    c.actor.send({ type: 'HOLD' });
    c.reinvite.last.reject(new SipError('rejected', '500', { code: 500 }));
    await flush();
    expect(vi.getTimerCount()).toBe(1);
    c.actor.send({ type: 'REMOTE_BYE' });
    expect(vi.getTimerCount()).toBe(0);
  });
});
