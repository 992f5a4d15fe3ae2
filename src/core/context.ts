import type { CacheEntry, Change, Store } from '../types.js';
import type { Emitter } from './emitter.js';
import type { Routing } from './routes.js';
import type { Scopes, ScopeState } from './scopes.js';

/** A network request shared by every caller asking for the same variant with the same headers. */
export interface Shared {
  promise: Promise<CacheEntry>;
  controller: AbortController;
  /** Callers still waiting; the request is aborted when the last one leaves. */
  waiters: number;
  url: string;
  namespace: string;
  /**
   * Set when a clear or an invalidation of its URL ran while it was in flight: its answer is not
   * stored, it is not retried, and no later caller joins it.
   */
  detached?: boolean;
}

/** A read from a store that answered with a promise (a persistent tier), while it is in flight. */
export interface Lookup {
  url: string;
  namespace: string;
  /** A clear or invalidation covered it: whatever it finds is gone, also from the memory tier it was copied to. */
  dead?: boolean;
}

/** The state every part of the core works on; `createClient` makes one per client. */
export interface Core {
  fetch: typeof globalThis.fetch;
  now: () => number;
  base: string;
  enabled: boolean;
  build: string | undefined;
  versionHeader: string;
  browserCache: RequestCache;
  timeout: number | undefined;
  defaultTtl: number;
  store: Store;
  scopes: Scopes;
  routing: Routing;
  monitor: Emitter;
  /** Local changes, for `onChange` (other tabs, subpaths). */
  changed: (change: Change) => void;
  warn: (code: string, message: () => string) => void;
  namespace: string;
  loaded: boolean;
  ready: Promise<void>;
  inflight: Map<string, Shared>;
  /** Namespaces being cleared (`undefined`: all): requests started meanwhile are never stored. */
  clearing: (string | undefined)[];
  lookups: Set<Lookup>;
  versionChecks: Map<ScopeState, Promise<boolean>>;
  /** Version endpoints learned from resolved URLs (routes with a function scope). */
  versionUrls: Map<ScopeState, string>;
  overlays: Map<ScopeState, Set<(data: unknown, url: string) => unknown>>;
}

/** The state of an entry's scope, if it has one. */
export const scopeOf = (core: Core, entry: { namespace: string; scope?: string | undefined }): ScopeState | undefined =>
  entry.scope === undefined ? undefined : core.scopes.get(entry.namespace, entry.scope);

/** Marks what is in flight for matching URLs of a namespace (all namespaces when undefined) as gone. */
export function detach(core: Core, namespace: string | undefined, test: (url: string) => boolean): void {
  for (const [key, shared] of core.inflight) {
    if ((namespace === undefined || shared.namespace === namespace) && test(shared.url)) {
      shared.detached = true;
      core.inflight.delete(key);
    }
  }
  for (const lookup of core.lookups)
    if ((namespace === undefined || lookup.namespace === namespace) && test(lookup.url)) lookup.dead = true;
}
