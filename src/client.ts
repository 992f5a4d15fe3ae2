import { normalizeUrl, primaryKey, variantKey, varyNames } from './cacheKey.js';
import { freshness } from './cacheControl.js';
import { HttpError, NetworkError, ParseError, StaleVersionError, TimeoutError } from './errors.js';
import { MemoryStore } from './memoryStore.js';
import { Monitor, type CacheEventListener } from './monitor.js';
import { compilePattern, fill, globToRegExp } from './patterns.js';
import { Scopes, type ScopeState } from './scopes.js';
import type { CacheEntry, CacheEvent, CacheStats, Change, MaybePromise, ScopeRecord, Store, UrlSelection } from './types.js';

/** Maps a family of URLs to a scope, and says how to treat them. */
export interface Route {
  /**
   * Which URLs the route covers: a path pattern (`/api/users/:user/events*`, where `:name`
   * captures a segment and `*` anything), a RegExp over the whole URL, or a predicate.
   */
  match: string | RegExp | ((url: URL) => boolean);
  /** Scope of the matched URLs; `{name}` is filled from the pattern's captures: `calendar:{user}`. */
  scope?: string | ((url: URL) => string);
  /**
   * A cheap endpoint answering the scope's current version as JSON `{ "version": "…" }`.
   * One check then revalidates every entry of the scope. `{name}` is filled from the captures.
   */
  versionUrl?: string;
  /** `cache` mode sent to the browser's HTTP cache. Default: the client's `browserCache`. */
  browserCache?: RequestCache;
  /** Lifetime when the server says nothing, in ms. Default: the client's `defaultTtl`. */
  defaultTtl?: number;
  /** False keeps these responses in memory only, never in the persistent store. */
  persist?: boolean;
}

export interface ClientOptions {
  /** The `fetch` to call. Default: the global one. Inject one in tests or to add auth. */
  fetch?: typeof globalThis.fetch;
  /** Clock in ms. Inject one to test freshness without waiting. */
  now?: () => number;
  /** Base for relative URLs. Default: `location.href`, else `http://localhost/`. */
  baseUrl?: string;
  /** Whose cache this is (a user id). Part of every key: users never see each other's entries. */
  namespace?: string;
  /** False passes every request straight to `fetch`, with the same API. Default true. */
  enabled?: boolean;
  /** Lifetime of a response that says nothing about freshness, in ms. Default 0: revalidate before reuse. */
  defaultTtl?: number;
  /** Caps of the default memory store (LRU). Defaults: 1000 entries, 50 MB. */
  maxEntries?: number;
  maxBytes?: number;
  /**
   * Where entries live. Default: a `MemoryStore` with `maxEntries`/`maxBytes`. Pass
   * `tieredStore(idbStore())` from `nostale/idb` for a memory tier over IndexedDB. Reads await it
   * only when it answers with a promise, so a memory hit stays synchronous inside the store.
   */
  store?: Store;
  /** URL families, their scopes and version endpoints. First match wins. */
  routes?: Route[];
  /** Response header carrying a scope's version token. Default `X-Cache-Version`. */
  versionHeader?: string;
  /** `cache` mode for the browser's HTTP cache. Default `no-store`: only nostale caches. */
  browserCache?: RequestCache;
  /** Abort a request that has not answered after this many ms. Default: none. */
  timeout?: number;
  /** Build id stamped on entries; persisted entries of another build are never served. */
  build?: string;
  /** Told about every cache operation. */
  onEvent?: CacheEventListener;
}

/** Per-request options of `get`. */
export interface GetOptions {
  /** Request headers. Those named by a response's `Vary` select the cached variant. */
  headers?: HeadersInit;
  /** Aborts this caller's wait; the shared request is aborted only when every caller has. */
  signal?: AbortSignal;
  /** Overrides the client's `timeout` (ms). */
  timeout?: number;
  /** Scope for this request, overriding the routes. */
  scope?: string;
  /** How to decode the body. Default `json`. */
  as?: 'json' | 'text';
  /**
   * What nostale's cache may do, with the meaning of the Fetch `cache` modes: `default`,
   * `no-cache` (revalidate first), `reload` (skip the lookup, store the answer), `no-store`
   * (neither), `force-cache` (any stored answer, however old, if one exists).
   */
  cache?: RequestCache;
  /** False keeps this answer in memory only. */
  persist?: boolean;
}

