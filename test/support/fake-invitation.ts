/**
 * An incoming sip.js Invitation without a user agent or a socket, for tests of createCall: `accept()` establishes it,
 * `reject()` ends it, nothing goes anywhere. Its in-dialog requests (`bye`, `invite`) are recorded with the request
 * delegate they were sent with, so a test answers them (or leaves them waiting).
 *
 * ```ts
 * const { invitation, reinvites } = fakeInvitation();
 * const handle = createCall(invitation, { uri: 'sip:alice@example.com' }, deps);
 * await handle.call.answer();
 * handle.call.hold();
 * reinvites[0]!.delegate.onAccept();
 * ```
 */
import { Invitation, SessionState } from 'sip.js';

/** The requestDelegate an in-dialog request was sent with. */
export type RecordedDelegate = { onAccept(): void; onReject(response: unknown): void };

/** A fake incoming Invitation and the re-INVITEs sent on it. */
export function fakeInvitation(): {
  invitation: Invitation;
  reinvites: { delegate: RecordedDelegate; disposed: boolean }[];
} {
  let state = SessionState.Initial;
  const listeners = new Set<(next: SessionState) => void>();
  const reinvites: { delegate: RecordedDelegate; disposed: boolean }[] = [];
  const invitation = Object.create(Invitation.prototype) as Invitation;
  const moveTo = (next: SessionState): void => {
    state = next;
    for (const listener of [...listeners]) listener(next);
  };
  Object.defineProperties(invitation, {
    state: { get: () => state },
    stateChange: {
      value: {
        addListener: (listener: (next: SessionState) => void) => listeners.add(listener),
        removeListener: () => undefined,
      },
    },
    autoSendAnInitialProvisionalResponse: { value: true },
    sessionDescriptionHandler: { value: undefined },
    delegate: { value: undefined, writable: true },
    accept: { value: async () => moveTo(SessionState.Established) },
    reject: { value: async () => moveTo(SessionState.Terminated) },
    bye: { value: async () => ({ dispose() {} }) },
    dispose: { value: async () => undefined },
    invite: {
      value: async (options: { requestDelegate: RecordedDelegate }) => {
        const entry = { delegate: options.requestDelegate, disposed: false };
        reinvites.push(entry);
        return {
          dispose: () => {
            entry.disposed = true;
          },
        };
      },
    },
  });
  return { invitation, reinvites };
}
