import { assign, fromPromise, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { SipError } from './errors';
import { clampDelay, durationOr } from './delay';
import { defaultMachineEnvironment, type MachineEnvironment } from './environment';

/**
 * One call's lifecycle, outgoing or incoming, from the first INVITE to the end, with the reason it ended.
 *
 * Outgoing: `dialing` → `ringing` (180) or `early-media` (183 with SDP) → `active` → `ending` → `ended`.
 * Incoming: `ringing` → `answering` → `active` → `ending` → `ended`; or `ringing` → `ending` (rejecting) → `ended`;
 * or `ringing` → `ended` (`missed`) when the caller cancels.
 *
 * `active` is a parallel state: `localHold` (notHeld, holding, holdRetryWait, held, resuming, resumeRetryWait),
 * `remoteHold` (notHeld, held), `dtmf` (idle, sending) and `transfer` (idle, referring) run side by side.
 *
 * Side effects are named actors and actions supplied by `src/`, which owns the sip.js session:
 * - `invite` (promise): send the INVITE of an outgoing call. Responses arrive as events (`PROGRESS`, `ACCEPTED`,
 *   `REJECTED`).
 * - `answer` (promise): send 200 OK to an incoming INVITE; resolves when the session is established.
 * - `reject` (promise, input `{ code }`): answer an incoming INVITE with a final error (486, 603, 480...).
 * - `cancel` (promise): CANCEL an outgoing INVITE not yet answered.
 * - `bye` (promise): BYE an established call.
 * - `reinvite` (promise, input `{ hold }`): a re-INVITE putting the call on hold or taking it off hold. Rejects with
 *   a SipError carrying the response code (491 and 500 are retried after `holdRetryDelay`).
 * - `sendDtmf` (promise, input `{ digits }`): RFC 4733 or SIP INFO.
 * - `refer` (promise, input `{ target }`): a blind transfer (REFER); resolves when the REFER is accepted.
 * - `sendRinging` (action): 180 Ringing for an incoming INVITE.
 * - `applyMute` (action, params `{ muted }`): turn the microphone track off or on.
 * - `release` (action): on entering `ended`, drop whatever sip.js still holds for this call.
 *
 * Session events (sent by `src/` as sip.js reports them): `PROGRESS`, `ACCEPTED`, `REJECTED`, `REMOTE_BYE`,
 * `REMOTE_CANCEL`, `REMOTE_HOLD`, `REFERRED`, `TERMINATED`, `CONNECTION_LOST`, `CONNECTION_RESTORED`.
 *
 * Timers are named delays, cancelled by XState when their state is left: `unansweredTimeout`, `holdRetryDelay`,
 * `endingTimeout` (an `ending` that hears nothing back is `ended` anyway, never stuck). Each goes through `clampDelay`
 * (at most 2^31-1 ms); a NaN input takes the default.
 *
 * Status is read from tags: `dialing`, `ringing`, `early-media`, `answering`, `active`, `ending`, `ended`.
 */

/** Whether the call was placed by us or to us. */
export type CallDirection = 'outgoing' | 'incoming';

/** Status of a call, one per state (carried as a tag). */
export type CallStatus = 'dialing' | 'ringing' | 'early-media' | 'answering' | 'active' | 'ending' | 'ended';

/**
 * Why a call ended.
 * - `local-hangup` / `remote-hangup`: BYE from this side / the other side.
 * - `busy` (486, 600), `declined` (603), `not-found` (404, 604): the callee's answer to our INVITE.
 * - `unanswered`: nobody answered our INVITE before the timeout (or the far end answered 408).
 * - `cancelled`: we hung up an outgoing call before it was answered (CANCEL, 487).
 * - `rejected`: we rejected an incoming call.
 * - `missed`: an incoming call the caller cancelled, or that we left unanswered until the timeout.
 * - `transferred`: the call was handed to a third party with a blind transfer (REFER), on either side.
 * - `failed`: anything else; `code` holds the SIP status when a response caused it.
 */
export type CallEndReason =
  | 'local-hangup'
  | 'remote-hangup'
  | 'busy'
  | 'declined'
  | 'not-found'
  | 'unanswered'
  | 'cancelled'
  | 'rejected'
  | 'missed'
  | 'transferred'
  | 'failed';

/**
 * Input of {@link callMachine}. Every field is optional, and so is the input itself: `createActor(callMachine)` runs
 * on the defaults below, as an outgoing call in `dialing`.
 *
 * @example
 * ```ts
 * const input: CallInput = { direction: 'incoming', unansweredTimeoutMs: 30_000 };
 * createActor(callMachine, { input });
 * ```
 */
export interface CallInput {
  /** Who placed the call. Default `'outgoing'`: the call starts in `dialing`. */
  direction?: CallDirection;
  /** How long an outgoing call may go unanswered before it is cancelled, and an incoming one before it is rejected (480). ms, default 60 000. */
  unansweredTimeoutMs?: number;
  /** Range of the random delay before retrying a re-INVITE answered 491 or 500, ms. Default [500, 2000]. */
  holdRetryDelayMs?: readonly [number, number];
  /** Re-INVITE attempts for one hold or unhold, the first included. Default 4. */
  maxHoldAttempts?: number;
  /** Longest wait for a CANCEL, BYE or rejection to finish before the call is `ended` anyway, ms. Default 10 000. */
  endingTimeoutMs?: number;
  /** Clock and random source. Default `defaultMachineEnvironment` (`Date.now`, `Math.random`). */
  environment?: MachineEnvironment;
}

/** Result of the last DTMF send or transfer request, matched to the request by `seq`. */
export interface CallRequestResult {
  seq: number;
  error?: SipError;
}

/** Context of {@link callMachine}: its input with the defaults applied, and what has happened to the call. */
export interface CallContext {
  direction: CallDirection;
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  reason?: CallEndReason;
  /** SIP status of the response that ended the call, when one did. */
  code?: number;
  error?: SipError;
  muted: boolean;
  /** The connection to the server dropped during the call (sip.js keeps the session; the peer may no longer reach us). */
  interrupted: boolean;
  /** The peer sent a REFER we accepted: its BYE that follows ends the call as `transferred`. */
  referred: boolean;
  /** Reject code used when leaving incoming `ringing` through `ending`. */
  rejectCode: number;
  holdAttempt: number;
  holdRetryDelayMs?: number;
  /** Why the last hold or unhold did not take. Cleared by the next one. */
  holdError?: SipError;
  dtmfSeq: number;
  dtmfDigits?: string;
  dtmfResult?: CallRequestResult;
  transferSeq: number;
  transferTarget?: string;
  transferResult?: CallRequestResult;
  hangupAfterAnswer: boolean;
  unansweredTimeoutMs: number;
  holdRetryRangeMs: readonly [number, number];
  maxHoldAttempts: number;
  endingTimeoutMs: number;
  environment: MachineEnvironment;
}

/** What the application asks of a call. */
export type CallCommand =
  | { type: 'ANSWER' }
  | { type: 'REJECT'; code?: number }
  | { type: 'HANGUP' }
  | { type: 'HOLD' }
  | { type: 'UNHOLD' }
  | { type: 'MUTE' }
  | { type: 'UNMUTE' }
  | { type: 'SEND_DTMF'; digits: string }
  | { type: 'TRANSFER'; target: string };

/** What the SIP session reports. */
export type CallSessionEvent =
  /** A provisional response to our INVITE: 180 (`earlyMedia` false) or 183 with SDP (`earlyMedia` true). */
  | { type: 'PROGRESS'; earlyMedia: boolean }
  /** 2xx to our INVITE: the session is established. */
  | { type: 'ACCEPTED' }
  /** A final error response to our INVITE. */
  | { type: 'REJECTED'; code: number; reasonPhrase?: string }
  | { type: 'REMOTE_BYE' }
  /** The caller cancelled an incoming call before it was answered. */
  | { type: 'REMOTE_CANCEL' }
  /** The peer put us on hold (sendonly/inactive offer) or took us off hold. */
  | { type: 'REMOTE_HOLD'; held: boolean }
  /** The peer transferred us (REFER accepted). */
  | { type: 'REFERRED' }
  /** sip.js ended the session for a reason not reported otherwise (ACK timeout, bad SDP, ...). */
  | { type: 'TERMINATED'; error?: SipError }
  | { type: 'CONNECTION_LOST'; error?: SipError }
  | { type: 'CONNECTION_RESTORED' };

/** Every event {@link callMachine} accepts. */
export type CallEvent = CallCommand | CallSessionEvent;

const CALL_STATUSES: readonly CallStatus[] = [
  'dialing',
  'ringing',
  'early-media',
  'answering',
  'active',
  'ending',
  'ended',
];

/** 491 Request Pending and 500 (a sip.js peer still processing the ACK): retry the re-INVITE later (RFC 3261 14.1). */
const RETRYABLE_REINVITE_CODES = new Set([491, 500]);

function errorOf(event: unknown, fallback: string): SipError {
  const error = (event as { error?: unknown }).error;
  return error instanceof SipError ? error : new SipError('rejected', fallback, { cause: error });
}

/**
 * The end reason a final response to our INVITE means.
 *
 * @example
 * ```ts
 * reasonForResponse(486); // 'busy'
 * reasonForResponse(503); // 'failed'
 * ```
 */
export function reasonForResponse(code: number): CallEndReason {
  if (code === 486 || code === 600) return 'busy';
  if (code === 603) return 'declined';
  if (code === 404 || code === 604) return 'not-found';
  if (code === 408) return 'unanswered';
  if (code === 487) return 'cancelled';
  return 'failed';
}

const DEFAULT_HOLD_RETRY_RANGE_MS: readonly [number, number] = [500, 2000];

/** The hold retry range as given, or the default when either bound is absent or NaN. */
function holdRetryRangeOr(range: readonly [number, number] | undefined): readonly [number, number] {
  if (!range || Number.isNaN(range[0]) || Number.isNaN(range[1])) return DEFAULT_HOLD_RETRY_RANGE_MS;
  return range;
}

/**
 * The call machine. Its default actors let it run alone: `invite`, `answer`, `cancel`, `bye` and `reject` do nothing
 * and succeed (drive the call with session events: `PROGRESS`, `ACCEPTED`, `REMOTE_BYE`, ...); `reinvite`, `sendDtmf`
 * and `refer` fail with a `config` SipError, which the call records (`holdError`, `dtmfResult`, `transferResult`)
 * without ending. `createActor(callMachine).start()` is an outgoing call in `dialing`.
 *
 * @example
 * ```ts
 * import { createActor, fromPromise } from 'xstate';
 * import { callMachine, callStatusOf } from 'sipstate/machines';
 *
 * const actor = createActor(callMachine.provide({ actors: { invite: fromPromise(async () => {}) } }), {
 *   input: { direction: 'outgoing', unansweredTimeoutMs: 30_000 },
 * }).start();
 * actor.send({ type: 'PROGRESS', earlyMedia: false });
 * callStatusOf(actor.getSnapshot()); // 'ringing'
 * ```
 */
export const callMachine = setup({
  types: {
    // `| void`, not `| undefined` (which setup's inference drops): makes the input optional in createActor.
    input: {} as CallInput | void,
    context: {} as CallContext,
    events: {} as CallEvent,
    tags: {} as CallStatus,
  },
  actors: {
    // Inert, so the machine runs alone (tests, simulators) driven by session events: `invite` only sends, its
    // responses arrive as PROGRESS/ACCEPTED/REJECTED; `answer` succeeds as if the 200 OK had been acknowledged.
    invite: fromPromise<void, void>(async () => {}),
    answer: fromPromise<void, void>(async () => {}),
    reject: fromPromise<void, { code: number }>(async () => {}),
    cancel: fromPromise<void, void>(async () => {}),
    bye: fromPromise<void, void>(async () => {}),
    reinvite: fromPromise<void, { hold: boolean }>(async () => {
      throw new SipError('config', 'call: reinvite actor not provided');
    }),
    sendDtmf: fromPromise<void, { digits: string }>(async () => {
      throw new SipError('config', 'call: sendDtmf actor not provided');
    }),
    refer: fromPromise<void, { target: string }>(async () => {
      throw new SipError('config', 'call: refer actor not provided');
    }),
  },
  guards: {
    isOutgoing: ({ context }) => context.direction === 'outgoing',
    earlyMedia: ({ event }) => event.type === 'PROGRESS' && event.earlyMedia,
    holdRetryable: ({ context, event }) => {
      const code = errorOf(event, '').code;
      return code !== undefined && RETRYABLE_REINVITE_CODES.has(code) && context.holdAttempt < context.maxHoldAttempts;
    },
    hangupAfterAnswer: ({ context }) => context.hangupAfterAnswer,
    wasReferred: ({ context }) => context.referred,
  },
  delays: {
    unansweredTimeout: ({ context }) => clampDelay(context.unansweredTimeoutMs),
    holdRetryDelay: ({ context }) => clampDelay(context.holdRetryDelayMs ?? context.holdRetryRangeMs[0]),
    endingTimeout: ({ context }) => clampDelay(context.endingTimeoutMs),
  },
  actions: {
    sendRinging: () => {},
    applyMute: (_, _params: { muted: boolean }) => {},
    release: () => {},
    markAnswered: assign(({ context }) => ({ answeredAt: context.environment.now() })),
    markEnded: assign(({ context }) => ({ endedAt: context.environment.now() })),
    endAs: assign((_, params: { reason: CallEndReason }) => ({ reason: params.reason })),
    endByResponse: assign(({ event }) => {
      if (event.type !== 'REJECTED') return {};
      const reason = reasonForResponse(event.code);
      const text = `${event.code}${event.reasonPhrase ? ` ${event.reasonPhrase}` : ''}`;
      return {
        reason,
        code: event.code,
        ...(reason === 'failed' && {
          error: new SipError('rejected', `Call failed: ${text}`, {
            code: event.code,
            reason: event.reasonPhrase ?? '',
          }),
        }),
      };
    }),
    endAsFailed: assign(({ event }) => {
      const error =
        event.type === 'TERMINATED' || event.type === 'CONNECTION_LOST'
          ? (event.error ?? new SipError('transport', 'The call ended unexpectedly'))
          : errorOf(event, 'The call failed');
      return { reason: 'failed' as const, error, ...(error.code !== undefined && { code: error.code }) };
    }),
    rememberRejectCode: assign(({ event }) => ({
      rejectCode: event.type === 'REJECT' && event.code !== undefined ? event.code : 603,
    })),
    rejectAsUnanswered: assign({ rejectCode: 480, reason: 'missed' as const }),
    requestHangupAfterAnswer: assign({ hangupAfterAnswer: true }),
    setMuted: assign((_, params: { muted: boolean }) => ({ muted: params.muted })),
    setInterrupted: assign((_, params: { interrupted: boolean }) => ({ interrupted: params.interrupted })),
    setReferred: assign({ referred: true }),
    startHold: assign({ holdAttempt: 1, holdError: undefined, holdRetryDelayMs: undefined }),
    scheduleHoldRetry: assign(({ context }) => {
      // Bounded first: Infinity - Infinity would be NaN.
      const [low, high] = context.holdRetryRangeMs.map((bound) => clampDelay(bound)) as [number, number];
      return {
        holdAttempt: context.holdAttempt + 1,
        holdRetryDelayMs: clampDelay(low + (high - low) * context.environment.random()),
      };
    }),
    recordHoldError: assign(({ event }) => ({ holdError: errorOf(event, 'The re-INVITE failed') })),
    startDtmf: assign(({ context, event }) => ({
      dtmfSeq: context.dtmfSeq + 1,
      dtmfDigits: event.type === 'SEND_DTMF' ? event.digits : '',
    })),
    dtmfDone: assign(({ context }) => ({ dtmfResult: { seq: context.dtmfSeq } })),
    dtmfFailed: assign(({ context, event }) => ({
      dtmfResult: { seq: context.dtmfSeq, error: errorOf(event, 'DTMF failed') },
    })),
    startTransfer: assign(({ context, event }) => ({
      transferSeq: context.transferSeq + 1,
      transferTarget: event.type === 'TRANSFER' ? event.target : '',
    })),
    transferDone: assign(({ context }) => ({
      transferResult: { seq: context.transferSeq },
      reason: 'transferred' as const,
    })),
    transferFailed: assign(({ context, event }) => ({
      transferResult: { seq: context.transferSeq, error: errorOf(event, 'The transfer failed') },
    })),
  },
}).createMachine({
  id: 'call',
  initial: 'start',
  context: ({ input = {} }) => {
    const environment = input.environment ?? defaultMachineEnvironment;
    return {
      direction: input.direction ?? 'outgoing',
      startedAt: environment.now(),
      muted: false,
      interrupted: false,
      referred: false,
      rejectCode: 603,
      holdAttempt: 0,
      dtmfSeq: 0,
      transferSeq: 0,
      hangupAfterAnswer: false,
      unansweredTimeoutMs: durationOr(input.unansweredTimeoutMs, 60_000),
      holdRetryRangeMs: holdRetryRangeOr(input.holdRetryDelayMs),
      maxHoldAttempts: input.maxHoldAttempts ?? 4,
      endingTimeoutMs: durationOr(input.endingTimeoutMs, 10_000),
      environment,
    };
  },
  on: {
    MUTE: {
      actions: [
        { type: 'setMuted', params: { muted: true } },
        { type: 'applyMute', params: { muted: true } },
      ],
    },
    UNMUTE: {
      actions: [
        { type: 'setMuted', params: { muted: false } },
        { type: 'applyMute', params: { muted: false } },
      ],
    },
  },
  states: {
    // Transient: picks the first real state by direction.
    start: {
      always: [{ guard: 'isOutgoing', target: 'outgoing' }, { target: 'incoming' }],
    },

    outgoing: {
      initial: 'dialing',
      invoke: {
        src: 'invite',
        onError: { target: 'ended', actions: 'endAsFailed' },
      },
      after: {
        unansweredTimeout: {
          target: 'ending.cancelling',
          actions: { type: 'endAs', params: { reason: 'unanswered' } },
        },
      },
      on: {
        ACCEPTED: 'active',
        REJECTED: { target: 'ended', actions: 'endByResponse' },
        HANGUP: { target: 'ending.cancelling', actions: { type: 'endAs', params: { reason: 'cancelled' } } },
        TERMINATED: { target: 'ended', actions: 'endAsFailed' },
        // The INVITE's responses could only come back on the connection that is gone.
        CONNECTION_LOST: { target: 'ended', actions: 'endAsFailed' },
      },
      states: {
        dialing: {
          tags: 'dialing',
          on: { PROGRESS: [{ guard: 'earlyMedia', target: 'earlyMedia' }, { target: 'ringing' }] },
        },
        ringing: {
          tags: 'ringing',
          on: { PROGRESS: { guard: 'earlyMedia', target: 'earlyMedia' } },
        },
        earlyMedia: {
          tags: 'early-media',
        },
      },
    },

    incoming: {
      initial: 'ringing',
      on: {
        REMOTE_CANCEL: { target: 'ended', actions: { type: 'endAs', params: { reason: 'missed' } } },
        TERMINATED: { target: 'ended', actions: 'endAsFailed' },
        CONNECTION_LOST: { target: 'ended', actions: 'endAsFailed' },
      },
      states: {
        ringing: {
          tags: 'ringing',
          entry: 'sendRinging',
          after: { unansweredTimeout: { target: '#call.ending.rejecting', actions: 'rejectAsUnanswered' } },
          on: {
            ANSWER: 'answering',
            REJECT: {
              target: '#call.ending.rejecting',
              actions: ['rememberRejectCode', { type: 'endAs', params: { reason: 'rejected' } }],
            },
            HANGUP: {
              target: '#call.ending.rejecting',
              actions: ['rememberRejectCode', { type: 'endAs', params: { reason: 'rejected' } }],
            },
          },
        },
        answering: {
          tags: 'answering',
          invoke: {
            src: 'answer',
            onDone: [
              {
                guard: 'hangupAfterAnswer',
                target: '#call.ending.hangingUp',
                actions: ['markAnswered', { type: 'endAs', params: { reason: 'local-hangup' } }],
              },
              { target: '#call.active' },
            ],
            onError: { target: '#call.ended', actions: 'endAsFailed' },
          },
          on: {
            // The 200 OK is on its way: a BYE can only follow it.
            HANGUP: { actions: 'requestHangupAfterAnswer' },
            // The peer's BYE can come before sip.js has told us the answer went through: it was answered, then hung up.
            REMOTE_BYE: {
              target: '#call.ended',
              actions: ['markAnswered', { type: 'endAs', params: { reason: 'remote-hangup' } }],
            },
          },
        },
      },
    },

    active: {
      tags: 'active',
      type: 'parallel',
      entry: 'markAnswered',
      on: {
        HANGUP: { target: 'ending.hangingUp', actions: { type: 'endAs', params: { reason: 'local-hangup' } } },
        REMOTE_BYE: [
          { guard: 'wasReferred', target: 'ended', actions: { type: 'endAs', params: { reason: 'transferred' } } },
          { target: 'ended', actions: { type: 'endAs', params: { reason: 'remote-hangup' } } },
        ],
        REFERRED: { actions: 'setReferred' },
        TERMINATED: [
          { guard: 'wasReferred', target: 'ended', actions: { type: 'endAs', params: { reason: 'transferred' } } },
          { target: 'ended', actions: 'endAsFailed' },
        ],
        // sip.js keeps the session: say so, keep the call (media may still flow; hangup still works).
        CONNECTION_LOST: { actions: { type: 'setInterrupted', params: { interrupted: true } } },
        CONNECTION_RESTORED: { actions: { type: 'setInterrupted', params: { interrupted: false } } },
      },
      states: {
        localHold: {
          initial: 'notHeld',
          states: {
            notHeld: {
              on: { HOLD: { target: 'holding', actions: 'startHold' }, UNHOLD: {} },
            },
            holding: {
              invoke: {
                src: 'reinvite',
                input: { hold: true },
                onDone: 'held',
                onError: [
                  { guard: 'holdRetryable', target: 'holdRetryWait', actions: 'scheduleHoldRetry' },
                  { target: 'notHeld', actions: 'recordHoldError' },
                ],
              },
              on: { HOLD: {} },
            },
            holdRetryWait: {
              after: { holdRetryDelay: 'holding' },
              on: { HOLD: {}, UNHOLD: 'notHeld' },
            },
            held: {
              on: { UNHOLD: { target: 'resuming', actions: 'startHold' }, HOLD: {} },
            },
            resuming: {
              invoke: {
                src: 'reinvite',
                input: { hold: false },
                onDone: 'notHeld',
                onError: [
                  { guard: 'holdRetryable', target: 'resumeRetryWait', actions: 'scheduleHoldRetry' },
                  { target: 'held', actions: 'recordHoldError' },
                ],
              },
              on: { UNHOLD: {} },
            },
            resumeRetryWait: {
              after: { holdRetryDelay: 'resuming' },
              on: { UNHOLD: {}, HOLD: 'held' },
            },
          },
        },
        remoteHold: {
          initial: 'notHeld',
          states: {
            notHeld: { on: { REMOTE_HOLD: { guard: ({ event }) => event.held, target: 'held' } } },
            held: { on: { REMOTE_HOLD: { guard: ({ event }) => !event.held, target: 'notHeld' } } },
          },
        },
        dtmf: {
          initial: 'idle',
          states: {
            idle: { on: { SEND_DTMF: { target: 'sending', actions: 'startDtmf' } } },
            sending: {
              invoke: {
                src: 'sendDtmf',
                input: ({ context }) => ({ digits: context.dtmfDigits ?? '' }),
                onDone: { target: 'idle', actions: 'dtmfDone' },
                onError: { target: 'idle', actions: 'dtmfFailed' },
              },
            },
          },
        },
        transfer: {
          initial: 'idle',
          states: {
            idle: { on: { TRANSFER: { target: 'referring', actions: 'startTransfer' } } },
            referring: {
              invoke: {
                src: 'refer',
                input: ({ context }) => ({ target: context.transferTarget ?? '' }),
                // Blind transfer: once the peer accepted the REFER, this leg is done.
                onDone: { target: '#call.ending.hangingUp', actions: 'transferDone' },
                onError: { target: 'idle', actions: 'transferFailed' },
              },
            },
          },
        },
      },
    },

    ending: {
      tags: 'ending',
      // Always entered through one of its children; `initial` only satisfies XState.
      initial: 'hangingUp',
      after: { endingTimeout: 'ended' },
      on: {
        REMOTE_BYE: 'ended',
        TERMINATED: 'ended',
        HANGUP: {},
      },
      states: {
        cancelling: {
          invoke: { src: 'cancel', onDone: '#call.ended', onError: '#call.ended' },
          on: { REJECTED: '#call.ended', ACCEPTED: {} },
        },
        hangingUp: {
          invoke: { src: 'bye', onDone: '#call.ended', onError: '#call.ended' },
        },
        rejecting: {
          invoke: {
            src: 'reject',
            input: ({ context }) => ({ code: context.rejectCode }),
            onDone: '#call.ended',
            onError: '#call.ended',
          },
          on: { REMOTE_CANCEL: '#call.ended' },
        },
      },
    },

    ended: {
      tags: 'ended',
      type: 'final',
      entry: ['markEnded', 'release'],
    },
  },
});

/** A running call machine. */
export type CallActorRef = ActorRefFrom<typeof callMachine>;
/** A snapshot of the call machine. */
export type CallSnapshot = SnapshotFrom<typeof callMachine>;

/**
 * The status a call snapshot is in.
 *
 * @example
 * ```ts
 * callStatusOf(actor.getSnapshot()); // 'ringing'
 * ```
 */
export function callStatusOf(snapshot: CallSnapshot): CallStatus {
  return CALL_STATUSES.find((status) => snapshot.hasTag(status)) ?? 'ended';
}

/**
 * Whether this side holds the call (a hold re-INVITE went through and no unhold has yet).
 *
 * @example
 * ```ts
 * isLocallyHeld(actor.getSnapshot()); // true after HOLD succeeded
 * ```
 */
export function isLocallyHeld(snapshot: CallSnapshot): boolean {
  return (
    snapshot.matches({ active: { localHold: 'held' } }) ||
    snapshot.matches({ active: { localHold: 'resuming' } }) ||
    snapshot.matches({ active: { localHold: 'resumeRetryWait' } })
  );
}

/**
 * Whether the peer holds the call (its last offer was sendonly or inactive).
 *
 * @example
 * ```ts
 * isRemotelyHeld(actor.getSnapshot());
 * ```
 */
export function isRemotelyHeld(snapshot: CallSnapshot): boolean {
  return snapshot.matches({ active: { remoteHold: 'held' } });
}