/** What targets an invalidation. `*` in `scope` and `url` matches any run of characters. */
export interface InvalidateTarget {
  scope?: string;
  url?: string;
  prefix?: string;
  /** Namespace to act in. Default: the current one. */
  namespace?: string;
}

export interface Client {
  /** Reads `url` through the cache and decodes it (JSON by default). Rejects with typed errors. */
  get<T = unknown>(url: string, options?: GetOptions): Promise<T>;
  /** Drop-in `fetch` sharing the same cache: GETs are cached, unsafe methods invalidate, HEAD and OPTIONS pass through. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Makes entries stale: a whole scope in O(1), or URLs by exact match, prefix or `*` pattern. */
  invalidate(target: InvalidateTarget): Promise<void>;
  /** Removes entries from every tier (all, or one namespace: logout). Other tabs follow. */
  clear(filter?: { namespace?: string }): Promise<void>;
  /** Warms the cache. Never rejects: failures are reported as events. */
  prefetch(urls: readonly string[], options?: GetOptions): Promise<void>;
  /** Asks the scope's version endpoint; true when the token is unchanged. Concurrent checks share one request. */
  checkVersion(scope: string): Promise<boolean>;
  /** Tells the client a scope's version (e.g. from a mutation's answer). False when it was not newer. */
  setVersion(scope: string, token: string): boolean;
  /** The current namespace (user). Switching never serves another namespace's entries. */
  namespace: string;
  /** Scope versions known in the current namespace. */
  scopes(): ScopeRecord[];
  stats(): CacheStats;
  resetStats(): void;
  /**
   * Layers a transform over the decoded data of every entry of `scope` (current namespace) as
   * `get` returns it, until the returned function removes it. Optimistic updates are built on it:
   * removing one layer leaves the others, so rolling back one mutation never undoes another.
   */
  overlay(scope: string, transform: (data: unknown, url: string) => unknown): () => void;
  /** Listens to cache events; returns the unsubscribe function. */
  subscribe(listener: CacheEventListener): () => void;
  /** Resolves when the persistent tier's scope versions are loaded. */
  readonly ready: Promise<void>;
  /**
   * Applies a change made elsewhere (another tab) to this client's memory, without reporting it
   * back as a local change. `nostale/sync` calls it; apps rarely need to.
   */
  apply(change: Change): void;
}

interface CompiledRoute extends Route {
  test: (url: URL) => Record<string, string> | null;
}

/** A request resolved against routes and namespace: everything a lookup needs. */
interface Target {
  url: string;
  namespace: string;
  primary: string;
  scope?: string;
  versionUrl?: string;
  route?: CompiledRoute;
}

const MAX_LATE_RETRIES = 2;
const decoder = /* @__PURE__ */ new TextDecoder();
const textual = /^text\/|json|xml|javascript|x-www-form-urlencoded/i;

