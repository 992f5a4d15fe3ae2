import type { CacheEntry } from '../types.js';
import type { ScopeState } from './scopes.js';

/**
 * - `fresh`: servable as it is;
 * - `stale`: servable while a revalidation runs (stale-while-revalidate);
 * - `expired`: revalidate first (it may still be a validator);
 * - `dead`: of an older scope mark, so never served and never a validator.
 */
export type Condition = 'fresh' | 'stale' | 'expired' | 'dead';

/** Pure: what `entry` is worth at `now`, given its scope's state. */
export function condition(entry: CacheEntry, scope: ScopeState | undefined, now: number): Condition {
  if (scope && entry.mark !== scope.mark) return 'dead';
  if (entry.noCache) return 'expired';
  // Never negative (RFC 9111 §4.2.3): an entry stamped by a clock a little ahead (another tab, a
  // store) is not younger than new, so a zero lifetime stays zero.
  const age = Math.max(0, now - Math.max(entry.storedAt, scope?.verifiedAt ?? 0));
  if (age < entry.lifetime) return 'fresh';
  return !entry.mustRevalidate && age < entry.lifetime + entry.staleWhileRevalidate ? 'stale' : 'expired';
}

/** Pure: whether `entry` may answer in place of a failed revalidation (stale-if-error). */
export const servableOnError = (entry: CacheEntry, scope: ScopeState | undefined, now: number): boolean =>
  condition(entry, scope, now) !== 'dead' && !entry.mustRevalidate && now - entry.storedAt < entry.lifetime + entry.staleIfError;
