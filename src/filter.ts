import type { CacheEntry, EntryFilter } from './types.js';

/** Whether `entry` is selected by `filter`: every field given must match; no filter selects all. */
export const matches = (entry: CacheEntry, filter: EntryFilter | undefined): boolean =>
  !filter ||
  ((filter.namespace === undefined || entry.namespace === filter.namespace) &&
    (filter.urls === undefined || filter.urls.includes(entry.url)) &&
    (filter.where === undefined || filter.where(entry)));
