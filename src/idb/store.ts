import { unwrap } from 'idb';
import type { CacheEntry, CacheEvent, EntryFilter, ScopeRecord, Store } from '../types.js';
import { describe, isClosingError, isQuotaError } from './errors.js';
import { openDatabase, type Database } from './open.js';
import { deadReason, fromRecord, fromScopeRecord, matches, toRecord, toScopeRecord, type EntryRecord } from './record.js';
import { ENTRIES, META, SCOPES } from './schema.js';

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
   * Ms after open before the background prune (expired, out-of-version and corrupt entries, then
   * the caps) first runs, in idle time and in small chunks. Later prunes run when writes may have
   * pushed the store over its caps. `false` never prunes on its own: call `prune()`. Default 5000.
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
  /** A scan, by the namespace index when a namespace is given: for invalidation, never for reads. */
  keys(filter?: EntryFilter): Promise<string[]>;
  /** Without a filter, one `clear()`; by namespace, through the namespace index. */
  clear(filter?: EntryFilter): Promise<void>;
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
  /** Settles once the first open has succeeded or fallen back to memory-only. Never rejects. */
  readonly ready: Promise<void>;
  /** Settles once every write made so far is committed, or has failed and been reported. */
  flush(): Promise<void>;
  /**
   * Drops expired, out-of-version and corrupt entries, then evicts the least recently read down
   * to the caps, in idle-time chunks. Resolves with the number of entries removed. The store runs
   * it on its own (see `pruneDelay`); apps rarely call it.
   */
  prune(): Promise<number>;
  /** Commits pending writes, then closes the connection; the store then answers nothing. */
  close(): void;
}

type Mode =
  | 'idb'
  /** Out of quota: nothing is read or added; deletes and clears still run, so nothing stale or private outlives it. */
  | 'quota'
  /** No usable connection. */
  | 'unavailable';

/** A key's latest queued write, until committed: `record` undefined means deleted. */
interface Pending {
  key: string;
  record?: EntryRecord;
}

type Op =
  | { type: 'put'; pending: Pending }
  | { type: 'delete'; pendings: Pending[] }
  | { type: 'clear'; filter?: EntryFilter; pendings: Pending[] }
  | { type: 'scopes'; records: ScopeRecord[] }
  | { type: 'unscope'; keys: IDBValidKey[] }
  | { type: 'touch'; at: Map<string, number> };

type Evict = Extract<CacheEvent, { type: 'evict' }>;

/** Every error seen for one failed batch: the transaction's and its requests'. */
class BatchError extends Error {
  constructor(readonly errors: unknown[]) {
    super(errors.map(describe).join('; ') || 'transaction aborted');
  }
}

/** Records per prune or eviction transaction: short enough never to hold up a read for long. */
const CHUNK = 250;
/** A read rewrites `accessedAt` only when it is older than this: LRU needs no finer grain. */
const TOUCH_EVERY = 60 * 60_000;
const TOUCH_DELAY = 2000;
/** Caps are enforced down to this share of themselves, so eviction does not run on every write. */
const LOW_WATER = 0.9;
/** Keys remembered while an open hangs, beyond which a late connection clears everything instead. */
const LIMBO_MAX = 10_000;
const MAX_BUFFERED_EVENTS = 100;

const scopeId = (namespace: string, scope: string) => JSON.stringify([namespace, scope]);
const ignore = () => undefined;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function idle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof globalThis.requestIdleCallback === 'function') globalThis.requestIdleCallback(() => resolve(), { timeout: 1000 });
    else setTimeout(resolve, 0);
  });
}

export class IdbStoreImpl implements IdbStore {
  readonly ready: Promise<void>;
  private readonly name: string;
  private readonly build: string | undefined;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private mode: Mode = 'idb';
  private closed = false;
  private native: IDBDatabase | undefined;
  private db: Database | undefined;
  private opening: Promise<Database | undefined> | undefined;
  private opened = false;
  private blocked = false;

