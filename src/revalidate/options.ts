/**
 * What triggers a revalidation, and for what: the options of `revalidate(client, …)`, of a
 * watcher (`observe`, `useFetch`), and how the two combine into one decision per scope or URL.
 */
import { compilePattern, globToRegExp } from '../core/patterns.js';

/** When something is revalidated. The names of SWR and TanStack Query, in one small object. */
export interface Triggers {
  /**
   * Revalidate when the tab becomes visible again (`visibilitychange`), like SWR's
   * `revalidateOnFocus` and TanStack Query's `refetchOnWindowFocus`.
   *
   * @default true
   * @example
   * ```ts
   * revalidate(client, { focus: false });
   * ```
   */
  focus?: boolean;
  /**
   * Revalidate when the browser comes back online (`online`), like `revalidateOnReconnect` /
   * `refetchOnReconnect`.
   *
   * @default true
   * @example
   * ```ts
   * revalidate(client, { reconnect: false });
   * ```
   */
  reconnect?: boolean;
  /**
   * Poll every this many ms (0: never), like `refreshInterval` / `refetchInterval`. A scope with a
   * `versionUrl` costs one small request per poll however many entries it holds; a URL without
   * one is re-read (a conditional request) only while something watches it. Polls pause while the
   * tab is hidden or offline and catch up once when it is back; a failing poll backs off
   * (2×, 4×, … the interval, at most 5 minutes) until one succeeds.
   *
   * @default 0
   * @example
   * ```ts
   * revalidate(client, { interval: 30_000 });
   * ```
   */
  interval?: number;
}

/**
 * Triggers for some scopes or URLs, overriding the client's. A rule names scopes (a glob: `*`
 * matches any run) or URLs (a route pattern: `:name` one segment, `*` anything), or both.
 */
export interface RevalidateRoute extends Triggers {
  /**
   * Scopes the rule is for, as a glob.
   *
   * @default none (the rule is for URLs only)
   * @example
   * ```ts
   * { scope: 'calendar:*', interval: 30_000 }
   * ```
   */
  scope?: string;
  /**
   * Watched URLs the rule is for, as a route pattern over the path.
   *
   * @default none (the rule is for scopes only)
   * @example
   * ```ts
   * { url: '/api/notifications*', interval: 10_000 }
   * ```
   */
  url?: string;
}

/** Options of `revalidate(client, options)`: the client's triggers, and rules per scope or URL. */
export interface RevalidateOptions extends Triggers {
  /**
   * Per-scope or per-URL overrides; the first rule that matches wins, and what it leaves out comes
   * from the client's triggers.
   *
   * @default []
   * @example
   * ```ts
   * revalidate(client, { routes: [{ scope: 'calendar:*', interval: 30_000 }, { url: '/api/static/*', focus: false }] });
   * ```
   */
  routes?: RevalidateRoute[];
  /**
   * With `nostale/sync` running for this client, whether one tab polls for all (elected with Web
   * Locks, else a lease over BroadcastChannel) and the others learn the result through sync.
   * Focus revalidation always runs in the tab that becomes visible.
   *
   * @default true
   * @example
   * ```ts
   * revalidate(client, { interval: 30_000, shareAcrossTabs: false }); // every tab polls
   * ```
   */
  shareAcrossTabs?: boolean;
  /**
   * A focus revalidates a scope or URL only if nothing revalidated it (focus, reconnect or poll)
   * in this many ms, like SWR's `focusThrottleInterval`: switching back and forth between tabs
   * asks once, not at every switch. Reconnects and polls are never throttled; 0 turns it off.
   *
   * @default 5000
   * @example
   * ```ts
   * revalidate(client, { focusThrottle: 60_000 }); // at most once a minute on focus
   * ```
   */
  focusThrottle?: number;
}

/** A watcher's choice: `true` the client's triggers (or focus and reconnect when it set none), `false` none, or its own. */
export type WatchRevalidate = boolean | Triggers;

/** Triggers with every field decided. */
export interface Decided {
  focus: boolean;
  reconnect: boolean;
  interval: number;
}

/** The default `focusThrottle`, also for watchers that opted in without `revalidate(client)`. */
export const FOCUS_THROTTLE = 5000;

const nonNegative = (ms: number) => (Number.isFinite(ms) && ms > 0 ? ms : 0);

export const NONE: Decided = Object.freeze({ focus: false, reconnect: false, interval: 0 });
const DEFAULTS: Decided = Object.freeze({ focus: true, reconnect: true, interval: 0 });

/** `over` on top of `under`, field by field; a negative or non-finite interval counts as 0. */
export function decide(under: Decided, over: Triggers | undefined): Decided {
  const interval = over?.interval ?? under.interval;
  return {
    focus: over?.focus ?? under.focus,
    reconnect: over?.reconnect ?? under.reconnect,
    interval: nonNegative(interval),
  };
}

/** The client's options compiled: what each scope and each watched URL gets. */
export interface Policy {
  forScope(scope: string): Decided;
  forUrl(url: string): Decided;
  /** Every polling interval the client's triggers and rules name (0 left out). */
  readonly intervals: readonly number[];
  readonly shareAcrossTabs: boolean;
  /** ms a focus waits after the last revalidation of the same scope or URL. */
  readonly focusThrottle: number;
}

export function policy(options: RevalidateOptions, base: string): Policy {
  const client = decide(DEFAULTS, options);
  const rules = (options.routes ?? []).map((rule) => ({
    rule,
    scope: rule.scope === undefined ? undefined : globToRegExp(rule.scope),
    url: rule.url === undefined ? undefined : compilePattern(rule.url),
  }));
  return {
    forScope(scope) {
      const found = rules.find((r) => r.scope?.test(scope));
      return found ? decide(client, found.rule) : client;
    },
    forUrl(url) {
      let parsed: URL;
      try {
        parsed = new URL(url, base);
      } catch {
        return client;
      }
      const found = rules.find((r) => r.url?.(parsed));
      return found ? decide(client, found.rule) : client;
    },
    intervals: [client, ...rules.map((r) => decide(client, r.rule))].map((d) => d.interval).filter((i) => i > 0),
    shareAcrossTabs: options.shareAcrossTabs !== false,
    focusThrottle: nonNegative(options.focusThrottle ?? FOCUS_THROTTLE),
  };
}

/**
 * What a watcher of `url` gets: its own choice over the client's policy; with no policy, only
 * what it opted into itself (`true`: focus and reconnect, as SWR does).
 */
export function forWatcher(own: WatchRevalidate | undefined, client: Policy | undefined, url: string): Decided {
  if (own === false) return NONE;
  const under = client ? client.forUrl(url) : own === undefined ? NONE : DEFAULTS;
  return own === true || own === undefined ? under : decide(under, own);
}
