import type { DBSchema } from 'idb';
import type { ScopeRecord } from '../types.js';
import { fromRecord, toRecord, type EntryRecord, type Stamp } from './record.js';

/**
 * The IndexedDB version of the layout this code reads and writes.
 *
 * History (each version is a layout; `steps` below takes any older one to the current one):
 * - 1: the preview layout. One `entries` object store of whole cache entries (including the
 *   decoded `data`), out-of-line keys or keyPath `key`, no indexes, no scope or build records.
 * - 2: `entries` keyed by `key` with indexes `namespace` and `accessedAt`; `scopes`; `meta`.
 * - 3: the current layout, described by {@link NostaleSchema}: `entries` indexed for exact-URL
 *   invalidation and for a prune that never reads a live record (`url`, `lru`, `expires`,
 *   `stamp`), its records carrying the derived `expires` and `stamp` fields.
 */
export const DB_VERSION = 3;

export const ENTRIES = 'entries';
export const SCOPES = 'scopes';
export const META = 'meta';
const STORES = [ENTRIES, SCOPES, META] as const;

/** Layout of version {@link DB_VERSION}. */
export interface NostaleSchema extends DBSchema {
  /** One record per cache entry, keyed by its cache key: a cached read is one `get`. */
  entries: {
    key: string;
    value: EntryRecord;
    indexes: {
      /**
       * `[namespace, url]`: exact-URL invalidation is one `getAllKeys` per URL, and a namespace
       * (a logout) is one key range.
       */
      url: [string, string];
      /** `[accessedAt, size]`: least recently used first, with the sizes eviction and the byte cap need, without reading records. */
      lru: [number, number];
      /** When an entry without a validator can no longer be served (see `EntryRecord.expires`). */
      expires: number;
      /** What decides whether a version change killed an entry (see `EntryRecord.stamp`). */
      stamp: Stamp;
    };
  };
  /** Scope states (version token and mark), keyed by `[namespace, scope]`. */
  scopes: { key: [string, string]; value: ScopeRecord };
  /** Database-wide facts, by name: `build` is the build whose entries the database holds. */
  meta: { key: string; value: string };
}

/** What a migration tells its caller. */
export interface UpgradeHooks {
  /** A record that could not be carried over was dropped. */
  dropped(key: string): void;
  /** A step failed; the upgrade transaction is being aborted. */
  failed(error: unknown): void;
}

interface Context {
  db: IDBDatabase;
  tx: IDBTransaction;
  hooks: UpgradeHooks;
}

interface Step {
  /** The version this step produces. It runs when the database is older. */
  version: number;
  /**
   * Takes the layout of the previous version (or no database, from version 0) to `version`.
   * A step may return a promise when it moves records; it may await only IDB requests of `tx`,
   * since anything else would let the upgrade transaction commit half done.
   */
  run(ctx: Context): void | Promise<void>;
}

/**
 * Upgrade steps, oldest first. To change the layout: bump {@link DB_VERSION}, append a step that
 * takes version `DB_VERSION - 1` to it, and never edit a shipped step, since databases of every
 * age run the whole chain from their own version. A step that cannot carry a record over drops
 * it and tells `hooks.dropped`: losing a cache entry costs one request, crashing costs the app.
 */
const steps: Step[] = [
  { version: 2, run: toVersion2 },
  { version: 3, run: toVersion3 },
];

/** Runs from `upgradeneeded`: every step above `oldVersion`, in order, in the upgrade transaction. */
export function upgrade(db: IDBDatabase, tx: IDBTransaction, oldVersion: number, hooks: UpgradeHooks): void {
  const ctx: Context = { db, tx, hooks };
  const fail = (error: unknown) => {
    hooks.failed(error);
    try {
      tx.abort();
    } catch {
      // Already finished: the open request reports the outcome.
    }
  };
  // Synchronous steps run inside the event; only a step that returns a promise defers the rest.
  const runFrom = (index: number): void => {
    for (let i = index; i < steps.length; i++) {
      const step = steps[i]!;
      if (oldVersion >= step.version) continue;
      let result: void | Promise<void>;
      try {
        result = step.run(ctx);
      } catch (error) {
        fail(error);
        return;
      }
      if (result) return void result.then(() => runFrom(i + 1), fail);
    }
  };
  runFrom(0);
}

