import type { CacheEntry, MaybePromise } from '../types.js';
import { variantKey } from './cacheKey.js';
import { parseCacheControl } from './cacheControl.js';
import { type Core, conditionOf, type Pending, scopeOf } from './context.js';
import { condition } from './entry.js';
import { httpError, parseError } from './errors.js';
import { fetchShared, type ReadRequest, revalidated } from './network.js';
import type { Target } from './routes.js';
import { jsonOrText, textOf } from './util.js';
import { checkScope } from './versionCheck.js';

/** Per-request options of `get`. */
export interface GetOptions {
  /**
   * Request headers. Those named by a response's `Vary` select the cached variant; requests
   * differing in them never share an answer.
   *
   * @default none
   * @example
   * ```ts
   * client.get('/api/me', { headers: { 'Accept-Language': 'fr' } });
   * ```
   */
  headers?: HeadersInit;
  /**
   * Aborts this caller's wait (rejecting with the signal's reason); the shared request is aborted
   * only when every caller has gone. An already-aborted signal never starts a request.
   *
   * @default none
   * @example
   * ```ts
   * const controller = new AbortController();
   * client.get('/api/events', { signal: controller.signal });
   * ```
   */
  signal?: AbortSignal;
  /**
   * Rejects this caller with `TimeoutError` after this many ms, enforced by the client even when
   * `fetch` ignores its signal. Other callers sharing the request keep waiting.
   *
   * @default the client's `timeout`
   * @example
   * ```ts
   * client.get('/api/events', { timeout: 5000 });
   * ```
   */
  timeout?: number;
  /**
   * Scope for this request, overriding the routes.
   *
   * @default the scope of the first matching route
   * @example
   * ```ts
   * client.get('/api/legacy/feed', { scope: 'calendar:alice' });
   * ```
   */
  scope?: string;
  /**
   * How to decode the body. A `json` answer that does not parse is a `ParseError` and is never stored.
   *
   * @default 'json'
   * @example
   * ```ts
   * const html = await client.get<string>('/fragment', { as: 'text' });
   * ```
   */
  as?: 'json' | 'text';
  /**
   * What nostale's cache may do, with the meaning of the Fetch `cache` modes: `default`,
   * `no-cache` (revalidate first), `reload` (skip the lookup, store the answer), `no-store`
   * (neither), `force-cache` (any stored answer of the current scope version, however old).
   *
   * @default 'default'
   * @example
   * ```ts
   * client.get('/api/events', { cache: 'no-cache' });
   * ```
   */
  cache?: RequestCache;
  /**
   * False keeps this answer in memory only.
   *
   * @default true
   * @example
   * ```ts
   * client.get('/api/session', { persist: false });
   * ```
   */
  persist?: boolean;
  /**
   * Whether cookies go with this read (and the version check it makes), overriding the client's
   * `credentials`.
   *
   * @default the client's `credentials`
   * @example
   * ```ts
   * client.get('https://api.example.com/me', { credentials: 'include' });
   * ```
   */
  credentials?: RequestCredentials;
}

/**
 * Memoises the store's hold on `entry` for `url` in place of its target (`Routing.keepHeld`) when the
 * store now holds it under the target's key: a plain entry, read without a scope override.
 */
function keep(core: Core, url: string, target: Target, entry: CacheEntry, opts: GetOptions): void {
  const held = opts.scope === undefined && !entry.vary ? core.store.hold?.(target.primary) : undefined;
  if (held?.entry === entry) core.routing.keepHeld(url, target, held);
}

/** `get`: the hot path first, a plain read of a fresh memory entry settling without building a request. */
export async function get<T>(core: Core, url: string, opts: GetOptions): Promise<T> {
  const { store } = core;
  const usable = core.loaded && core.enabled && !opts.cache;
  // The store's hold the memo keeps for the URL once read: a hit then needs no target, no lookup.
  const kept = usable && store.hit && opts.scope === undefined ? core.routing.heldOf(url, core.namespace) : undefined;
  let target = kept?.entry ? undefined : core.routing.resolve(url, core.namespace, opts.scope);
  const found = usable ? (kept?.entry ? store.hit!(kept) : store.get(target!.primary)) : undefined;
  if (found && !(found instanceof Promise) && !found.vary && conditionOf(core, found) === 'fresh') {
    if (target) keep(core, url, target, found, opts);
    core.tally('hits', () => ({ type: 'hit', key: found.key, url: found.url, scope: found.scope }));
    return view(core, found, opts.as) as T;
  }
  target ??= core.routing.resolve(url, core.namespace, opts.scope);
  return read(core, request(target, opts), found).then((answer) => {
    keep(core, url, target, answer, opts);
    return view(core, answer, opts.as) as T;
  });
}

/** The read request `get` makes of its options. */
export const request = (target: Target, opts: GetOptions): ReadRequest => ({
  target,
  headers: new Headers(opts.headers),
  mode: opts.cache ?? 'default',
  persist: opts.persist !== false,
  signal: opts.signal,
  timeout: opts.timeout,
  credentials: opts.credentials,
  as: opts.as ?? 'json',
});

/** Entries a read found in a persistent tier (`client.read` reports them as `persisted`). */
export const fromTier = /* @__PURE__ */ new WeakSet<CacheEntry>();

