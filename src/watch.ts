/**
 * `nostale/watch`: one URL kept current as the cache changes, for UI code (what `nostale/react`
 * builds on). A watcher reads only when the cache holds nothing current for its URL: its own
 * answer and optimistic layers never cost a request; a version bump, invalidation, clear or
 * namespace switch costs one. A subpath of its own so the core stays under its size gate.
 *
 * @example
 * ```ts
 * import { watch } from 'nostale/watch';
 * const stop = watch(client, '/api/users/alice/events', ({ data, isLoading }) => render(data, isLoading));
 * ```
 */
import type { Client, GetOptions } from './client.js';
import { FetchObserver, type WatchState } from './core/fetchObserver.js';
import { revalidatorOf } from './revalidate/engine.js';
import type { WatchRevalidate } from './revalidate/options.js';

export { FetchObserver } from './core/fetchObserver.js';
export type { ObservedReads, ReadResult, ReadSource, WatchState } from './core/fetchObserver.js';
export type { Triggers, WatchRevalidate } from './revalidate/options.js';

/** Options of {@link observe} and {@link watch}: those of `client.get`, and the watcher's revalidation. */
export interface ObserveOptions extends GetOptions {
  /**
   * When this URL is revalidated (a conditional re-read): `true` takes the triggers of
   * `revalidate(client, …)` from `nostale/revalidate` (focus and reconnect when there is none),
   * `false` none, or its own `{ focus, reconnect, interval }` over those. Without it the watcher
   * follows `revalidate(client, …)` if that runs, and is revalidated by nothing otherwise.
   *
   * @default the client's `revalidate` triggers, if any
   * @example
   * ```ts
   * watch(client, '/api/notifications', render, { revalidate: { interval: 10_000 } });
   * ```
   */
  revalidate?: WatchRevalidate;
}

/**
 * An observer of `url` through `client` (`null` waits): `getSnapshot`, `subscribe`, `refetch`.
 *
 * @example
 * ```ts
 * const observer = observe(client, '/api/me');
 * const stop = observer.subscribe(() => console.log(observer.getSnapshot()));
 * ```
 */
export function observe<T = unknown>(client: Client, url: string | null, options: ObserveOptions = {}): FetchObserver<T> {
  const { revalidate: own, ...get } = options;
  return new FetchObserver<T>(
    {
      read: (u, cache) => client.read(u, cache ? { ...get, cache } : get),
      // Whatever the cache still holds for the current scope version: only its absence is a reason to read.
      peek: (u) => client.peek(u, { ...get, cache: 'force-cache' }),
      onReadsChanged: (listener) => client.onReadsChanged(listener),
    },
    url,
    // The same machinery as the client's triggers: one registry, one set of listeners and timers.
    (observer) =>
      revalidatorOf(client).watch({
        url: url!,
        own,
        revalidate: observer.revalidate,
        versioned: () => client.peek(url!, { ...get, cache: 'force-cache' })?.version !== undefined,
      }),
  );
}

/**
 * Calls `listener` with the URL's state each time it changes; returns the unsubscribe.
 *
 * @example
 * ```ts
 * const stop = watch(client, '/api/me', (state) => console.log(state.data));
 * ```
 */
export function watch<T = unknown>(
  client: Client,
  url: string,
  listener: (state: WatchState<T>) => void,
  options?: ObserveOptions,
): () => void {
  const observer = observe<T>(client, url, options);
  return observer.subscribe(() => listener(observer.getSnapshot()));
}
