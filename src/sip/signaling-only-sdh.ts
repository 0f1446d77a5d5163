import type {
  BodyAndContentType,
  Session,
  SessionDescriptionHandler,
  SessionDescriptionHandlerFactory,
  SessionDescriptionHandlerOptions,
} from 'sip.js';

/** Media direction of an SDP audio stream (RFC 3264). */
type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** What sipstate's handlers accept beyond sip.js's options: `hold` (the web handler reads the same field). */
interface HoldOption extends SessionDescriptionHandlerOptions {
  hold?: boolean;
}

const ANSWER_TO: Record<Direction, Direction> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/**
 * The direction an SDP body states for its (first) audio stream, or for the whole session when the stream says none.
 *
 * @example
 * ```ts
 * sdpDirection('v=0\r\n...m=audio 9 RTP/AVP 0\r\na=sendonly\r\n'); // 'sendonly'
 * ```
 */
export function sdpDirection(sdp: string): Direction {
  const lines = sdp.split(/\r?\n/);
  let session: Direction | undefined;
  let media: Direction | undefined;
  let inAudio = false;
  let seenMedia = false;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (seenMedia && inAudio) break;
      seenMedia = true;
      inAudio = line.startsWith('m=audio');
      continue;
    }
    const match = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(line);
    if (!match) continue;
    if (!seenMedia) session = match[1] as Direction;
    else if (inAudio) media = match[1] as Direction;
  }
  return media ?? session ?? 'sendrecv';
}

/**
 * A SessionDescriptionHandler that negotiates SDP but moves no media: a valid audio offer or answer (PCMU, PCMA,
 * telephone-event) on a discard port. For Node, bots, load tests and CI, where WebRTC does not exist. Holding sends a
 * `sendonly` offer; answers mirror the peer's direction. DTMF cannot go in RTP here: `sendDtmf` returns false, and the
 * call falls back to SIP INFO.
 *
 * sipstate picks it by itself where WebRTC is absent (`calls.media: 'auto'`), or always with `calls.media: 'signaling'`.
 *
 * @example
 * ```ts
 * const sdh = new SignalingOnlySessionDescriptionHandler();
 * const { body } = await sdh.getDescription(); // "v=0 ... m=audio 9 RTP/AVP 0 8 101 ... a=sendrecv"
 * ```
 */
export class SignalingOnlySessionDescriptionHandler implements SessionDescriptionHandler {
  private readonly sessionId = String(Math.floor(Math.random() * 1e12));
  private version = 0;
  /** The peer's offer, until we answer it. */
  private remoteOffer: Direction | undefined;
  /** True between our offer and the peer's answer. */
  private expectingAnswer = false;
  private closed = false;

  close(): void {
    this.closed = true;
  }

  async getDescription(options?: HoldOption): Promise<BodyAndContentType> {
    if (this.closed) throw new Error('The session description handler is closed');
    const hold = options?.hold === true;
    let direction: Direction;
    if (this.remoteOffer !== undefined) {
      direction = ANSWER_TO[this.remoteOffer];
      if (hold && direction === 'sendrecv') direction = 'sendonly';
      else if (hold && direction === 'recvonly') direction = 'inactive';
      this.remoteOffer = undefined;
      this.expectingAnswer = false;
    } else {
      direction = hold ? 'sendonly' : 'sendrecv';
      this.expectingAnswer = true;
    }
    this.version += 1;
    return { body: this.sdp(direction), contentType: 'application/sdp' };
  }

  hasDescription(contentType: string): boolean {
    return contentType === 'application/sdp';
  }

  async rollbackDescription(): Promise<void> {
    this.remoteOffer = undefined;
    this.expectingAnswer = false;
  }

  /** Called with the peer's offer (then we answer) or with its answer to our offer. */
  async setDescription(sdp: string): Promise<void> {
    if (this.closed) throw new Error('The session description handler is closed');
    if (!/^m=audio /m.test(sdp)) throw new Error('The remote description has no audio stream');
    if (this.expectingAnswer) {
      this.expectingAnswer = false;
      return;
    }
    this.remoteOffer = sdpDirection(sdp);
  }

  sendDtmf(): boolean {
    return false;
  }

  private sdp(direction: Direction): string {
    return [
      'v=0',
      `o=sipstate ${this.sessionId} ${this.version} IN IP4 127.0.0.1`,
      's=sipstate',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 9 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      `a=${direction}`,
      '',
    ].join('\r\n');
  }
}

/**
 * The factory sip.js calls for each session, making {@link SignalingOnlySessionDescriptionHandler}s.
 *
 * @example
 * ```ts
 * new UserAgent({ sessionDescriptionHandlerFactory: signalingOnlySessionDescriptionHandlerFactory });
 * ```
 */
export const signalingOnlySessionDescriptionHandlerFactory: SessionDescriptionHandlerFactory = (_session: Session) =>
  new SignalingOnlySessionDescriptionHandler();
