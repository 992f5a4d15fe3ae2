import type { CacheEntry, CacheEvent, EntryFilter, Store } from './types.js';

export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. Default 1000. */
  maxEntries?: number;
  /** Most bytes of bodies kept (approximate). Default 50 MB. */
  maxBytes?: number;
}

const matches = (entry: CacheEntry, filter?: EntryFilter) =>
  (filter?.namespace === undefined || entry.namespace === filter.namespace) && (!filter?.where || filter.where(entry));

/** The memory tier: a synchronous LRU over a `Map`, whose insertion order is the recency order. */
export class MemoryStore implements Store {
  private readonly map = new Map<string, CacheEntry>();
  private bytes = 0;
  private newest?: string;
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

  /** Reads and marks as most recently used (already so when it was the last one touched). */
  get(key: string): CacheEntry | undefined {
    const entry = this.map.get(key);
    if (entry && key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, entry);
      this.newest = key;
    }
    return entry;
  }

  set(entries: readonly CacheEntry[]): void {
    for (const entry of entries) {
      this.remove(entry.key);
      this.map.set((this.newest = entry.key), entry);
      this.bytes += entry.size;
    }
    for (const [key, entry] of this.map) {
      if (this.map.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.remove(key);
      this.report?.({ type: 'evict', key: entry.key, reason: 'lru' });
    }
  }

  delete(keys: readonly string[]): void {
    for (const key of keys) this.remove(key);
  }

  keys(filter?: EntryFilter): string[] {
    const out: string[] = [];
    for (const entry of this.map.values()) if (matches(entry, filter)) out.push(entry.key);
    return out;
  }

  clear(filter?: EntryFilter): void {
    if (!filter) {
      this.map.clear();
      this.bytes = 0;
    } else this.delete(this.keys(filter));
  }

  private remove(key: string): void {
    const old = this.map.get(key);
    if (old) {
      this.bytes -= old.size;
      this.map.delete(key);
    }
  }
}
