import type { CacheEntry, Held } from '../types.js';
import type { ReadResult } from './fetchObserver.js';
import { isPrimaryGetKey, normalizeUrl, primaryKey } from './cacheKey.js';
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

/** What a URL's first matching route made of it, shared by every URL of a namespace it places alike. */
interface Placement {
  readonly namespace: string;
  readonly scope: string | undefined;
  readonly versionUrl: string | undefined;
  readonly route: Route | undefined;
}

/** `Target.href` where it differs from `url` (a fragment, an unsorted query): few do, so not a field of every target. */
const written = /* @__PURE__ */ new WeakMap<Target, string>();

/**
 * A request resolved against routes and namespace: everything a lookup needs. One per memoised
 * URL, so as small as it can be (a memoised URL's cost is most of what the memory tier adds per
 * entry): what the URL's route made of it is a `Placement` shared by URLs placed alike.
 */
export class Target {
  /** `client.peek`'s hold on the entry of `primary` (see `Store.hold`), kept while live. */
  held: Held | undefined = undefined;
  /** What `client.peek` answered last for `shownOf`, answered again while nothing changed. */
  shown: ReadResult<unknown> | undefined = undefined;
  shownOf: CacheEntry | undefined = undefined;
  constructor(
    /** Normalised absolute URL: what keys and invalidations compare. */
    readonly url: string,
    readonly primary: string,
    private readonly placed: Placement,
  ) {}
  /** The URL as the caller wrote it, resolved against the base: what goes on the wire (signed URLs). */
  get href(): string {
    return written.get(this) ?? this.url;
  }
  get namespace(): string {
    return this.placed.namespace;
  }
  get scope(): string | undefined {
    return this.placed.scope;
  }
  get versionUrl(): string | undefined {
    return this.placed.versionUrl;
  }
  get route(): Route | undefined {
    return this.placed.route;
  }
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
  let memo = new Map<string, Target>();
  /** The memo's placements, by route, scope and version endpoint; dropped with it, or when they outgrow it. */
  let placements = new Map<string, Placement>();
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
    let url = parsed.href === href ? href : parsed.href;
    let route: Route | undefined;
    let scope: string | undefined;
    let versionUrl: string | undefined;
    let index = -1;
    for (const compiledRoute of compiled) {
      index++;
      const params = compiledRoute.test(parsed);
      if (!params) continue;
      route = compiledRoute.route;
      scope = typeof route.scope === 'function' ? route.scope(parsed) : route.scope && fill(route.scope, params);
      versionUrl = route.versionUrl && normalizeUrl(fill(route.versionUrl, params), base);
      break;
    }
    scope = scopeOverride ?? scope;
    // By the route's place, the scope and the version endpoint; by the scope alone when no route matched.
    const placing = JSON.stringify(route ? [index, scope, versionUrl] : [scope]);
    let placed = placements.get(placing);
    if (!placed) {
      if (placements.size >= memoLimit) placements = new Map();
      placements.set(placing, (placed = { namespace, scope, versionUrl, route }));
    }
    const primary = primaryKey(namespace, 'GET', url);
    // The URL as a slice of the key that spells it: a view of the key's characters rather than
    // a string of its own (the key outlives it, in the entry and here).
    if (isPrimaryGetKey(primary, namespace, url)) url = primary.slice(primary.length - 2 - url.length, -2);
    const target = new Target(url, primary, placed);
    if (href !== url) written.set(target, href);
    if (scopeOverride !== undefined) return target;
    if (memo.size >= memoLimit) {
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
        placements = new Map();
        oldest = undefined;
        memoFor = namespace;
      }
      return (scopeOverride === undefined && memo.get(raw)) || resolveNew(raw, namespace, scopeOverride);
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
