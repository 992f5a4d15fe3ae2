import { describe, isClosingError } from './errors.js';
import { openDatabase, type Database } from './open.js';
import type { Host } from './phase.js';
import type { Reporter } from './reporter.js';
import { ENTRIES, META, SCOPES } from './schema.js';

export interface ConnectionOptions {
  name: string;
  /** `undefined` means `globalThis.indexedDB`; `null` means none. */
  factory: IDBFactory | null | undefined;
  timeout: number;
  build: string | undefined;
  reporter: Reporter;
  /** An open succeeded. */
  opened(): void;
  /** An open failed or hung: the store can only run memory-only. `late` settles if a hung open succeeds after all. */
  lost(message: string, late?: Promise<IDBDatabase | undefined>): void;
  /** Whether a connection that opened while nothing needs it should be let go at once. */
  unwanted(): boolean;
}

const ignore = () => undefined;

/** An entry read waiting to join the open's transaction; `undefined` says "read it the usual way". */
interface Early {
  key: string;
  settle(found: { value: unknown } | undefined): void;
}

/**
 * The connection's lifecycle: opened lazily and shared, checked for another build before anyone
 * uses it, let go whenever another tab or the browser needs it closed, reopened on next use.
 */
export class Connection {
  /** The raw connection, for the read path (see `IdbStoreImpl.get`). */
  native: IDBDatabase | undefined;
  db: Database | undefined;
  private opening: Promise<Database | undefined> | undefined;
  private scopes: { values: unknown[]; keys: IDBValidKey[] } | undefined;
  /**
   * Entry reads asked for while an open is under way, before its build check: made in the
   * check's own transaction, answered only once the check passed (see `early`).
   */
  private waiting: Early[] | undefined;
  /** What the build check's transaction found for those reads, when the build matched. */
  private found: unknown[] | undefined;

  constructor(
    private readonly host: Host,
    private readonly options: ConnectionOptions,
  ) {}

  /** The open connection, opening it when there is none; undefined once the store cannot have one. */
  get(): Promise<Database | undefined> {
    if (this.db) return Promise.resolve(this.db);
    if (this.host.phase === 'memory-only') return Promise.resolve(undefined);
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /**
   * The record under `key`, read in the transaction the open checks the build in, if an open is
   * under way and has not started that transaction yet: a page's first read costs no transaction
   * of its own, and none waits for the check to finish. Resolves once the check passed (on a
   * connection still wanted); `undefined`, from the start or when the build differed or anything
   * failed, means: read it the usual way (after the drop of another build's entries).
   */
  early(key: string): Promise<{ value: unknown } | undefined> | undefined {
    const waiting = this.waiting;
    return waiting && new Promise((settle) => waiting.push({ key, settle }));
  }

  /**
   * Runs `work` on the connection, and once more on a fresh one when it failed because the
   * connection was closing or was replaced meanwhile. Other failures reject. Resolves
   * `undefined` when there is no connection to be had.
   */
  async retrying<T>(work: (db: Database, native: IDBDatabase) => Promise<T>): Promise<{ value: T } | undefined> {
    for (let attempt = 0; ; attempt++) {
      const db = await this.get();
      const native = this.native;
      if (!db || !native) return undefined;
      try {
        return { value: await work(db, native) };
      } catch (error) {
        if (attempt > 0 || !(isClosingError(error) || native !== this.native)) throw error;
        this.drop(native);
      }
    }
  }

  /**
   * Lets go of a connection that another tab needs closed (versionchange), that the browser closed
   * (terminated), or that failed as closing. The next operation reopens it; none waits on it.
   */
  drop(native: IDBDatabase): void {
    native.close();
    if (this.native !== native) return;
    this.native = this.db = undefined;
  }

  private async open(): Promise<Database | undefined> {
    const waiting: Early[] = (this.waiting = []);
    let found: unknown[] | undefined;
    try {
      const db = await this.connect();
      if (db) found = this.found;
      return db;
    } finally {
      this.waiting = this.found = undefined;
      waiting.forEach((read, i) => {
        read.settle(found && { value: found[i] });
      });
    }
  }

  private async connect(): Promise<Database | undefined> {
    const { options } = this;
    const factory = options.factory === undefined ? globalThis.indexedDB : options.factory;
    if (!factory) {
      options.lost('IndexedDB is not available here');
      return undefined;
    }
    let blocked = false;
    const outcome = await openDatabase({
      factory,
      name: options.name,
      timeout: options.timeout,
      onBlocked: () => (blocked = true),
      onVersionChange: (db) => this.drop(db),
      onTerminated: (db) => this.drop(db),
      onDropped: (key) => options.reporter.report({ type: 'evict', key, reason: 'corrupt' }),
    });
    if ('timedOut' in outcome) {
      const why = blocked ? ', blocked by another tab holding an older version open' : '';
      options.lost(`Opening IndexedDB "${options.name}" took over ${options.timeout} ms${why}`, outcome.late);
      return undefined;
    }
    if ('error' in outcome) {
      options.lost(`IndexedDB "${options.name}" cannot be opened: ${describe(outcome.error)}`);
      return undefined;
    }
    await this.checkBuild(outcome.db);
    this.native = outcome.native;
    this.db = outcome.db;
    if (options.unwanted()) {
      this.drop(outcome.native);
      return undefined;
    }
    options.opened();
    return this.db;
  }

  /**
   * Reads what every page load needs before its first read, in one readonly transaction: the
   * database's build, the scope records (kept for the first `loadScopes`) and the entries read
   * while the open was under way (kept in `found`, for `early`, when the build matches). Only
   * when the build differs does a readwrite transaction drop every entry at once. Runs before
   * the connection is handed out, so no other read can overtake it.
   */
  private async checkBuild(db: Database): Promise<void> {
    const { build } = this.options;
    // Reads asked for from now on wait for the connection, as on an open database.
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    try {
      const tx = db.transaction(waiting.length ? [META, SCOPES, ENTRIES] : [META, SCOPES]);
      const scopes = tx.objectStore(SCOPES);
      const [current, values, keys, ...found] = await Promise.all([
        tx.objectStore(META).get('build'),
        scopes.getAll(),
        scopes.getAllKeys(),
        ...waiting.map(({ key }) => tx.objectStore(ENTRIES).get(key)),
      ]);
      this.scopes = { values, keys };
      if (build === undefined || current === build) {
        this.found = found;
        return;
      }
    } catch {
      // Read again below, in the transaction that writes.
    }
    if (build === undefined) return;
    try {
      const tx = db.transaction([META, ENTRIES], 'readwrite');
      const meta = tx.objectStore(META);
      if ((await meta.get('build')) !== build) {
        tx.objectStore(ENTRIES).clear().catch(ignore);
        meta.put(build, 'build').catch(ignore);
      }
      await tx.done;
    } catch (error) {
      // Reads still check each record's build; only the bulk drop is lost.
      this.options.reporter.warn('idb-write-failed', `Dropping the entries of another build failed: ${describe(error)}`);
    }
  }

  /**
   * The scope records read at open, once: the first `loadScopes` of a page load needs no
   * transaction of its own. Undefined once taken, or when a scope write committed since.
   */
  takeScopes(): { values: unknown[]; keys: IDBValidKey[] } | undefined {
    const scopes = this.scopes;
    this.scopes = undefined;
    return scopes;
  }

  /** A write changed the scope records: what was read at open is out of date. */
  forgetScopes(): void {
    this.scopes = undefined;
  }
}
