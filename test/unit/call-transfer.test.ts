import type { Invitation, Referral } from 'sip.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createCall,
  TRANSFER_DECISION_TIMEOUT_MS,
  type CallDependencies,
  type CallHandle,
  type TransferDecider,
  type TransferRequest,
} from '../../src/call';
import type { Logger } from '../../src/logger';
import { fakeInvitation } from '../support/fake-invitation';

/** An incoming REFER: its headers, and the answers sipstate gives it (202 or the reject code). */
function fakeReferral(headers: Record<string, string[]>) {
  const answers: number[] = [];
  const referral = {
    request: { getHeaders: (name: string) => headers[name.toLowerCase()] ?? [] },
    accept: vi.fn(async () => {
      answers.push(202);
    }),
    reject: vi.fn(async (options?: { statusCode?: number }) => {
      answers.push(options?.statusCode ?? 480);
    }),
  };
  return { referral: referral as unknown as Referral, answers };
}

const silent: Logger = { debug: vi.fn(), log: vi.fn(), warn: vi.fn(), error: vi.fn() };

interface Harness {
  handle: CallHandle;
  invitation: Invitation;
  followed: string[];
  asked: TransferRequest[];
  refer(headers: Record<string, string[]>): number[];
}

/** An incoming call, answered (active), whose client follows transfers into `followed`. */
async function activeCall(acceptTransfer?: TransferDecider): Promise<Harness> {
  const { invitation } = fakeInvitation();
  const followed: string[] = [];
  const asked: TransferRequest[] = [];
  const deps: CallDependencies = {
    logger: silent,
    unansweredTimeoutMs: 60_000,
    dtmfMethod: 'info',
    normalizeTarget: (target) => target,
    ...(acceptTransfer && {
      acceptTransfer: (request: TransferRequest) => {
        asked.push(request);
        return acceptTransfer(request);
      },
    }),
    followTransfer: (target) => followed.push(target),
  };
  const handle = createCall(invitation, { uri: 'sip:alice@example.com' }, deps);
  await handle.call.answer();
  expect(handle.call.getState().status).toBe('active');
  const refer = (headers: Record<string, string[]>): number[] => {
    const { referral, answers } = fakeReferral(headers);
    invitation.delegate!.onRefer!(referral);
    return answers;
  };
  return { handle, invitation, followed, asked, refer };
}

const TO_CAROL = { 'refer-to': ['<sip:carol@example.com;transport=ws>'] };

