import { startOfUtcMonth } from './dates';
import type { TimeRange } from './db';
import type { DemoEvent, DemoUser } from './model';
import { readJson, STORAGE_PREFIX, writeJson, type KeyValueStorage } from './storage';

/**
 * The server-side cache of the naive feed, as the post-mortems' backends had it: responses kept
 * by date range, and a mutation that drops "the month of the event". The calendar never asks for
 * a month: its grid spans six weeks (Nov 29 – Jan 3), so the key the server drops (Dec 1 –
 * Jan 1) is never one it stored, and the stale list stays until it expires.
 *
 * Kept in the mock's storage, like Redis next to a real server: a reload or a second tab meets
 * the same entries. nostale's feed does not go through it (its responses carry the version).
 */
export const RANGE_CACHE_KEY = `${STORAGE_PREFIX}range-cache`;
/** As long as the post-mortems' caches kept a range: an hour. */
export const RANGE_CACHE_TTL_MS = 3_600_000;

interface Cached {
  storedAt: number;
  events: DemoEvent[];
}

export interface RangeCache {
  get(user: DemoUser, range: TimeRange, now?: number): Cached | undefined;
  set(user: DemoUser, range: TimeRange, events: DemoEvent[], now?: number): void;
  /** The buggy invalidation: drops the calendar month of each event. Returns the keys dropped. */
  invalidateMonthsOf(user: DemoUser, events: readonly Pick<DemoEvent, 'start'>[]): { dropped: number; keys: string[] };
  clear(): void;
}

export const rangeKey = (user: DemoUser, range: TimeRange): string =>
  `${user}|${new Date(range.start).toISOString()}|${new Date(range.end).toISOString()}`;

export function createRangeCache(storage: KeyValueStorage): RangeCache {
  const load = (): Record<string, Cached> => {
    const stored = readJson(storage, RANGE_CACHE_KEY);
    return typeof stored === 'object' && stored !== null ? (stored as Record<string, Cached>) : {};
  };
  return {
    get(user, range, now = Date.now()) {
      const hit = load()[rangeKey(user, range)];
      return hit && now - hit.storedAt < RANGE_CACHE_TTL_MS ? hit : undefined;
    },
    set(user, range, events, now = Date.now()) {
      writeJson(storage, RANGE_CACHE_KEY, { ...load(), [rangeKey(user, range)]: { storedAt: now, events } });
    },
    invalidateMonthsOf(user, events) {
      const entries = load();
      const keys = events.map(({ start }) => {
        const day = new Date(start.length === 10 ? `${start}T00:00:00Z` : start);
        return rangeKey(user, { start: startOfUtcMonth(day, 0), end: startOfUtcMonth(day, 1) });
      });
      const dropped = keys.filter((key) => key in entries);
      for (const key of dropped) delete entries[key];
      writeJson(storage, RANGE_CACHE_KEY, entries);
      return { dropped: dropped.length, keys };
    },
    clear: () => storage.removeItem(RANGE_CACHE_KEY),
  };
}
