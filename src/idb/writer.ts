import { matches } from '../filter.js';
import type { CacheEntry, EntryFilter, ScopeRecord } from '../types.js';
import { BatchError, type ClearOp, type Op, type Pending, shrink, writeBatch } from './batch.js';
import type { Connection } from './connection.js';
import { describe, isClosingError, isQuotaError } from './errors.js';
import type { Host } from './phase.js';
import { toRecord, toScopeRecord } from './record.js';
import type { Reporter } from './reporter.js';

/** A read rewrites `accessedAt` only when it is older than this: LRU needs no finer grain. */
export const TOUCH_EVERY = 60 * 60_000;
const TOUCH_DELAY = 2000;
/** Keys remembered while an open hangs, beyond which a late connection clears everything instead. */
const LIMBO_MAX = 10_000;

export const scopeId = (namespace: string, scope: string) => JSON.stringify([namespace, scope]);

export interface WriterOptions {
  connection: Connection;
  reporter: Reporter;
  /** Out of quota even after evicting: the store must stop adding. */
  full(errors: unknown[]): void;
  /** Frees room after a quota error (see `Pruner.evictForQuota`). */
  evictForQuota(native: IDBDatabase, bytes: number): Promise<void>;
  /** A batch committed (for the prune's running totals). */
  committed(ops: readonly Op[]): void;
}

/**
 * The single writer: every write of one task goes into one transaction, one batch at a time, so
 * a batch retried after a failure can never land after (and undo) a later one. Until a write
 * commits, reads see it through the overlay.
 */
export class Writer {
  private queue: Op[] = [];
  private pumping: Promise<void> | undefined;
  /** Latest queued write per key, until it commits. */
  readonly overlay = new Map<string, Pending>();
  /** Clears queued or in flight: a read that started before one commits must not answer what it removes. */
  readonly clearing = new Set<ClearOp>();
  /** Scope records queued, until they commit: part of what `loadScopes` answers. */
  readonly pendingScopes = new Map<string, ScopeRecord>();
  private touches = new Map<string, number>();
  private touchTimer: ReturnType<typeof setTimeout> | undefined;
  /** Writes made while an open hangs, as deletes: replayed if the open ever succeeds. */
  private limbo: Op[] | undefined;
  private limboKeys = 0;

  constructor(
    private readonly host: Host,
    private readonly options: WriterOptions,
  ) {}

  /** True while a batch is queued or being written. */
  get busy(): boolean {
    return this.pumping !== undefined;
  }

  /** Whether reads and writes still reach IndexedDB (the overlay only matters then). */
  private get live(): boolean {
    return this.host.phase === 'open' || this.host.phase === 'opening';
  }

  put(entries: readonly CacheEntry[]): Promise<void> {
    for (const entry of entries) {
      // `tieredStore` already filters these; a persistent tier checks again, since writing one
      // would put a `persist: false` answer on disk.
      if (entry.memoryOnly) continue;
      const pending: Pending = { key: entry.key, record: toRecord(entry) };
      if (this.live) this.overlay.set(entry.key, pending);
      this.queue.push({ type: 'put', pending });
    }
    return this.kick();
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.enqueue({ type: 'delete', pendings: keys.map((key) => this.pend(key)) });
  }

  clear(filter: EntryFilter | undefined, removed?: string[]): Promise<void> {
    const op: ClearOp = { type: 'clear', filter, pendings: [], removed };
    // A logout (a namespace, nothing narrower) or a clear of everything takes the scope records
    // along: nothing of the user is left on the device.
    if (!filter) op.scopes = true;
    else if (filter.namespace !== undefined && !filter.urls && !filter.where) op.scopes = filter.namespace;
    for (const [key, pending] of this.overlay) {
      if (pending.record && matches(pending.record, filter)) op.pendings.push(this.pend(key));
    }
    // Queued writes it cancels count as removed, committed or not.
    removed?.push(...op.pendings.map((pending) => pending.key));
    if (op.scopes !== undefined) {
      for (const [id, record] of this.pendingScopes)
        if (op.scopes === true || record.namespace === op.scopes) this.pendingScopes.delete(id);
    }
    if (this.live) this.clearing.add(op);
    return this.enqueue(op);
  }

