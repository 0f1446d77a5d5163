import type { PlatformLifecycle } from '../platform/lifecycle';
import type { LockManagerLike } from './election';

/**
 * The part of a BroadcastChannel the shared tabs use.
 *
 * @example
 * ```ts
 * const channel: ChannelLike = new BroadcastChannel('sipstate.tabs sip:alice@example.com');
 * ```
 */
export interface ChannelLike {
  postMessage(data: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

/**
 * What `tabs: 'shared'` needs from the platform: Web Locks for the election, BroadcastChannel for the mirroring, and
 * a storage the tabs share for the instance id.
 *
 * @example
 * ```ts
 * const platform = tabPlatform(); // undefined in Node: 'shared' falls back to 'each'
 * ```
 */
export interface TabPlatform {
  locks: LockManagerLike;
  openChannel(name: string): ChannelLike;
  /** `localStorage` where there is one (the instance id the tabs share is kept there). */
  sharedStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  /** The page's lifecycle (back/forward cache); the page's own by default. */
  lifecycle?: PlatformLifecycle;
}

/**
 * The platform's Web Locks and BroadcastChannel, or `undefined` where either is missing. Reads the globals only
 * when called (never on import: server rendering imports this).
 *
 * @example
 * ```ts
 * if (!tabPlatform()) logger.warn("tabs: 'shared' needs Web Locks and BroadcastChannel");
 * ```
 */
export function tabPlatform(): TabPlatform | undefined {
  const scope = globalThis as {
    navigator?: { locks?: Partial<LockManagerLike> };
    BroadcastChannel?: new (name: string) => ChannelLike;
    localStorage?: TabPlatform['sharedStorage'];
  };
  const locks = scope.navigator?.locks;
  const Channel = scope.BroadcastChannel;
  if (typeof locks?.request !== 'function' || typeof Channel !== 'function') return undefined;
  let sharedStorage: TabPlatform['sharedStorage'];
  try {
    sharedStorage = scope.localStorage ?? undefined;
  } catch {
    // Reading localStorage throws where storage is blocked: the instance id is then the tab's own.
  }
  return {
    locks: locks as LockManagerLike,
    openChannel: (name) => new Channel(name),
    ...(sharedStorage && { sharedStorage }),
  };
}
