import { matches } from '../filter.js';
import type { CacheEntry, CacheEvent, EntryFilter, ScopeRecord, Store } from '../types.js';
import { usesScopes } from './batch.js';
import { Connection } from './connection.js';
import { describe } from './errors.js';
import type { Phase } from './phase.js';
import { Pruner } from './prune.js';
import { fromRecord, fromScopeRecord } from './record.js';
import { Reporter } from './reporter.js';
import { request } from './request.js';
import { ENTRIES, SCOPES } from './schema.js';
import { selectKeys } from './select.js';
import { scopeId, TOUCH_EVERY, Writer } from './writer.js';

export interface IdbStoreOptions {
  /**
   * IndexedDB database name. Give each app on an origin its own; two stores over the same name
   * share their entries (that is how tabs share them). Default `'nostale'`.
   */
  name?: string;
  /**
   * Build id, the same as the client's `build`. When the database was last opened by another
   * build, its entries are dropped at open in one operation, and a read never answers a record of
   * another build (tabs of an older build may still be writing them).
   */
  build?: string;
  /** Most entries kept; the least recently read go first, in the background. Default 10 000. */
  maxEntries?: number;
  /**
   * Most bytes kept, counted as the client counts them (`CacheEntry.size`: UTF-16 length of a
   * text body, byte length of a binary one). The least recently read go first, in the
   * background. Default 50 MB.
   */
  maxBytes?: number;
  /**
   * An open that has not finished after this many ms is given up and the store runs memory-only
   * (an `idb-unavailable` warning). Guards against opens that never settle (some WebKit
   * versions) and upgrades blocked by a tab that never closes. Default 3000.
   */
  openTimeout?: number;
  /**
   * The IndexedDB factory. Default `globalThis.indexedDB`; `null` runs memory-only. Inject one in
   * tests (fake-indexeddb's `new IDBFactory()`); it must share the global `IDB*` classes, which
   * the `idb` package checks against.
   */
  indexedDB?: IDBFactory | null;
  /** Clock in ms, for expiry in the background prune and for LRU. Default `Date.now`. */
  now?: () => number;
  /**
   * Ms after open before the background prune (expired and out-of-version entries, then the
   * caps) first runs, by index, in idle-time slices. Later prunes run when writes may have pushed
   * the store over its caps. `false` never prunes on its own: call `prune()`. Default 5000.
   */
  pruneDelay?: number | false;
}

/** A persistent {@link Store} over IndexedDB, from {@link idbStore}. */
export interface IdbStore extends Store {
  /** One `get` in one readonly transaction; `undefined` for a missing, corrupt or other-build record. Never rejects. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Queues the entries (without `data`, skipping `memoryOnly` ones); writes of one task share a transaction. */
  set(entries: readonly CacheEntry[]): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** By the `url` index when a namespace or URLs are given; a scan only for `where` alone. For invalidation, never for reads. */
  keys(filter?: EntryFilter): Promise<string[]>;
  /**
   * Deletes what `filter` selects and answers the keys it deleted, once committed. Exact URLs of
   * one namespace (an invalidation of a URL, an unsafe request) are one readwrite transaction
   * with one key-range delete per URL, over the keys the client gives its entries (all variants);
   * nothing waits for a read first. Other filters select as `keys` does, then delete.
   */
  remove(filter: EntryFilter): Promise<string[]>;
  /**
   * Without a filter, one `clear()` of entries and scope records. By namespace alone (a logout),
   * that namespace's entries and scope records, through the indexes; narrower filters remove
   * entries only.
   */
  clear(filter?: EntryFilter): Promise<void>;
  /**
   * `idb:` and the database name (after a token of the page for an injected factory) while reads
   * and writes reach IndexedDB, `undefined` once memory-only: stores with the same name share the
   * records (see `Store.shared`).
   */
  readonly shared: string | undefined;
  /** Where evictions and warnings go; events from before the call are delivered on it. */
  attach(report: (event: CacheEvent) => void): void;
  loadScopes(): Promise<ScopeRecord[]>;
  saveScopes(records: readonly ScopeRecord[]): Promise<void>;
  /**
   * `idb` while entries are read from and written to IndexedDB; `memory-only` once IndexedDB is
   * missing, unusable or full (a `warning` event said why) or the store is closed. Memory-only
   * reads answer `undefined` and writes do nothing, so the client's memory tier carries on alone.
   */
  readonly status: 'idb' | 'memory-only';
  /** Where the store is in its life (see docs/idb.md); `status` is its summary. */
  readonly phase: Phase;
  /** Settles once the first open has succeeded or fallen back to memory-only. Never rejects. */
  readonly ready: Promise<void>;
  /** Settles once every write made so far is committed, or has failed and been reported. */
  flush(): Promise<void>;
  /**
   * Drops expired and out-of-version entries, then evicts the least recently read down to the
   * caps, by index, in idle-time slices. Resolves with the number of entries removed. The store
   * runs it on its own (see `pruneDelay`); apps rarely call it.
   */
  prune(): Promise<number>;
  /** Commits pending writes, then closes the connection; the store then answers nothing. */
  close(): void;
}

