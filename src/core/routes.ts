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
}

interface Compiled {
  route: Route;
  test: (url: URL) => Record<string, string> | null;
}

/** Resolves URLs to targets for one base, memoised per namespace so the hot path skips URL parsing. */
export function routing(routes: readonly Route[], base: string) {
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
  let memoFor = '';

  return {
    resolve(raw: string, namespace: string, scopeOverride?: string): Target {
      if (memoFor !== namespace) {
        memo = new Map();
        memoFor = namespace;
      }
      const cached = scopeOverride === undefined ? memo.get(raw) : undefined;
      if (cached) return cached;
      const href = new URL(raw, base).href;
      const url = normalizeUrl(href, base);
      const parsed = new URL(url);
      let target: Target = { url, href, namespace, primary: primaryKey(namespace, 'GET', url) };
      for (const { route, test } of compiled) {
        const params = test(parsed);
        if (!params) continue;
        const scope = typeof route.scope === 'function' ? route.scope(parsed) : route.scope && fill(route.scope, params);
        const versionUrl = route.versionUrl && normalizeUrl(fill(route.versionUrl, params), base);
        target = { ...target, route, scope, versionUrl };
        break;
      }
      if (scopeOverride !== undefined) return { ...target, scope: scopeOverride };
      if (memo.size > 2000) memo = new Map();
      memo.set(raw, target);
      return target;
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
