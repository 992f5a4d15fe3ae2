import { MemoryStore, type MemoryStoreOptions } from './memoryStore.js';
import type { CacheEntry, CacheEvent, EntryFilter, MaybePromise, ScopeRecord, Store } from './types.js';

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
    get(key) {
      return memory.get(key) ?? promote(key);
    },
    set(entries) {
      memory.set(entries);
      const lasting = entries.filter((entry) => !entry.memoryOnly);
      if (lasting.length) void guard(() => persistent.set(lasting), undefined);
    },
    async delete(keys) {
      memory.delete(keys);
      await guard(() => persistent.delete(keys), undefined);
    },
    async keys(filter?: EntryFilter) {
      return [...new Set([...memory.keys(filter), ...(await guard(() => persistent.keys(filter), []))])];
    },
    async clear(filter) {
      memory.clear(filter);
      await guard(() => persistent.clear(filter), undefined);
    },
    loadScopes: () => guard(() => persistent.loadScopes?.() ?? [], [] as ScopeRecord[]),
    saveScopes: (records) => guard(() => persistent.saveScopes?.(records), undefined),
  };

  async function promote(key: string): Promise<CacheEntry | undefined> {
    const entry = await guard(() => persistent.get(key), undefined);
    // A record must be the one asked for, and of this build.
    if (!entry || entry.key !== key || (options.build !== undefined && entry.build !== options.build)) return undefined;
    memory.set([entry]);
    return entry;
  }
}
