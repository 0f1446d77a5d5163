import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import {
  Invitation,
  Inviter,
  SessionState,
  UserAgent,
  type Info,
  type Referral,
  type Session,
  type SessionDescriptionHandler,
} from 'sip.js';
import { createActor, fromPromise } from 'xstate';
import {
  callMachine,
  callStatusOf,
  reasonForResponse,
  isLocallyHeld,
  isRemotelyHeld,
  type CallDirection,
  type CallEndReason,
  type CallEvent,
  type CallSnapshot,
  type CallStatus,
} from '../machines/call.machine';
import { clampDelay } from '../machines/delay';
import { isDtmfMethod } from './call-options';
import { SipError, toSipError } from './errors';
import type { Logger } from './logger';
import { escapeControl } from './redact';
import { CommandSettler, handled, refused, supersedable, type Check } from './settle';
import { checkReferTo, cleanReferredBy } from './sip/refer-target';
import { type FinalResponseDelegate, requestOutcome } from './sip/in-flight';
import { errorFromResponse } from './sip/response-error';
import { sdpDirection } from './sip/signaling-only-sdh';
import { sameState } from './state';
import { stateStream, type StateStream } from './store';

/**
 * A call, as `call.state$` emits it.
 *
 * @example
 * ```ts
 * call.state$.subscribe(({ status, reason }) => console.log(status, reason ?? ''));
 * ```
 */
export interface CallState {
  /** sipstate's id for this call (stable for its whole life). */
  id: string;
  status: CallStatus;
  direction: CallDirection;
  /** Who is on the other end: the callee we dialled, or the caller's From. */
  remote: { uri: string; displayName?: string };
  /** When the call was placed or arrived, epoch ms. */
  startedAt: number;
  /** When it was answered, epoch ms. */
  answeredAt?: number;
  /** When it ended, epoch ms. */
  endedAt?: number;
  /** Once ended: why. */
  reason?: CallEndReason;
  /** Once ended by a SIP response: its status code (486, 603, 404, ...). */
  code?: number;
  /** Once ended `failed`: what went wrong. */
  error?: SipError;
  /** True while either side holds the call. */
  held: boolean;
  /** This side put the call on hold (the hold re-INVITE went through). */
  localHold: boolean;
  /** The other side put the call on hold. */
  remoteHold: boolean;
  /** The microphone is off. */
  muted: boolean;
  /** The connection to the SIP server dropped during the call; cleared when it is back. */
  interrupted: boolean;
}

/**
 * Media of a call in a browser (sip.js's web SessionDescriptionHandler). Ignored by the signaling-only handler.
 *
 * @example
 * ```ts
 * client.call('sip:bob@example.com', { media: { constraints: { audio: true, video: false }, remoteAudio: audioElement } });
 * ```
 */
export interface CallMediaOptions {
  /** getUserMedia constraints. Default `{ audio: true, video: false }`. */
  constraints?: { audio?: boolean | object; video?: boolean | object };
  /** An `<audio>` element (or anything with `srcObject`) to play the remote stream. */
  remoteAudio?: { srcObject: unknown; play?: () => unknown };
}

/**
 * Options of `client.call()`.
 *
 * @example
 * ```ts
 * client.call('bob', { unansweredTimeoutSec: 20, extraHeaders: ['X-Campaign: 7'] });
 * ```
 */
export interface CallOptions {
  media?: CallMediaOptions;
  /** Cancel the call if it is not answered within this many seconds. Default: the client's `calls.unansweredTimeoutSec`. */
  unansweredTimeoutSec?: number;
  /** Extra SIP headers for the INVITE, as `Name: value` strings. */
  extraHeaders?: string[];
}

/**
 * Options of `call.answer()`.
 *
 * @example
 * ```ts
 * call.answer({ media: { remoteAudio: document.querySelector('audio')! } });
 * ```
 */
export interface AnswerOptions {
  media?: CallMediaOptions;
}

/**
 * How DTMF goes out: `rfc4733` in the RTP stream (sip.js's handler), `info` as SIP INFO (application/dtmf-relay),
 * `auto`: RFC 4733 when the media handler can, else INFO.
 *
 * @example
 * ```ts
 * call.sendDtmf('1234#', { method: 'info' });
 * ```
 */
export type DtmfMethod = 'auto' | 'rfc4733' | 'info';

