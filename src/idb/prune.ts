import type { CacheEvent } from '../types.js';
import type { Op } from './batch.js';
import type { Connection } from './connection.js';
import { describe } from './errors.js';
import { fromRecord, fromScopeRecord, toRecord, type Stamp } from './record.js';
import type { Reporter } from './reporter.js';
import { request } from './request.js';
import { ENTRIES, META, SCOPES } from './schema.js';
import { scopeId } from './writer.js';

/**
 * Records one readwrite slice may remove. Reads that start while a readwrite transaction runs
 * wait for it, so these stay short: their deletes are their whole work (what to delete was found
 * beforehand, in a readonly transaction, which holds up no read).
 */
const SLICE = 25;
/** Index keys one readonly step of a walk may visit. */
const WALK = 500;
/** Caps are enforced down to this share of themselves, so eviction does not run on every write. */
const LOW_WATER = 0.9;
/** How long a slice waits for reads in flight to finish before it runs anyway. */
const YIELD_MS = 100;
/**
 * A prune's deletes may be lost in a crash without harm (what they remove can never be served:
 * reads and the client check expiry, marks and builds themselves), so they need not wait for the
 * disk, and reads queued behind a slice wait less.
 */
const RELAXED: IDBTransactionOptions = { durability: 'relaxed' };

type Evict = Extract<CacheEvent, { type: 'evict' }>;

export interface PrunerOptions {
  connection: Connection;
  reporter: Reporter;
  build: string | undefined;
  now: () => number;
  maxEntries: number;
  maxBytes: number;
  /** Whether the store still reads and writes IndexedDB. */
  live(): boolean;
  /** Reads in flight: slices wait for them, reads come first. */
  reading(): number;
  /** Settles once queued writes committed: slices see committed writes only. */
  flush(): Promise<void>;
}

/** Resolves in idle time where the browser says when that is, else after a macrotask. */
function idle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof globalThis.requestIdleCallback === 'function') globalThis.requestIdleCallback(() => resolve(), { timeout: 1000 });
    else setTimeout(resolve, 0);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

/** Walks a cursor request; `step` answers the argument for `continue` (undefined: the next record), or `false` to stop. */
function walk<C extends IDBCursor>(cursors: IDBRequest<C | null>, step: (cursor: C) => IDBValidKey | undefined | false): Promise<void> {
  return new Promise((resolve, reject) => {
    cursors.onerror = () => reject(cursors.error);
    cursors.onsuccess = () => {
      const cursor = cursors.result;
      if (!cursor) return resolve();
      const next = step(cursor);
      if (next === false) resolve();
      else cursor.continue(next);
    };
  });
}

/**
 * The background prune. Every pass goes by index and reads no live record: expired entries by
 * `expires`, entries a version change killed by `stamp` (one cursor jump per live group), the
 * caps by `lru` keys. Each slice is one transaction of at most {@link SLICE} records, run in idle
 * time after the reads in flight.
 */