/** The read decision: serve, serve stale and refresh, check the scope's version, or go to the network. */
export async function read(core: Core, req: ReadRequest, found?: MaybePromise<CacheEntry | undefined>): Promise<CacheEntry> {
  const { target, mode } = req;
  if (req.signal?.aborted) throw req.signal.reason;
  const { primary } = target;
  let key = primary;
  let entry: CacheEntry | undefined;
  let known = false;
  if (core.enabled && mode !== 'no-store' && mode !== 'reload') {
    entry = await lookup(core, target, key, found);
    if (entry?.vary) {
      // A pointer: the variant is under the key its headers select.
      key = variantKey(primary, entry.vary, req.headers);
      entry = await lookup(core, target, key);
    }
    known = !!entry || key !== primary;
  }
  const event = (type: 'hit' | 'stale' | 'miss') => () => ({ type, key, url: target.url, scope: target.scope });
  const state = entry && conditionOf(core, entry);
  // RFC 8246: a fresh `immutable` response will not change, so asking to revalidate it gains nothing.
  const reusable = mode !== 'no-cache' || parseCacheControl(entry?.headers['cache-control']).has('immutable');
  if (entry && state !== 'dead' && ((state === 'fresh' && reusable) || mode === 'force-cache')) {
    core.tally('hits', event('hit'));
    return entry;
  }
  if (entry && state === 'stale' && mode !== 'no-cache') {
    core.tally('staleHits', event('stale'));
    fetchShared(core, { ...req, signal: undefined, timeout: undefined }, key, known, entry).catch(() => undefined);
    return entry;
  }
  const validator = state === 'dead' ? undefined : entry;
  const scope = scopeOf(core, target);
  if (scope && target.versionUrl) {
    core.versionUrls.set(scope, target.versionUrl);
    if (
      validator &&
      (await checkScope(core, scope, target.versionUrl, req.credentials)) &&
      condition(validator, scope, core.now()) !== 'dead'
    ) {
      core.tally('hits', event('hit'));
      return validator;
    }
  }
  if (!core.enabled) return fetchShared(core, req, key, known);
  if (!validator) core.tally('misses', event('miss'));
  const answer = await fetchShared(core, req, key, known, validator);
  // A revalidation counts once its answer says what it was: a 304 is a hit.
  if (validator && answer !== validator)
    core.tally(revalidated.has(answer) ? 'hits' : 'misses', event(revalidated.has(answer) ? 'hit' : 'miss'));
  return answer;
}

/**
 * One store read. A store answering with a promise (a persistent tier) is watched while it is in
 * flight: if a clear or invalidation covers it meanwhile, what it found is dropped, also from the
 * memory tier it was copied into, so nothing deleted comes back. Such a read starts before the
 * scope versions have loaded (a cold start's first read overlaps their load), but answers only
 * once they have, since `read` judges the entry against them.
 */
async function lookup(
  core: Core,
  target: Target,
  key: string,
  found?: MaybePromise<CacheEntry | undefined>,
): Promise<CacheEntry | undefined> {
  const answer = found ?? core.store.get(key);
  // A synchronous answer (a memory tier) is taken again once they have: as if read then.
  if (!(answer instanceof Promise)) return core.loaded ? answer : core.ready.then(() => lookup(core, target, key));
  const pending: Pending = { url: target.url, namespace: target.namespace };
  core.pending.add(pending);
  try {
    const entry = await answer;
    if (!core.loaded) await core.ready;
    if (entry) fromTier.add(entry);
    if (!pending.detached || !entry) return entry;
    await core.store.delete([key]);
    return undefined;
  } finally {
    core.pending.delete(pending);
  }
}

/**
 * The answer's data as `get` returns it: decoded once, then with the scope's overlays applied.
 * Every hit's case (decoded already, no overlay) is answered here, small enough for V8 to inline
 * into the hot paths; the rest is `decoded`'s.
 */
export const view = (core: Core, answer: CacheEntry, as?: 'json' | 'text'): unknown =>
  // Only a 2xx answer is decoded when it arrives (and a 304 keeps it), so data implies a 2xx.
  answer.data !== undefined && as !== 'text' && !core.overlays.size && answer.status < 300 ? answer.data : decoded(core, answer, as);

function decoded(core: Core, answer: CacheEntry, as?: 'json' | 'text'): unknown {
  let { data, status } = answer;
  if (status < 200 || status > 299) throw httpError(status, answer.url, jsonOrText(textOf(answer.body)));
  if (as === 'text' || data === undefined) {
    const text = textOf(answer.body);
    if (as === 'text') return text;
    try {
      data = answer.data = text ? JSON.parse(text) : undefined;
    } catch (cause) {
      throw parseError(answer.url, text, cause);
    }
  }
  const scope = core.overlays.size ? scopeOf(core, answer) : undefined;
  const fns = scope && core.overlays.get(scope);
  // Layers are short-lived (a pending mutation): applying them per read beats caching views.
  if (fns) {
    for (const fn of fns) {
      try {
        data = fn(data, answer.url);
      } catch (error) {
        // One broken layer must not fail every read of the scope: it is skipped and reported.
        core.tally('errors', () => ({ type: 'error', url: answer.url, error: error as Error }));
      }
    }
  }
  return data;
}