/** Lets promise callbacks (the application's answer, the decision) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe("a REFER from the peer is the application's decision", () => {
  it('without calls.acceptTransfer it is declined 603 at once and nothing is dialled', async () => {
    const { handle, followed, refer } = await activeCall();
    const answers = refer(TO_CAROL);
    expect(answers).toEqual([603]);
    await settle();
    expect(followed).toEqual([]);
    expect(handle.call.getState().status).toBe('active');
  });

  it("accepted (true): 202, then one new call to the rebuilt target; the peer's BYE ends this one transferred", async () => {
    const { handle, invitation, followed, asked, refer } = await activeCall(() => true);
    const answers = refer({ ...TO_CAROL, 'referred-by': ['"Bob" <sip:bob@example.com>;cid="1@example.com"'] });
    await settle();
    expect(asked).toEqual([{ call: handle.call, target: 'sip:carol@example.com', referredBy: 'sip:bob@example.com' }]);
    expect(answers).toEqual([202]);
    expect(followed).toEqual(['sip:carol@example.com']);
    invitation.delegate!.onBye!({ accept: async () => undefined } as never);
    expect(await handle.call.ended()).toMatchObject({ status: 'ended', reason: 'transferred' });
  });

  it('accepted by a promise of true', async () => {
    const { followed, refer } = await activeCall(async () => true);
    const answers = refer(TO_CAROL);
    await settle();
    expect(answers).toEqual([202]);
    expect(followed).toEqual(['sip:carol@example.com']);
  });

  it.each<[string, TransferDecider]>([
    ['false', () => false],
    ['a promise of false', async () => false],
    ['a truthy value that is not true', () => 'yes' as never],
    [
      'a throw',
      () => {
        throw new Error('no');
      },
    ],
    ['a rejection', () => Promise.reject(new Error('no'))],
  ])('declined (603) on %s, and nothing is dialled', async (_name, decider) => {
    const { handle, followed, asked, refer } = await activeCall(decider);
    const answers = refer(TO_CAROL);
    await settle();
    expect(asked).toHaveLength(1);
    expect(answers).toEqual([603]);
    expect(followed).toEqual([]);
    expect(handle.call.getState().status).toBe('active');
  });

  it(`declined when the application has not answered within ${TRANSFER_DECISION_TIMEOUT_MS} ms; a late true changes nothing`, async () => {
    let answer: (value: boolean) => void = () => undefined;
    const { followed, refer } = await activeCall(() => new Promise<boolean>((resolve) => (answer = resolve)));
    vi.useFakeTimers();
    const answers = refer(TO_CAROL);
    await vi.advanceTimersByTimeAsync(TRANSFER_DECISION_TIMEOUT_MS - 1);
    expect(answers).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(answers).toEqual([603]);
    answer(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(answers).toEqual([603]);
    expect(followed).toEqual([]);
  });

  it('one REFER per call is put to the application: a second one is declined without asking, pending or not', async () => {
    let answer: (value: boolean) => void = () => undefined;
    const { followed, asked, refer } = await activeCall(() => new Promise<boolean>((resolve) => (answer = resolve)));
    const first = refer(TO_CAROL);
    const whilePending = refer({ 'refer-to': ['<sip:premium-1@toll.example>'] });
    expect(whilePending).toEqual([603]);
    answer(true);
    await settle();
    expect(first).toEqual([202]);
    const afterwards = refer({ 'refer-to': ['<sip:premium-2@toll.example>'] });
    await settle();
    expect(afterwards).toEqual([603]);
    expect(asked).toHaveLength(1);
    expect(followed).toEqual(['sip:carol@example.com']);
  });

  it.each([
    ['an encoded CRLF in Replaces', ['<sip:x@h?Replaces=a%0D%0AX-Injected:%20y>']],
    ['a Route URI header', ['<sip:x@h?Route=%3Csip:attacker%3E>']],
    ['a tel: URI', ['<tel:+15551234>']],
    ['garbage', ['garbage']],
    ['two Refer-To headers', ['<sip:a@example.com>', '<sip:b@example.com>']],
    ['no Refer-To', []],
    ['a value of 2 KiB', [`<sip:${'a'.repeat(2048)}@example.com>`]],
  ])('a REFER with %s is declined without asking the application', async (_name, referTo) => {
    const { followed, asked, refer } = await activeCall(() => true);
    const answers = refer({ 'refer-to': referTo });
    await settle();
    expect(answers).toEqual([603]);
    expect(asked).toEqual([]);
    expect(followed).toEqual([]);
  });

  it('a Referred-By that does not pass the check is left out, the transfer is still asked about', async () => {
    const { asked, refer } = await activeCall(() => false);
    refer({ ...TO_CAROL, 'referred-by': ['<sip:bob@example.com?X-Evil=1>'] });
    await settle();
    expect(asked).toHaveLength(1);
    expect(asked[0]).not.toHaveProperty('referredBy');
  });

  it('the call ending while the application decides declines the REFER and stops the timer; a later true is ignored', async () => {
    let answer: (value: boolean) => void = () => undefined;
    const { handle, invitation, followed, refer } = await activeCall(
      () => new Promise<boolean>((resolve) => (answer = resolve)),
    );
    vi.useFakeTimers();
    const answers = refer(TO_CAROL);
    const timersWhileDeciding = vi.getTimerCount();
    invitation.delegate!.onBye!({ accept: async () => undefined } as never);
    await vi.advanceTimersByTimeAsync(0);
    expect(handle.call.getState()).toMatchObject({ status: 'ended', reason: 'remote-hangup' });
    expect(answers).toEqual([603]);
    expect(vi.getTimerCount()).toBeLessThan(timersWhileDeciding);
    answer(true);
    await vi.advanceTimersByTimeAsync(TRANSFER_DECISION_TIMEOUT_MS);
    expect(answers).toEqual([603]);
    expect(followed).toEqual([]);
  });
});
