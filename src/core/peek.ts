import type { CacheEntry } from '../types.js';
import { variantKey } from './cacheKey.js';
import { type Core, conditionOf } from './context.js';
import type { ReadResult, ReadSource } from './fetchObserver.js';
import { servedOnError } from './network.js';
import { fromTier, type GetOptions, read, request, view } from './read.js';
import type { Target } from './routes.js';

/**
 * `client.peek`'s last answer and the entry it was made of. A store's hold gets them only once
 * peeked (a property added then), so the slots of entries nobody peeks at stay two fields.
 */
interface Shows {
  shown?: ReadResult<unknown> | undefined;
  shownOf?: CacheEntry | undefined;
}

/** The entry a read of `target` would look at in memory now (any condition), never touching a persistent tier. */
function inMemory(core: Core, target: Target, opts: GetOptions): CacheEntry | undefined {
  const { primary, held } = target;
  // The store's hold, kept with the memoised URL while live: a peek then costs one lookup, not two.
  const entry = held?.entry ?? (core.store.hold ? (target.held = core.store.hold(primary))?.entry : core.store.peek?.(primary));
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
  // A disabled client stores nothing, so it has nothing to peek at.
  if (!core.loaded) return;
  // The hold a read left in the memo in place of the URL's target (see `Routing.keep`): no parse.
  const kept = opts.scope === undefined ? core.routing.heldOf(url, core.namespace) : undefined;
  const target = kept?.entry ? undefined : core.routing.resolve(url, core.namespace, opts.scope);
  const entry = target ? inMemory(core, target, opts) : kept!.entry;
  // A stored error (a 404 the server said to reuse) has no data: a read rejects with it instead.
  if (!entry || entry.status > 299) return;
  const state = conditionOf(core, entry);
  if (state === 'dead' || (state === 'expired' && opts.cache !== 'force-cache')) return;
  const stale = state !== 'fresh';
  // What was shown last lives with what the memo holds: the target, or the store's hold.
  const shows = (target ?? kept) as Shows;
  const { shown } = shows;
  // While nothing changed (the entry, its staleness, no layers, the default decoding), the same
  // object as last time: no allocation, and stable for `useSyncExternalStore`'s snapshots.
  if (shows.shownOf === entry && shown?.stale === stale && !opts.as && !core.overlays.size) return shown as ReadResult<T>;
  const made: ReadResult<T> = {
    data: view(core, entry, opts.as) as T,
    source: 'memory',
    stale,
    updatedAt: entry.storedAt,
    version: entry.version,
  };
  if (!opts.as && !core.overlays.size) {
    shows.shown = made;
    shows.shownOf = entry;
  }
  return made;
}

/** `client.read`: a read through the cache, with where its answer came from. */
export async function readResult<T>(core: Core, url: string, opts: GetOptions): Promise<ReadResult<T>> {
  const target = core.routing.resolve(url, core.namespace, opts.scope);
  const before = core.loaded ? inMemory(core, target, opts) : undefined;
  const answer = await read(core, request(target, opts));
  // Marked where the network failed and the copy stood in; a `no-cache` copy a version check
  // confirmed is expired too, but current: `memory`, not stale.
  const onError = servedOnError.delete(answer);
  const cached = answer === before || fromTier.has(answer);
  const source = onError ? 'stale-if-error' : !cached ? 'network' : answer === before ? 'memory' : 'persisted';
  return result(core, answer, opts, source, onError || (cached && conditionOf(core, answer) === 'stale'));
}
