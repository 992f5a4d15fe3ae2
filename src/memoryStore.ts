import { matches } from './filter.js';
import type { CacheEntry, CacheEvent, EntryFilter, Store } from './types.js';

export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first (see `MemoryStore`). Default 1000. */
  maxEntries?: number;
  /** Most bytes of bodies kept (approximate); a larger entry is answered but not kept. Default 50 MB. */
  maxBytes?: number;
}

/** One entry and the clock reading at which it last moved to the recent end of the map. */
interface Slot {
  entry: CacheEntry;
  moved: number;
}

/**
 * The memory tier: an LRU over a `Map`, whose insertion order is the recency order.
 *
 * Recency is kept to within a quarter of the store. A hit moves its entry to the recent end only
 * when more than `size / 4` insertions or moves have happened since it last moved: deleting and
 * re-inserting on every hit leaves a dead slot in V8's hash chains each time, and lookups slow
 * down with the cache size until the next rehash. The guarantee that remains: an entry is evicted
 * by `maxEntries` only after at least `maxEntries - maxEntries / 4` writes or hits of other
 * entries since its own last write or hit.
 */
export class MemoryStore implements Store {
  // Private names that no public API or DOM field shares (so not `maxEntries`, `map`, `clock`) are
  // shortened in what we ship (scripts/mangle.mjs).
  private readonly byKey = new Map<string, Slot>();
  /**
   * URL → the key cached for it, or the keys when there are several (namespaces, variants), for
   * exact-URL invalidation. A lone key is kept as the string itself: one array per entry would
   * cost about 30 B of heap each, for the common case of one key per URL.
   */
  private readonly byUrl = new Map<string, string | string[]>();
  /** Counts insertions and moves: a slot's age is `recency - slot.moved`. */
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

  get(key: string): CacheEntry | undefined {
    const slot = this.byKey.get(key);
    if (slot && this.recency - slot.moved > this.byKey.size >> 2) {
      this.byKey.delete(key);
      this.byKey.set(key, slot);
      slot.moved = ++this.recency;
    }
    return slot?.entry;
  }

  set(entries: readonly CacheEntry[]): void {
    for (const entry of entries) {
      this.removeSlot(entry.key);
      // An entry over the whole budget would evict every other entry, then itself: refused alone.
      if (entry.size > this.byteCap) {
        this.reportEvent?.({ type: 'evict', key: entry.key, reason: 'too-large' });
        continue;
      }
      this.byKey.set(entry.key, { entry, moved: ++this.recency });
      this.heldBytes += entry.size;
      const keys = this.byUrl.get(entry.url);
      if (typeof keys === 'object') keys.push(entry.key);
      else this.byUrl.set(entry.url, keys ? [keys, entry.key] : entry.key);
    }
    while (this.byKey.size > this.entryCap || this.heldBytes > this.byteCap) {
      let next = this.oldest?.next();
      // A finished iterator stays finished even when entries are added later.
      if (!next || next.done) next = (this.oldest = this.byKey.values()).next();
      const { key } = next.value!.entry;
      this.removeSlot(key, next.value);
      this.reportEvent?.({ type: 'evict', key, reason: 'lru' });
    }
  }

  delete(keys: readonly string[]): void {
    for (const key of keys) this.removeSlot(key);
  }

  keys(filter?: EntryFilter): string[] {
    const slots = filter?.urls
      ? [...new Set(filter.urls)].flatMap((url) => [this.byUrl.get(url) ?? []].flat().map((key) => this.byKey.get(key)!))
      : this.byKey.values();
    const out: string[] = [];
    for (const { entry } of slots) if (matches(entry, filter)) out.push(entry.key);
    return out;
  }

  clear(filter?: EntryFilter): void {
    if (filter) this.delete(this.keys(filter));
    else {
      this.byKey.clear();
      this.byUrl.clear();
      this.oldest = undefined;
      this.heldBytes = 0;
    }
  }

  private removeSlot(key: string, slot = this.byKey.get(key)): void {
    if (!slot) return;
    const { url, size } = slot.entry;
    this.heldBytes -= size;
    this.byKey.delete(key);
    const keys = this.byUrl.get(url)!;
    if (typeof keys === 'string') this.byUrl.delete(url);
    else if (keys.length > 2) keys.splice(keys.indexOf(key), 1);
    else this.byUrl.set(url, keys[keys.indexOf(key) ^ 1]!);
  }
}
