import type { CacheEntry, DropDone, UrlSelection } from '../types.js';
import { normalizeUrl } from './cacheKey.js';
import { type Core, detach, foreign } from './context.js';
import { globToRegExp } from './patterns.js';
import type { Target } from './routes.js';

/** What targets an invalidation. `*` in `scope` and `url` matches any run of characters. */
export interface InvalidateTarget {
  /**
   * Makes every entry of the scope stale at once (O(1), however many it holds); `*` matches any run.
   *
   * @default none
   * @example
   * ```ts
   * client.invalidate({ scope: 'calendar:alice' });
   * ```
   */
  scope?: string;
  /**
   * Drops the entries of this URL (resolved against `baseUrl`), or of every URL a `*` pattern matches.
   *
   * @default none
   * @example
   * ```ts
   * client.invalidate({ url: '/api/users/alice/events*' });
   * ```
   */
  url?: string;
  /**
   * Drops the entries of every URL starting with this prefix.
   *
   * @default none
   * @example
   * ```ts
   * client.invalidate({ prefix: '/api/reports/' });
   * ```
   */
  prefix?: string;
  /**
   * Namespace to act in.
   *
   * @default the current one
   * @example
   * ```ts
   * client.invalidate({ scope: 'calendar:alice', namespace: 'alice' });
   * ```
   */
  namespace?: string;
}

/** Which URLs a selection covers. */
function selects({ urls, prefix, pattern }: UrlSelection): (url: string) => boolean {
  const re = pattern === undefined ? undefined : globToRegExp(pattern);
  return (url) => !!(urls?.includes(url) || (prefix !== undefined && url.startsWith(prefix)) || re?.test(url));
}

/**
 * Drops the selected URLs' entries, and detaches what is in flight for them; then tells the other
 * tabs. Another tab's drop over the storage this tab's store shares is not done on disk again
 * (`Store.remove` with `since`).
 */
export async function drop(core: Core, selection: UrlSelection & DropDone, origin: 'local' | 'remote' | 'unsafe-request'): Promise<void> {
  const test = selects(selection);
  detach(core, selection.namespace, test);
  const { store } = core;
  const at = Date.now();
  // Exact URLs (every unsafe request's case) go through the stores' URL index, not a scan.
  const exact = selection.prefix === undefined && selection.pattern === undefined && selection.urls !== undefined;
  const filter = exact
    ? { namespace: selection.namespace, urls: selection.urls }
    : { namespace: selection.namespace, where: (e: CacheEntry) => test(e.url) };
  // Only another tab's drop names a store.
  let keys = await store.remove?.(filter, selection.store === store.shared ? selection.at : undefined);
  if (!keys) await store.delete((keys = await store.keys(filter)));
  // Told once it is done: another tab over the same disk reads it gone there. The store is named
  // as it is now, in case its disk was lost meanwhile; `at` is when this tab began.
  if (origin !== 'remote') core.changed({ kind: 'drop', ...selection, store: store.shared, at });
  core.tally(keys.length ? 'invalidations' : undefined, () => ({ type: 'invalidate', ...selection, count: keys.length, origin }));
}

/** Logout: every entry of the namespace (or all) goes, and nothing in flight for it is stored or copied back. */
export async function clear(core: Core, namespace: string | undefined, origin: 'local' | 'remote'): Promise<void> {
  const all = () => true;
  detach(core, namespace, all);
  core.tally(undefined, () => ({ type: 'clear', namespace, origin }));
  if (origin === 'local') core.changed({ kind: 'clear', namespace });
  core.clearing.push(namespace);
  try {
    await core.store.clear(namespace === undefined ? undefined : { namespace });
  } finally {
    core.clearing.splice(core.clearing.indexOf(namespace), 1);
  }
}

/** A URL or `*` pattern, resolved against the base like requests are. */
const absolute = (core: Core, url: string) => normalizeUrl(url, core.base).replace(/%2A/gi, '*');

export async function invalidate(core: Core, target: InvalidateTarget): Promise<void> {
  const ns = target.namespace ?? core.namespace;
  const { scope, url, prefix } = target;
  if (scope?.includes('*')) {
    const re = globToRegExp(scope);
    for (const state of core.scopeStates.all(ns)) if (re.test(state.scope)) core.scopeStates.bump(state, 'local');
  } else if (scope !== undefined) core.scopeStates.bump(core.scopeStates.get(ns, scope), 'local');
  if (url !== undefined || prefix !== undefined) {
    await drop(
      core,
      {
        namespace: ns,
        ...(url === undefined ? {} : url.includes('*') ? { pattern: absolute(core, url) } : { urls: [absolute(core, url)] }),
        ...(prefix === undefined ? {} : { prefix: new URL(prefix, core.base).href }),
      },
      'local',
    );
  }
}

/**
 * After a successful unsafe request: adopt the version it carries, and drop its URL and the
 * same-origin URLs it names, for the target resolved when it was sent (the user may have switched).
 */
export async function afterUnsafe(core: Core, target: Target, response: Response): Promise<void> {
  // Written with another user's session (see `foreign`): none of its tokens is learned, what it
  // wrote is still dropped (conservative), and then the caller is told.
  const mismatch = foreign(core, response.headers, target.url, target.namespace);
  if (!mismatch) {
    // Any answer carrying versions says what they are now, a 404 to a delete included.
    const token = target.scope === undefined ? null : response.headers.get(core.versionHeader);
    if (token !== null) core.scopeStates.learn(core.scopeStates.get(target.namespace, target.scope!), token, 'mutation');
    // `scope=token, …` with percent-encoded scopes, as formatVersionList (nostale/server) and
    // django-nostale write it. A malformed member is skipped, never failing the request.
    for (const member of response.headers.get(core.versionsHeader)?.split(',') ?? []) {
      const at = member.lastIndexOf('=');
      const each = member.slice(at + 1).trim();
      try {
        if (at > 0 && each)
          core.scopeStates.learn(core.scopeStates.get(target.namespace, decodeURIComponent(member.slice(0, at).trim())), each, 'mutation');
      } catch {}
    }
  }
  if (response.status < 400) {
    const urls = [target.url];
    const origin = new URL(target.url).origin;
    for (const name of ['location', 'content-location']) {
      const value = response.headers.get(name);
      // RFC 9111 4.4: only same-origin URIs may be invalidated.
      if (value && new URL(value, target.url).origin === origin) urls.push(normalizeUrl(value, target.url));
    }
    await drop(core, { namespace: target.namespace, urls }, 'unsafe-request');
  }
  if (mismatch) throw mismatch;
}
