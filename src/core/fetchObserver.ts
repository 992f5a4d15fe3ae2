/**
 * One URL watched by UI code: what a read of it would show now, kept current as the cache
 * changes. `client.watch` and the React hook are thin layers over it, so both follow the same
 * re-read rule: after a change, a view asks the cache first and goes to the network only when
 * the cache has nothing current left. Its own answer is therefore never taken for a change (the
 * answer is current when it lands), an optimistic layer re-renders without a request, and a
 * version bump, invalidation, clear or namespace switch costs exactly one request.
 */

/** Where a read's data came from. */
export type ReadSource = 'memory' | 'persisted' | 'network' | 'stale-if-error';

/** A read's data with what the app needs to describe it ("offline, showing saved data from 10:42"). */
export interface ReadResult<T = unknown> {
  data: T;
  /** `memory`/`persisted`: the cache's tiers; `network`: a response (or 304) to this read; `stale-if-error`: a saved copy served because the network failed. */
  source: ReadSource;
  /** True when the data is past its freshness lifetime and a revalidation is due or running. */
  stale: boolean;
  /** Client clock (ms) when the answer (or its last 304) arrived, corrected by `Age`. */
  updatedAt: number;
  /** The scope's version token the data was fetched under, when the server sent one. */
  version: string | undefined;
}

/** What a watcher of one URL sees. */
export interface WatchState<T = unknown> {
  /** The latest data, kept while a refresh runs or after a failed one. */
  data: T | undefined;
  /** The latest read's error; cleared by the next success. */
  error: unknown;
  /** No data yet and a read running. */
  isLoading: boolean;
  /** A read running, with or without data. */
  isValidating: boolean;
  /** The data shown is past its lifetime, or was served because the network failed. */
  isStale: boolean;
  /** When the data was last confirmed by the server. */
  updatedAt: number | undefined;
  /** Where the data came from. */
  source: ReadSource | undefined;
}

/** What the observer needs of a client. */
export interface ObservedReads {
  /** A read through the cache; `cache: 'no-cache'` when revalidating (a conditional request, or the scope's version check). */
  read<T>(url: string, cache?: RequestCache): Promise<ReadResult<T>>;
  /** Any entry of the current scope version, however old (`force-cache`): what the cache still holds. */
  peek<T>(url: string): ReadResult<T> | undefined;
  /** Called after anything that may change what a read answers; returns its unsubscribe. */
  onReadsChanged(listener: () => void): () => void;
}

/** The state of a watch that has read nothing yet (also what a waiting `url = null` shows). */
export const IDLE: WatchState<never> = Object.freeze({
  data: undefined,
  error: undefined,
  isLoading: false,
  isValidating: false,
  isStale: false,
  updatedAt: undefined,
  source: undefined,
});

export class FetchObserver<T = unknown> {
  #state: WatchState<T> = IDLE;
  #listeners = new Set<() => void>();
  #stop: (() => void) | undefined;
  /** Number of the latest read: an older read's answer never replaces a newer one's. */
  #latest = 0;
  #running = 0;
  /** A change arrived while a read ran: look again when it ends. */
  #dirty = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Undoes `attach` when the last listener leaves. */
  #detach: (() => void) | undefined;

  /**
   * @param reads the client's read side
   * @param url the URL to watch; `null` waits (nothing is read)
   * @param attach called when the first listener arrives (`nostale/revalidate` registers the
   *   observer there); returns what the last listener's leaving calls
   */
  constructor(
    private readonly reads: ObservedReads,
    readonly url: string | null,
    private readonly attach?: (observer: FetchObserver<T>) => () => void,
  ) {
    const cached = url === null ? undefined : reads.peek<T>(url);
    if (cached) this.#state = fromResult(cached, this.#state);
  }

  /** The current state; the same object until something changed (as `useSyncExternalStore` needs). */
  getSnapshot = (): WatchState<T> => this.#state;

  /** Starts watching with the first listener (reading when the cache has nothing current), stops with the last. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1 && this.url !== null) {
      // Deferred and coalesced: a drop or clear is announced before the store has removed the
      // entry, and one mutation announces several changes (version, then URLs).
      this.#stop = this.reads.onReadsChanged(() => {
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined;
          if (this.#running) this.#dirty = true;
          else if (this.#stop) this.#reconsider();
        });
      });
      // An observer that has read already (Suspense's first read) takes its answer as current.
      this.#reconsider(!this.#latest);
      this.#detach = this.attach?.(this);
    }
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size) return;
      this.#stop?.();
      this.#stop = undefined;
      this.#detach?.();
      this.#detach = undefined;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    };
  };

  /** Reads again now, through the cache's rules (a fresh entry answers at once). */
  refetch = (): Promise<void> => this.#read().then(() => undefined);

  /**
   * Revalidates (focus, reconnect, polling): a conditional re-read, unless a read is running
   * already. Resolves false when it failed (the error is in the state); never rejects.
   */
  revalidate = (): Promise<boolean> => (this.#running ? Promise.resolve(true) : this.#read('no-cache'));

  /**
   * What the cache holds now decides. After a change only a missing entry is read: a scope change,
   * invalidation, clear or namespace switch leaves none, while an optimistic layer or this view's
   * own answer leaves a current one. Staleness by age alone is for mount, focus and polling.
   */
  #reconsider(mounting = false) {
    const cached = this.reads.peek<T>(this.url!);
    if (cached) {
      // The same stored answer seen again (an overlay changed its data): keep how it was described.
      const same = cached.updatedAt === this.#state.updatedAt;
      this.#set(same ? { ...this.#state, data: cached.data } : fromResult(cached, this.#state));
    }
    if (!cached || (mounting && cached.stale)) void this.#read();
  }

  async #read(cache?: RequestCache): Promise<boolean> {
    if (this.url === null) return true;
    const number = ++this.#latest;
    this.#running++;
    this.#set({ ...this.#state, isValidating: true, isLoading: this.#state.data === undefined });
    try {
      const result = await this.reads.read<T>(this.url, cache);
      if (number === this.#latest) this.#set(fromResult(result, this.#state));
      return true;
    } catch (error) {
      if (number === this.#latest) this.#set({ ...this.#state, error });
      return false;
    } finally {
      if (!--this.#running) {
        this.#set({ ...this.#state, isValidating: false, isLoading: false });
        if (this.#dirty && this.#stop) this.#reconsider();
        this.#dirty = false;
      }
    }
  }

  #set(next: WatchState<T>) {
    const previous = this.#state;
    if (
      previous.data === next.data &&
      previous.error === next.error &&
      previous.isLoading === next.isLoading &&
      previous.isValidating === next.isValidating &&
      previous.isStale === next.isStale &&
      previous.updatedAt === next.updatedAt &&
      previous.source === next.source
    ) {
      return;
    }
    this.#state = next;
    for (const listener of [...this.#listeners]) listener();
  }
}

function fromResult<T>(result: ReadResult<T>, previous: WatchState<T>): WatchState<T> {
  return {
    ...previous,
    data: result.data,
    error: undefined,
    isStale: result.stale || result.source === 'stale-if-error',
    updatedAt: result.updatedAt,
    source: result.source,
  };
}
