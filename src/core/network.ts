import type { CacheEntry } from '../types.js';
import { variantKey, varyNames } from './cacheKey.js';
import { type Freshness, freshness } from './cacheControl.js';
import { type Core, conditionOf, foreign, type Shared, scopeOf, servableNow } from './context.js';
import { httpError, isNostaleError, type NostaleError, networkError, parseError, StaleVersionError, timeoutError } from './errors.js';
import { backoff, retrying, sleep } from './retry.js';
import type { Target } from './routes.js';
import type { ScopeState } from './scopes.js';
import { storableHeaders, updateStoredHeaders } from './storedHeaders.js';
import { storedEntry } from './storedEntry.js';
import { jsonOrText, textOf, wait } from './util.js';
import { checkScope } from './versionCheck.js';

/** What one read asks of the network. */
export interface ReadRequest {
  target: Target;
  headers: Headers;
  mode: RequestCache;
  persist: boolean;
  signal?: AbortSignal | null | undefined;
  timeout?: number | undefined;
  credentials?: RequestCredentials | undefined;
  /** `json` answers are decoded before they are stored: a body `get` cannot decode is never stored. */
  as?: 'json' | 'text' | undefined;
}

const MAX_LATE_RETRIES = 2;
const textual = /^text\/|json|xml|javascript|x-www-form-urlencoded/i;
/** Entries a 304 refreshed, so the read that asked counts a hit rather than a miss. */
export const revalidated = /* @__PURE__ */ new WeakSet<CacheEntry>();

/**
 * Joins or starts the request for `key`. Shared only between callers whose headers cannot select
 * different variants: the same variant key once Vary is known (`known`), identical headers before.
 * Each caller's signal and timeout apply to that caller; the request is aborted once all have left.
 */
export function fetchShared(core: Core, req: ReadRequest, key: string, known: boolean, validator?: CacheEntry): Promise<CacheEntry> {
  const { target, signal } = req;
  if (signal?.aborted) return Promise.reject(signal.reason);
  // Header names lowercased and sorted here too: not every Headers implementation does it.
  const id = known ? key : `${key}${JSON.stringify([...req.headers].map(([n, v]) => `${n.toLowerCase()}:${v}`).sort())}`;
  let shared = core.inflight.get(id);
  // A detached request is answered to those already waiting, never to later callers.
  if (!shared || shared.detached) {
    const started: Shared = (shared = {
      // Only a caller who may leave (a signal or a timeout) can ever abort the request: without
      // one the count of waiters never drops to zero. An AbortController costs a few µs in Node.
      controller: signal || (req.timeout ?? core.timeout) ? new AbortController() : undefined,
      waiters: 0,
      url: target.url,
      namespace: target.namespace,
      // Sent for a user being logged out: answered, never stored.
      detached: core.clearing.some((ns) => ns === undefined || ns === target.namespace),
    } as Shared);
    core.pending.add(started);
    started.promise = fromNetwork(core, req, validator, started).finally(() => {
      core.pending.delete(started);
      if (core.inflight.get(id) === started) core.inflight.delete(id);
    });
    core.inflight.set(id, started);
  }
  const joined = shared;
  joined.waiters++;
  const ms = req.timeout ?? core.timeout;
  if (!signal && !ms) return joined.promise;
  return wait(joined.promise, {
    signal,
    ms,
    timedOut: () => timeoutError(target.href, ms!),
    left(reason) {
      if (--joined.waiters) return;
      // Gone at once, so a caller arriving in the same tick (StrictMode) starts afresh.
      if (core.inflight.get(id) === joined) core.inflight.delete(id);
      joined.controller?.abort(reason);
    },
  });
}

