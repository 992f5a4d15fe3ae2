import { taskNow } from './core/clock.js';
import type { Core } from './core/context.js';
import { type CacheEventListener, emitter } from './core/emitter.js';
import { NostaleError, networkError } from './core/errors.js';
import type { RetryOptions } from './core/retry.js';
import { retrying } from './core/retry.js';
import { detach } from './core/context.js';
import { afterUnsafe, clear, drop, type InvalidateTarget, invalidate } from './core/invalidate.js';
import type { ReadResult } from './core/fetchObserver.js';
import { peek, readResult } from './core/peek.js';
import { type GetOptions, get, read } from './core/read.js';
import { type Route, routing } from './core/routes.js';
import { recordOf, scopes } from './core/scopes.js';
import { listeners, once } from './core/util.js';
import { checkScope } from './core/versionCheck.js';
import { MemoryStore } from './memoryStore.js';
import type { CacheStats, Change, ScopeRecord, Store } from './types.js';

export type { GetOptions } from './core/read.js';
export type { ReadResult, ReadSource, WatchState } from './core/fetchObserver.js';
export type { InvalidateTarget } from './core/invalidate.js';
export type { Route } from './core/routes.js';
export type { RetryOptions } from './core/retry.js';

export interface ClientOptions {
  /**
   * The `fetch` to call. Inject one in tests or to add auth. Reads call it with a URL string and
   * an init (method, headers, signal, `cache`); writes through `client.fetch` with the caller's
   * `Request` (its method, headers and body inside) and an init holding only `cache`. So read the
   * method and headers from `new Request(input, init)`, never from `init` alone: a wrapper that
   * checks `init.method` misses every DELETE. Reads skip building a `Request` on purpose (it costs
   * about 7 µs in Node 20, a large share of what a miss costs besides the network).
   *
   * @default globalThis.fetch
   * @example
   * ```ts
   * createClient({
   *   fetch: (input, init) => {
   *     const request = new Request(input, init);
   *     if (request.method !== 'GET') request.headers.set('X-CSRFToken', csrfToken());
   *     return fetch(request);
   *   },
   * });
   * ```
   */
  fetch?: typeof globalThis.fetch;
  /**
   * Clock in ms. Inject one to test freshness without waiting; it is called every time the time
   * is needed. The default reads `Date.now()` once per task, so reads and peeks of one task judge
   * freshness at one instant (README, "HTTP semantics"); it follows fake timers
   * (`vi.useFakeTimers`, `vi.setSystemTime`) call by call.
   *
   * @default Date.now, read at most once per task
   * @example
   * ```ts
   * createClient({ now: () => clock.now });
   * ```
   */
  now?: () => number;
  /**
   * Base for relative URLs, for `get`, `fetch` and the disabled client alike. Only the cache key
   * is normalised; the URL on the wire is the one written, resolved against this base.
   *
   * @default location.href, else 'http://localhost/'
   * @example
   * ```ts
   * createClient({ baseUrl: 'https://api.example.com/v1/' });
   * ```
   */
  baseUrl?: string;
  /**
   * Whose cache this is (a user id). Part of every key: users never see each other's entries.
   *
   * @default ''
   * @example
   * ```ts
   * createClient({ namespace: session.userId });
   * ```
   */
  namespace?: string;
  /**
   * False passes every request straight to `fetch`, with the same API.
   *
   * @default true
   * @example
   * ```ts
   * createClient({ enabled: !import.meta.env.DEV });
   * ```
   */
  enabled?: boolean;
  /**
   * Lifetime of a response that says nothing about freshness, in ms.
   *
   * @default 0 (revalidate before reuse)
   * @example
   * ```ts
   * createClient({ defaultTtl: 30_000 });
   * ```
   */
  defaultTtl?: number;
  /**
   * Most entries of the default memory store (LRU).
   *
   * @default 1000
   * @example
   * ```ts
   * createClient({ maxEntries: 5000 });
   * ```
   */
  maxEntries?: number;
  /**
   * Most bytes of bodies in the default memory store.
   *
   * @default 52428800 (50 MB)
   * @example
   * ```ts
   * createClient({ maxBytes: 10 * 1024 * 1024 });
   * ```
   */
  maxBytes?: number;
  /**
   * Where entries live. Reads await it only when it answers with a promise, so a memory hit stays
   * synchronous inside the store.
   *
   * @default a MemoryStore with maxEntries and maxBytes
   * @example
   * ```ts
   * createClient({ store: tieredStore(idbStore({ build }), { build }), build });
   * ```
   */
  store?: Store;
  /**
   * URL families, their scopes and version endpoints. First match wins.
   *
   * @default []
   * @example
   * ```ts
   * createClient({ routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }] });
   * ```
   */
  routes?: Route[];
  /**
   * Response header carrying a scope's version token. `nostale/mutate` uses the same one.
   *
   * @default 'X-Cache-Version'
   * @example
   * ```ts
   * createClient({ versionHeader: 'X-Revision' });
   * ```
   */
  versionHeader?: string;
  /**
   * Response header listing several scopes' tokens after a write that moved them all
   * (`calendar:alice=12, tasks:alice=7`, as `nostale/server` and django-nostale send it).
   *
   * @default 'X-Cache-Versions'
   * @example
   * ```ts
   * createClient({ versionsHeader: 'X-Revisions' });
   * ```
   */
  versionsHeader?: string;
  /**
   * Response header naming the namespace (user) an answer belongs to, percent-encoded, as
   * `nostale/server` and django-nostale send it once told who the request's user is. An answer
   * naming another namespace than the one its request was sent in (the session the tabs share
   * changed first) is never stored, no version in it is learned, and the read (or the write, after
   * its URLs are dropped) rejects with `NamespaceMismatchError`. Answers without it are unchanged.
   *
   * @default 'X-Cache-Namespace'
   * @example
   * ```ts
   * createClient({ namespace: session.userId, namespaceHeader: 'X-User' });
   * ```
   */
  namespaceHeader?: string;
  /**
   * Whether cookies go with every request the client sends: reads, `fetch`, `prefetch` and version
   * checks. A request's own `credentials` overrides it; a `Request` object passed to `fetch`
   * keeps its own.
   *
   * @default the platform's ('same-origin')
   * @example
   * ```ts
   * createClient({ baseUrl: 'https://api.example.com/', credentials: 'include' });
   * ```
   */
  credentials?: RequestCredentials;
  /**
   * Retries with exponential backoff and jitter: of reads failing on the network, with a 5xx or
   * a 429 (after at least its `Retry-After`), or answered by a lagging replica with an older
   * version; and of unsafe `fetch` requests that carry an `Idempotency-Key`. Each wait is
   * reported as a `retry` event and ends early when the caller's signal or timeout does.
   *
   * @default { retries: 2, delay: 200, maxDelay: 5000 }
   * @example
   * ```ts
   * createClient({ retry: { retries: 0 } }); // fail at once
   * ```
   */
  retry?: RetryOptions;
  /**
   * `cache` mode for the browser's HTTP cache.
   *
   * @default 'no-store' (only nostale caches)
   * @example
   * ```ts
   * createClient({ browserCache: 'default' });
   * ```
   */
  browserCache?: RequestCache;
  /**
   * Rejects a read with `TimeoutError` after this many ms, enforced by the client itself.
   *
   * @default none
   * @example
   * ```ts
   * createClient({ timeout: 10_000 });
   * ```
   */
  timeout?: number;
  /**
   * Build id stamped on entries; persisted entries of another build are never served.
   *
   * @default none
   * @example
   * ```ts
   * createClient({ build: import.meta.env.VITE_BUILD_ID });
   * ```
   */
  build?: string;
  /**
   * Told about every cache operation, like `subscribe`.
   *
   * @default none
   * @example
   * ```ts
   * createClient({ onEvent: (event) => console.debug(event.type, event) });
   * ```
   */
  onEvent?: CacheEventListener;
}

