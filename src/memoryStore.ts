import { matches } from './filter.js';
import type { CacheEntry, CacheEvent, EntryFilter, Store } from './types.js';

export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first (see `MemoryStore`). Default 1000. */
  maxEntries?: number;
  /** Most bytes of bodies kept (approximate). Default 50 MB. */
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
  private readonly map = new Map<string, Slot>();
  /**
   * URL → the key cached for it, or the keys when there are several (namespaces, variants), for
   * exact-URL invalidation. A lone key is kept as the string itself: one array per entry would
   * cost about 30 B of heap each, for the common case of one key per URL.
   */
  private readonly byUrl = new Map<string, string | string[]>();
  /** Counts insertions and moves: a slot's age is `clock - slot.moved`. */
  private clock = 0;
  /**
   * Eviction's place in the map, kept between calls: a fresh iterator would walk, on every `set`,
   * the slots freed by earlier evictions until the next rehash.
   */
  private oldest?: Iterator<Slot>;
  private bytes = 0;
  private report?: (event: CacheEvent) => void;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  }

  attach(report: (event: CacheEvent) => void): void {
    this.report = report;
  }

  peek(key: string): CacheEntry | undefined {
    return this.map.get(key)?.entry;
  }

  get(key: string): CacheEntry | undefined {
    const slot = this.map.get(key);
    if (slot && this.clock - slot.moved > this.map.size >> 2) {
      this.map.delete(key);
      this.map.set(key, slot);
      slot.moved = ++this.clock;
    }
    return slot?.entry;
  }

  set(entries: readonly CacheEntry[]): void {
    for (const entry of entries) {
      this.remove(entry.key);
      this.map.set(entry.key, { entry, moved: ++this.clock });
      this.bytes += entry.size;
      const keys = this.byUrl.get(entry.url);
      if (typeof keys === 'object') keys.push(entry.key);
      else this.byUrl.set(entry.url, keys ? [keys, entry.key] : entry.key);
    }
    while (this.map.size > this.maxEntries || this.bytes > this.maxBytes) {
      let next = this.oldest?.next();
      // A finished iterator stays finished even when entries are added later.
      if (!next || next.done) next = (this.oldest = this.map.values()).next();
      const { key } = next.value!.entry;
      this.remove(key, next.value);
      this.report?.({ type: 'evict', key, reason: 'lru' });
    }
  }

  delete(keys: readonly string[]): void {
    for (const key of keys) this.remove(key);
  }

  keys(filter?: EntryFilter): string[] {
    const slots = filter?.urls
      ? [...new Set(filter.urls)].flatMap((url) => [this.byUrl.get(url) ?? []].flat().map((key) => this.map.get(key)!))
      : this.map.values();
    const out: string[] = [];
    for (const { entry } of slots) if (matches(entry, filter)) out.push(entry.key);
    return out;
  }

  clear(filter?: EntryFilter): void {
    if (filter) this.delete(this.keys(filter));
    else {
      this.map.clear();
      this.byUrl.clear();
      this.oldest = undefined;
      this.bytes = 0;
    }
  }

  private remove(key: string, slot = this.map.get(key)): void {
    if (!slot) return;
    const { url, size } = slot.entry;
    this.bytes -= size;
    this.map.delete(key);
    const keys = this.byUrl.get(url)!;
    if (typeof keys === 'string') this.byUrl.delete(url);
    else if (keys.length > 2) keys.splice(keys.indexOf(key), 1);
    else this.byUrl.set(url, keys[keys.indexOf(key) ^ 1]!);
  }
}
