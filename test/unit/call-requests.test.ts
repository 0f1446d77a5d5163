/**
 * A call's in-dialog requests (here the hold re-INVITE) settle through the one response mapping, and one in flight
 * when the connection drops fails at once with kind transport, through the same InFlightRequests the client's runtime
 * abandons on connection loss. A fake sip.js session: no user agent, no socket.
 */
import { describe, expect, it, vi } from 'vitest';
import { createCall, type CallDependencies } from '../../src/call';
import { SipError } from '../../src/errors';
import type { Logger } from '../../src/logger';
import { InFlightRequests } from '../../src/sip/in-flight';
import { fakeInvitation } from '../support/fake-invitation';

const silent: Logger = { debug: vi.fn(), log: vi.fn(), warn: vi.fn(), error: vi.fn() };

async function activeCall() {
  const { invitation, reinvites } = fakeInvitation();
  const inFlight = new InFlightRequests();
  const deps: CallDependencies = {
    logger: silent,
    unansweredTimeoutMs: 60_000,
    dtmfMethod: 'info',
    normalizeTarget: (target) => target,
    followTransfer: () => undefined,
    trackRequest: (what, request, fail) => inFlight.track(what, request, fail),
  };
  const handle = createCall(invitation, { uri: 'sip:alice@example.com' }, deps);
  await handle.call.answer();
  expect(handle.call.getState().status).toBe('active');
  return { call: handle.call, reinvites, inFlight };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("a call's in-dialog requests", () => {
  it('a hold re-INVITE in flight when the connection drops rejects kind transport at once; the call stays', async () => {
    const { call, reinvites, inFlight } = await activeCall();
    const holding = call.hold();
    await tick();
    expect(reinvites).toHaveLength(1);
    expect(inFlight.size).toBe(1);
    inFlight.abandonAll();
    const error = await holding.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SipError);
    expect(error).toMatchObject({ kind: 'transport' });
    expect(reinvites[0]!.disposed).toBe(true);
    expect(call.getState()).toMatchObject({ status: 'active', localHold: false });
  });

  it('a final response maps through the one mapping (488 rejected, with its code), and is untracked', async () => {
    const { call, reinvites, inFlight } = await activeCall();
    const holding = call.hold();
    await tick();
    reinvites[0]!.delegate.onReject({ message: { statusCode: 488, reasonPhrase: 'Not Acceptable Here', callId: 'c' } });
    await expect(holding).rejects.toMatchObject({
      kind: 'rejected',
      code: 488,
      message: 'Hold rejected: 488 Not Acceptable Here',
    });
    expect(inFlight.size).toBe(0);
    // a later connection loss touches nothing that already settled
    inFlight.abandonAll();
    expect(reinvites[0]!.disposed).toBe(false);
  });

  it('accepted: resolves, and is no longer tracked', async () => {
    const { call, reinvites, inFlight } = await activeCall();
    const holding = call.hold();
    await tick();
    reinvites[0]!.delegate.onAccept();
    await expect(holding).resolves.toBeUndefined();
    expect(inFlight.size).toBe(0);
    expect(call.getState().localHold).toBe(true);
  });
});