async function fromNetwork(core: Core, req: ReadRequest, validator: CacheEntry | undefined, shared: Shared): Promise<CacheEntry> {
  const { target } = req;
  const signal = shared.controller?.signal;
  let askedForReset = false;
  // A retry belongs to the namespace it was started in: once that was switched or cleared, it
  // would go out with another user's session. Asked again after every wait.
  const mayRetry = () => !shared.detached && core.namespace === target.namespace;
  for (let attempt = 0; ; attempt++) {
    const scope = scopeOf(core, target);
    const markAtSend = scope?.mark;
    // A validator of an older mark would let a 304 revive what the scope change retired.
    if (validator && conditionOf(core, validator) === 'dead') validator = undefined;
    let { headers } = req;
    const etag = validator?.headers.etag;
    // The entity tag when there is one (RFC 9110 §13.1.3: it is the stronger validator), else the date.
    const asked = etag || validator?.headers['last-modified'];
    if (asked) {
      // A copy: the caller's headers are also what later variants are selected by.
      headers = new Headers(headers);
      headers.set(etag ? 'if-none-match' : 'if-modified-since', asked);
      core.tally('revalidations', () => ({
        type: 'revalidate',
        key: validator!.key,
        url: target.url,
        scope: target.scope,
        via: 'conditional',
      }));
    }
    // Sent now, it would carry the session of whoever is current: a read of a user switched away
    // from while it waited (on IndexedDB, say) must not bring the next user's data under its key.
    if (core.namespace !== target.namespace) {
      throw new StaleVersionError(`Namespace switched before ${target.url} was sent`, {
        url: target.href,
        scope: target.scope,
        version: undefined,
      });
    }
    const requestTime = core.now();
    let response: Response;
    let body: string | ArrayBuffer;
    let data: unknown;
    let responseHeaders: Record<string, string>;
    try {
      response = await core.fetch(target.href, {
        headers,
        signal,
        cache: target.route?.browserCache ?? core.browserCache,
        credentials: req.credentials ?? core.credentials,
      });
      // Only what may be stored, on every path: a field of one connection is never served again.
      responseHeaders = storableHeaders(response.headers);
      const type = responseHeaders['content-type'];
      // A body that breaks off mid-way is a network failure, not a short answer.
      body = type === undefined || textual.test(type) ? await response.text() : await response.arrayBuffer();
      // Decoded before it is stored: a body `get` cannot decode must never replace a good entry.
      if (response.ok && req.as === 'json') {
        const text = textOf(body);
        try {
          data = text ? JSON.parse(text) : undefined;
        } catch (cause) {
          throw parseError(target.href, text, cause);
        }
      }
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      const error = isNostaleError(cause) ? cause : networkError(target.href, cause);
      // A blip is tried again, unless the last good entry may answer for it at once (stale-if-error).
      if (!servableNow(core, validator) && mayRetry() && (await retrying(core, attempt, target.url, error, signal)) && mayRetry()) continue;
      return staleOr(core, req, validator, error);
    }
    // Another user's answer (the shared cookie changed first): never stored, served or learned from.
    const mismatch = foreign(core, response.headers, target.href, target.namespace);
    if (mismatch) throw mismatch;
    const responseTime = core.now();
    const { status } = response;
    const token = responseHeaders[core.versionHeader];
    if (scope && token === undefined && status < 400) {
      // The usual cause is a CORS response that does not expose the header.
      core.warn('missing-version-header', `No ${core.versionHeader} on ${target.url} (CORS: Access-Control-Expose-Headers?)`);
    }
    const notModified = status === 304 && validator !== undefined;
    const merged = notModified ? updateStoredHeaders(validator!.headers, responseHeaders) : responseHeaders;
    const ok = response.ok || notModified;
    // A 304's own Date and Age say how old the refreshed entry is, never the stored response's.
    const policy = freshness(
      merged,
      requestTime,
      responseTime,
      // Another status is reused only as long as the server said (RFC 9111 §3), never by a
      // default: caching errors nobody asked to cache is what brought deleted items back.
      ok ? (target.route?.defaultTtl ?? core.defaultTtl) : 0,
      responseHeaders,
    );
    if (!ok || status === 206) {
      // stale-if-error first: the last good answer beats an error, even one the server says to reuse.
      if (status >= 500 && servableNow(core, validator)) {
        return staleOr(core, req, validator, httpError(status, target.href, jsonOrText(textOf(body))));
      }
      // An error the server says to reuse is stored, not retried: asking again would get the same.
      if (!policy.lifetime && mayRetry() && (await retrying(core, attempt, target.url, response, signal)) && mayRetry()) continue;
      // Answered, never stored: the previous good entry stays where it is. A 304 we did not ask
      // for revives nothing: an HttpError for `get`, the caller's own for `fetch`. A 206 is part of
      // a body, which a cache without range support must not store (RFC 9111 §3.3).
      if (ok || status === 304 || !policy.lifetime) return entryOf(core, target.primary, target, status, responseHeaders, body);
    }
    const verdict = scope ? core.scopeStates.judge(scope, markAtSend!, token) : 'current';
    if (verdict === 'late') {
      // An older token (a lagging replica) is asked again after a backoff; an answer that raced a
      // change we made is asked again at once. Dropped, never re-targeted to another namespace.
      const lagging = mayRetry() && core.scopeStates.order(scope!, token) < 0;
      const retry = mayRetry() && attempt < (lagging ? core.retry.retries : MAX_LATE_RETRIES);
      core.tally(undefined, () => ({ type: 'late', url: target.url, scope: scope!.scope, version: token, retried: retry }));
      if (retry) {
        if (lagging) await sleep(backoff(core, attempt), signal);
        if (mayRetry()) continue;
      }
      // Still older after every retry: the server may have lost its counter, which only its version
      // endpoint can confirm (checkScope adopts a confirmed reset). Then this answer is current.
      // Sent before a reset the scope has confirmed since (this read's check or another's): its
      // token now names the server's present, so asking once more gets a current answer.
      const beforeReset = !lagging && scope!.resetMark === scope!.mark;
      if (((lagging && target.versionUrl) || beforeReset) && !askedForReset && mayRetry()) {
        askedForReset = true;
        if (lagging) await checkScope(core, scope!, target.versionUrl!, req.credentials);
        if (core.scopeStates.order(scope!, token) >= 0 && mayRetry()) continue;
      }
      throw new StaleVersionError(`Older version of ${scope!.scope} than already seen: ${target.url}`, {
        url: target.href,
        scope: scope!.scope,
        version: token,
      });
    }
    const names = varyNames(merged.vary);
    const entry = entryOf(
      core,
      variantKey(target.primary, names, req.headers),
      target,
      notModified ? validator!.status : status,
      merged,
      notModified ? validator!.body : body,
      policy,
      scope,
      names,
    );
    if (notModified) {
      entry.data = validator!.data;
      revalidated.add(entry);
      core.tally('notModified', () => ({ type: 'not-modified', key: entry.key, url: target.url }));
    } else if (data !== undefined) entry.data = data;
    if (!req.persist || target.route?.persist === false) entry.memoryOnly = true;
    if (!policy.storable) void core.store.delete([entry.key]);
    // Not stored when the cache is off, or when a clear or invalidation covered it in flight.
    else if (core.enabled && req.mode !== 'no-store' && !shared.detached) save(core, entry, target.primary);
    return entry;
  }
}