  private queue: Op[] = [];
  private pumping: Promise<void> | undefined;
  private readonly overlay = new Map<string, Pending>();
  /** Clears queued or in flight: a read that started before one commits must not answer what it removes. */
  private readonly clearing = new Set<Extract<Op, { type: 'clear' }>>();
  private readonly pendingScopes = new Map<string, ScopeRecord>();
  private touches = new Map<string, number>();
  private touchTimer: ReturnType<typeof setTimeout> | undefined;
  private pruneTimer: ReturnType<typeof setTimeout> | undefined;
  private sweeping: Promise<number> | undefined;
  /** Live entries and bytes as of the last prune plus later writes (overwrites count twice). */
  private totals: { count: number; bytes: number } | undefined;
  /** Writes made while an open hangs, as deletes: replayed if the open ever succeeds. */
  private limbo: Op[] | undefined;
  private limboKeys = 0;

  private reporter: ((event: CacheEvent) => void) | undefined;
  private buffered: CacheEvent[] = [];
  private readonly warned = new Set<string>();

  constructor(private readonly options: IdbStoreOptions = {}) {
    this.name = options.name ?? 'nostale';
    this.build = options.build;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
    this.now = options.now ?? Date.now;
    // Opening starts now, so it overlaps the app's own startup instead of delaying its first read.
    this.ready = this.connection().then(ignore, ignore);
  }

  get status(): 'idb' | 'memory-only' {
    return this.mode === 'idb' && !this.closed ? 'idb' : 'memory-only';
  }

  attach(report: (event: CacheEvent) => void): void {
    this.reporter = report;
    const buffered = this.buffered;
    this.buffered = [];
    for (const event of buffered) this.report(event);
  }

  // ---- reads -------------------------------------------------------------------------------

  async get(key: string): Promise<CacheEntry | undefined> {
    const pending = this.overlay.get(key);
    if (pending) return pending.record && { ...pending.record };
    if (this.mode !== 'idb' || this.closed) return undefined;
    const clears = this.clearing.size ? [...this.clearing] : undefined;
    const value = await this.read(key, true);
    if (value === undefined) return undefined;
    const entry = fromRecord(value);
    if (!entry || entry.key !== key) {
      this.dropCorrupt([key]);
      return undefined;
    }
    if (this.build !== undefined && entry.build !== this.build) return undefined;
    if (clears?.some((op) => matches(entry, op.filter))) return undefined;
    const now = this.now();
    if (now - entry.accessedAt > TOUCH_EVERY) this.touch(key, now);
    return entry;
  }

  /**
   * One `get` in its own transaction, on the native connection: `idb`'s `db.get` would add a
   * transaction proxy and a completion promise with three listeners to every read.
   */
  private async read(key: string, retry: boolean): Promise<unknown> {
    let native = this.native;
    if (!native) {
      await this.connection();
      native = this.native;
      if (!native) return undefined;
    }
    try {
      return await request(native.transaction(ENTRIES).objectStore(ENTRIES).get(key));
    } catch (error) {
      if (retry && (isClosingError(error) || native !== this.native)) {
        this.dropConnection(native);
        return this.read(key, false);
      }
      this.warn('idb-read-failed', `Reading from IndexedDB failed: ${describe(error)}`);
      return undefined;
    }
  }

  async keys(filter?: EntryFilter): Promise<string[]> {
    if (this.mode === 'unavailable' || this.closed) return [];
    await this.flush();
    for (let attempt = 0; ; attempt++) {
      const db = await this.connection();
      if (!db) return [];
      try {
        return await this.scanKeys(db, filter);
      } catch (error) {
        if (attempt === 0 && (isClosingError(error) || db !== this.db)) {
          this.dropConnection(unwrap(db));
          continue;
        }
        this.warn('idb-read-failed', `Listing IndexedDB entries failed: ${describe(error)}`);
        return [];
      }
    }
  }