  saveScopes(records: readonly ScopeRecord[]): Promise<void> {
    const copies = records.map(toScopeRecord);
    if (this.live) for (const record of copies) this.pendingScopes.set(scopeId(record.namespace, record.scope), record);
    return this.enqueue({ type: 'scopes', records: copies });
  }

  unscope(keys: IDBValidKey[]): Promise<void> {
    return this.enqueue({ type: 'unscope', keys });
  }

  /** Queues a rewrite of `accessedAt`, written with the next batch or after a short delay. */
  touch(key: string, at: number): void {
    this.touches.set(key, at);
    this.touchTimer ??= setTimeout(() => {
      this.touchTimer = undefined;
      if (this.live) void this.kick();
    }, TOUCH_DELAY);
  }

  flush(): Promise<void> {
    // Touches wait for a batch to ride along with; a flush is one.
    if (this.touches.size && this.live) void this.kick();
    return this.pumping ?? Promise.resolve();
  }

  /** The store stops taking writes; what is queued still commits as the phase left it. */
  close(phase: 'open' | 'opening' | 'full' | 'memory-only'): void {
    clearTimeout(this.touchTimer);
    this.touches.clear();
    if (phase === 'full') this.queue = shrink(this.queue);
    if (phase === 'memory-only') {
      this.toLimbo(this.queue);
      this.queue = [];
    }
  }

  /** No more reads go to IndexedDB: pending writes need no overlay; a hung open may yet deliver `late`. */
  degrade(late?: Promise<IDBDatabase | undefined>): void {
    this.overlay.clear();
    this.clearing.clear();
    this.pendingScopes.clear();
    this.touches.clear();
    if (!late) return;
    this.limbo = [];
    void late.then(async (native) => {
      if (!native) return;
      const ops = this.limbo ?? [];
      this.limbo = undefined;
      // A logout or an invalidation made while the open hung still reaches the disk.
      if (ops.length)
        await writeBatch(native, ops).catch((error: unknown) => this.options.reporter.warn('idb-write-failed', describe(error)));
      native.close();
    });
  }

  private pend(key: string): Pending {
    const pending: Pending = { key };
    if (this.live) this.overlay.set(key, pending);
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
        this.options.reporter.warn('idb-write-failed', `Writing to IndexedDB failed: ${describe(error)}`);
      }
      this.settle(ops);
    }
    this.pumping = undefined;
  }

  private async commit(ops: Op[]): Promise<void> {
    const { connection, reporter } = this.options;
    let quotaRetried = false;
    let retried = false;
    for (;;) {
      if (this.host.phase === 'memory-only') return this.toLimbo(ops);
      const batch = this.host.phase === 'full' ? shrink(ops) : ops;
      if (!batch.length) return;
      const db = await connection.get();
      const native = connection.native;
      // No connection (the open failed meanwhile): limbo keeps what matters.
      if (!db || !native) return this.toLimbo(ops);
      try {
        const skipped = await writeBatch(native, batch);
        if (skipped) reporter.warn('idb-write-failed', `An entry could not be stored in IndexedDB: ${describe(skipped)}`);
        this.options.committed(batch);
        return;
      } catch (error) {
        const errors = error instanceof BatchError ? error.errors : [error];
        if (isQuotaError(...errors)) {
          if (this.host.phase !== 'full' && !quotaRetried) {
            quotaRetried = true;
            let bytes = 0;
            for (const op of batch) if (op.type === 'put') bytes += op.pending.record?.size ?? 0;
            await this.options.evictForQuota(native, 2 * bytes);
            continue;
          }
          if (this.host.phase !== 'full') {
            this.options.full(errors);
            this.degrade();
            continue;
          }
        } else if (!retried) {
          retried = true;
          // A connection closed under us (or replaced meanwhile): reopen and try once more.
          if (errors.some(isClosingError) || native !== connection.native) connection.drop(native);
          continue;
        }
        reporter.warn('idb-write-failed', `Writing to IndexedDB failed; the writes were dropped: ${describe(errors[0])}`);
        return;
      }
    }
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
        this.limbo = [{ type: 'clear', pendings: [], scopes: true }, ...this.limbo.filter((o) => o.type === 'unscope')];
      }
    }
  }
}
