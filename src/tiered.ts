import { matches } from './filter.js';
import { MemoryStore, type MemoryStoreOptions } from './memoryStore.js';
import type { CacheEntry, CacheEvent, EntryFilter, MaybePromise, ScopeRecord, Store } from './types.js';

/**
 * How long (ms) the store remembers its own persistent writes for `remove` with `since`: longer
 * than any cross-tab message takes to arrive. A `since` from before it removes from disk in full.
 */
const REMEMBER = 60_000;

export interface TieredStoreOptions extends MemoryStoreOptions {
  /** Build id: a persisted entry of another build is never served. */
  build?: string;
}

/**
 * A memory tier over a persistent one. A memory hit answers synchronously and never touches the
 * persistent tier; a miss reads it once and promotes the entry. The persistent tier's failures
 * are reported, never thrown: the app keeps working from memory.
 */
export function tieredStore(persistent: Store, options: TieredStoreOptions = {}): Store {
  const memory = new MemoryStore(options);
  let report: (event: CacheEvent) => void = () => undefined;
  /**
   * What deletes and clears removed while persistent reads were in flight: such a read may answer
   * a record that was removed after it started, and copying it up would bring it back.
   */
  const removed: ((entry: CacheEntry) => boolean)[] = [];
  let reading = 0;
  /**
   * What this store wrote to the persistent tier lately, oldest first, with when the write settled
   * (`Infinity` until then): what `remove` with `since` must still remove from disk. Bodies are left out.
   */
  const wrote = new Map<string, { entry: CacheEntry; at: number }>();
  /** Writes that settled before this were forgotten: a `remove` with an earlier `since` removes from disk in full. */
  let horizon = Number.NEGATIVE_INFINITY;
  const prune = (now: number) => {
    for (const [key, write] of wrote) {
      if (write.at >= now - REMEMBER) break;
      horizon = Math.max(horizon, write.at);
      wrote.delete(key);
    }
  };
  const guard = async <T>(work: () => MaybePromise<T>, fallback: T): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      report({ type: 'warning', code: 'store-failed', message: String(error) });
      return fallback;
    }
  };

  return {
    attach(to) {
      report = to;
      memory.attach(to);
      persistent.attach?.(to);
    },
    peek: (key) => memory.peek(key),
    hold: (key) => memory.hold(key),
    hit: (held) => memory.hit(held),
    get(key) {
      return memory.get(key) ?? promote(key);
    },
    set(entries) {
      memory.set(entries);
      const lasting = entries.filter((entry) => !entry.memoryOnly);
      if (!lasting.length) return;
      const writes = lasting.map((entry) => {
        const write = { entry: { ...entry, body: '', data: undefined }, at: Number.POSITIVE_INFINITY };
        wrote.delete(entry.key);
        wrote.set(entry.key, write);
        return write;
      });
      void guard(() => persistent.set(lasting), undefined).then(() => {
        const now = Date.now();
        for (const write of writes) write.at = now;
        prune(now);
      });
    },
    async delete(keys) {
      if (reading) {
        const gone = new Set(keys);
        removed.push((entry) => gone.has(entry.key));
      }
      memory.delete(keys);
      await guard(() => persistent.delete(keys), undefined);
    },
    async keys(filter?: EntryFilter) {
      const inMemory = memory.keys(filter);
      const persisted = await guard(() => persistent.keys(filter), []);
      if (!persisted.length) return inMemory;
      return [...new Set([...inMemory, ...persisted])];
    },
    remove,
    get shared() {
      return persistent.shared;
    },
    async clear(filter) {
      if (reading) removed.push((entry) => matches(entry, filter));
      memory.clear(filter);
      await guard(() => persistent.clear(filter), undefined);
    },
    loadScopes: () => guard(() => persistent.loadScopes?.() ?? [], [] as ScopeRecord[]),
    saveScopes: (records) => guard(() => persistent.saveScopes?.(records), undefined),
  };

  /**
   * With `since` (another tab's drop over the same disk), from disk only what this store wrote
   * there at or after it, unless it may have forgotten some of those writes.
   */
  async function remove(filter: EntryFilter, since?: number): Promise<string[]> {
    if (reading) removed.push((entry) => matches(entry, filter));
    const inMemory = memory.keys(filter);
    memory.delete(inMemory);
    const persisted = await guard(async () => {
      if (since! > horizon) {
        const mine = [...wrote].filter(([, write]) => write.at >= since! && matches(write.entry, filter)).map(([key]) => key);
        if (mine.length) await persistent.delete(mine);
        return mine;
      }
      if (persistent.remove) return persistent.remove(filter);
      const keys = await persistent.keys(filter);
      await persistent.delete(keys);
      return keys;
    }, []);
    return persisted.length ? [...new Set([...inMemory, ...persisted])] : inMemory;
  }

  async function promote(key: string): Promise<CacheEntry | undefined> {
    const from = removed.length;
    reading++;
    try {
      const entry = await guard(() => persistent.get(key), undefined);
      // A record must be the one asked for, and of this build.
      if (!entry || entry.key !== key || (options.build !== undefined && entry.build !== options.build)) return undefined;
      // Removed (a logout, an invalidation) while the read was in flight: gone, as for any later read.
      for (let i = from; i < removed.length; i++) if (removed[i]!(entry)) return undefined;
      memory.set([entry]);
      return entry;
    } finally {
      if (--reading === 0) removed.length = 0;
    }
  }
}
