import type { CacheEntry, Held } from '../types.js';
import type { ReadResult } from './fetchObserver.js';
import { normalizeUrl, primaryKey } from './cacheKey.js';
import { compilePattern, escapeRegExp, fill } from './patterns.js';

/** Maps a family of URLs to a scope, and says how to treat them. */
export interface Route {
  /**
   * Which URLs the route covers: a path pattern (`:name` captures a segment, `*` anything; a
   * pattern naming an origin matches origin and path), a RegExp over the whole URL, or a predicate.
   *
   * @example
   * ```ts
   * { match: '/api/users/:user/events*', scope: 'calendar:{user}' }
   * ```
   */
  match: string | RegExp | ((url: URL) => boolean);
  /**
   * Scope of the matched URLs; `{name}` is filled from the pattern's captures.
   *
   * @default none: the URLs are cached by their own headers only
   * @example
   * ```ts
   * scope: 'calendar:{user}'
   * ```
   */
  scope?: string | ((url: URL) => string);
  /**
   * A cheap endpoint answering the scope's current version as JSON `{ "version": "…" }`. One
   * check then revalidates every entry of the scope. `{name}` is filled from the captures, and
   * `checkVersion(scope)` finds it from a string `scope` before any URL of the scope was read.
   *
   * @default none
   * @example
   * ```ts
   * versionUrl: '/api/users/{user}/events/version'
   * ```
   */
  versionUrl?: string;
  /**
   * `cache` mode sent to the browser's HTTP cache.
   *
   * @default the client's `browserCache`
   * @example
   * ```ts
   * { match: '/static/*', browserCache: 'default' }
   * ```
   */
  browserCache?: RequestCache;
  /**
   * Lifetime when the server says nothing about freshness, in ms.
   *
   * @default the client's `defaultTtl`
   * @example
   * ```ts
   * { match: '/api/countries', defaultTtl: 3_600_000 }
   * ```
   */
  defaultTtl?: number;
  /**
   * False keeps these responses in memory only, never in the persistent store.
   *
   * @default true
   * @example
   * ```ts
   * { match: '/api/session/*', persist: false }
   * ```
   */
  persist?: boolean;
}

/** A request resolved against routes and namespace: everything a lookup needs. */
export interface Target {
  /** Normalised absolute URL: what keys and invalidations compare. */
  url: string;
  /** The URL as the caller wrote it, resolved against the base: what goes on the wire (signed URLs). */
  href: string;
  namespace: string;
  primary: string;
  scope?: string;
  versionUrl?: string;
  route?: Route;
  /** `client.peek`'s hold on the entry of `primary` (see `Store.hold`), kept while live. */
  held: Held | undefined;
  /** What `client.peek` answered last for `shownOf`, answered again while nothing changed. */
  shown: ReadResult<unknown> | undefined;
  shownOf: CacheEntry | undefined;
}

interface Compiled {
  route: Route;
  test: (url: URL) => Record<string, string> | null;
}

/**
 * Resolves URLs to targets for one base, memoised per namespace so the hot path skips URL parsing.
 * The memo holds up to `memoLimit` URLs (the client passes its `maxEntries`, so every URL the
 * memory tier can hold stays resolved); past that the oldest goes, one at a time: a memo dropped
 * whole once full made every hit over a larger working set parse its URL again.
 */
