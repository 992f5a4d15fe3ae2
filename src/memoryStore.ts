import { isPrimaryGetKey, primaryKey } from './core/cacheKey.js';
import { matches } from './filter.js';
import type { CacheEntry, CacheEvent, EntryFilter, Held, Store } from './types.js';

export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first (see `MemoryStore`). Default 1000. */
  maxEntries?: number;
  /** Most bytes of bodies kept (approximate); a larger entry is answered but not kept. Default 50 MB. */
  maxBytes?: number;
}

/** Whether the entry is under its own primary key (see `byUrl`). */
const isPrimary = (entry: CacheEntry): boolean => isPrimaryGetKey(entry.key, entry.namespace, entry.url);

/**
 * Ends a slot's hold (`Store.hold`) once it is out of the map: whoever kept it sees the entry gone
 * (and no longer keeps an evicted body alive).
 */
const release = (slot: Slot): void => {
  (slot as { entry?: CacheEntry }).entry = undefined;
};

/** One entry and the use count (`recency`) at its last write or hit: when it last moved to the recent end. */
interface Slot {
  entry: CacheEntry;
  moved: number;
}

/**
 * The memory tier: an LRU over a `Map`, whose insertion order is the order of writes.
 *
 * A hit only stamps its slot with the use count; it never reorders the map (a delete and a
 * re-insert leave a dead slot in V8's hash chains, and a scan over every entry then slowed
 * every lookup down until the next rehash). Eviction looks at the oldest slot in map order and,
 * when it was used recently, gives it a second chance instead: it moves to the recent end, and
 * the next oldest is looked at. The guarantee: an entry is evicted by `maxEntries` only after at
 * least `maxEntries - maxEntries / 4` writes or hits of other entries since its own last write
 * or hit.
 */
export class MemoryStore implements Store {
  // Private names that no public API or DOM field shares (so not `maxEntries`, `map`, `clock`) are
  // shortened in what we ship (scripts/mangle.mjs).
  private readonly byKey = new Map<string, Slot>();
  /**
   * For exact-URL invalidation, URL → the keys cached for it that are not the primary key of their
   * namespace and URL (variants, keys of other stores' making). A primary key is found again by
   * computing it, so the usual entry costs no index slot at all: a second map entry per entry cost
   * about 45 B of heap, and two more hash table operations on every `set` and every eviction,
   * which at 100k entries miss the CPU's caches.
   */
  private readonly byUrl = new Map<string, string[]>();
  /** Every namespace stored since the last full clear: those an exact-URL lookup without one tries. */
  private readonly namespacesSeen = new Set<string>();
  /** Counts writes and hits: a slot's age is `recency - slot.moved`. */
  private recency = 0;
  /**
   * Eviction's place in the map, kept between calls: a fresh iterator would walk, on every `set`,
   * the slots freed by earlier evictions until the next rehash.
   */
  private oldest?: Iterator<Slot>;
  private heldBytes = 0;
  private reportEvent?: (event: CacheEvent) => void;
  private readonly entryCap: number;
  private readonly byteCap: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.entryCap = options.maxEntries ?? 1000;
    this.byteCap = options.maxBytes ?? 50 * 1024 * 1024;
  }

  attach(report: (event: CacheEvent) => void): void {
    this.reportEvent = report;
  }

  peek(key: string): CacheEntry | undefined {
    return this.byKey.get(key)?.entry;
  }

  hold(key: string): Held | undefined {
    return this.byKey.get(key);
  }

  hit(held: Held): CacheEntry | undefined {
    const slot = held as Slot;
    if (slot.entry) slot.moved = ++this.recency;
    return slot.entry;
  }

  get(key: string): CacheEntry | undefined {
    const slot = this.byKey.get(key);
    return slot && this.hit(slot);
  }

  set(entries: readonly CacheEntry[]): void {
    for (const entry of entries) {
      const slot = this.byKey.get(entry.key);
      // A new answer for a cached key (a refetch, a poll) takes the old one's slot, stamped as a
      // write: deleting and re-inserting the key would leave a dead slot in its hash chain each
      // time, and at 100k entries (a rehash every ~30k writes) re-reading one URL then walked
      // thousands of them, 16 µs a lookup. A holder of the slot sees the new entry of its key.
      // (Same URL and namespace: its place in `byUrl` stays right.)
      const old = slot?.entry;
      if (old && entry.size <= this.byteCap && old.url === entry.url && old.namespace === entry.namespace) {
        this.heldBytes += entry.size - old.size;
        slot.entry = entry;
        slot.moved = ++this.recency;
        continue;
      }
      this.removeSlot(entry.key, slot);
      // An entry over the whole budget would evict every other entry, then itself: refused alone.
      if (entry.size > this.byteCap) {
        this.reportEvent?.({ type: 'evict', key: entry.key, reason: 'too-large' });
        continue;
      }
      this.byKey.set(entry.key, { entry, moved: ++this.recency });
      this.heldBytes += entry.size;
      this.namespacesSeen.add(entry.namespace);
      if (!isPrimary(entry)) this.byUrl.set(entry.url, [...(this.byUrl.get(entry.url) ?? []), entry.key]);
    }
    while (this.byKey.size > this.entryCap || this.heldBytes > this.byteCap) {
      let next = this.oldest?.next();
      // A finished iterator stays finished even when entries are added later.
      if (!next || next.done) next = (this.oldest = this.byKey.values()).next();
      const slot = next.value!;
      const { key } = slot.entry;
      // Used within the last 3/4 of the store's worth of uses: moved to the recent end, as the hit
      // would have moved it. Fewer uses than entries, so some entry is older: the walk ends.
      if (this.recency - slot.moved < Math.min(this.entryCap, this.byKey.size - 1) * 0.75) {
        this.byKey.delete(key);
        this.byKey.set(key, slot);
        continue;
      }
      this.removeSlot(key, slot);
      this.reportEvent?.({ type: 'evict', key, reason: 'lru' });
    }
  }

  delete(keys: readonly string[]): void {
    for (const key of keys) this.removeSlot(key);
  }

  keys(filter?: EntryFilter): string[] {
    const found: CacheEntry[] = [];
    if (filter?.urls) {
      for (const url of new Set(filter.urls)) {
        for (const namespace of filter.namespace === undefined ? this.namespacesSeen : [filter.namespace]) {
          const entry = this.byKey.get(primaryKey(namespace, 'GET', url))?.entry;
          // Found by its key alone exactly when `set` left it out of `byUrl`.
          if (entry && isPrimary(entry)) found.push(entry);
        }
        for (const key of this.byUrl.get(url) ?? []) found.push(this.byKey.get(key)!.entry);
      }
    } else for (const { entry } of this.byKey.values()) found.push(entry);
    return found.filter((entry) => matches(entry, filter)).map((entry) => entry.key);
  }

  clear(filter?: EntryFilter): void {
    if (filter) this.delete(this.keys(filter));
    else {
      for (const slot of this.byKey.values()) release(slot);
      this.byKey.clear();
      this.byUrl.clear();
      this.namespacesSeen.clear();
      this.oldest = undefined;
      this.heldBytes = 0;
    }
  }

  private removeSlot(key: string, slot = this.byKey.get(key)): void {
    if (!slot) return;
    const { url, size } = slot.entry;
    this.heldBytes -= size;
    this.byKey.delete(key);
    release(slot);
    // Mostly empty: then a primary key costs no second lookup here.
    const keys = this.byUrl.size ? this.byUrl.get(url)?.filter((k) => k !== key) : undefined;
    if (keys) keys.length ? this.byUrl.set(url, keys) : this.byUrl.delete(url);
  }
}
