/**
 * `nostale/react`: hooks over a nostale client. `useFetch` renders what the cache holds right now
 * (synchronously, through `useSyncExternalStore`), reads when it holds nothing current, and reads
 * again only when the entry's scope changes: one request on mount, one after a delete.
 *
 * @example
 * ```tsx
 * import { NostaleProvider, useFetch } from 'nostale/react';
 *
 * function Events({ user }: { user: string }) {
 *   const { data, error, isLoading, isStale } = useFetch<Event[]>(`/api/users/${user}/events`);
 *   if (isLoading) return <Spinner />;
 *   if (error && !data) return <Failure error={error} />;
 *   return <List events={data ?? []} offline={isStale} />;
 * }
 *
 * root.render(<NostaleProvider client={client}><Events user="alice" /></NostaleProvider>);
 * ```
 */
import {
  createContext,
  createElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import type { Client, GetOptions } from './client.js';
import { usageError } from './core/errors.js';
import { type FetchObserver, IDLE, type WatchState } from './core/fetchObserver.js';
import type { Mutate, MutationOptions, MutationResult } from './mutate.js';
import type { WatchRevalidate } from './revalidate/options.js';
import { observe } from './watch.js';

export type { ReadResult, ReadSource, WatchState } from './core/fetchObserver.js';
export type { Triggers, WatchRevalidate } from './revalidate/options.js';

const ClientContext = createContext<Client | null>(null);

/** Observers of suspended renders, until one commits (see `useFetch`). */
const suspended = new WeakMap<Client, Map<string, FetchObserver<unknown>>>();

/** Props of {@link NostaleProvider}. */
export interface NostaleProviderProps {
  /** The client every hook below uses unless given its own. */
  client: Client;
  children?: ReactNode;
}

/**
 * Makes a client available to the hooks below it.
 *
 * @example
 * ```tsx
 * <NostaleProvider client={client}><App /></NostaleProvider>
 * ```
 */
export function NostaleProvider({ client, children }: NostaleProviderProps): ReactNode {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The client from the nearest {@link NostaleProvider}; throws a clear error when there is none. */
export function useClient<C extends Client = Client>(client?: C): C {
  const provided = useContext(ClientContext);
  const found = client ?? provided;
  if (!found) throw usageError('nostale/react: no client; wrap the tree in <NostaleProvider client={…}> or pass { client }');
  return found as C;
}

/** Options of {@link useFetch}: those of `client.get`, and how the hook behaves. */
export interface UseFetchOptions extends Pick<GetOptions, 'headers' | 'scope' | 'as' | 'timeout'> {
  /**
   * The client to read through.
   * @default the one from `NostaleProvider`
   * @example
   * ```ts
   * useFetch('/api/me', { client: adminClient })
   * ```
   */
  client?: Client;
  /**
   * Suspends (throws to the nearest `<Suspense>`) until the first data arrives, so `data` is
   * always defined when the component renders. Errors then go to the nearest error boundary.
   * @default false
   * @example
   * ```tsx
   * <Suspense fallback={<Spinner />}><Events /></Suspense> // inside: useFetch(url, { suspense: true })
   * ```
   */
  suspense?: boolean;
  /**
   * When this URL is revalidated while mounted (through `nostale/revalidate`'s machinery): `true`
   * the client's `revalidate(client, …)` triggers (focus and reconnect when it has none), `false`
   * none, or its own, like SWR's `revalidateOnFocus` / `refreshInterval` and TanStack Query's
   * `refetchOnWindowFocus` / `refetchInterval`.
   * @default the client's `revalidate` triggers, if any
   * @example
   * ```ts
   * useFetch('/api/notifications', { revalidate: { interval: 10_000, focus: true } })
   * ```
   */
  revalidate?: WatchRevalidate;
}

/** What {@link useFetch} returns. */
export interface UseFetchResult<T> extends WatchState<T> {
  /** Reads again now (through the cache: a fresh entry answers at once). */
  refetch: () => Promise<void>;
}

/**
 * Reads `url` through the client and re-renders as the cache changes.
 *
 * @param url what to read; `null` waits (e.g. until a dependency is known)
 * @example
 * ```tsx
 * const { data, isLoading, error, refetch } = useFetch<Event[]>(user ? `/api/users/${user}/events` : null);
 * ```
 */
export function useFetch<T = unknown>(url: string | null, options: UseFetchOptions = {}): UseFetchResult<T> {
  const client = useClient(options.client);
  const { headers, scope, as, timeout, revalidate } = options;
  // Options arrive as a fresh object every render: only their content may start a new observation.
  const headerKey = headers === undefined ? '' : JSON.stringify([...new Headers(headers)]);
  const key = JSON.stringify([url, headerKey, scope, as, timeout, revalidate]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the options' content.
  const observation = useMemo(() => {
    if (url === null) return null;
    // A suspended render is thrown away with its memo: the observer that is reading is kept here
    // until a render commits, so the resumed render takes over its answer instead of asking again.
    const waiting = suspended.get(client);
    const kept = waiting?.get(key) as FetchObserver<T> | undefined;
    if (kept) return kept;
    const created = observe<T>(client, url, { headers, scope, as, timeout, revalidate });
    if (options.suspense) suspended.set(client, (waiting ?? new Map()).set(key, created));
    return created;
  }, [client, key]);
  useEffect(() => {
    suspended.get(client)?.delete(key);
  }, [client, key]);
  const subscribe = useCallback((onChange: () => void) => observation?.subscribe(onChange) ?? (() => {}), [observation]);
  const snapshot = useCallback(() => observation?.getSnapshot() ?? IDLE, [observation]);
  const state = useSyncExternalStore(subscribe, snapshot, snapshot) as WatchState<T>;
  const refetch = useCallback(() => observation?.refetch() ?? Promise.resolve(), [observation]);
  if (options.suspense && observation && state.data === undefined) {
    if (state.error !== undefined) throw state.error;
    // The first read is started here: a suspended component never mounts, so never subscribes.
    throw observation.refetch();
  }
  return useMemo(() => ({ ...state, refetch }), [state, refetch]);
}

/** A client that has `mutate` (from `withMutations` in `nostale/mutate`). */
type MutatingClient = Client & { mutate: Mutate };

/** What {@link useMutation} returns. */
export interface UseMutationResult {
  /** Runs a mutation (optimistic, rolled back on failure); rejects as `client.mutate` does. */
  mutate: <T = unknown>(options: MutationOptions) => Promise<MutationResult<T>>;
  /** Mutations started here that have not ended yet. */
  isPending: boolean;
  /** The last failure (the rollback has run by then); cleared by the next success or `reset`. */
  error: unknown;
  reset: () => void;
}

/**
 * Mutations with pending state and the rollback's error, over `client.mutate` from `nostale/mutate`.
 *
 * @param client a client wrapped by `withMutations`; default: the provider's (which must be one)
 * @example
 * ```tsx
 * const { mutate, isPending, error } = useMutation();
 * <button disabled={isPending} onClick={() => mutate({ scope, request: { url, method: 'DELETE' }, optimistic: removeItem(id) })}>Delete</button>
 * ```
 */
export function useMutation(client?: MutatingClient): UseMutationResult {
  const found = useClient(client);
  if (typeof (found as Partial<MutatingClient>).mutate !== 'function') {
    throw usageError('nostale/react: useMutation needs a client wrapped by withMutations() from nostale/mutate');
  }
  const mutating = found as MutatingClient;
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<unknown>(undefined);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const mutate = useCallback(
    async <T>(options: MutationOptions): Promise<MutationResult<T>> => {
      setPending((n) => n + 1);
      try {
        const result = await mutating.mutate<T>(options);
        if (mounted.current) setError(undefined);
        return result;
      } catch (failure) {
        if (mounted.current) setError(failure);
        throw failure;
      } finally {
        if (mounted.current) setPending((n) => n - 1);
      }
    },
    [mutating],
  );
  const reset = useCallback(() => setError(undefined), []);
  return { mutate, isPending: pending > 0, error, reset };
}
