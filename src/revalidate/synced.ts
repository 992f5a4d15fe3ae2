/**
 * Which clients `nostale/sync` keeps coherent across tabs, and over which channel: what lets the
 * revalidator have one tab poll for all (the others hear the result as sync messages). A module
 * of its own so that `nostale/sync` carries a WeakMap, not the revalidator.
 */
import type { ChannelLike } from '../sync.js';

export interface SyncedTabs {
  /** The sync channel's name: tabs of one name elect one leader. */
  name: string;
  /** The channel sync uses; the leader lease travels on it under a protocol tag of its own. */
  channel: ChannelLike;
}

export const synced: WeakMap<object, SyncedTabs> = /* @__PURE__ */ new WeakMap();