export interface Client {
  /** Reads `url` through the cache and decodes it (JSON by default). Rejects with typed errors. */
  get<T = unknown>(url: string, options?: GetOptions): Promise<T>;
  /** Like `get`, with where the data came from, whether it is stale, when it was confirmed and its version. */
  read<T = unknown>(url: string, options?: GetOptions): Promise<ReadResult<T>>;
  /**
   * What a read would serve from memory right now, synchronously, or `undefined` (nothing, an
   * entry of an older scope version, or one expired beyond use). Never fetches, never reads
   * IndexedDB. With `cache: 'force-cache'`, any entry of the current scope version, however old.
   * Judged at the same instant as every other read of the current task (the `now` option).
   * While nothing changed (the entry, its staleness, no overlay, default decoding) it answers the
   * very object it answered last, so it can serve as a `useSyncExternalStore` snapshot as it is.
   */
  peek<T = unknown>(url: string, options?: GetOptions): ReadResult<T> | undefined;
  /**
   * Called after anything that may change what a read answers (a scope version, an invalidation,
   * a clear, an overlay, a namespace switch, a change from another tab); returns the unsubscribe.
   * What `observe`/`watch` (`nostale/watch`) and `nostale/react` re-read on.
   */
  onReadsChanged(listener: () => void): () => void;
  /** Drop-in `fetch` sharing the same cache: GETs are cached, unsafe methods invalidate, HEAD and OPTIONS pass through. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Makes entries stale: a whole scope in O(1), or URLs by exact match, prefix or `*` pattern. */
  invalidate(target: InvalidateTarget): Promise<void>;
  /** Removes entries from every tier (all, or one namespace: logout). Other tabs follow. */
  clear(filter?: { namespace?: string }): Promise<void>;
  /** Warms the cache. Never rejects: failures are reported as events. */
  prefetch(urls: readonly string[], options?: GetOptions): Promise<void>;
  /** Asks the scope's version endpoint; true when the token is unchanged. Concurrent checks share one request. */
  checkVersion(
    scope: string,
    options?: {
      /**
       * Whether cookies go with the version request, overriding the client's `credentials`.
       *
       * @default the client's `credentials`
       * @example
       * ```ts
       * client.checkVersion('calendar:alice', { credentials: 'include' });
       * ```
       */
      credentials?: RequestCredentials;
    },
  ): Promise<boolean>;
  /** Tells the client a scope's version (e.g. from a mutation's answer). False when it was not newer. */
  setVersion(scope: string, token: string): boolean;
  /**
   * The current namespace (user). Switching never serves another namespace's entries, and answers
   * in flight for the namespace left are not stored (they may carry the new user's session).
   * Setting it is a change (`onChange`), which the other tabs follow with `nostale/sync`.
   */
  namespace: string;
  /** The response header carrying scope versions, lowercased (the `versionHeader` option). */
  readonly versionHeader: string;
  /** Scope versions known in the current namespace. */
  scopes(): ScopeRecord[];
  stats(): CacheStats;
  resetStats(): void;
  /**
   * Layers a transform over the decoded data of every entry of `scope` (current namespace) as
   * `get` returns it, until the returned function removes it. Optimistic updates are built on it:
   * removing one layer leaves the others, so rolling back one mutation never undoes another. A
   * layer that throws is skipped (and reported), never failing the read.
   */
  overlay(scope: string, transform: (data: unknown, url: string) => unknown): () => void;
  /** Listens to telemetry (cache events); returns the unsubscribe function. */
  subscribe(listener: CacheEventListener): () => void;
  /**
   * Listens to the changes this client makes to what is cached (scope versions, URL drops,
   * clears, namespace switches), in the form `apply` takes: how `nostale/sync` tells other tabs.
   * Changes applied through `apply` are not reported back.
   */
  onChange(listener: (change: Change) => void): () => void;
  /** Resolves when the persistent tier's scope versions are loaded. */
  readonly ready: Promise<void>;
  /**
   * Applies a change made elsewhere (another tab) to this client, without reporting it back as a
   * local change. `nostale/sync` calls it; apps rarely need to. A namespace switch is applied as
   * setting `namespace` is.
   */
  apply(change: Change): void;
}