/**
 * Options of `call.sendDtmf()`.
 *
 * @example
 * ```ts
 * call.sendDtmf('5', { method: 'info', durationMs: 160 });
 * ```
 */
export interface DtmfOptions {
  method?: DtmfMethod;
  /** Tone duration, ms: 40 to 6,000 (WebRTC's `insertDTMF` range). Default 100. */
  durationMs?: number;
}

/**
 * What `calls.acceptTransfer` is asked about: the peer sent a REFER (a blind transfer) on `call`.
 *
 * @example
 * ```ts
 * const acceptTransfer = ({ call, target, referredBy }: TransferRequest) =>
 *   call.direction === 'incoming' && target.endsWith('@example.com');
 * ```
 */
export interface TransferRequest {
  /** The call being transferred (active). If the transfer is followed it ends `transferred` on the peer's BYE. */
  call: Call;
  /**
   * Where the peer asks us to call: `sip:user@host[:port]` (or `sips:`), rebuilt from the Refer-To's user, host and
   * port alone (no display name, parameters or headers). This is exactly what the new call dials.
   */
  target: string;
  /** The Referred-By URI, cleaned the same way, when the REFER has one that passes; else undefined. */
  referredBy?: string;
}

/**
 * Decides whether a transfer asked by the peer is followed: `true` (or a promise of `true`) within
 * {@link TRANSFER_DECISION_TIMEOUT_MS} follows it; anything else declines it (603).
 *
 * @example
 * ```ts
 * const decider: TransferDecider = async ({ target }) => window.confirm(`Transfer to ${target}?`);
 * ```
 */
export type TransferDecider = (request: TransferRequest) => boolean | Promise<boolean>;

/** How long `calls.acceptTransfer` has to decide before the REFER is declined: 10 s, well within the peer's 32 s. */
export const TRANSFER_DECISION_TIMEOUT_MS = 10_000;

/** The status every declined or refused REFER gets. */
export const TRANSFER_DECLINE_CODE = 603;

/** WebRTC's `insertDTMF` tone duration range, ms. */
const DTMF_DURATION_RANGE_MS = [40, 6_000] as const;

/**
 * One call. Every method can be called in any state and never throws: one that makes no sense now (answering an
 * outgoing or ended call, holding a call that is not active) rejects with a SipError of kind `config`; the promises
 * are marked handled, so ignoring them cannot crash the process.
 *
 * @example
 * ```ts
 * const call = client.call('sip:bob@example.com');
 * call.state$.subscribe((s) => console.log(s.status));
 * await call.connected();
 * await call.sendDtmf('42#');
 * await call.hangup();
 * ```
 */
export interface Call {
  readonly id: string;
  readonly direction: CallDirection;
  /** The call's state: emits the current value on subscribe, then each change; completes once the call has ended. */
  readonly state$: StateStream<CallState>;
  /** DTMF tones received from the peer as SIP INFO (one emission per tone). Does not replay; completes at the end. */
  readonly dtmf$: Observable<string>;
  /** The state, now. */
  getState(): CallState;
  /** Resolves when the call is active (answered); rejects with a SipError saying why if it ends first. */
  connected(): Promise<void>;
  /** Resolves with the final state once the call has ended. Never rejects. */
  ended(): Promise<CallState>;
  /** Answers an incoming ringing call. Resolves when active. */
  answer(options?: AnswerOptions): Promise<void>;
  /** Rejects an incoming ringing call: 603 Decline by default, or e.g. 486 Busy Here. Resolves when ended. */
  reject(options?: { statusCode?: number }): Promise<void>;
  /** Ends the call whatever its state: CANCEL, reject (603) or BYE. Resolves when ended (at once if it already has). */
  hangup(): Promise<void>;
  /** Puts an active call on hold (re-INVITE, retried after 491/500). Resolves when held. */
  hold(): Promise<void>;
  /** Takes it off hold. Resolves when no longer held by this side. */
  unhold(): Promise<void>;
  /** Turns the microphone off (the local track is disabled; nothing is signalled). */
  mute(): Promise<void>;
  unmute(): Promise<void>;
  /** Sends DTMF digits (0-9, A-D, *, #) on an active call. Calls are queued and sent in order. */
  sendDtmf(digits: string, options?: DtmfOptions): Promise<void>;
  /** Blind transfer (REFER) of an active call to `target`. Resolves when the peer accepted it; the call then ends `transferred`. */
  transfer(target: string): Promise<void>;
}

