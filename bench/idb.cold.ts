/**
 * A cold start, one per fresh page: `?mode=ours` creates the store and a client over it and reads
 * one entry; `?mode=store` reads it through the store alone; `?mode=raw` opens the database with
 * the plain API and `get`s the same record, the least any IndexedDB cache can do. Both answer in `window.result`, in ms since navigation start
 * (`total`) and since this script started running (`script`).
 */
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

const mode = params.get('mode');
void (mode === 'raw' ? raw() : mode === 'store' ? store() : ours()).then((hit) => {
  const end = performance.now();
  (window as unknown as { result: unknown }).result = { total: end, script: end - scriptStart, hit };
});