/** True when the database has the object stores this code uses (and is not someone else's). */
export const hasLayout = (db: IDBDatabase): boolean => STORES.every((name) => db.objectStoreNames.contains(name));

/** Version 2's `entries` store, as shipped: later steps take it on from there. */
function createEntriesV2(db: IDBDatabase): IDBObjectStore {
  const store = db.createObjectStore(ENTRIES, { keyPath: 'key' });
  addIndexesV2(store);
  return store;
}

function addIndexesV2(store: IDBObjectStore): void {
  if (!store.indexNames.contains('namespace')) store.createIndex('namespace', 'namespace');
  if (!store.indexNames.contains('accessedAt')) store.createIndex('accessedAt', 'accessedAt');
}

/**
 * 0 → 2: creates the stores. 1 → 2: a preview `entries` store keyed by `key` only needs its
 * indexes (records that fail the shape check are dropped by the background prune, and `data` is
 * stripped on read); one with out-of-line keys is rebuilt, keeping the records that pass the shape
 * check and dropping the rest.
 */
function toVersion2({ db, tx, hooks }: Context): void | Promise<void> {
  if (!db.objectStoreNames.contains(SCOPES)) db.createObjectStore(SCOPES, { keyPath: ['namespace', 'scope'] });
  if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
  if (!db.objectStoreNames.contains(ENTRIES)) {
    createEntriesV2(db);
    return;
  }
  const legacy = tx.objectStore(ENTRIES);
  if (legacy.keyPath === 'key' && !legacy.autoIncrement) {
    addIndexesV2(legacy);
    return;
  }
  const moved = `${ENTRIES}-v1`;
  legacy.name = moved;
  const entries = createEntriesV2(db);
  return new Promise<void>((resolve, reject) => {
    const request = legacy.openCursor();
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor) {
        db.deleteObjectStore(moved);
        resolve();
        return;
      }
      const value: unknown = cursor.value;
      const key = cursor.primaryKey;
      // Out-of-line keys: the store's key is the cache key; a `key` field, if any, must agree.
      if (typeof value === 'object' && value !== null && !('key' in value) && typeof key === 'string') {
        (value as { key?: string }).key = key;
      }
      const entry = fromRecord(value);
      if (entry && entry.key === key) entries.put(toRecord(entry));
      else hooks.dropped(String(key));
      cursor.continue();
    };
  });
}

/**
 * 2 → 3: replaces the `namespace` and `accessedAt` indexes by `url` and `lru`, adds `expires`
 * and `stamp`, and rewrites every record so it carries the derived fields those index (a record
 * without them would be invisible to the prune). Records that fail the shape check are dropped.
 * It reads every record once, in the upgrade: the one time a prune-like pass over all of them
 * runs, instead of on every load.
 */
function toVersion3({ tx, hooks }: Context): Promise<void> {
  const entries = tx.objectStore(ENTRIES);
  for (const name of ['namespace', 'accessedAt']) if (entries.indexNames.contains(name)) entries.deleteIndex(name);
  entries.createIndex('url', ['namespace', 'url']);
  entries.createIndex('lru', ['accessedAt', 'size']);
  entries.createIndex('expires', 'expires');
  entries.createIndex('stamp', 'stamp');
  return new Promise<void>((resolve, reject) => {
    const request = entries.openCursor();
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor) return resolve();
      const entry = fromRecord(cursor.value);
      if (entry && entry.key === cursor.primaryKey) cursor.update(toRecord(entry));
      else {
        hooks.dropped(String(cursor.primaryKey));
        cursor.delete();
      }
      cursor.continue();
    };
  });
}