/** What a Call needs from its client. */
export interface CallDependencies {
  logger: Logger;
  unansweredTimeoutMs: number;
  dtmfMethod: DtmfMethod;
  /** Turns a target (`sip:bob@x`, `bob@x`, `bob`) into a URI string, or undefined when it is not one. */
  normalizeTarget(target: string): string | undefined;
  /** The application's decision on a transfer asked by the peer; undefined: every REFER is declined. */
  acceptTransfer?: TransferDecider | undefined;
  /** A transfer was accepted (202 sent): place the new outgoing call to `target`, as `client.call(target)` does. */
  followTransfer(target: string): void;
  /**
   * Tracks an in-dialog request (BYE, re-INVITE, INFO, REFER) until its final response: if the connection drops
   * first, `fail` is called at once (kind `transport`). Returns the untrack function. Absent: not tracked.
   */
  trackRequest?(what: string, request: { dispose(): void }, fail: (error: SipError) => void): () => void;
}

/** A Call and the handles its client drives it with. */
export interface CallHandle {
  call: Call;
  readonly ended: boolean;
  /** Calls back once, when the call has ended. */
  onEnded(listener: () => void): void;
  connectionLost(error: SipError): void;
  connectionRestored(): void;
  /** Ends the call now (client disposed): CANCEL, reject or BYE goes out if it can, the state goes to ended. */
  dispose(): void;
}

let nextCallId = 1;

