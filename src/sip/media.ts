import { Web, type SessionDescriptionHandlerFactory } from 'sip.js';
import { signalingOnlySessionDescriptionHandlerFactory } from './signaling-only-sdh';

/**
 * Whether this platform has WebRTC (a browser, or anything providing `RTCPeerConnection` and `MediaStream`).
 * Reads globals only when called, so importing sipstate in Node touches nothing.
 */
export function hasWebRtc(): boolean {
  const global = globalThis as { RTCPeerConnection?: unknown; MediaStream?: unknown };
  return typeof global.RTCPeerConnection === 'function' && typeof global.MediaStream === 'function';
}

/**
 * The SessionDescriptionHandler factory for a `calls.media` setting: sip.js's web handler for `browser` (and for
 * `auto` where WebRTC exists), sipstate's signaling-only handler otherwise.
 */
export function sessionDescriptionHandlerFactoryFor(
  media: 'auto' | 'browser' | 'signaling',
  iceServers?: readonly { urls: string | string[]; username?: string; credential?: string }[],
): SessionDescriptionHandlerFactory {
  if (media === 'signaling' || (media === 'auto' && !hasWebRtc())) return signalingOnlySessionDescriptionHandlerFactory;
  const web = Web.defaultSessionDescriptionHandlerFactory();
  if (iceServers === undefined) return web;
  return (session, options?: { peerConnectionConfiguration?: object }) =>
    web(session, { ...options, peerConnectionConfiguration: { ...options?.peerConnectionConfiguration, iceServers: [...iceServers] } });
}
