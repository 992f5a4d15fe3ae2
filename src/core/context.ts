import type { CacheEntry, Change, Store } from '../types.js';
import type { Emitter } from './emitter.js';
import { type Condition, condition, servableOnError } from './entry.js';
import { NamespaceMismatchError } from './errors.js';
import type { RetryOptions } from './retry.js';
import type { Routing } from './routes.js';
import type { Scopes, ScopeState } from './scopes.js';

/** Something in flight for one URL of one namespace: a network request, or a read from a persistent tier. */
export interface Pending {
  url: string;
  namespace: string;
  /**
   * Set when a clear or an invalidation of its URL ran while it was in flight. A request's answer
   * is then not stored, not retried, and no later caller joins it; what a store read found is
   * dropped, also from the memory tier it was copied to.
   */
  detached?: boolean;
}

/** A network request shared by every caller asking for the same variant with the same headers. */
export interface Shared extends Pending {
  promise: Promise<CacheEntry>;
  /** Only when a caller may leave (see `fetchShared`). */
  controller?: AbortController | undefined;
  /** Callers still waiting; the request is aborted when the last one leaves. */
  waiters: number;
}

/** The state every part of the core works on; `createClient` makes one per client. */
export interface Core {
  fetch: typeof globalThis.fetch;
  now: () => number;
  base: string;
  enabled: boolean;
  build: string | undefined;
  versionHeader: string;
  /** The header naming whose answer it is (`x-cache-namespace`), lowercased. */
  ownerHeader: string;
  /** The multi-scope list header (`x-cache-versions`), lowercased. */
  versionsHeader: string;
  /** The client's `credentials` default for every request it sends. */
  credentials: RequestCredentials | undefined;
  retry: Required<RetryOptions>;
  browserCache: RequestCache;
  timeout: number | undefined;
  defaultTtl: number;
  store: Store;
  /** Scope states per namespace, and the rules their tokens follow. */
  scopeStates: Scopes;
  routing: Routing;
  /** Counts a counter (if any) and reports an event, built only when someone listens: telemetry. */
  tally: Emitter['record'];
  /** Local changes, for `onChange` (other tabs, subpaths). */
  changed: (change: Change) => void;
  /** Reports a warning once per code. */
  warn: (code: string, message: string) => void;
  namespace: string;
  loaded: boolean;
  ready: Promise<void>;
  /** Shared requests by what they share on. */
  inflight: Map<string, Shared>;
  /** Everything in flight, for `detach`. */
  pending: Set<Pending>;
  /** Namespaces being cleared (`undefined`: all): requests started meanwhile are never stored. */
  clearing: (string | undefined)[];
  versionChecks: Map<ScopeState, Promise<boolean>>;
  /** Version endpoints learned from resolved URLs (routes with a function scope). */
  versionUrls: Map<ScopeState, string>;
  overlays: Map<ScopeState, Set<(data: unknown, url: string) => unknown>>;
}

/** The state of an entry's scope, if it has one. */
export const scopeOf = (core: Core, entry: { namespace: string; scope?: string | undefined }): ScopeState | undefined =>
  entry.scope === undefined ? undefined : core.scopeStates.get(entry.namespace, entry.scope);

/** Pure `condition` of an entry, now, against its scope. */
export const conditionOf = (core: Core, entry: CacheEntry): Condition => condition(entry, scopeOf(core, entry), core.now());

/** Whether `entry`, if any, may stand in for a failed revalidation now (stale-if-error), against its scope. */
export const servableNow = (core: Core, entry: CacheEntry | undefined): entry is CacheEntry =>
  !!entry && servableOnError(entry, scopeOf(core, entry), core.now());

/** Marks what is in flight for matching URLs of a namespace (all namespaces when undefined) as gone. */
export function detach(core: Core, namespace: string | undefined, test: (url: string) => boolean): void {
  for (const p of core.pending) if ((namespace === undefined || p.namespace === namespace) && test(p.url)) p.detached = true;
}

/**
 * The error for an answer the server says is another namespace's than `expected`, the one it was
 * sent in, reported as an `error` event; none when it names none, or that one. The value is
 * percent-encoded UTF-8; one that does not decode names no namespace of ours either.
 */
export function foreign(core: Core, headers: Headers, url: string, expected: string): NamespaceMismatchError | undefined {
  let received = headers.get(core.ownerHeader);
  try {
    received &&= decodeURIComponent(received);
  } catch {}
  if (received !== null && received !== expected) {
    const error = new NamespaceMismatchError(`Namespace mismatch: ${url}`, { url, expected, received });
    core.tally('errors', () => ({ type: 'error', url, error }));
    return error;
  }
}