  private async scanKeys(db: Database, filter: EntryFilter | undefined): Promise<string[]> {
    const store = db.transaction(ENTRIES).store;
    const namespace = filter?.namespace;
    if (!filter?.where) return namespace === undefined ? store.getAllKeys() : store.index('namespace').getAllKeys(namespace);
    const out: string[] = [];
    const corrupt: string[] = [];
    let cursor = await (namespace === undefined ? store.openCursor() : store.index('namespace').openCursor(namespace));
    while (cursor) {
      const entry = fromRecord(cursor.value);
      if (!entry) corrupt.push(String(cursor.primaryKey));
      else if (filter.where(entry)) out.push(entry.key);
      cursor = await cursor.continue();
    }
    this.dropCorrupt(corrupt);
    return out;
  }

  async loadScopes(): Promise<ScopeRecord[]> {
    if (this.mode !== 'idb' || this.closed) return [];
    const db = await this.connection();
    if (!db) return [];
    let values: unknown[];
    let keys: IDBValidKey[];
    try {
      const store = db.transaction(SCOPES).store;
      [values, keys] = await Promise.all([store.getAll(), store.getAllKeys()]);
    } catch (error) {
      this.warn('idb-read-failed', `Reading scope versions from IndexedDB failed: ${describe(error)}`);
      return [];
    }
    const byId = new Map<string, ScopeRecord>();
    const corrupt: IDBValidKey[] = [];
    values.forEach((value, i) => {
      const record = fromScopeRecord(value);
      if (record) byId.set(scopeId(record.namespace, record.scope), record);
      else corrupt.push(keys[i]!);
    });
    if (corrupt.length) {
      // Without its record the scope gets a new mark on load, so its persisted entries die with it.
      this.warn('idb-corrupt-scope', `Dropped ${corrupt.length} unreadable scope record(s) from IndexedDB`);
      void this.enqueue({ type: 'unscope', keys: corrupt });
    }
    for (const [id, record] of this.pendingScopes) byId.set(id, record);
    return [...byId.values()];
  }

  // ---- writes ------------------------------------------------------------------------------

  set(entries: readonly CacheEntry[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    for (const entry of entries) {
      // `tieredStore` already filters these; a persistent tier checks again, since writing one
      // would put a `persist: false` answer on disk.
      if (entry.memoryOnly) continue;
      const pending: Pending = { key: entry.key, record: toRecord(entry) };
      if (this.mode === 'idb') this.overlay.set(entry.key, pending);
      this.queue.push({ type: 'put', pending });
    }
    return this.kick();
  }

  delete(keys: readonly string[]): Promise<void> {
    if (this.closed || !keys.length) return Promise.resolve();
    const pendings = keys.map((key) => this.pend(key));
    return this.enqueue({ type: 'delete', pendings });
  }

  clear(filter?: EntryFilter): Promise<void> {
    if (this.closed) return Promise.resolve();
    const op: Extract<Op, { type: 'clear' }> = { type: 'clear', filter, pendings: [] };
    for (const [key, pending] of this.overlay) {
      if (pending.record && matches(pending.record, filter)) op.pendings.push(this.pend(key));
    }
    if (this.mode === 'idb') this.clearing.add(op);
    return this.enqueue(op);
  }

  saveScopes(records: readonly ScopeRecord[]): Promise<void> {
    if (this.closed || !records.length) return Promise.resolve();
    const copies = records.map(toScopeRecord);
    if (this.mode === 'idb') for (const record of copies) this.pendingScopes.set(scopeId(record.namespace, record.scope), record);
    return this.enqueue({ type: 'scopes', records: copies });
  }

  flush(): Promise<void> {
    // Touches wait for a batch to ride along with; a flush is one.
    if (this.touches.size && this.mode === 'idb' && !this.closed) void this.kick();
    return this.pumping ?? Promise.resolve();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.touchTimer);
    clearTimeout(this.pruneTimer);
    // IndexedDB lets transactions already created finish after close(); queued ones need creating first.
    const finish = () => {
      if (this.native) this.dropConnection(this.native);
    };
    if (this.pumping) this.pumping.then(finish, finish);
    else finish();
  }

