import { describe, expect, it } from 'vitest';
import { sdpDirection, SignalingOnlySessionDescriptionHandler } from '../../src/sip/signaling-only-sdh';
import { hasWebRtc, sessionDescriptionHandlerFactoryFor } from '../../src/sip/media';
import { signalingOnlySessionDescriptionHandlerFactory } from '../../src/sip/signaling-only-sdh';

const offer = (direction: string) =>
  [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 4000 RTP/AVP 0',
    `a=${direction}`,
    '',
  ].join('\r\n');

describe('signaling-only session description handler', () => {
  it('offers one audio stream, sendrecv, with a version that grows', async () => {
    const sdh = new SignalingOnlySessionDescriptionHandler();
    const first = await sdh.getDescription();
    expect(first.contentType).toBe('application/sdp');
    expect(first.body).toMatch(/^v=0\r\n/);
    expect(first.body).toMatch(/^m=audio 9 RTP\/AVP 0 8 101$/m);
    expect(first.body).toMatch(/^a=rtpmap:101 telephone-event\/8000$/m);
    expect(sdpDirection(first.body)).toBe('sendrecv');
    await sdh.setDescription(offer('sendrecv')); // their answer
    const second = await sdh.getDescription({ hold: true } as never);
    expect(sdpDirection(second.body)).toBe('sendonly');
    const version = (body: string) => Number(/^o=\S+ \d+ (\d+)/m.exec(body)?.[1]);
    expect(version(second.body)).toBe(version(first.body) + 1);
  });

  it('answers by mirroring the offer: sendonly gets recvonly, inactive gets inactive', async () => {
    const sdh = new SignalingOnlySessionDescriptionHandler();
    await sdh.setDescription(offer('sendonly'));
    expect(sdpDirection((await sdh.getDescription()).body)).toBe('recvonly');
    await sdh.setDescription(offer('inactive'));
    expect(sdpDirection((await sdh.getDescription()).body)).toBe('inactive');
    await sdh.setDescription(offer('sendrecv'));
    expect(sdpDirection((await sdh.getDescription({ hold: true } as never)).body)).toBe('sendonly');
  });

  it('refuses an offer without audio, cannot send RFC 4733, and fails once closed', async () => {
    const sdh = new SignalingOnlySessionDescriptionHandler();
    await expect(sdh.setDescription('v=0\r\nm=video 9 RTP/AVP 96\r\n')).rejects.toThrow(/no audio/);
    expect(sdh.sendDtmf()).toBe(false);
    expect(sdh.hasDescription('application/sdp')).toBe(true);
    expect(sdh.hasDescription('text/plain')).toBe(false);
    sdh.close();
    await expect(sdh.getDescription()).rejects.toThrow(/closed/);
  });

  it('reads the direction of the audio stream before the session default', () => {
    expect(sdpDirection('v=0\r\na=inactive\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('inactive');
    expect(sdpDirection('v=0\r\na=inactive\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\n')).toBe('sendonly');
    expect(sdpDirection('v=0\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('sendrecv');
  });

  it('is the handler picked in Node (no WebRTC) unless browser media is forced', () => {
    expect(hasWebRtc()).toBe(false);
    expect(sessionDescriptionHandlerFactoryFor('auto')).toBe(signalingOnlySessionDescriptionHandlerFactory);
    expect(sessionDescriptionHandlerFactoryFor('signaling')).toBe(signalingOnlySessionDescriptionHandlerFactory);
    expect(sessionDescriptionHandlerFactoryFor('browser')).not.toBe(signalingOnlySessionDescriptionHandlerFactory);
  });
});
