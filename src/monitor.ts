import type { CacheEvent, CacheStats } from './types.js';

export type CacheEventListener = (event: CacheEvent) => void;

type Counter = Exclude<keyof CacheStats, 'hitRatio'>;

const zero = (): Record<Counter, number> => ({
  hits: 0,
  staleHits: 0,
  misses: 0,
  revalidations: 0,
  notModified: 0,
  evictions: 0,
  invalidations: 0,
  errors: 0,
});

/** Counters and listeners. Events are only built when someone listens, so a hit stays cheap. */
export class Monitor {
  readonly counts = zero();
  private readonly listeners = new Set<CacheEventListener>();

  constructor(onEvent?: CacheEventListener) {
    if (onEvent) this.listeners.add(onEvent);
  }

  subscribe(listener: CacheEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Counts `counter` and reports the event; `event` is a thunk so a silent client pays nothing. */
  record(counter: Counter | undefined, event?: () => CacheEvent): void {
    if (counter) this.counts[counter]++;
    if (event && this.listeners.size) {
      const built = event();
      // A throwing listener must not break the cache operation that reported to it.
      for (const listener of this.listeners) {
        try {
          listener(built);
        } catch {
          /* listeners are the app's; their failures are theirs */
        }
      }
    }
  }

  stats(): CacheStats {
    const { hits, staleHits, misses } = this.counts;
    const reads = hits + staleHits + misses;
    return { ...this.counts, hitRatio: reads ? (hits + staleHits) / reads : 0 };
  }

  reset(): void {
    Object.assign(this.counts, zero());
  }
}