  private pend(key: string): Pending {
    const pending: Pending = { key };
    if (this.mode === 'idb') this.overlay.set(key, pending);
    return pending;
  }

  private enqueue(op: Op): Promise<void> {
    this.queue.push(op);
    return this.kick();
  }

  /** Starts the writer unless it runs: everything queued in this task goes into one transaction. */
  private kick(): Promise<void> {
    this.pumping ??= Promise.resolve().then(() => this.pump());
    return this.pumping;
  }

  /**
   * The single writer. One batch at a time, so a batch retried after a failure can never land
   * after (and undo) a later one; what is queued meanwhile forms the next batch.
   */
  private async pump(): Promise<void> {
    while (this.queue.length || this.touches.size) {
      const ops = this.queue;
      this.queue = [];
      if (this.touches.size) {
        // Reads happened before these writes: their touches go first, and a write in the same
        // batch wins over them.
        ops.unshift({ type: 'touch', at: this.touches });
        this.touches = new Map();
      }
      try {
        await this.commit(ops);
      } catch (error) {
        // commit() handles every IndexedDB failure; this is for a bug, which must not reject set().
        this.warn('idb-write-failed', `Writing to IndexedDB failed: ${describe(error)}`);
      }
      this.settle(ops);
    }
    this.pumping = undefined;
  }

  private async commit(ops: Op[]): Promise<void> {
    let quotaRetried = false;
    let retried = false;
    for (;;) {
      if (this.mode === 'unavailable') return this.toLimbo(ops);
      const batch = this.mode === 'quota' ? shrink(ops) : ops;
      if (!batch.length) return;
      const db = await this.connection();
      // No connection (the open failed meanwhile, or the store closed): limbo keeps what matters.
      if (!db) return this.toLimbo(ops);
      const native = unwrap(db);
      try {
        await this.write(native, batch);
        this.committed(batch);
        return;
      } catch (error) {
        const errors = error instanceof BatchError ? error.errors : [error];
        if (isQuotaError(...errors)) {
          if (this.mode === 'idb' && !quotaRetried) {
            quotaRetried = true;
            await this.evictForQuota(db, batch);
            continue;
          }
          if (this.mode === 'idb') {
            this.toQuotaMode(errors);
            continue;
          }
        } else if (!retried) {
          retried = true;
          // A connection closed under us (or replaced meanwhile): reopen and try once more.
          if (errors.some(isClosingError) || native !== this.native) this.dropConnection(native);
          continue;
        }
        this.warn('idb-write-failed', `Writing to IndexedDB failed; the writes were dropped: ${describe(errors[0])}`);
        return;
      }
    }
  }

