import type { CacheEvent, CacheStats } from '../types.js';
import { listeners } from './util.js';

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

/** Telemetry: counters and event listeners. Events are built only when someone listens, so a hit stays cheap. */
export function emitter(onEvent?: CacheEventListener) {
  const counts = zero();
  const { set, on, announce } = listeners<CacheEvent>();
  if (onEvent) set.add(onEvent);
  return {
    on,
    /** Counts `counter` and reports the event; `event` is a thunk so a silent client pays nothing. */
    record(counter: Counter | undefined, event?: () => CacheEvent): void {
      if (counter) counts[counter]++;
      if (event && set.size) announce(event());
    },
    stats(): CacheStats {
      const { hits, staleHits, misses } = counts;
      const reads = hits + staleHits + misses;
      return { ...counts, hitRatio: reads ? (hits + staleHits) / reads : 0 };
    },
    reset: () => void Object.assign(counts, zero()),
  };
}

export type Emitter = ReturnType<typeof emitter>;
