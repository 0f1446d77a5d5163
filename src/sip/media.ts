import type { SessionDescriptionHandlerFactory } from 'sip.js';
// The one module of sip.js's web platform sipstate runs, imported alone: the `Web` namespace would bring its
// SessionManager, SimpleUser and Transport (~36 KB minified) into every bundle that imports createSipClient.
import { defaultSessionDescriptionHandlerFactory } from 'sip.js/lib/platform/web/session-description-handler/session-description-handler-factory-default.js';
import type { IceServer, MediaMode } from '../options';
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
  media: MediaMode,
  iceServers?: readonly IceServer[],
): SessionDescriptionHandlerFactory {
  if (media === 'signaling' || (media === 'auto' && !hasWebRtc())) return signalingOnlySessionDescriptionHandlerFactory;
  const web = defaultSessionDescriptionHandlerFactory();
  if (iceServers === undefined) return web;
  return (session, options?: { peerConnectionConfiguration?: object }) =>
    web(session, {
      ...options,
      peerConnectionConfiguration: { ...options?.peerConnectionConfiguration, iceServers: [...iceServers] },
    });
}