/** The options of a call given none: one object for every such call, not one per call (hot paths). */
const NO_OPTIONS: GetOptions = {};

export function createClient(options: ClientOptions = {}): Client {
  const base = options.baseUrl ?? globalThis.location?.href ?? 'http://localhost/';
  const store: Store = options.store ?? new MemoryStore(options);
  const monitor = emitter(options.onEvent);
  const changes = listeners<Change>();
  // "What reads answer may have changed": the change stream, overlays, namespace switches, other tabs.
  const touched = listeners<unknown>();
  const changed = (change: Change) => {
    changes.announce(change);
    touched.announce(change);
  };
  const warned = once();
  const core: Core = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: options.now ?? taskNow,
    base,
    enabled: options.enabled !== false,
    build: options.build,
    versionHeader: (options.versionHeader ?? 'x-cache-version').toLowerCase(),
    versionsHeader: (options.versionsHeader ?? 'x-cache-versions').toLowerCase(),
    ownerHeader: (options.namespaceHeader ?? 'x-cache-namespace').toLowerCase(),
    credentials: options.credentials,
    retry: { retries: 2, delay: 200, maxDelay: 5000, ...options.retry },
    browserCache: options.browserCache ?? 'no-store',
    timeout: options.timeout,
    defaultTtl: options.defaultTtl ?? 0,
    store,
    routing: routing(options.routes ?? [], base, options.maxEntries),
    tally: monitor.record,
    changed,
    warn: (code, message) => warned(code, () => core.tally(undefined, () => ({ type: 'warning', code, message }))),
    namespace: options.namespace ?? '',
    loaded: !store.loadScopes,
    ready: Promise.resolve(),
    inflight: new Map(),
    pending: new Set(),
    clearing: [],
    versionChecks: new Map(),
    versionUrls: new Map(),
    overlays: new Map(),
    // Every scope change goes through here: telemetry, the shared store, and the change stream.
    scopeStates: scopes((state, previous, origin) => {
      const record = recordOf(state);
      // Learning a first token invalidates nothing; every later change does.
      core.tally(origin !== 'store' && (previous !== undefined || origin !== 'response') ? 'invalidations' : undefined, () => ({
        type: 'version',
        scope: state.scope,
        version: state.token,
        previous,
        origin,
        record,
      }));
      if (origin === 'store') return;
      // Every tab saves the record it ends up holding, so the shared store keeps the one all tabs
      // agreed on (nostale/sync orders concurrent changes), not whichever tab wrote last.
      void store.saveScopes?.([record]);
      if (origin !== 'remote') changed({ kind: 'scope', record });
    }),
  };
  // After this call returns, so listeners subscribed right after createClient hear what the
  // store reports as it attaches (an unavailable IndexedDB, say), not `onEvent` alone.
  queueMicrotask(() => store.attach?.((event) => core.tally(event.type === 'evict' ? 'evictions' : undefined, () => event)));
  // Entries are judged against their scope's mark, so persisted marks load before the first read.
  core.ready = (async () => {
    for (const record of (await store.loadScopes?.()) ?? []) core.scopeStates.restore(record, 'store');
    core.loaded = true;
  })();

  const client: Client = {
    get: <T>(url: string, opts = NO_OPTIONS) => get<T>(core, url, opts),
    read: (url, opts = NO_OPTIONS) => readResult(core, url, opts),
    peek: (url, opts = NO_OPTIONS) => peek(core, url, opts),
    onReadsChanged: touched.on,

    async fetch(input, init) {
      // A relative URL means what it means for `get`: relative to baseUrl.
      const request =
        input instanceof Request
          ? new Request(input, init)
          : new Request(new URL(String(input), base), { credentials: core.credentials, ...init });
      if (!core.enabled) return core.fetch(request);
      const { method, url } = request;
      if (method === 'HEAD' || method === 'OPTIONS') return core.fetch(request);
      // Resolved once, before sending: the namespace it was sent in is the one it invalidates.
      const target = core.routing.resolve(url, core.namespace);
      if (method !== 'GET') {
        // Sent again only when the server can tell a repeat from a second write, and never once
        // the user has switched (it would go out with the other user's session).
        const idempotent = request.headers.has('idempotency-key');
        for (let attempt = 0; ; attempt++) {
          const again = async (failure: Response | Error) =>
            idempotent && (await retrying(core, attempt, target.url, failure, request.signal)) && core.namespace === target.namespace;
          const response = await core
            .fetch(idempotent ? request.clone() : request, { cache: target.route?.browserCache ?? core.browserCache })
            .catch(async (cause) => {
              // Typed like a read's failure; an abort stays the caller's own reason, as in fetch.
              const failure = networkError(url, cause);
              if (!(await again(failure))) throw request.signal.aborted ? cause : failure;
            });
          if (response && !(await again(response))) {
            await afterUnsafe(core, target, response);
            return response;
          }
        }
      }
      const answer = await read(core, {
        target,
        headers: request.headers,
        mode: request.cache,
        persist: true,
        signal: request.signal,
        credentials: request.credentials,
      });
      const empty = answer.status === 204 || answer.status === 304;
      // Age is the entry's current age (RFC 9111 §5.1), counted from its arrival or its last 304.
      const age = `${Math.max(0, ((core.now() - answer.storedAt) / 1000) | 0)}`;
      return new Response(empty ? null : answer.body, { status: answer.status, headers: { ...answer.headers, age } });
    },

    invalidate: (target) => invalidate(core, target),
    clear: (filter) => clear(core, filter?.namespace, 'local'),

    async prefetch(urls, opts) {
      await Promise.all(urls.map((url) => client.get(url, opts).catch(() => undefined)));
    },

    checkVersion(scope, opts) {
      const state = core.scopeStates.get(core.namespace, scope);
      const url = core.versionUrls.get(state) ?? core.routing.versionUrlOf(scope);
      return url
        ? checkScope(core, state, url, opts?.credentials)
        : Promise.reject(new NostaleError(`No versionUrl known for scope "${scope}"`, { url: '' }));
    },

    setVersion: (scope, token) => core.scopeStates.learn(core.scopeStates.get(core.namespace, scope), token, 'mutation'),

    get namespace() {
      return core.namespace;
    },
    set namespace(value: string) {
      const change: Change = { kind: 'namespace', namespace: value };
      client.apply(change);
      changes.announce(change);
    },
    versionHeader: core.versionHeader,

    scopes: () => core.scopeStates.all(core.namespace).map(recordOf),
    // The emitter's and listeners' functions are closures (no `this`): handed out as they are.
    stats: monitor.stats,
    resetStats: monitor.reset,
    subscribe: monitor.on,
    onChange: changes.on,
    overlay(scope, transform) {
      const state = core.scopeStates.get(core.namespace, scope);
      const fns = core.overlays.get(state) ?? new Set();
      core.overlays.set(state, fns.add(transform));
      const layered = () => {
        core.tally(undefined, () => ({ type: 'overlay', scope }));
        touched.announce(scope);
      };
      layered();
      return () => {
        if (!fns.delete(transform)) return;
        if (!fns.size) core.overlays.delete(state);
        layered();
      };
    },
    ready: core.ready,

    apply(change) {
      if (change.kind === 'scope') core.scopeStates.restore(change.record, 'remote');
      else if (change.kind === 'clear') void clear(core, change.namespace, 'remote');
      else if (change.kind === 'namespace') {
        // A switch to another namespace, here or in another tab: what is in flight for the one it
        // leaves may come back with the new user's answer (the session changed first, a cookie
        // the tabs share), so it is answered, never stored.
        detach(core, core.namespace, () => change.namespace !== core.namespace);
        core.namespace = change.namespace;
      } else void drop(core, change, 'remote');
      touched.announce(change);
    },
  };
  return client;
}