  /** One readwrite transaction for the whole batch, in queue order. */
  private async write(native: IDBDatabase, ops: Op[]): Promise<void> {
    // A lost cache write costs a refetch; a lost delete, clear or scope mark could bring back
    // stale or another user's data after a crash, so those keep the default durability.
    const relaxed = ops.every((op) => op.type === 'put' || op.type === 'touch');
    const withScopes = ops.some((op) => op.type === 'scopes' || op.type === 'unscope');
    const tx = native.transaction(withScopes ? [ENTRIES, SCOPES] : ENTRIES, 'readwrite', { durability: relaxed ? 'relaxed' : 'default' });
    const errors: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(new BatchError([tx.error, ...errors].filter(Boolean)));
    });
    // Handled below by `await done`; until then an early abort must not count as unhandled.
    done.catch(ignore);
    const entries = tx.objectStore(ENTRIES);
    // Only a batch with scope records has the scopes store in its transaction.
    const scopes = () => tx.objectStore(SCOPES);
    let skipped: unknown;
    const put = (store: IDBObjectStore, value: unknown) => {
      try {
        store.put(value).onerror = (event) => errors.push((event.target as IDBRequest).error);
      } catch (error) {
        // Not storable (a value structured clone refuses): skip it, keep the rest of the batch.
        skipped = error;
      }
    };
    try {
      for (const op of ops) {
        if (op.type === 'put') put(entries, op.pending.record);
        else if (op.type === 'delete') for (const { key } of op.pendings) entries.delete(key);
        else if (op.type === 'clear') await clearIn(entries, op.filter);
        else if (op.type === 'scopes') for (const record of op.records) put(scopes(), record);
        else if (op.type === 'unscope') for (const key of op.keys) scopes().delete(key);
        else await touchIn(entries, op.at);
      }
    } catch (error) {
      errors.push(error);
      try {
        tx.abort();
      } catch {
        // Already aborting.
      }
    }
    await done;
    if (skipped) this.warn('idb-write-failed', `An entry could not be stored in IndexedDB: ${describe(skipped)}`);
  }

  /** After a batch committed: keeps the totals that decide when to prune for the caps. */
  private committed(ops: Op[]): void {
    if (!this.totals) return;
    for (const op of ops) {
      if (op.type === 'put' && op.pending.record) {
        this.totals.count++;
        this.totals.bytes += op.pending.record.size;
      } else if (op.type === 'clear' && !op.filter) this.totals = { count: 0, bytes: 0 };
    }
    const over = this.totals.count > this.maxEntries || this.totals.bytes > this.maxBytes;
    if (over && this.options.pruneDelay !== false) this.schedulePrune(0);
  }

  /** A batch is over (committed or not): its writes are no longer pending. */
  private settle(ops: Op[]): void {
    const done = (pending: Pending) => {
      if (this.overlay.get(pending.key) === pending) this.overlay.delete(pending.key);
    };
    for (const op of ops) {
      if (op.type === 'put') done(op.pending);
      else if (op.type === 'delete') op.pendings.forEach(done);
      else if (op.type === 'clear') {
        op.pendings.forEach(done);
        this.clearing.delete(op);
      } else if (op.type === 'scopes') {
        for (const record of op.records) {
          const id = scopeId(record.namespace, record.scope);
          if (this.pendingScopes.get(id) === record) this.pendingScopes.delete(id);
        }
      }
    }
  }

  private touch(key: string, at: number): void {
    this.touches.set(key, at);
    this.touchTimer ??= setTimeout(() => {
      this.touchTimer = undefined;
      if (this.mode === 'idb' && !this.closed) void this.kick();
    }, TOUCH_DELAY);
  }

  // ---- failures ----------------------------------------------------------------------------

  /** Frees room after a quota error: the least recently read tenth, and twice the batch's size. */
  private async evictForQuota(db: Database, ops: Op[]): Promise<void> {
    let bytes = 0;
    for (const op of ops) if (op.type === 'put') bytes += op.pending.record?.size ?? 0;
    try {
      const count = await db.count(ENTRIES);
      await this.evictLru(db, Math.ceil(count / 10), 2 * bytes);
    } catch (error) {
      this.warn('idb-write-failed', `Evicting after a quota error failed: ${describe(error)}`);
    }
  }

  private toQuotaMode(errors: unknown[]): void {
    this.mode = 'quota';
    this.overlay.clear();
    this.clearing.clear();
    this.pendingScopes.clear();
    this.touches.clear();
    this.warn('quota-exceeded', `IndexedDB is out of quota even after evicting; the cache now runs memory-only: ${describe(errors[0])}`);
  }

  /** No connection: remember what must not be lost if one turns up late (see `openDatabase`). */
  private toLimbo(ops: Op[]): void {
    if (!this.limbo) return;
    for (const op of shrink(ops)) {
      if (op.type === 'unscope') {
        this.limbo.push(op);
        continue;
      }
      // Past the cap everything is already covered by one clear.
      if (this.limboKeys > LIMBO_MAX) continue;
      this.limboKeys += op.type === 'delete' ? op.pendings.length : 1;
      this.limbo.push(op);
      if (this.limboKeys > LIMBO_MAX) {
        this.limbo = [{ type: 'clear', pendings: [] }, ...this.limbo.filter((o) => o.type === 'unscope')];
      }
    }
  }

  private unavailable(message: string, late?: Promise<IDBDatabase | undefined>): void {
    this.mode = 'unavailable';
    this.native = this.db = undefined;
    this.overlay.clear();
    this.clearing.clear();
    this.pendingScopes.clear();
    this.touches.clear();
    this.warn('idb-unavailable', `${message}; the cache runs memory-only`);
    if (!late) return;
    this.limbo = [];
    void late.then(async (native) => {
      if (!native) return;
      const ops = this.limbo ?? [];
      this.limbo = undefined;
      // A logout or an invalidation made while the open hung still reaches the disk.
      if (ops.length) await this.write(native, ops).catch((error: unknown) => this.warn('idb-write-failed', describe(error)));
      native.close();
    });
  }

  private dropCorrupt(keys: string[]): void {
    if (!keys.length) return;
    for (const key of keys) this.report({ type: 'evict', key, reason: 'corrupt' });
    if (this.mode === 'idb' || this.mode === 'quota') void this.delete(keys);
  }

  // ---- connection --------------------------------------------------------------------------

  private connection(): Promise<Database | undefined> {
    if (this.db) return Promise.resolve(this.db);
    if (this.mode === 'unavailable') return Promise.resolve(undefined);
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<Database | undefined> {
    const factory = this.options.indexedDB === undefined ? globalThis.indexedDB : this.options.indexedDB;
    if (!factory) {
      this.unavailable('IndexedDB is not available here');
      return undefined;
    }
    const timeout = this.options.openTimeout ?? 3000;
    this.blocked = false;
    const outcome = await openDatabase({
      factory,
      name: this.name,
      timeout,
      onBlocked: () => (this.blocked = true),
      onVersionChange: (db) => this.dropConnection(db),
      onTerminated: (db) => this.dropConnection(db),
      onDropped: (key) => this.report({ type: 'evict', key, reason: 'corrupt' }),
    });
    if ('timedOut' in outcome) {
      const why = this.blocked ? ', blocked by another tab holding an older version open' : '';
      this.unavailable(`Opening IndexedDB "${this.name}" took over ${timeout} ms${why}`, outcome.late);
      return undefined;
    }
    if ('error' in outcome) {
      this.unavailable(`IndexedDB "${this.name}" cannot be opened: ${describe(outcome.error)}`);
      return undefined;
    }
    await this.checkBuild(outcome.db);
    this.native = outcome.native;
    this.db = outcome.db;
    // Closed while opening: writes queued before close() still go through (close() drops the
    // connection once they have); with none queued there is nothing to keep it for.
    if (this.closed && !this.pumping) {
      this.dropConnection(outcome.native);
      return undefined;
    }
    if (!this.opened) {
      this.opened = true;
      if (this.options.pruneDelay !== false) this.schedulePrune(this.options.pruneDelay ?? 5000);
    }
    return this.db;
  }

  /**
   * Drops every entry at once when the database was last used by another build. Runs before the
   * connection is handed out, so no read can overtake it.
   */
  private async checkBuild(db: Database): Promise<void> {
    if (this.build === undefined) return;
    try {
      const tx = db.transaction([META, ENTRIES], 'readwrite');
      const meta = tx.objectStore(META);
      if ((await meta.get('build')) !== this.build) {
        tx.objectStore(ENTRIES).clear().catch(ignore);
        meta.put(this.build, 'build').catch(ignore);
        this.totals = undefined;
      }
      await tx.done;
    } catch (error) {
      // Reads still check each record's build; only the bulk drop is lost.
      this.warn('idb-write-failed', `Dropping the entries of another build failed: ${describe(error)}`);
    }
  }

  /**
   * Lets go of a connection that another tab needs closed (versionchange), that the browser closed
   * (terminated), or that failed as closing. The next operation reopens it; none waits on it.
   */
  private dropConnection(native: IDBDatabase): void {
    native.close();
    if (this.native !== native) return;
    this.native = this.db = undefined;
  }

  // ---- background prune --------------------------------------------------------------------

  private schedulePrune(delay: number): void {
    if (this.pruneTimer !== undefined || this.closed) return;
    this.pruneTimer = setTimeout(() => {
      void idle().then(() => {
        this.pruneTimer = undefined;
        void this.prune();
      });
    }, delay);
  }

  prune(): Promise<number> {
    this.sweeping ??= this.sweep()
      .catch((error: unknown) => {
        this.warn('idb-prune-failed', `Pruning IndexedDB failed: ${describe(error)}`);
        return 0;
      })
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweep(): Promise<number> {
    let after: string | undefined;
    let removed = 0;
    const totals = { count: 0, bytes: 0 };
    for (;;) {
      // Chunks see committed writes only; settling the queue first keeps a just-saved scope mark
      // from making its just-saved entries look dead.
      await this.flush();
      const db = this.mode === 'idb' && !this.closed ? await this.connection() : undefined;
      if (!db) return removed;
      const chunk = await this.sweepChunk(db, after);
      removed += chunk.evicted.length;
      totals.count += chunk.count;
      totals.bytes += chunk.bytes;
      for (const event of chunk.evicted) this.report(event);
      if (chunk.last === undefined) break;
      after = chunk.last;
      await idle();
    }
    this.totals = totals;
    const db = await this.connection();
    const overCount = totals.count - Math.floor(this.maxEntries * LOW_WATER);
    const overBytes = totals.bytes - Math.floor(this.maxBytes * LOW_WATER);
    if (db && (totals.count > this.maxEntries || totals.bytes > this.maxBytes)) {
      removed += await this.evictLru(db, Math.max(0, overCount), Math.max(0, overBytes));
    }
    return removed;
  }

  /** One chunk of the prune in one transaction; `last` is undefined once the end is reached. */
  private async sweepChunk(db: Database, after: string | undefined) {
    const tx = db.transaction([ENTRIES, SCOPES, META], 'readwrite');
    const [scopeValues, current] = await Promise.all([tx.objectStore(SCOPES).getAll(), tx.objectStore(META).get('build')]);
    const marks = new Map<string, string>();
    for (const value of scopeValues) {
      const record = fromScopeRecord(value);
      if (record) marks.set(scopeId(record.namespace, record.scope), record.mark);
    }
    // Only the build the database belongs to prunes other builds: a tab left open on an older
    // build would otherwise delete what the new one writes, and the other way round.
    const build = this.build !== undefined && current === this.build ? this.build : undefined;
    const now = this.now();
    const mark = (namespace: string, scope: string) => marks.get(scopeId(namespace, scope));
    const evicted: Evict[] = [];
    let count = 0;
    let bytes = 0;
    let seen = 0;
    let last: string | undefined;
    let cursor = await tx.objectStore(ENTRIES).openCursor(after === undefined ? undefined : IDBKeyRange.lowerBound(after, true));
    while (cursor && seen++ < CHUNK) {
      const value: unknown = cursor.value;
      last = String(cursor.primaryKey);
      const indexable = typeof value === 'object' && value !== null && typeof (value as { accessedAt?: unknown }).accessedAt === 'number';
      const entry = fromRecord(value);
      const reason = entry && entry.key === cursor.primaryKey ? deadReason(entry, now, mark, build) : 'corrupt';
      if (reason || !entry) {
        unwrap(cursor).delete();
        evicted.push({ type: 'evict', key: last, reason: reason ?? 'corrupt' });
      } else {
        count++;
        bytes += entry.size;
        // An older layout's record without `accessedAt` is missing from the LRU index: rewrite it.
        if (!indexable) unwrap(cursor).update(entry);
      }
      cursor = await cursor.continue();
    }
    await tx.done;
    return { evicted, count, bytes, last: cursor ? last : undefined };
  }

  /** Deletes least recently read entries until `count` entries and `bytes` bytes are gone. */
  private async evictLru(db: Database, count: number, bytes: number): Promise<number> {
    let removed = 0;
    let freed = 0;
    while (removed < count || freed < bytes) {
      const tx = db.transaction(ENTRIES, 'readwrite');
      let cursor = await tx.store.index('accessedAt').openCursor();
      const evicted: Evict[] = [];
      while (cursor && evicted.length < CHUNK && (removed < count || freed < bytes)) {
        freed += fromRecord(cursor.value)?.size ?? 0;
        removed++;
        evicted.push({ type: 'evict', key: String(cursor.primaryKey), reason: 'lru' });
        unwrap(cursor).delete();
        cursor = await cursor.continue();
      }
      await tx.done;
      if (this.totals) {
        this.totals.count -= evicted.length;
        this.totals.bytes -= freed;
      }
      for (const event of evicted) this.report(event);
      if (!cursor) break;
    }
    return removed;
  }

  // ---- events ------------------------------------------------------------------------------

  private report(event: CacheEvent): void {
    if (!this.reporter) {
      if (this.buffered.length < MAX_BUFFERED_EVENTS) this.buffered.push(event);
      return;
    }
    try {
      this.reporter(event);
    } catch {
      // The listener is the app's; its failure must not break a cache operation.
    }
  }

  /** Once per code: a broken database would otherwise repeat the same warning on every call. */
  private warn(code: string, message: string): void {
    if (this.warned.has(code)) return;
    this.warned.add(code);
    this.report({ type: 'warning', code, message });
  }
}

/**
 * What a batch still does when entries can no longer be added: puts become deletes (an older copy
 * on disk must not outlive a newer one that only memory holds), scope marks become deletes of
 * the scope record (which kills the scope's persisted entries), touches go.
 */
function shrink(ops: Op[]): Op[] {
  const out: Op[] = [];
  for (const op of ops) {
    if (op.type === 'put') out.push({ type: 'delete', pendings: [op.pending] });
    else if (op.type === 'scopes') out.push({ type: 'unscope', keys: op.records.map((r) => [r.namespace, r.scope]) });
    else if (op.type !== 'touch') out.push(op);
  }
  return out;
}

/** Deletes the entries matching `filter` in `store`'s transaction: all at once, by index, or by scan. */
async function clearIn(store: IDBObjectStore, filter: EntryFilter | undefined): Promise<void> {
  if (!filter || (filter.namespace === undefined && !filter.where)) {
    store.clear();
    return;
  }
  const { namespace, where } = filter;
  if (!where) {
    for (const key of await request(store.index('namespace').getAllKeys(namespace))) store.delete(key);
    return;
  }
  const cursors = namespace === undefined ? store.openCursor() : store.index('namespace').openCursor(namespace);
  await new Promise<void>((resolve, reject) => {
    cursors.onerror = () => reject(cursors.error);
    cursors.onsuccess = () => {
      const cursor = cursors.result;
      if (!cursor) return resolve();
      const entry = fromRecord(cursor.value);
      if (entry && matches(entry, filter)) cursor.delete();
      cursor.continue();
    };
  });
}

/** Moves `accessedAt` on for entries read since the last batch, leaving everything else as stored. */
async function touchIn(store: IDBObjectStore, at: Map<string, number>): Promise<void> {
  const keys = [...at.keys()];
  const values = await Promise.all(keys.map((key) => request(store.get(key))));
  values.forEach((value, i) => {
    const entry = fromRecord(value);
    const time = at.get(keys[i]!)!;
    if (entry && entry.key === keys[i] && entry.accessedAt < time) store.put({ ...entry, accessedAt: time });
  });
}