export function routing(routes: readonly Route[], base: string, memoLimit = 2000) {
  const compiled: Compiled[] = routes.map((route) => {
    const { match } = route;
    return {
      route,
      test:
        typeof match === 'string'
          ? compilePattern(match)
          : (url: URL) => ((match instanceof RegExp ? match.test(url.href) : match(url)) ? {} : null),
    };
  });
  // Raw URL → its target, or the store's hold on its entry once a read kept it there (`keepHeld`).
  let memo = new Map<string, Target | Held>();
  let memoFor = '';
  // Eviction's place in the memo, kept between calls (a fresh iterator walks freed slots).
  let oldest: Iterator<string> | undefined;

  /** A URL not in the memo: parsed, matched against the routes, and memoised unless its scope was overridden. */
  function resolveNew(raw: string, namespace: string, scopeOverride?: string): Target {
    // One parse: what goes on the wire first, then normalised in place (as `normalizeUrl` does).
    // A copy goes to the parser (which drops the leading space): a browser turns a string it is
    // handed into an external one, and `raw` stays in the memo as its key.
    const parsed = new URL(` ${raw}`, base);
    const href = parsed.href;
    parsed.hash = '';
    parsed.searchParams.sort();
    const url = parsed.href === href ? href : parsed.href;
    let route: Route | undefined;
    let scope: string | undefined;
    let versionUrl: string | undefined;
    for (const compiledRoute of compiled) {
      const params = compiledRoute.test(parsed);
      if (!params) continue;
      route = compiledRoute.route;
      scope = typeof route.scope === 'function' ? route.scope(parsed) : route.scope && fill(route.scope, params);
      versionUrl = route.versionUrl && normalizeUrl(fill(route.versionUrl, params), base);
      break;
    }
    const primary = primaryKey(namespace, 'GET', url);
    // The URL as a slice of the key that spells it (unless JSON escaped it there): a view of the
    // key's characters rather than a string of its own (the key outlives it, in the entry and here).
    const own = primary.endsWith(url, primary.length - 2) ? primary.slice(-2 - url.length, -2) : url;
    // One literal shape for every target, memoised or not.
    const target: Target = {
      url: own,
      href: href === url ? own : href,
      namespace,
      primary,
      scope: scopeOverride ?? scope,
      versionUrl,
      route,
      held: undefined,
      shown: undefined,
      shownOf: undefined,
    };
    if (scopeOverride !== undefined) return target;
    // A URL whose hold the memo had is already counted: it takes no other URL's place.
    if (memo.size >= memoLimit && !memo.has(raw)) {
      let next = oldest?.next();
      // A finished iterator stays finished even when keys are added later.
      if (!next || next.done) next = (oldest = memo.keys()).next();
      memo.delete(next.value!);
    }
    memo.set(raw, target);
    return target;
  }

  return {
    // Small enough for V8 to inline into each hot path; the parse is the separate `resolveNew`.
    resolve(raw: string, namespace: string, scopeOverride?: string): Target {
      if (memoFor !== namespace) {
        memo = new Map();
        oldest = undefined;
        memoFor = namespace;
      }
      const known = scopeOverride === undefined ? memo.get(raw) : undefined;
      // A hold in the memo (see `keepHeld`) is no target: parsed again, and the target memoised.
      return known && (known as Target).primary ? (known as Target) : resolveNew(raw, namespace, scopeOverride);
    },
    /** The store's hold `keepHeld` left in the memo for `raw`, if it did (and the namespace is the memo's). */
    heldOf(raw: string, namespace: string): Held | undefined {
      const known = memoFor === namespace ? memo.get(raw) : undefined;
      return known && !(known as Target).primary ? (known as Held) : undefined;
    },
    /**
     * Memoises the store's hold on `target`'s entry in place of the target, once a read stored or
     * hit it: hits and peeks need nothing else while the hold is live, and the target (about 50 B
     * in Chromium, 100 B in Node, per cached URL) is not kept. A read the hold cannot answer (the
     * entry left or needs the network) resolves the URL again, which memoises a target again.
     */
    keepHeld(raw: string, target: Target, held: Held): void {
      if (memo.get(raw) !== target) return;
      // What `client.peek` answered last goes with it, so its next answer is the same object.
      if (target.shown) Object.assign(held, { shown: target.shown, shownOf: target.shownOf });
      memo.set(raw, held);
    },
    /** The version endpoint a route declares for `scope`, found from a string scope's `{name}` template alone. */
    versionUrlOf(scope: string): string | undefined {
      for (const { scope: template, versionUrl } of routes) {
        if (typeof template !== 'string' || !versionUrl) continue;
        const re = `^${template.replace(/\{(\w+)\}|[^{]+|\{/g, (part, name?: string) => (name ? `(?<${name}>.+?)` : escapeRegExp(part)))}$`;
        const m = new RegExp(re).exec(scope);
        if (m) return normalizeUrl(fill(versionUrl, { ...m.groups }), base);
      }
      return undefined;
    },
  };
}

export type Routing = ReturnType<typeof routing>;