/** Entries just served in place of a failed revalidation; `client.read` takes its answer's mark off. */
export const servedOnError = /* @__PURE__ */ new WeakSet<CacheEntry>();

/** Serves `validator` in place of a failed revalidation when stale-if-error allows it, else throws `error`; reports either way. */
function staleOr(core: Core, req: ReadRequest, validator: CacheEntry | undefined, error: NostaleError): CacheEntry {
  const { url, scope } = req.target;
  core.tally('errors', () => ({ type: 'error', url, error }));
  if (!servableNow(core, validator)) throw error;
  core.tally('staleHits', () => ({ type: 'stale', key: validator.key, url, scope, error }));
  servedOnError.add(validator);
  return validator;
}

/**
 * Stores an entry; a varying one also leaves a pointer under the primary key naming the headers
 * it varied on, in the same store, so its variants are found again after a reload.
 */
export function save(core: Core, entry: CacheEntry, primary: string): void {
  void core.store.set(entry.vary ? [storedEntry({ ...entry, key: primary, body: '', size: 0, data: undefined }), entry] : [entry]);
  core.tally(undefined, () => ({
    type: 'store',
    key: entry.key,
    url: entry.url,
    scope: entry.scope,
    size: entry.size,
    persisted: !entry.memoryOnly,
  }));
}

/**
 * An entry of `target` holding this response, stored now: with the freshness the response gave
 * it, or none. One literal in `storedEntry`'s field order (so the same hidden class), built
 * without spreading: a spread copy and a rest pattern cost more than the rest of a miss's
 * bookkeeping together.
 */
function entryOf(
  core: Core,
  key: string,
  target: Target,
  status: number,
  headers: Record<string, string>,
  body: string | ArrayBuffer,
  policy?: Freshness,
  scope?: ScopeState,
  vary?: string[],
): CacheEntry {
  const at = core.now();
  return {
    key,
    namespace: target.namespace,
    url: target.url,
    status,
    headers,
    body,
    size: typeof body === 'string' ? body.length * 2 : body.byteLength,
    storedAt: policy ? policy.storedAt : at,
    lifetime: policy ? policy.lifetime : 0,
    staleWhileRevalidate: policy ? policy.staleWhileRevalidate : 0,
    staleIfError: policy ? policy.staleIfError : 0,
    noCache: policy ? policy.noCache : false,
    mustRevalidate: policy ? policy.mustRevalidate : false,
    scope: target.scope,
    version: scope?.token,
    mark: scope?.mark,
    build: core.build,
    vary,
    accessedAt: at,
    data: undefined,
    memoryOnly: undefined,
  };
}
