import type { CacheEntry } from '../types.js';
import { variantKey } from './cacheKey.js';
import { type Core, conditionOf } from './context.js';
import type { ReadResult, ReadSource } from './fetchObserver.js';
import { servedOnError } from './network.js';
import { fromTier, type GetOptions, read, request, view } from './read.js';

/** The entry a read of `url` would look at in memory now (any condition), never touching a persistent tier. */
function inMemory(core: Core, url: string, opts: GetOptions): CacheEntry | undefined {
  // A disabled client stores nothing, so it has nothing to peek at.
  if (!core.loaded) return;
  const { primary } = core.routing.resolve(url, core.namespace, opts.scope);
  const entry = core.store.peek?.(primary);
  return entry?.vary ? core.store.peek?.(variantKey(primary, entry.vary, new Headers(opts.headers))) : entry;
}

const result = (core: Core, entry: CacheEntry, opts: GetOptions, source: ReadSource, stale: boolean): ReadResult<never> => ({
  data: view(core, entry, opts.as) as never,
  source,
  stale,
  updatedAt: entry.storedAt,
  version: entry.version,
});

/**
 * `client.peek`: what a read would serve from memory right now, or `undefined` (nothing, an entry
 * of an older scope mark, one expired beyond use, or a stored error). With `force-cache`, as for a
 * read, any entry of the current mark: what the observer counts as "the cache still holds it".
 */
export function peek<T>(core: Core, url: string, opts: GetOptions): ReadResult<T> | undefined {
  const entry = inMemory(core, url, opts);
  // A stored error (a 404 the server said to reuse) has no data: a read rejects with it instead.
  if (!entry || entry.status > 299) return;
  const state = conditionOf(core, entry);
  if (state === 'dead' || (state === 'expired' && opts.cache !== 'force-cache')) return;
  return {
    data: view(core, entry, opts.as) as T,
    source: 'memory',
    stale: state !== 'fresh',
    updatedAt: entry.storedAt,
    version: entry.version,
  };
}

/** `client.read`: a read through the cache, with where its answer came from. */
export async function readResult<T>(core: Core, url: string, opts: GetOptions): Promise<ReadResult<T>> {
  const before = inMemory(core, url, opts);
  const answer = await read(core, request(core.routing.resolve(url, core.namespace, opts.scope), opts));
  // Marked where the network failed and the copy stood in; a `no-cache` copy a version check
  // confirmed is expired too, but current: `memory`, not stale.
  const onError = servedOnError.delete(answer);
  const cached = answer === before || fromTier.has(answer);
  const source = onError ? 'stale-if-error' : !cached ? 'network' : answer === before ? 'memory' : 'persisted';
  return result(core, answer, opts, source, onError || (cached && conditionOf(core, answer) === 'stale'));
}
