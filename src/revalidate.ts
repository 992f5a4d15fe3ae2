/**
 * `nostale/revalidate`: revalidation triggers, opt-in per client and per scope or URL. On focus
 * (the tab becomes visible), on reconnect (`online`) and by polling: a scope with a `versionUrl`
 * costs one small request per poll however many entries it holds; a URL without one is re-read
 * (conditionally) only while something watches it (`nostale/watch`, `useFetch`). Nothing runs in
 * a hidden tab or offline; with `nostale/sync` one tab polls for all. A subpath of its own so
 * the core stays under its size gate.
 *
 * @example
 * ```ts
 * import { revalidate } from 'nostale/revalidate';
 * const stop = revalidate(client, { interval: 30_000, routes: [{ scope: 'static:*', interval: 0, focus: false }] });
 * ```
 */
import type { Client } from './client.js';
import { revalidatorOf } from './revalidate/engine.js';
import { policy, type RevalidateOptions } from './revalidate/options.js';

export type { RevalidateOptions, RevalidateRoute, Triggers, WatchRevalidate } from './revalidate/options.js';

/**
 * Revalidates `client`'s scopes and watched URLs on the triggers the options choose (by default
 * focus and reconnect, no polling). Returns the function that stops it, removing every listener
 * and timer it added; watchers that opted in themselves (`revalidate` on `observe` or `useFetch`)
 * keep their own triggers until they stop. A second call replaces the first one's options.
 *
 * Errors never reject anywhere: a failed version check is an `error` event of the client, a
 * failed re-read the watcher's `error`, and a failing poll backs off until one succeeds.
 *
 * @example
 * ```ts
 * const stop = revalidate(client, { interval: 30_000 });
 * // on logout
 * stop();
 * ```
 */
export function revalidate(client: Client, options: RevalidateOptions = {}): () => void {
  const engine = revalidatorOf(client);
  const mine = policy(options, globalThis.location?.href ?? 'http://localhost/');
  engine.configure(mine);
  return () => {
    if (engine.policy === mine) engine.configure(undefined);
  };
}