const ignore = () => undefined;

/**
 * Factories other than the page's own `indexedDB` (fake-indexeddb, a polyfill) by a token of
 * this page: stores over one of them share it only within the page.
 */
const factories = new WeakMap<IDBFactory, string>();
const factoryId = (factory: IDBFactory | undefined): string => {
  if (!factory || factory === globalThis.indexedDB) return '';
  let id = factories.get(factory);
  if (id === undefined) factories.set(factory, (id = `${Math.random().toString(36).slice(2)}/`));
  return id;
};

export class IdbStoreImpl implements IdbStore {
  readonly ready: Promise<void>;
  readonly name: string;
  phase: Phase = 'opening';
  private readonly build: string | undefined;
  private readonly now: () => number;
  private readonly reporter = new Reporter();
  private readonly connection: Connection;
  private readonly writer: Writer;
  private readonly pruner: Pruner;
  /** Reads in flight, which the prune lets go first. */
  private reading = 0;
  private readonly database: string;

  constructor(options: IdbStoreOptions = {}) {
    this.name = options.name ?? 'nostale';
    this.database = `idb:${factoryId(options.indexedDB ?? undefined)}${this.name}`;
    this.build = options.build;
    this.now = options.now ?? Date.now;
    const { reporter } = this;
    const pruneDelay = options.pruneDelay ?? 5000;
    this.connection = new Connection(this, {
      name: this.name,
      factory: options.indexedDB,
      timeout: options.openTimeout ?? 3000,
      build: this.build,
      reporter,
      opened: () => {
        if (this.phase !== 'opening') return;
        this.phase = 'open';
        if (pruneDelay !== false) this.pruner.schedule(pruneDelay);
      },
      lost: (message, late) => {
        if (this.phase !== 'closed') this.phase = 'memory-only';
        this.connection.native = this.connection.db = undefined;
        this.writer.degrade(late);
        reporter.warn('idb-unavailable', `${message}; the cache runs memory-only`);
      },
      // Closed while opening: writes queued before close() still go through (close() drops the
      // connection once they have); with none queued there is nothing to keep it for.
      unwanted: () => this.phase === 'closed' && !this.writer.busy,
    });
    this.writer = new Writer(this, {
      connection: this.connection,
      reporter,
      full: (errors) => {
        this.phase = 'full';
        reporter.warn(
          'quota-exceeded',
          `IndexedDB is out of quota even after evicting; the cache now runs memory-only: ${describe(errors[0])}`,
        );
      },
      evictForQuota: (native, bytes) => this.pruner.evictForQuota(native, bytes),
      committed: (ops) => {
        if (ops.some(usesScopes)) this.connection.forgetScopes();
        if (this.pruner.committed(ops) && pruneDelay !== false) this.pruner.schedule(0);
      },
    });
    this.pruner = new Pruner({
      connection: this.connection,
      reporter,
      build: this.build,
      now: this.now,
      maxEntries: options.maxEntries ?? 10_000,
      maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
      live: () => this.readable,
      reading: () => this.reading,
      flush: () => this.writer.flush(),
    });
    // Opening starts now, so it overlaps the app's own startup instead of delaying its first read.
    this.ready = this.connection.get().then(ignore, ignore);
  }

  /**
   * `idb:` and the database name (after a token of the page for an injected factory) while reads
   * and writes reach IndexedDB; `undefined` once the store runs memory-only.
   */
  get shared(): string | undefined {
    return this.readable ? this.database : undefined;
  }

  get status(): 'idb' | 'memory-only' {
    return this.readable ? 'idb' : 'memory-only';
  }

  /** Reads reach IndexedDB only in these phases. */
  private get readable(): boolean {
    return this.phase === 'open' || this.phase === 'opening';
  }

  attach(report: (event: CacheEvent) => void): void {
    this.reporter.attach(report);
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const pending = this.writer.overlay.get(key);
    if (pending) return pending.record && fromRecord(pending.record);
    if (!this.readable) return undefined;
    const clears = this.writer.clearing.size ? [...this.writer.clearing] : undefined;
    this.reading++;
    let value: unknown;
    try {
      value = await this.read(key);
    } finally {
      this.reading--;
    }
    if (value === undefined) return undefined;
    const entry = fromRecord(value);
    if (!entry || entry.key !== key) {
      this.dropCorrupt([key]);
      return undefined;
    }
    if (this.build !== undefined && entry.build !== this.build) return undefined;
    if (clears?.some((op) => matches(entry, op.filter))) return undefined;
    const now = this.now();
    if (now - entry.accessedAt > TOUCH_EVERY) this.writer.touch(key, now);
    return entry;
  }