export class Pruner {
  /** Live entries and bytes as of the last prune plus later writes (overwrites count twice). */
  private totals: { count: number; bytes: number } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: PrunerOptions) {}

  schedule(delay: number): void {
    if (this.timer !== undefined || !this.options.live()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.prune();
    }, delay);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  prune(): Promise<number> {
    this.running ??= this.passes()
      .catch((error: unknown) => {
        this.options.reporter.warn('idb-prune-failed', `Pruning IndexedDB failed: ${describe(error)}`);
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** After a batch committed: keeps the totals that decide when to prune for the caps. Answers whether they are over. */
  committed(ops: readonly Op[]): boolean {
    if (!this.totals) return false;
    for (const op of ops) {
      if (op.type === 'put' && op.pending.record) {
        this.totals.count++;
        this.totals.bytes += op.pending.record.size;
      } else if (op.type === 'clear' && !op.filter) this.totals = { count: 0, bytes: 0 };
    }
    return this.totals.count > this.options.maxEntries || this.totals.bytes > this.options.maxBytes;
  }

  /** Frees room after a quota error: the least recently read tenth, and at least `bytes`. */
  async evictForQuota(native: IDBDatabase, bytes: number): Promise<void> {
    try {
      const count = await request(native.transaction(ENTRIES).objectStore(ENTRIES).count());
      await this.evictLru(Math.ceil(count / 10), bytes, false);
    } catch (error) {
      this.options.reporter.warn('idb-write-failed', `Evicting after a quota error failed: ${describe(error)}`);
    }
  }

  private async passes(): Promise<number> {
    // Records missing from the indexes first, so that the passes by index see them.
    let removed = await this.sliced((native) => this.unindexedSlice(native));
    removed += await this.sliced((native) => this.expiredSlice(native));
    let resume: IDBValidKey | undefined;
    removed += await this.sliced(async (native) => {
      const slice = await this.versionSlice(native, resume);
      resume = slice.resume;
      return slice;
    });
    return removed + (await this.caps());
  }

  /**
   * Runs `slice` until it says it is done, each run in idle time, after reads in flight and
   * committed writes. Stops when the store stops reaching IndexedDB.
   */
  private async sliced(slice: (native: IDBDatabase) => Promise<{ removed: number; more: boolean }>): Promise<number> {
    let removed = 0;
    for (;;) {
      const native = await this.ready();
      if (!native) return removed;
      const result = await slice(native);
      removed += result.removed;
      if (!result.more) return removed;
    }
  }

  /** The connection, once the page is idle, reads in flight are done and queued writes committed. */
  private async ready(): Promise<IDBDatabase | undefined> {
    await idle();
    for (let waited = 0; this.options.reading() > 0 && waited < YIELD_MS; waited += 5) await pause(5);
    await this.options.flush();
    if (!this.options.live()) return undefined;
    await this.options.connection.get();
    return this.options.connection.native;
  }

  private report(evicted: Evict[]): void {
    for (const event of evicted) this.options.reporter.report(event);
  }

  /** Entries without a validator past every window they could be served in. */
  private async expiredSlice(native: IDBDatabase) {
    const index = native.transaction(ENTRIES).objectStore(ENTRIES).index('expires');
    const keys = (await request(index.getAllKeys(IDBKeyRange.upperBound(this.options.now()), SLICE))).map(String);
    await this.remove(native, keys, 'expired');
    return { removed: keys.length, more: keys.length === SLICE };
  }

  /**
   * Entries whose scope moved on (the mark differs from the persisted scope's, or the scope has
   * no persisted state, so a reloaded client draws a new mark for it), and entries of another
   * build when the database belongs to this one: a tab left open on an older build must not
   * delete what the new one writes. Live groups are skipped with one cursor jump each.
   */
  private async versionSlice(native: IDBDatabase, from: IDBValidKey | undefined) {
    const tx = native.transaction([ENTRIES, SCOPES, META]);
    const [scopeValues, current] = await Promise.all([
      request(tx.objectStore(SCOPES).getAll()),
      request(tx.objectStore(META).get('build')) as Promise<unknown>,
    ]);
    const marks = new Map<string, string>();
    for (const value of scopeValues) {
      const record = fromScopeRecord(value);
      if (record) marks.set(scopeId(record.namespace, record.scope), record.mark);
    }
    const build = this.options.build !== undefined && current === this.options.build ? this.options.build : undefined;
    const dead: string[] = [];
    let steps = 0;
    let resume: IDBValidKey | undefined;
    const cursors = tx
      .objectStore(ENTRIES)
      .index('stamp')
      .openKeyCursor(from === undefined ? null : IDBKeyRange.lowerBound(from));
    await walk(cursors, (cursor) => {
      if (steps++ >= WALK || dead.length >= SLICE) {
        resume = cursor.key;
        return false;
      }
      const [stampBuild, namespace, scope, mark] = cursor.key as Stamp;
      if (build !== undefined && stampBuild !== build) {
        dead.push(String(cursor.primaryKey));
        return undefined;
      }
      // Entries of no scope: no version can kill them. The first scoped stamp of the namespace is next.
      if (scope === undefined) return [stampBuild, namespace, ''];
      // The scope's current mark: the whole group is live, on to the first stamp after it.
      if (marks.get(scopeId(namespace, scope)) === mark) return [stampBuild, namespace, scope, `${mark}\0`];
      dead.push(String(cursor.primaryKey));
      return undefined;
    });
    // Marks only move on, so what was dead stays dead; a key written anew in between loses its
    // fresh record, which costs a refetch and nothing else.
    await this.remove(native, dead, 'version');
    return { removed: dead.length, more: resume !== undefined, resume };
  }

  /** Deletes `keys` in one readwrite transaction and reports them. */
  private async remove(native: IDBDatabase, keys: readonly string[], reason: Evict['reason']): Promise<void> {
    if (!keys.length) return;
    const tx = native.transaction(ENTRIES, 'readwrite', RELAXED);
    const done = committed(tx);
    const store = tx.objectStore(ENTRIES);
    for (const key of keys) store.delete(key);
    await done;
    this.report(keys.map((key) => ({ type: 'evict', key, reason })));
  }

  /**
   * Records missing from the `stamp` index, which every record this code writes is in: written
   * by something else. Ours in all but the index fields are rewritten; the rest are dropped as
   * corrupt. Two counts tell whether there are any.
   */
  private async unindexedSlice(native: IDBDatabase) {
    const tx = native.transaction(ENTRIES, 'readwrite', RELAXED);
    const done = committed(tx);
    const store = tx.objectStore(ENTRIES);
    const stamps = store.index('stamp');
    const [all, stamped] = await Promise.all([request(store.count()), request(stamps.count())]);
    let keys: IDBValidKey[] = [];
    if (all !== stamped) {
      const indexed = new Set((await request(stamps.getAllKeys())).map(String));
      keys = (await request(store.getAllKeys())).filter((key) => !indexed.has(String(key))).slice(0, SLICE);
    }
    const values = await Promise.all(keys.map((key) => request(store.get(key))));
    const corrupt: Evict[] = [];
    values.forEach((value, i) => {
      const entry = fromRecord(value);
      if (entry && entry.key === keys[i]) store.put(toRecord(entry));
      else {
        store.delete(keys[i]!);
        corrupt.push({ type: 'evict', key: String(keys[i]), reason: 'corrupt' });
      }
    });
    await done;
    this.report(corrupt);
    return { removed: corrupt.length, more: keys.length === SLICE };
  }

  /**
   * Counts entries and bytes through the `lru` index's keys (`[accessedAt, size]`, no record is
   * read), then evicts the least recently read down to {@link LOW_WATER} of the caps.
   */
  private async caps(): Promise<number> {
    const native = await this.ready();
    if (!native) return 0;
    const totals = { count: 0, bytes: 0 };
    const tx = native.transaction(ENTRIES);
    await walk(tx.objectStore(ENTRIES).index('lru').openKeyCursor(), (cursor) => {
      totals.count++;
      totals.bytes += (cursor.key as [number, number])[1];
      return undefined;
    });
    this.totals = totals;
    const { maxEntries, maxBytes } = this.options;
    if (totals.count <= maxEntries && totals.bytes <= maxBytes) return 0;
    return this.evictLru(
      Math.max(0, totals.count - Math.floor(maxEntries * LOW_WATER)),
      Math.max(0, totals.bytes - Math.floor(maxBytes * LOW_WATER)),
      true,
    );
  }

  /**
   * Deletes least recently read entries until `count` entries and `bytes` bytes are gone: finds
   * them in one readonly walk of the `lru` keys, then deletes them in slices.
   */
  private async evictLru(count: number, bytes: number, inIdleTime: boolean): Promise<number> {
    const first = inIdleTime ? await this.ready() : this.options.connection.native;
    if (!first) return 0;
    const victims: { key: string; size: number }[] = [];
    let freed = 0;
    await walk(first.transaction(ENTRIES).objectStore(ENTRIES).index('lru').openKeyCursor(), (cursor) => {
      if (victims.length >= count && freed >= bytes) return false;
      const size = (cursor.key as [number, number])[1];
      freed += size;
      victims.push({ key: String(cursor.primaryKey), size });
      return undefined;
    });
    let removed = 0;
    while (removed < victims.length) {
      const native = inIdleTime ? await this.ready() : this.options.connection.native;
      if (!native) break;
      const slice = victims.slice(removed, removed + SLICE);
      await this.remove(
        native,
        slice.map((victim) => victim.key),
        'lru',
      );
      removed += slice.length;
      if (this.totals) {
        this.totals.count -= slice.length;
        for (const victim of slice) this.totals.bytes -= victim.size;
      }
    }
    return removed;
  }
}