const DTMF_DIGITS = /^[0-9A-D*#]+$/i;

/** A value as an error message shows it; never throws (JSON.stringify does on a BigInt). */
function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`;
}

/** The peer's offer in a re-INVITE puts us on hold when it stops sending to us. */
function offerHolds(body: string): boolean {
  const direction = sdpDirection(body);
  return direction === 'sendonly' || direction === 'inactive';
}

/** `Signal=5` / `Signal= #` in an application/dtmf-relay body, or the tone itself in application/dtmf. */
function toneOf(info: Info): string | undefined {
  const request = info.request;
  const type = (request.getHeader('content-type') ?? '').toLowerCase();
  const body = request.body ?? '';
  if (type.startsWith('application/dtmf-relay')) return /Signal\s*=\s*([0-9A-D*#])/i.exec(body)?.[1]?.toUpperCase();
  if (type.startsWith('application/dtmf')) return /^\s*([0-9A-D*#])/i.exec(body)?.[1]?.toUpperCase();
  return undefined;
}

interface PeerConnectionLike {
  getSenders(): { track: { enabled: boolean } | null }[];
}

function peerConnectionOf(sdh: SessionDescriptionHandler | undefined): PeerConnectionLike | undefined {
  const pc = (sdh as { peerConnection?: PeerConnectionLike } | undefined)?.peerConnection;
  return pc && typeof pc.getSenders === 'function' ? pc : undefined;
}

/**
 * Creates a Call around a sip.js session (an `Inviter` not yet sent, or an `Invitation` just received), or an
 * already-failed outgoing call when `session` is a SipError (client not started, bad target).
 */
export function createCall(
  session: Inviter | Invitation | SipError,
  remote: { uri: string; displayName?: string },
  deps: CallDependencies,
  given?: CallOptions,
): CallHandle {
  const options = given ?? {};
  const id = `call-${nextCallId++}`;
  const direction: CallDirection = session instanceof Invitation ? 'incoming' : 'outgoing';
  const sipSession: Session | undefined = session instanceof SipError ? undefined : session;
  let media: CallMediaOptions = options.media ?? {};
  let dtmfMethod: DtmfMethod = deps.dtmfMethod;
  let dtmfDurationMs = 100;
  const dtmf$ = new Subject<string>();
  // One object for the whole call, so that unchanged states compare equal.
  const remoteIdentity = { uri: remote.uri, ...(remote.displayName && { displayName: remote.displayName }) };

  const sdhOptions = (extra: Record<string, unknown> = {}) => ({
    ...(media.constraints !== undefined && { constraints: media.constraints }),
    ...extra,
  });

  const applyMute = (muted: boolean): void => {
    const pc = peerConnectionOf(sipSession?.sessionDescriptionHandler);
    for (const sender of pc?.getSenders() ?? []) if (sender.track) sender.track.enabled = !muted;
  };

  const attachRemoteAudio = (): void => {
    const element = media.remoteAudio;
    const stream = (sipSession?.sessionDescriptionHandler as { remoteMediaStream?: unknown } | undefined)
      ?.remoteMediaStream;
    if (!element || !stream) return;
    element.srcObject = stream;
    try {
      const played = element.play?.();
      if (played && typeof (played as Promise<void>).catch === 'function')
        (played as Promise<void>).catch(() => undefined);
    } catch {
      // Autoplay refused: the application can call play() after a user gesture.
    }
  };

  const need = <T extends Session>(kind: new (...args: never[]) => T): T => {
    if (!(sipSession instanceof kind)) throw new SipError('config', 'This call has no SIP session for that');
    return sipSession;
  };

  /**
   * A promise that settles on the final response of an in-dialog request sent with a requestDelegate (mapped by the
   * one response mapping), or at once with kind `transport` when the connection drops while it waits.
   */
  const finalResponse = (
    what: string,
    send: (delegate: FinalResponseDelegate) => Promise<{ dispose(): void } | undefined | void>,
  ): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const outcome = requestOutcome(what, resolve, reject);
      send(outcome.delegate).then(
        (request) => {
          const track = deps.trackRequest;
          if (request && track) outcome.trackWith((fail) => track(what, request, fail));
        },
        (error: unknown) => outcome.settle(toSipError(error, 'rejected', what)),
      );
    });

  const machine = callMachine.provide({
    actors: {
      invite: fromPromise<void, void>(async () => {
        if (session instanceof SipError) throw session;
        const inviter = need(Inviter);
        await inviter
          .invite({
            requestDelegate: {
              onProgress: (response) => {
                const code = response.message.statusCode ?? 0;
                if (code === 100) return;
                const earlyMedia = code === 183 && (response.message.body ?? '').length > 0;
                send({ type: 'PROGRESS', earlyMedia });
              },
              onAccept: () => send({ type: 'ACCEPTED' }),
              onReject: (response) => {
                const code = response.message.statusCode ?? 0;
                // A response that ends the call with no better reason ('failed') carries the SipError of the one
                // response mapping (a synthetic 503 is kind 'transport', a final 401/407 'auth'); the others (busy,
                // declined, not-found, unanswered, cancelled) are reasons, not errors.
                if (reasonForResponse(code) === 'failed') {
                  send({ type: 'TERMINATED', error: errorFromResponse(response, 'INVITE') });
                } else {
                  send({
                    type: 'REJECTED',
                    code,
                    ...(response.message.reasonPhrase !== undefined && { reasonPhrase: response.message.reasonPhrase }),
                  });
                }
              },
            },
            sessionDescriptionHandlerOptions: sdhOptions(),
          })
          .catch((error: unknown) => {
            throw toSipError(error, 'transport', 'INVITE could not be sent');
          });
      }),
      answer: fromPromise<void, void>(async () => {
        const invitation = need(Invitation);
        await invitation.accept({ sessionDescriptionHandlerOptions: sdhOptions() }).catch((error: unknown) => {
          throw toSipError(error, 'transport', 'The answer failed');
        });
      }),
      reject: fromPromise<void, { code: number }>(async ({ input }) => {
        const invitation = need(Invitation);
        if (invitation.state === SessionState.Initial || invitation.state === SessionState.Establishing) {
          await invitation.reject({ statusCode: input.code });
        }
      }),
      cancel: fromPromise<void, void>(async () => {
        const inviter = need(Inviter);
        if (inviter.state === SessionState.Initial || inviter.state === SessionState.Establishing)
          await inviter.cancel();
      }),
      bye: fromPromise<void, void>(async () => {
        if (!sipSession || sipSession.state !== SessionState.Established) return;
        await finalResponse('BYE', (requestDelegate) => sipSession.bye({ requestDelegate })).catch((error: unknown) => {
          // The call is over either way; say why the BYE itself failed.
          deps.logger.warn(`BYE failed: ${String(error)}`);
        });
      }),
      reinvite: fromPromise<void, { hold: boolean }>(({ input }) => {
        if (!sipSession) return Promise.reject(new SipError('config', 'No SIP session'));
        return finalResponse(input.hold ? 'Hold' : 'Unhold', (requestDelegate) =>
          sipSession.invite({ requestDelegate, sessionDescriptionHandlerOptions: sdhOptions({ hold: input.hold }) }),
        ).catch((error: unknown) => {
          // A re-INVITE of ours or theirs still pending: the same as 491 (retry later).
          if (error instanceof SipError && error.code === undefined && /pending|progress/i.test(error.message)) {
            throw new SipError('rejected', error.message, { code: 491, reason: 'Request Pending' });
          }
          throw error;
        });
      }),
      sendDtmf: fromPromise<void, { digits: string }>(async ({ input }) => {
        if (!sipSession) throw new SipError('config', 'No SIP session');
        const sdh = sipSession.sessionDescriptionHandler;
        if (dtmfMethod !== 'info' && sdh?.sendDtmf(input.digits, { duration: dtmfDurationMs })) return;
        if (dtmfMethod === 'rfc4733') {
          throw new SipError('config', 'This media handler cannot send RFC 4733 DTMF (use { method: "info" })');
        }
        for (const digit of input.digits) {
          await finalResponse('DTMF INFO', (requestDelegate) =>
            sipSession.info({
              requestDelegate,
              requestOptions: {
                body: {
                  contentDisposition: 'render',
                  contentType: 'application/dtmf-relay',
                  content: `Signal=${digit}\r\nDuration=${dtmfDurationMs}`,
                },
              },
            }),
          );
        }
      }),
      refer: fromPromise<void, { target: string }>(async ({ input }) => {
        if (!sipSession) throw new SipError('config', 'No SIP session');
        const uri = UserAgent.makeURI(input.target);
        if (!uri) throw new SipError('config', `Not a SIP URI: ${input.target}`);
        await finalResponse('REFER', (requestDelegate) => sipSession.refer(uri, { requestDelegate }));
      }),
    },
    actions: {
      sendRinging: () => {
        // sip.js already sent 180 before handing us the invitation, unless the INVITE required reliable provisionals.
        if (session instanceof Invitation && !session.autoSendAnInitialProvisionalResponse) {
          session.progress().catch((error: unknown) => deps.logger.warn(`180 failed: ${String(error)}`));
        }
      },
      applyMute: (_, params) => applyMute(params.muted),
      release: () => {
        // Deferred: `ended` is often entered from inside a sip.js callback (BYE, CANCEL) that still has its own state
        // transition to make; disposing the session in the middle of it makes sip.js send a second answer.
        queueMicrotask(() => sipSession?.dispose().catch(() => undefined));
      },
    },
  });

  const actor = createActor(machine, {
    input: {
      direction,
      unansweredTimeoutMs:
        options.unansweredTimeoutSec !== undefined ? options.unansweredTimeoutSec * 1000 : deps.unansweredTimeoutMs,
    },
  });

  function send(event: CallEvent): void {
    if (actor.getSnapshot().status === 'active') actor.send(event);
  }

  const read = (snapshot: CallSnapshot): CallState => {
    const { context } = snapshot;
    const localHold = isLocallyHeld(snapshot);
    const remoteHold = isRemotelyHeld(snapshot);
    return {
      id,
      status: callStatusOf(snapshot),
      direction,
      remote: remoteIdentity,
      startedAt: context.startedAt,
      ...(context.answeredAt !== undefined && { answeredAt: context.answeredAt }),
      ...(context.endedAt !== undefined && { endedAt: context.endedAt }),
      ...(context.reason !== undefined && snapshot.status === 'done' && { reason: context.reason }),
      ...(context.code !== undefined && { code: context.code }),
      ...(context.error !== undefined && { error: context.error }),
      held: localHold || remoteHold,
      localHold,
      remoteHold,
      muted: context.muted,
      interrupted: context.interrupted,
    };
  };

  const endedListeners: (() => void)[] = [];

  // ---- transfers asked by the peer (incoming REFER) ----
  // One REFER per call is put to the application; every other one is declined without asking.
  let referralConsidered = false;
  /** Settles a decision still waiting (as a decline) when the call ends first. */
  let abandonDecision: (() => void) | undefined;

  const declineReferral = (referral: Referral, why: string): void => {
    deps.logger.warn(`REFER declined (${TRANSFER_DECLINE_CODE}): ${escapeControl(why)}`);
    try {
      referral.reject({ statusCode: TRANSFER_DECLINE_CODE }).catch(() => undefined);
    } catch (error) {
      // The REFER can no longer be answered (dialog or transport gone): nothing else to do.
      deps.logger.warn(`REFER could not be declined: ${escapeControl(String(error))}`);
    }
  };

  /** The application's answer: true only for `true` within the time limit; false for anything else. */
  const askApplication = (decider: TransferDecider, request: TransferRequest): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const settle = (accepted: boolean): void => {
        clearTimeout(timer);
        abandonDecision = undefined;
        resolve(accepted);
      };
      const timer = setTimeout(() => settle(false), clampDelay(TRANSFER_DECISION_TIMEOUT_MS));
      abandonDecision = () => settle(false);
      try {
        Promise.resolve(decider(request)).then(
          (answer) => settle(answer === true),
          (error: unknown) => {
            deps.logger.warn(`calls.acceptTransfer failed: ${escapeControl(String(error))}`);
            settle(false);
          },
        );
      } catch (error) {
        deps.logger.warn(`calls.acceptTransfer threw: ${escapeControl(String(error))}`);
        settle(false);
      }
    });

  const onRefer = (referral: Referral): void => {
    if (referralConsidered) {
      declineReferral(referral, 'this call has had its one transfer request already');
      return;
    }
    const referTo = referral.request.getHeaders('refer-to');
    const checked = checkReferTo(referTo.length === 1 ? referTo[0] : undefined);
    if (!checked.ok) {
      declineReferral(referral, `unsafe Refer-To: ${checked.reason}`);
      return;
    }
    const decider = deps.acceptTransfer;
    if (!decider) {
      declineReferral(referral, 'no calls.acceptTransfer to decide on transfers');
      return;
    }
    referralConsidered = true;
    const referredByValues = referral.request.getHeaders('referred-by');
    const referredBy = referredByValues.length === 1 ? cleanReferredBy(referredByValues[0]) : undefined;
    const request: TransferRequest = { call, target: checked.target, ...(referredBy !== undefined && { referredBy }) };
    void askApplication(decider, request).then((accepted) => {
      if (!accepted) return declineReferral(referral, `calls.acceptTransfer did not accept ${checked.target}`);
      if (statusNow() !== 'active' || sipSession?.state !== SessionState.Established) {
        return declineReferral(referral, 'the call is no longer active');
      }
      try {
        referral.accept().catch(() => undefined);
      } catch (error) {
        deps.logger.warn(`REFER could not be accepted: ${escapeControl(String(error))}`);
        return;
      }
      send({ type: 'REFERRED' });
      deps.followTransfer(checked.target);
    });
  };

  // ---- session events into the machine ----
  if (sipSession) {
    sipSession.stateChange.addListener((state) => {
      if (state === SessionState.Established) attachRemoteAudio();
      // After the delegate callbacks and response delegates that explain why (BYE, CANCEL, 486...).
      if (state === SessionState.Terminated) queueMicrotask(() => send({ type: 'TERMINATED' }));
    });
    sipSession.delegate = {
      onBye: (bye) => {
        bye.accept().catch(() => undefined);
        send({ type: 'REMOTE_BYE' });
      },
      onCancel: () => send({ type: 'REMOTE_CANCEL' }),
      onInvite: (request, _response, statusCode) => {
        if (statusCode === 200 && request.body) send({ type: 'REMOTE_HOLD', held: offerHolds(request.body) });
      },
      onInfo: (info) => {
        const tone = toneOf(info);
        info.accept().catch(() => undefined);
        if (tone !== undefined) dtmf$.next(tone);
      },
      onRefer: (referral) => onRefer(referral),
      onSessionDescriptionHandler: () => applyMute(actor.getSnapshot().context.muted),
    };
  }

  // The call's command promises, judged on every snapshot; one that ends the call settles what still waits.
  const commands = new CommandSettler<CallSnapshot>(() => actor.getSnapshot());

  actor.start();
  // A call that could not be placed (client not started, bad option or target) is already ended when createCall
  // returns: 'failed', with its SipError, not 'dialing' for a microtask.
  if (session instanceof SipError) send({ type: 'TERMINATED', error: session });
  const state$ = new BehaviorSubject(read(actor.getSnapshot()));
  actor.subscribe({
    next: (snapshot) => {
      const next = read(snapshot);
      commands.judge(snapshot, () => {
        if (!sameState(next, state$.getValue())) state$.next(next);
      });
      if (snapshot.status === 'done') finish();
    },
    error: (error) => deps.logger.error(`call machine error: ${String(error)}`),
  });

  let finished = false;
  function finish(): void {
    if (finished) return;
    finished = true;
    abandonDecision?.();
    // Every check settles on an ended call (`command` turns its 'wait' into why the call ended); a backstop.
    commands.close(endedError(actor.getSnapshot()));
    state$.complete();
    dtmf$.complete();
    for (const listener of endedListeners.splice(0)) listener();
  }

  /**
   * Sends `event` (if any) and settles by `check`, which sees every snapshot from the one right after it on; a check
   * still waiting when the call has ended rejects with why it ended.
   */
  const command = (event: CallEvent | undefined, check: Check<CallSnapshot>): Promise<void> =>
    commands.run(event && (() => actor.send(event)), (snapshot) => {
      const verdict = check(snapshot);
      return verdict === 'wait' && snapshot.status === 'done' ? endedError(snapshot) : verdict;
    });

  const refuse = (error: SipError): Promise<void> => refused(error);
  const statusNow = (): CallStatus => callStatusOf(actor.getSnapshot());
  const endedError = (snapshot: CallSnapshot): SipError => {
    const { reason, error } = snapshot.context;
    return error ?? new SipError('cancelled', `The call ended (${reason ?? 'ended'})`);
  };
  const notNow = (verb: string): SipError => {
    const status = statusNow();
    const detail = status === 'ended' ? `has ended (${actor.getSnapshot().context.reason ?? 'ended'})` : `is ${status}`;
    return new SipError('config', `Cannot ${verb}: the ${direction} call ${detail}`);
  };
  const inLocalHold = (snapshot: CallSnapshot, ...states: string[]): boolean =>
    states.some((state) => snapshot.matches({ active: { localHold: state } } as never));

  let dtmfQueue: Promise<void> = Promise.resolve();

  const call: Call = {
    id,
    direction,
    state$: stateStream(state$),
    dtmf$: dtmf$.asObservable(),
    getState: () => state$.getValue(),

    connected: () =>
      command(undefined, (snapshot) =>
        callStatusOf(snapshot) === 'active' ? 'resolve' : snapshot.status === 'done' ? endedError(snapshot) : 'wait',
      ),

    ended: () =>
      new Promise<CallState>((resolve) => {
        if (finished) resolve(state$.getValue());
        else endedListeners.push(() => resolve(state$.getValue()));
      }),

    answer: (answerOptions) => {
      if (direction !== 'incoming') return refuse(new SipError('config', 'Cannot answer an outgoing call'));
      const status = statusNow();
      if (status === 'active' || status === 'answering') return call.connected();
      if (!actor.getSnapshot().can({ type: 'ANSWER' })) return refuse(notNow('answer'));
      if (answerOptions?.media) media = answerOptions.media;
      return command({ type: 'ANSWER' }, (snapshot) => (callStatusOf(snapshot) === 'active' ? 'resolve' : 'wait'));
    },

    reject: (rejectOptions) => {
      if (direction !== 'incoming')
        return refuse(new SipError('config', 'Cannot reject an outgoing call: use hangup()'));
      const code = rejectOptions?.statusCode ?? 603;
      if (!Number.isInteger(code) || code < 400 || code > 699) {
        return refuse(new SipError('config', `reject() needs a 4xx-6xx status code, got ${code}`));
      }
      if (!actor.getSnapshot().can({ type: 'REJECT', code })) return refuse(notNow('reject'));
      return command({ type: 'REJECT', code }, (snapshot) => (snapshot.status === 'done' ? 'resolve' : 'wait'));
    },

    hangup: () => {
      if (actor.getSnapshot().status === 'done') return handled(Promise.resolve());
      return command({ type: 'HANGUP' }, (snapshot) => (snapshot.status === 'done' ? 'resolve' : 'wait'));
    },

    hold: () => {
      const snapshot = actor.getSnapshot();
      if (isLocallyHeld(snapshot) && !inLocalHold(snapshot, 'resuming', 'resumeRetryWait'))
        return handled(Promise.resolve());
      if (statusNow() !== 'active' || inLocalHold(snapshot, 'resuming', 'resumeRetryWait'))
        return refuse(notNow('hold'));
      const waitHeld = supersedable<CallSnapshot>({
        done: (s) => inLocalHold(s, 'held'),
        inProgress: (s) => inLocalHold(s, 'holding', 'holdRetryWait'),
        ended: (s) =>
          s.status === 'done'
            ? endedError(s)
            : (s.context.holdError ?? new SipError('cancelled', 'hold() was superseded')),
      });
      return command(inLocalHold(snapshot, 'notHeld') ? { type: 'HOLD' } : undefined, waitHeld);
    },

    unhold: () => {
      const snapshot = actor.getSnapshot();
      if (statusNow() === 'active' && inLocalHold(snapshot, 'notHeld')) return handled(Promise.resolve());
      if (statusNow() !== 'active' || inLocalHold(snapshot, 'holding')) return refuse(notNow('unhold'));
      const waitResumed = supersedable<CallSnapshot>({
        done: (s) => inLocalHold(s, 'notHeld'),
        inProgress: (s) => inLocalHold(s, 'resuming', 'resumeRetryWait'),
        ended: (s) =>
          s.status === 'done'
            ? endedError(s)
            : (s.context.holdError ?? new SipError('cancelled', 'unhold() was superseded')),
      });
      return command(inLocalHold(snapshot, 'held', 'holdRetryWait') ? { type: 'UNHOLD' } : undefined, waitResumed);
    },

    mute: () =>
      actor.getSnapshot().status === 'done' ? refuse(notNow('mute')) : command({ type: 'MUTE' }, () => 'resolve'),
    unmute: () =>
      actor.getSnapshot().status === 'done' ? refuse(notNow('unmute')) : command({ type: 'UNMUTE' }, () => 'resolve'),

    sendDtmf: (digits, options) => {
      const dtmfOptions = options ?? {};
      if (typeof digits !== 'string' || !DTMF_DIGITS.test(digits)) {
        return refuse(new SipError('config', `sendDtmf() takes digits 0-9, A-D, * and #, got ${show(digits)}`));
      }
      const durationMs = dtmfOptions.durationMs ?? 100;
      if (
        typeof durationMs !== 'number' ||
        !Number.isFinite(durationMs) ||
        durationMs < DTMF_DURATION_RANGE_MS[0] ||
        durationMs > DTMF_DURATION_RANGE_MS[1]
      ) {
        return refuse(
          new SipError(
            'config',
            `sendDtmf() durationMs must be ${DTMF_DURATION_RANGE_MS[0]} to ${DTMF_DURATION_RANGE_MS[1]} ms, got ${String(durationMs)}`,
          ),
        );
      }
      const method = dtmfOptions.method ?? deps.dtmfMethod;
      if (!isDtmfMethod(method)) {
        return refuse(new SipError('config', `Unknown DTMF method ${show(method)}`));
      }
      if (statusNow() !== 'active') return refuse(notNow('send DTMF'));
      const run = (): Promise<void> => {
        if (!actor.getSnapshot().can({ type: 'SEND_DTMF', digits })) return refuse(notNow('send DTMF'));
        dtmfMethod = method;
        dtmfDurationMs = durationMs;
        let seq = -1;
        return command({ type: 'SEND_DTMF', digits }, (s) => {
          if (seq < 0) seq = s.context.dtmfSeq;
          const result = s.context.dtmfResult;
          if (result?.seq !== seq) return 'wait';
          return result.error ?? 'resolve';
        });
      };
      const result = dtmfQueue.then(run, run);
      dtmfQueue = result.catch(() => undefined);
      return handled(result);
    },

    transfer: (target) => {
      const uri = typeof target === 'string' ? deps.normalizeTarget(target) : undefined;
      if (!uri) {
        return refuse(new SipError('config', `transfer() needs a SIP URI or user, got ${show(target)}`));
      }
      if (!actor.getSnapshot().can({ type: 'TRANSFER', target: uri })) return refuse(notNow('transfer'));
      let seq = -1;
      return command({ type: 'TRANSFER', target: uri }, (s) => {
        if (seq < 0) seq = s.context.transferSeq;
        const result = s.context.transferResult;
        if (result?.seq !== seq) return 'wait';
        return result.error ?? 'resolve';
      });
    },
  };

  // A call that could not be placed ended before anything subscribed: no snapshot will follow, so finish it here.
  if (actor.getSnapshot().status === 'done') finish();

  return {
    call,
    get ended() {
      return finished;
    },
    onEnded: (listener) => {
      if (finished) listener();
      else endedListeners.push(listener);
    },
    connectionLost: (error) => send({ type: 'CONNECTION_LOST', error }),
    connectionRestored: () => send({ type: 'CONNECTION_RESTORED' }),
    dispose: () => {
      if (finished) return;
      send({ type: 'HANGUP' });
      send({ type: 'TERMINATED', error: new SipError('cancelled', 'The client was disposed') });
    },
  };
}