  /**
   * One `get` in its own transaction, on the native connection: `idb`'s `db.get` would add a
   * transaction proxy and a completion promise with three listeners to every read. While the
   * database opens, the `get` joins the open's own transaction instead (`Connection.early`).
   */
  private async read(key: string): Promise<unknown> {
    try {
      const early = this.connection.early(key);
      const found =
        (early && (await early)) ??
        (await this.connection.retrying((_, native) => request(native.transaction(ENTRIES).objectStore(ENTRIES).get(key))));
      return found?.value;
    } catch (error) {
      this.reporter.warn('idb-read-failed', `Reading from IndexedDB failed: ${describe(error)}`);
      return undefined;
    }
  }

  async keys(filter?: EntryFilter): Promise<string[]> {
    if (this.phase === 'memory-only' || this.phase === 'closed') return [];
    await this.writer.flush();
    const corrupt: string[] = [];
    try {
      const found = await this.connection.retrying((_, native) =>
        selectKeys(native.transaction(ENTRIES).objectStore(ENTRIES), filter, corrupt),
      );
      return found?.value ?? [];
    } catch (error) {
      this.reporter.warn('idb-read-failed', `Listing IndexedDB entries failed: ${describe(error)}`);
      return [];
    } finally {
      this.dropCorrupt(corrupt);
    }
  }

  async loadScopes(): Promise<ScopeRecord[]> {
    if (!this.readable) return [];
    let values: unknown[];
    let keys: IDBValidKey[];
    try {
      await this.connection.get();
      const opened = this.connection.takeScopes();
      const found = opened
        ? { value: [opened.values, opened.keys] as const }
        : await this.connection.retrying((_, native) => {
            const store = native.transaction(SCOPES).objectStore(SCOPES);
            return Promise.all([request(store.getAll()), request(store.getAllKeys())]);
          });
      if (!found) return [];
      [values, keys] = found.value;
    } catch (error) {
      this.reporter.warn('idb-read-failed', `Reading scope versions from IndexedDB failed: ${describe(error)}`);
      return [];
    }
    const byId = new Map<string, ScopeRecord>();
    const corrupt: IDBValidKey[] = [];
    // A logout queued or in flight takes these records: they are gone already.
    const cleared = [...this.writer.clearing].map((op) => op.scopes).filter((scopes) => scopes !== undefined);
    values.forEach((value, i) => {
      const record = fromScopeRecord(value);
      if (!record) corrupt.push(keys[i]!);
      else if (!cleared.some((scopes) => scopes === true || scopes === record.namespace))
        byId.set(scopeId(record.namespace, record.scope), record);
    });
    if (corrupt.length) {
      // Without its record the scope gets a new mark on load, so its persisted entries die with it.
      this.reporter.warn('idb-corrupt-scope', `Dropped ${corrupt.length} unreadable scope record(s) from IndexedDB`);
      void this.writer.unscope(corrupt);
    }
    for (const [id, record] of this.writer.pendingScopes) byId.set(id, record);
    return [...byId.values()];
  }

  set(entries: readonly CacheEntry[]): Promise<void> {
    if (this.phase === 'closed') return Promise.resolve();
    return this.writer.put(entries);
  }

  delete(keys: readonly string[]): Promise<void> {
    if (this.phase === 'closed' || !keys.length) return Promise.resolve();
    return this.writer.delete(keys);
  }

  async remove(filter: EntryFilter): Promise<string[]> {
    if (this.phase === 'closed') return [];
    if (!filter.urls || filter.namespace === undefined || filter.where) {
      const keys = await this.keys(filter);
      await this.delete(keys);
      return keys;
    }
    const removed: string[] = [];
    await this.writer.clear(filter, removed);
    // A queued write of a key it also found on disk is listed twice.
    return [...new Set(removed)];
  }

  clear(filter?: EntryFilter): Promise<void> {
    if (this.phase === 'closed') return Promise.resolve();
    return this.writer.clear(filter);
  }

  saveScopes(records: readonly ScopeRecord[]): Promise<void> {
    if (this.phase === 'closed' || !records.length) return Promise.resolve();
    return this.writer.saveScopes(records);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  prune(): Promise<number> {
    return this.readable ? this.pruner.prune() : Promise.resolve(0);
  }

  close(): void {
    if (this.phase === 'closed') return;
    const before = this.phase;
    this.phase = 'closed';
    this.pruner.cancel();
    this.writer.close(before);
    // IndexedDB lets transactions already created finish after close(); queued ones need creating first.
    const finish = () => {
      if (this.connection.native) this.connection.drop(this.connection.native);
    };
    this.writer.flush().then(finish, finish);
  }

  private dropCorrupt(keys: string[]): void {
    if (!keys.length) return;
    for (const key of keys) this.reporter.report({ type: 'evict', key, reason: 'corrupt' });
    if (this.phase === 'open' || this.phase === 'opening' || this.phase === 'full') void this.writer.delete(keys);
  }
}
