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

export { FetchObserver } from './core/fetchObserver.js';
export type { ObservedReads, ReadResult, ReadSource, WatchState } from './core/fetchObserver.js';

/**
 * An observer of `url` through `client` (`null` waits): `getSnapshot`, `subscribe`, `refetch`.
 *
 * @example
 * ```ts
 * const observer = observe(client, '/api/me');
 * const stop = observer.subscribe(() => console.log(observer.getSnapshot()));
 * ```
 */
export function observe<T = unknown>(client: Client, url: string | null, options: GetOptions = {}): FetchObserver<T> {
  return new FetchObserver<T>(
    {
      read: (u) => client.read(u, options),
      // Whatever the cache still holds for the current scope version: only its absence is a reason to read.
      peek: (u) => client.peek(u, { ...options, cache: 'force-cache' }),
      onReadsChanged: (listener) => client.onReadsChanged(listener),
    },
    url,
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
  options?: GetOptions,
): () => void {
  const observer = observe<T>(client, url, options);
  return observer.subscribe(() => listener(observer.getSnapshot()));
}
