/** A value that may or may not be behind a promise: memory tiers answer synchronously, persistent ones do not. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * One cached response, as the memory tier holds it and a persistent {@link Store} saves it.
 * Everything here is structured-clone safe except `data`, which is the decoded body memoised
 * by the memory tier and never persisted.
 */
export interface CacheEntry {
  /** The injective cache key (see `cacheKey`). */
  key: string;
  /** Namespace (user) the entry belongs to; part of the key as well. */
  namespace: string;
  /** Normalised absolute URL, used by URL, prefix and pattern invalidation. */
  url: string;
  /** HTTP status of the stored response (a 304 never replaces it). */
  status: number;
  /** Response headers worth keeping, names lowercased. */
  headers: Record<string, string>;
  /** Raw body: text for textual types, bytes otherwise. */
  body: string | ArrayBuffer;
  /** Decoded body, memoised on first read. Memory only. */
  data?: unknown;
  /** Approximate size in bytes, for `maxBytes`. */
  size: number;
  /** Client clock (ms) when the response (or its last 304) arrived, corrected by `Age`. */
  storedAt: number;
  /** Freshness lifetime in ms: fresh while `now - storedAt < lifetime`. */
  lifetime: number;
  /** `stale-while-revalidate`: ms after expiry during which it may be served while a refresh runs. */
  staleWhileRevalidate: number;
  /** `stale-if-error`: ms after expiry during which it may be served when revalidation fails. */
  staleIfError: number;
  /** `no-cache`: never reused without a successful revalidation. */
  noCache: boolean;
  /** `must-revalidate`: once stale, never served without a successful revalidation. */
  mustRevalidate: boolean;
  /** Scope the entry belongs to, if any. */
  scope?: string;
  /** The scope's version token the entry was fetched under, if the server sent one. */
  version?: string;
  /** The scope mark the entry was fetched under; every scope change draws a new mark. */
  mark?: string;
  /** Build that stored the entry (deploy awareness). */
  build?: string;
  /** Header names from `Vary`, lowercased, when the response varied. */
  vary?: string[];
  /** Last access time (ms), for LRU in persistent tiers. */
  accessedAt: number;
  /** Kept in memory only: a persistent tier must never write it (a `persist: false` route or request). */
  memoryOnly?: boolean;
}

/**
 * Pluggable storage for cache entries. `MemoryStore` implements it synchronously; `nostale/idb`
 * composes a memory tier over IndexedDB. Implementations never throw or reject: a missing,
 * unreadable or foreign record is `undefined`, a failed write is reported through `attach`.
 */
/** See {@link Store.hold}. */
export interface Held {
  readonly entry: CacheEntry | undefined;
}

export interface Store {
  get(key: string): MaybePromise<CacheEntry | undefined>;
  /** What the store holds in memory for `key`, synchronously, never reading a persistent tier (`client.peek`). */
  peek?(key: string): CacheEntry | undefined;
  /**
   * The store's live hold on `key`: `entry` is the entry stored under the key now (a newer
   * answer replacing it is seen through the same hold), `undefined` from the moment the key
   * leaves. Lets `client.peek` and hits keep the hold with their resolved URL and skip a lookup
   * while it stays live.
   */
  hold?(key: string): Held | undefined;
  /**
   * A read through a hold of this store's (see `hold`): its entry, counted as a hit for the
   * store's recency as `get` of its key would be, without looking the key up; `undefined` once
   * the entry left. Lets a memory hit skip the store's hash lookup.
   */
  hit?(held: Held): CacheEntry | undefined;
  /** Writes entries in one batch. */
  set(entries: readonly CacheEntry[]): MaybePromise<void>;
  delete(keys: readonly string[]): MaybePromise<void>;
  /** Entries matching the filter (all when omitted). Used by invalidation scans, never by reads. */
  keys(filter?: EntryFilter): MaybePromise<string[]>;
  /** Removes every entry matching the filter (all when omitted). */
  clear(filter?: EntryFilter): MaybePromise<void>;
  /**
   * Optional: `keys` then `delete` of them in one step (one IndexedDB transaction), answering the
   * keys. With `since`, for a drop another tab made over the same `shared` storage: that tab
   * removed them from disk already, all but what this store wrote there since (an answer this tab
   * stored before it was told). So a store with a memory tier removes them from memory, and from
   * disk only what it wrote there at or after `since` (`Date.now()`) or is still writing; a store
   * without one may ignore `since`.
   */
  remove?(filter: EntryFilter, since?: number): MaybePromise<string[]>;
  /** Called once by the client: where the store reports what it does (evictions, fallbacks, quota). */
  attach?(report: (event: CacheEvent) => void): void;
  /**
   * Names the persistent storage the store writes to, the same in every tab whose store writes to
   * the same storage (`idbStore`: its database, while IndexedDB is in use); `undefined` when nothing
   * is persisted. A tab told of another tab's drop over the same storage does not redo the other
   * tab's disk work (see `remove`'s `since`).
   */
  readonly shared?: string | undefined;
  /** Persisted scope states, so entries survive a reload without losing their version check. */
  loadScopes?(): MaybePromise<ScopeRecord[]>;
  saveScopes?(records: readonly ScopeRecord[]): MaybePromise<void>;
}

