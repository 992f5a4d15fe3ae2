/**
 * A cold start, one per fresh page: `?mode=ours` creates the store and a client over it and reads
 * one entry; `?mode=store` reads it through the store alone; `?mode=raw` opens the database with
 * the plain API and `get`s the same record, the least any IndexedDB cache can do. Both answer in `window.result`, in ms since navigation start
 * (`total`) and since this script started running (`script`).
 */
import { QueryClient } from '@tanstack/query-core';
import { experimental_createQueryPersister } from '@tanstack/query-persist-client-core';
import { createStore, del, get, set } from 'idb-keyval';
import { createClient } from '../src/index';
import { idbStore, tieredStore } from '../src/idb';
import { BUILD, COLD_DB } from './lib/idb-names';

const scriptStart = performance.now();
const params = new URLSearchParams(location.search);
const url = params.get('url')!;
const key = JSON.stringify(['user', 'GET', url]);

async function ours(): Promise<boolean> {
  let fetched = false;
  const client = createClient({
    store: tieredStore(idbStore({ name: COLD_DB, build: BUILD, pruneDelay: false }), { build: BUILD }),
    build: BUILD,
    namespace: 'user',
    fetch: async () => {
      fetched = true;
      throw new Error('not cached');
    },
  });
  const data = await client.get<{ id: number }>(url).catch(() => undefined);
  return !fetched && typeof data?.id === 'number';
}

/** The store alone, without a client: what the persistence layer costs by itself. */
async function store(): Promise<boolean> {
  const entry = await idbStore({ name: COLD_DB, build: BUILD, pruneDelay: false }).get(key);
  return typeof entry?.body === 'string';
}

function raw(): Promise<boolean> {
  return new Promise((resolve) => {
    const open = indexedDB.open(COLD_DB);
    open.onerror = () => resolve(false);
    open.onsuccess = () => {
      const request = open.result.transaction('entries').objectStore('entries').get(key);
      request.onerror = () => resolve(false);
      request.onsuccess = () => resolve(typeof (request.result as { body?: unknown } | undefined)?.body === 'string');
    };
  });
}

/**
 * TanStack's per-query persister over idb-keyval (the database `seedColdTanstack` filled with the
 * same 10k items): a new QueryClient's first `fetchQuery` of the item, restored from storage.
 */
async function tanstack(): Promise<boolean> {
  const keyval = createStore('bench-cold-tanstack', 'keyval');
  const persister = experimental_createQueryPersister({
    storage: {
      getItem: (key) => get<string>(key, keyval),
      setItem: (key, value) => set(key, value, keyval),
      removeItem: (key) => del(key, keyval),
    },
    maxAge: Number.POSITIVE_INFINITY,
  });
  let fetched = false;
  const queryClient = new QueryClient();
  const data = await queryClient
    .fetchQuery({
      queryKey: ['cold', Number(url.split('/').pop())],
      queryFn: async () => {
        fetched = true;
        throw new Error('not persisted');
      },
      persister: persister.persisterFn as never,
      staleTime: Number.POSITIVE_INFINITY,
      retry: false,
    })
    .catch(() => undefined);
  return !fetched && typeof (data as { id?: unknown } | undefined)?.id === 'number';
}

const mode = params.get('mode');
void (mode === 'raw' ? raw() : mode === 'store' ? store() : mode === 'tanstack' ? tanstack() : ours()).then((hit) => {
  const end = performance.now();
  (window as unknown as { result: unknown }).result = { total: end, script: end - scriptStart, hit };
});
