/**
 * One polling tab among the tabs synced under one name: the leader polls, the others hear what it
 * learns through `nostale/sync`. Only visible tabs take part (a hidden tab polls nothing), so the
 * leader is a visible tab whenever there is one. With Web Locks the browser hands the lock to the
 * next tab when the holder leaves or closes; without them, a lease travels on the sync channel:
 * the holder repeats it every beat, and the others take over when it says it leaves or when three
 * beats pass without one. Two tabs claiming at once settle on the smaller id within a beat.
 */
import type { ChannelLike } from '../sync.js';
import type { SyncedTabs } from './synced.js';

/** This tab's part in the election. */
export interface Election {
  readonly leader: boolean;
  /** Takes part (the tab became visible); idempotent. */
  join(): void;
  /** Stops taking part, handing leadership on (the tab was hidden, or revalidation stopped); idempotent. */
  leave(): void;
}

/** How often a lease holder repeats its lease when there are no Web Locks, in ms. */
export const BEAT = 1000;

const PROTOCOL = 'nostale-leader/1';

export function elect(tabs: SyncedTabs, changed: (leader: boolean) => void): Election {
  const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
  return typeof locks?.request === 'function' ? byLock(locks, `nostale-poll:${tabs.name}`, changed) : byLease(tabs.channel, changed);
}

function byLock(locks: LockManager, name: string, changed: (leader: boolean) => void): Election {
  let controller: AbortController | undefined;
  let release: (() => void) | undefined;
  let leader = false;
  return {
    get leader() {
      return leader;
    },
    join() {
      if (controller) return;
      const mine = (controller = new AbortController());
      locks
        .request(name, { signal: mine.signal }, () => {
          // Granted just as this tab left: give the lock straight back.
          if (controller !== mine) return;
          leader = true;
          changed(true);
          return new Promise<void>((resolve) => (release = resolve));
        })
        // An AbortError when the tab left before the lock came its way: nothing to do.
        .catch(() => undefined);
    },
    leave() {
      if (!controller) return;
      controller.abort();
      controller = undefined;
      release?.();
      release = undefined;
      if (leader) {
        leader = false;
        changed(false);
      }
    },
  };
}

interface LeaseMessage {
  protocol: typeof PROTOCOL;
  from: string;
  kind: 'lease' | 'release' | 'hello';
}

const isLeaseMessage = (data: unknown): data is LeaseMessage => {
  const m = data as Partial<LeaseMessage> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.protocol === PROTOCOL &&
    typeof m.from === 'string' &&
    (m.kind === 'lease' || m.kind === 'release' || m.kind === 'hello')
  );
};

function byLease(channel: ChannelLike, changed: (leader: boolean) => void): Election {
  const id = Math.random().toString(36).slice(2) + Date.now().toString(36);
  let leader = false;
  /** The leader last heard of, and when. */
  let holder: string | undefined;
  let heardAt = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const post = (kind: LeaseMessage['kind']) => {
    try {
      channel.postMessage({ protocol: PROTOCOL, from: id, kind } satisfies LeaseMessage);
    } catch {
      // Sync reports a channel that cannot post; the election simply hears nothing back.
    }
  };
  const become = (value: boolean) => {
    if (leader === value) return;
    leader = value;
    changed(value);
  };
  const tick = () => {
    if (!leader && holder !== undefined && Date.now() - heardAt < 3 * BEAT) return;
    holder = undefined;
    become(true);
    post('lease');
  };
  const onMessage = ({ data }: { data: unknown }) => {
    if (!isLeaseMessage(data) || data.from === id) return;
    if (data.kind === 'hello') {
      if (leader) post('lease');
      return;
    }
    if (data.kind === 'release') {
      if (holder === data.from) {
        holder = undefined;
        tick();
      }
      return;
    }
    if (leader) {
      // Two leaders after a race: the smaller id keeps it, and says so at once.
      if (data.from > id) return post('lease');
      become(false);
    }
    holder = data.from;
    heardAt = Date.now();
  };
  const election: Election = {
    get leader() {
      return leader;
    },
    join() {
      if (timer !== undefined) return;
      channel.addEventListener('message', onMessage);
      globalThis.addEventListener?.('pagehide', election.leave);
      // Ask who leads; claim at the first beat if nobody answered.
      holder = undefined;
      post('hello');
      timer = setInterval(tick, BEAT);
    },
    leave() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      channel.removeEventListener('message', onMessage);
      globalThis.removeEventListener?.('pagehide', election.leave);
      if (leader) post('release');
      holder = undefined;
      become(false);
    },
  };
  return election;
}