/**
 * What the client knows of one scope: its server version token and a mark that changes on every
 * change (new token or local invalidation). An entry is current only while its mark is the scope's.
 */
export interface ScopeRecord {
  namespace: string;
  scope: string;
  token?: string;
  mark: string;
  /** True when the mark comes from a local invalidation made after `token` was learned. */
  local: boolean;
}

/** Selects entries by namespace, exact URLs and/or a predicate over the entry; an entry must match every field given. */
export interface EntryFilter {
  namespace?: string;
  /** Entries whose `url` is one of these (normalised, as stored). Stores answer it from an index, without a scan. */
  urls?: readonly string[];
  where?: (entry: CacheEntry) => boolean;
}

/** What a client reports, one event per cache operation. */
export type CacheEvent =
  | {
      type: 'hit' | 'stale' | 'miss';
      key: string;
      url: string;
      scope?: string;
      /** On `stale` only: the failed revalidation (network, 5xx, undecodable body) it answered in place of, as stale-if-error allows. */
      error?: Error;
    }
  | { type: 'revalidate'; key: string; url: string; scope?: string; via: 'conditional' | 'version' }
  | { type: 'not-modified'; key: string; url: string }
  | { type: 'store'; key: string; url: string; scope?: string; size: number; persisted: boolean }
  | { type: 'evict'; key: string; reason: 'lru' | 'expired' | 'version' | 'corrupt' | 'too-large' }
  | ({ type: 'invalidate'; count?: number; origin: 'local' | 'remote' | 'unsafe-request' } & UrlSelection)
  | {
      type: 'version';
      scope: string;
      version: string | undefined;
      previous: string | undefined;
      origin: 'response' | 'endpoint' | 'mutation' | 'local' | 'remote' | 'store';
      /** The scope's new state, as other tabs and the store need it. */
      record: ScopeRecord;
    }
  | { type: 'clear'; namespace?: string; origin: 'local' | 'remote' }
  /** An optimistic layer was added to or removed from a scope: views of it should re-read. */
  | { type: 'overlay'; scope: string }
  /**
   * An answer computed before a change this client already knows (an older version token, or sent
   * before a local invalidation): neither stored nor served; asked again when `retried`.
   */
  | { type: 'late'; url: string; scope: string; version: string | undefined; retried: boolean }
  /**
   * A request failed (network error, 5xx, 429) and is tried again: try `attempt` (from 1), after
   * waiting `delay` ms. (A lagging replica's answer is reported as `late`, with `retried`.)
   */
  | { type: 'retry'; url: string; attempt: number; delay: number; error: Error }
  /**
   * The scope's version endpoint confirmed, twice, a token lower than one the client held: the
   * server lost its counter. The lower token is adopted and every entry of the scope retired.
   */
  | { type: 'version-reset'; scope: string; version: string; previous: string | undefined }
  | { type: 'error'; url: string; error: Error }
  | { type: 'warning'; code: string; message: string };

/** URLs dropped by an invalidation: exact URLs, a prefix, or a `*` pattern, in one namespace. */
export interface UrlSelection {
  namespace: string;
  urls?: string[];
  prefix?: string;
  pattern?: string;
}

/**
 * A change made in one tab that the others apply (see `client.apply`): a scope record, URLs
 * dropped, a clear, or a switch of namespace (the user, whose session the tabs may share).
 */
export type Change =
  | { kind: 'scope'; record: ScopeRecord }
  | ({ kind: 'drop' } & UrlSelection & DropDone)
  | { kind: 'clear'; namespace?: string }
  | { kind: 'namespace'; namespace: string };

/**
 * On a drop: the persistent storage the changing tab removed the entries from (its store's
 * `shared`) and when it started to (`Date.now()`); it is told once they are gone. A tab whose store
 * has the same `shared` removes them from memory, and from disk only what it wrote there since.
 */
export interface DropDone {
  store?: string | undefined;
  at?: number;
}

/** Counters since the client was created (or `resetStats()`). */
export interface CacheStats {
  /** Reads served fresh from the cache. */
  hits: number;
  /** Reads served stale: while a background revalidation ran, or in place of a failed one (stale-if-error). */
  staleHits: number;
  /** Reads that waited on the network (including foreground revalidations). */
  misses: number;
  /** Conditional requests and version checks sent. */
  revalidations: number;
  /** 304 answers that refreshed an entry without a body. */
  notModified: number;
  evictions: number;
  invalidations: number;
  errors: number;
  /** (hits + staleHits) / (hits + staleHits + misses), 0 when nothing was read. */
  hitRatio: number;
}