export function createClient(options: ClientOptions = {}): Client {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const base = options.baseUrl ?? globalThis.location?.href ?? 'http://localhost/';
  const versionHeader = (options.versionHeader ?? 'x-cache-version').toLowerCase();
  const browserCache = options.browserCache ?? 'no-store';
  const enabled = options.enabled !== false;
  const build = options.build;
  const monitor = new Monitor(options.onEvent);
  let warnedHeader = false;
  const store: Store = options.store ?? new MemoryStore(options);
  const routes: CompiledRoute[] = (options.routes ?? []).map((route) => ({
    ...route,
    test: ((m) =>
      typeof m === 'string' ? compilePattern(m) : (url: URL) => ((m instanceof RegExp ? m.test(url.href) : m(url)) ? {} : null))(
      route.match,
    ),
  }));
  /** Header names each URL's responses varied on, by primary key. */
  const varyIndex = new Map<string, string[]>();
  const inflight = new Map<string, Shared>();
  const versionChecks = new Map<ScopeState, Promise<boolean>>();
  /** Version endpoint of each scope, learned as its URLs are resolved. */
  const versionUrls = new Map<ScopeState, string>();
  const overlays = new Map<ScopeState, Set<(data: unknown, url: string) => unknown>>();
  let namespace = options.namespace ?? '';
  /** Moves on with every clear and URL invalidation, so answers already in flight are not stored. */
  let generation = 0;
  /** Raw URL to resolved target, per namespace: the hot path skips URL parsing. */
  let targets = new Map<string, Target>();

  const scopes = new Scopes((state, previous, origin) => {
    const { verifiedAt: _, ...record } = state;
    // Learning a first token invalidates nothing; every later change does.
    monitor.record(origin !== 'store' && (previous !== undefined || origin !== 'response') ? 'invalidations' : undefined, () => ({
      type: 'version',
      scope: state.scope,
      version: state.token,
      previous,
      origin: origin as Extract<CacheEvent, { type: 'version' }>['origin'],
      record,
    }));
    // Every tab saves the record it ends up holding, so the shared store keeps the one all tabs
    // agreed on (nostale/sync orders concurrent changes), not whichever tab wrote last.
    if (origin !== 'store') void store.saveScopes?.([record]);
  });

  store.attach?.((event) => monitor.record(event.type === 'evict' ? 'evictions' : undefined, () => event));

  // Entries are judged against their scope's mark, so persisted marks load before the first read.
  let loaded = !store.loadScopes;
  const ready = (async () => {
    for (const record of (await store.loadScopes?.()) ?? []) scopes.restore(record, 'store');
    loaded = true;
  })();

  function resolve(raw: string, scopeOverride?: string): Target {
    const cached = scopeOverride === undefined ? targets.get(raw) : undefined;
    if (cached) return cached;
    const url = normalizeUrl(raw, base);
    const parsed = new URL(url);
    let target: Target = { url, namespace, primary: primaryKey(namespace, 'GET', url) };
    for (const route of routes) {
      const params = route.test(parsed);
      if (!params) continue;
      const scope = typeof route.scope === 'function' ? route.scope(parsed) : route.scope && fill(route.scope, params);
      const versionUrl = route.versionUrl && normalizeUrl(fill(route.versionUrl, params), base);
      if (versionUrl && scope !== undefined) versionUrls.set(scopes.get(namespace, scope), versionUrl);
      target = { ...target, route, scope, versionUrl };
      break;
    }
    if (scopeOverride !== undefined) return { ...target, scope: scopeOverride };
    if (targets.size > 2000) targets = new Map();
    targets.set(raw, target);
    return target;
  }

  /** `fresh`, `stale` (servable while revalidating), `expired` (revalidate first) or `dead` (older scope version). */
  function condition(entry: CacheEntry): 'fresh' | 'stale' | 'expired' | 'dead' {
    const state = entry.scope === undefined ? undefined : scopes.get(entry.namespace, entry.scope);
    if (state && entry.mark !== state.mark) return 'dead';
    if (entry.noCache) return 'expired';
    const age = now() - Math.max(entry.storedAt, state?.verifiedAt ?? 0);
    if (age < entry.lifetime) return 'fresh';
    return !entry.mustRevalidate && age < entry.lifetime + entry.staleWhileRevalidate ? 'stale' : 'expired';
  }

  const servableOnError = (entry: CacheEntry) =>
    condition(entry) !== 'dead' && !entry.mustRevalidate && now() - entry.storedAt < entry.lifetime + entry.staleIfError;

  async function lookup(key: string): Promise<CacheEntry | undefined> {
    if (!loaded) await ready;
    return store.get(key);
  }

  function save(entry: CacheEntry) {
    void store.set([entry]);
    monitor.record(undefined, () => ({
      type: 'store',
      key: entry.key,
      url: entry.url,
      scope: entry.scope,
      size: entry.size,
      persisted: !entry.memoryOnly,
    }));
  }

  /** One network request shared by every caller asking for the same key at once. */
  interface Shared {
    promise: Promise<CacheEntry>;
    controller: AbortController;
    waiters: number;
  }

  interface ReadRequest {
    target: Target;
    headers: Headers;
    mode: RequestCache;
    persist: boolean;
    signal?: AbortSignal | null;
    timeout?: number;
    credentials?: RequestCredentials;
  }

  /** `found` is what the store already answered for the key, when `get`'s fast path asked it. */
  async function read(req: ReadRequest, found?: MaybePromise<CacheEntry | undefined>): Promise<CacheEntry> {
    const { target, mode } = req;
    const { primary } = target;
    const key = variantKey(primary, varyIndex.get(primary), req.headers);
    const event = (type: 'hit' | 'stale' | 'miss') => () => ({ type, key, url: target.url, scope: target.scope });
    const entry = enabled && mode !== 'no-store' && mode !== 'reload' ? await (found ?? lookup(key)) : undefined;
    const state = entry && condition(entry);
    if (entry && ((state === 'fresh' && mode !== 'no-cache') || (state !== 'dead' && mode === 'force-cache'))) {
      monitor.record('hits', event('hit'));
      return entry;
    }
    if (entry && state === 'stale' && mode !== 'no-cache') {
      monitor.record('staleHits', event('stale'));
      fetchShared(req, primary, key, entry).catch(() => undefined);
      return entry;
    }
    if (entry && state !== 'dead' && target.versionUrl && target.scope !== undefined) {
      const scope = scopes.get(target.namespace, target.scope);
      if ((await checkScope(scope, target.versionUrl)) && condition(entry) !== 'dead') {
        monitor.record('hits', event('hit'));
        return entry;
      }
    }
    if (enabled) monitor.record('misses', event('miss'));
    return fetchShared(req, primary, key, entry);
  }

  /** Joins or starts the shared request; a caller's abort detaches it, the last one's aborts the request. */
  function fetchShared(req: ReadRequest, primary: string, key: string, validator: CacheEntry | undefined): Promise<CacheEntry> {
    const { signal, target } = req;
    let shared = inflight.get(key);
    if (!shared) {
      const controller = new AbortController();
      const timeout = req.timeout ?? options.timeout;
      const timer =
        timeout &&
        setTimeout(
          () => controller.abort(new TimeoutError(`Timed out after ${timeout} ms: ${target.url}`, { url: target.url, timeout })),
          timeout,
        );
      const promise = fromNetwork(req, primary, key, validator, controller.signal).finally(() => {
        clearTimeout(timer);
        inflight.delete(key);
      });
      inflight.set(key, (shared = { promise, controller, waiters: 0 }));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Callers without a signal count too: they keep the request alive.
    shared.waiters++;
    if (!signal) return shared.promise;
    const { promise, controller } = shared;
    return new Promise<CacheEntry>((resolve, reject) => {
      const onAbort = () => {
        if (--shared.waiters === 0) controller.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async function fromNetwork(
    req: ReadRequest,
    primary: string,
    key: string,
    validator: CacheEntry | undefined,
    signal: AbortSignal,
  ): Promise<CacheEntry> {
    const { target } = req;
    for (let attempt = 0; ; attempt++) {
      const generationAtSend = generation;
      const scope = target.scope === undefined ? undefined : scopes.get(target.namespace, target.scope);
      const markAtSend = scope?.mark;
      const headers = new Headers(req.headers);
      const etag = validator?.headers.etag;
      const lastModified = validator?.headers['last-modified'];
      if (etag) headers.set('if-none-match', etag);
      else if (lastModified) headers.set('if-modified-since', lastModified);
      if (etag || lastModified) {
        monitor.record('revalidations', () => ({ type: 'revalidate', key, url: target.url, scope: target.scope, via: 'conditional' }));
      }
      const requestTime = now();
      let response: Response;
      try {
        response = await fetchImpl(target.url, {
          headers,
          signal,
          cache: target.route?.browserCache ?? browserCache,
          credentials: req.credentials,
        });
      } catch (cause) {
        if (signal.aborted) throw signal.reason;
        const error = new NetworkError(`Network error: ${target.url}`, { url: target.url }, { cause });
        monitor.record('errors', () => ({ type: 'error', url: target.url, error }));
        if (validator && servableOnError(validator)) return validator;
        throw error;
      }
      const responseTime = now();
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        responseHeaders[name.toLowerCase()] = value;
      });
      const token = responseHeaders[versionHeader];
      if (scope && token === undefined && response.status < 400) {
        // Said once: the usual cause is a CORS response that does not expose the header.
        if (!warnedHeader) {
          warnedHeader = true;
          monitor.record(undefined, () => ({
            type: 'warning',
            code: 'missing-version-header',
            message: `No ${versionHeader} on ${target.url} (CORS: Access-Control-Expose-Headers?)`,
          }));
        }
      }
      const notModified = response.status === 304 && validator !== undefined;
      if (!response.ok && !notModified) {
        const body = await readBody(response, responseHeaders).catch(() => '');
        if (validator && response.status >= 500 && servableOnError(validator)) {
          monitor.record('errors', () => ({ type: 'error', url: target.url, error: httpError(response.status, target.url, body) }));
          return validator;
        }
        // Errors are answered, never stored: the previous good entry stays where it is.
        return { ...blank(key, target), status: response.status, headers: responseHeaders, body };
      }
      const body = notModified ? validator.body : await readBody(response, responseHeaders);
      const verdict = scope ? scopes.judge(scope, markAtSend!, token) : 'current';
      if (verdict === 'late') {
        if (attempt < MAX_LATE_RETRIES) continue;
        throw new StaleVersionError(`Older version of ${scope!.scope} than already seen: ${target.url}`, {
          url: target.url,
          scope: scope!.scope,
          version: token,
        });
      }
      const merged = notModified ? { ...validator.headers, ...responseHeaders } : responseHeaders;
      const policy = freshness(merged, requestTime, responseTime, target.route?.defaultTtl ?? options.defaultTtl ?? 0);
      const names = varyNames(merged.vary);
      if (names) varyIndex.set(primary, names);
      else varyIndex.delete(primary);
      const entry: CacheEntry = {
        ...blank(variantKey(primary, names, req.headers), target),
        status: notModified ? validator.status : response.status,
        headers: merged,
        body,
        size: typeof body === 'string' ? body.length * 2 : body.byteLength,
        ...policy,
        version: scope?.token,
        mark: scope?.mark,
        vary: names,
      };
      if (notModified) monitor.record('notModified', () => ({ type: 'not-modified', key, url: target.url }));
      if (!req.persist || target.route?.persist === false) entry.memoryOnly = true;
      if (!policy.storable) void store.delete([key]);
      // Not stored when the cache is off, or when a clear or invalidation ran while it was in flight.
      else if (enabled && req.mode !== 'no-store' && generation === generationAtSend) save(entry);
      return entry;
    }
  }

  function blank(key: string, target: Target): CacheEntry {
    const at = now();
    return {
      key,
      namespace: target.namespace,
      url: target.url,
      scope: target.scope,
      build,
      status: 200,
      headers: {},
      body: '',
      size: 0,
      storedAt: at,
      accessedAt: at,
      lifetime: 0,
      staleWhileRevalidate: 0,
      staleIfError: 0,
      noCache: false,
      mustRevalidate: false,
    };
  }

  function checkScope(scope: ScopeState, versionUrl: string): Promise<boolean> {
    let check = versionChecks.get(scope);
    if (!check) {
      check = askVersion(scope, versionUrl).finally(() => versionChecks.delete(scope));
      versionChecks.set(scope, check);
    }
    return check;
  }

  async function askVersion(scope: ScopeState, versionUrl: string): Promise<boolean> {
    const markAtSend = scope.mark;
    monitor.record('revalidations', () => ({ type: 'revalidate', key: versionUrl, url: versionUrl, scope: scope.scope, via: 'version' }));
    let token: string;
    try {
      const response = await fetchImpl(versionUrl, { cache: 'no-store' });
      if (!response.ok) throw httpError(response.status, versionUrl, undefined);
      const version = ((await response.json()) as { version?: unknown } | null)?.version;
      if (typeof version !== 'string' && typeof version !== 'number')
        throw new ParseError(`No "version": ${versionUrl}`, { url: versionUrl });
      token = String(version);
    } catch (error) {
      monitor.record('errors', () => ({ type: 'error', url: versionUrl, error: error as Error }));
      return false;
    }
    // Something changed while we asked: the answer proves nothing about the entries we hold.
    if (scope.mark !== markAtSend) return false;
    if (token === scope.token) {
      scope.verifiedAt = now();
      return true;
    }
    scopes.learn(scope, token, 'endpoint');
    return false;
  }

  async function afterUnsafe(url: string, response: Response) {
    if (response.status >= 400) return;
    const target = resolve(url);
    const token = target.scope === undefined ? null : response.headers.get(versionHeader);
    if (token !== null) setVersion(target.scope!, token, target.namespace);
    const urls = [target.url];
    for (const name of ['location', 'content-location']) {
      const value = response.headers.get(name);
      // RFC 9111 4.4: only same-origin URIs may be invalidated.
      if (value && new URL(value, target.url).origin === new URL(target.url).origin) urls.push(normalizeUrl(value, target.url));
    }
    await dropUrls({ namespace: target.namespace, urls }, 'unsafe-request');
  }

  /** Which entries a selection covers. */
  function selects({ urls, prefix, pattern }: UrlSelection): (entry: CacheEntry) => boolean {
    const re = pattern === undefined ? undefined : globToRegExp(pattern);
    return (e) => !!(urls?.includes(e.url) || (prefix !== undefined && e.url.startsWith(prefix)) || re?.test(e.url));
  }

  async function dropUrls(selection: UrlSelection, origin: 'local' | 'remote' | 'unsafe-request') {
    generation++;
    const keys = await store.keys({ namespace: selection.namespace, where: selects(selection) });
    await store.delete(keys);
    monitor.record(keys.length ? 'invalidations' : undefined, () => ({ type: 'invalidate', ...selection, count: keys.length, origin }));
  }

  function setVersion(scope: string, token: string, ns = namespace): boolean {
    return scopes.learn(scopes.get(ns, scope), token, 'mutation');
  }

  async function clear(namespace?: string, origin: 'local' | 'remote' = 'local') {
    generation++;
    monitor.record(undefined, () => ({ type: 'clear', namespace, origin }));
    await store.clear(namespace === undefined ? undefined : { namespace });
  }

  /** A URL or `*` pattern, resolved against the base like requests are. */
  const absolute = (url: string) => normalizeUrl(url, base).replace(/%2A/gi, '*');

  /** The answer's data as `get` returns it: decoded once, then with the scope's overlays applied. */
  function decode(answer: CacheEntry, as?: 'json' | 'text'): unknown {
    if (answer.status < 200 || answer.status > 299) throw httpError(answer.status, answer.url, tryJson(answer.body));
    let { data } = answer;
    if (as === 'text' || data === undefined) {
      const text = typeof answer.body === 'string' ? answer.body : decoder.decode(answer.body);
      if (as === 'text') return text;
      try {
        data = answer.data = text ? JSON.parse(text) : undefined;
      } catch (cause) {
        throw new ParseError(`Malformed body: ${answer.url}`, { url: answer.url, text }, { cause });
      }
    }
    const fns = overlays.size && answer.scope !== undefined && overlays.get(scopes.get(answer.namespace, answer.scope));
    // Layers are short-lived (a pending mutation): applying them per read beats caching views.
    return fns ? [...fns].reduce((d, fn) => fn(d, answer.url), data) : data;
  }

  const client: Client = {
    async get<T>(url: string, opts: GetOptions = {}): Promise<T> {
      const target = resolve(url, opts.scope);
      const { primary } = target;
      // The hot path: a plain read of a fresh memory entry settles without building a request.
      const found = loaded && enabled && !opts.cache && !varyIndex.has(primary) ? store.get(primary) : undefined;
      if (found && !(found instanceof Promise) && condition(found) === 'fresh') {
        monitor.record('hits', () => ({ type: 'hit', key: primary, url: target.url, scope: target.scope }));
        return decode(found, opts.as) as T;
      }
      const request = {
        target,
        headers: new Headers(opts.headers),
        mode: opts.cache ?? 'default',
        persist: opts.persist !== false,
        signal: opts.signal,
        timeout: opts.timeout,
      };
      return decode(await read(request, found), opts.as) as T;
    },

    async fetch(input, init) {
      if (!enabled) return fetchImpl(input, init);
      // A relative URL means what it means for `get`: relative to baseUrl.
      const request = new Request(input instanceof Request ? input : normalizeUrl(String(input), base), init);
      const { method, url } = request;
      if (method === 'HEAD' || method === 'OPTIONS') return fetchImpl(request);
      if (method !== 'GET') {
        const response = await fetchImpl(request, { cache: resolve(url).route?.browserCache ?? browserCache });
        await afterUnsafe(url, response);
        return response;
      }
      const answer = await read({
        target: resolve(url),
        headers: request.headers,
        mode: request.cache,
        persist: true,
        signal: request.signal,
        credentials: request.credentials,
      });
      const empty = answer.status === 204 || answer.status === 304;
      return new Response(empty ? null : answer.body, { status: answer.status, headers: answer.headers });
    },

    async invalidate(target) {
      const ns = target.namespace ?? namespace;
      const { scope } = target;
      if (scope?.includes('*')) {
        const re = globToRegExp(scope);
        for (const state of scopes.all()) if (state.namespace === ns && re.test(state.scope)) scopes.bump(state, 'local');
      } else if (scope !== undefined) scopes.bump(scopes.get(ns, scope), 'local');
      const { url, prefix } = target;
      if (url !== undefined || prefix !== undefined) {
        await dropUrls(
          {
            namespace: ns,
            ...(url === undefined ? {} : url.includes('*') ? { pattern: absolute(url) } : { urls: [absolute(url)] }),
            ...(prefix === undefined ? {} : { prefix: new URL(prefix, base).href }),
          },
          'local',
        );
      }
    },

    clear: (filter) => clear(filter?.namespace),

    async prefetch(urls, opts) {
      await Promise.all(urls.map((url) => client.get(url, opts).catch(() => undefined)));
    },

    checkVersion(scope) {
      const state = scopes.get(namespace, scope);
      const url = versionUrls.get(state);
      return url ? checkScope(state, url) : Promise.reject(new TypeError(`No versionUrl known for scope "${scope}"`));
    },

    setVersion: (scope, token) => setVersion(scope, token),

    get namespace() {
      return namespace;
    },
    set namespace(value: string) {
      if (value === namespace) return;
      namespace = value;
      targets = new Map();
    },

    scopes: () =>
      scopes
        .all()
        .filter((s) => s.namespace === namespace)
        .map(({ verifiedAt: _, ...record }) => record),
    stats: () => monitor.stats(),
    resetStats: () => monitor.reset(),
    subscribe: (listener) => monitor.subscribe(listener),
    overlay(scope, transform) {
      const state = scopes.get(namespace, scope);
      const fns = overlays.get(state) ?? new Set();
      overlays.set(state, fns.add(transform));
      const changed = () => monitor.record(undefined, () => ({ type: 'overlay', scope }));
      changed();
      return () => {
        if (!fns.delete(transform)) return;
        if (!fns.size) overlays.delete(state);
        changed();
      };
    },
    ready,

    apply(change) {
      // Drops from the whole store, not memory only: an answer this tab stored after the other
      // tab cleaned the shared store would otherwise survive there.
      if (change.kind === 'scope') scopes.restore(change.record, 'remote');
      else if (change.kind === 'clear') void clear(change.namespace, 'remote');
      else void dropUrls(change, 'remote');
    },
  };
  return client;
}

/** Reads a body as text when it is textual, as bytes otherwise. */
async function readBody(response: Response, headers: Record<string, string>): Promise<string | ArrayBuffer> {
  const type = headers['content-type'];
  return type === undefined || textual.test(type) ? response.text() : response.arrayBuffer();
}

const httpError = (status: number, url: string, body: unknown) => new HttpError(`HTTP ${status}: ${url}`, { status, url, body });

function tryJson(body: string | ArrayBuffer): unknown {
  const text = typeof body === 'string' ? body : decoder.decode(body);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
