/**
 * The page of test/browser/idb.test.ts: a client over memory over IndexedDB, whose `fetch`
 * is a counted stand-in, so the test can tell a read served from IndexedDB from a request.
 */
import { createClient, type CacheEvent } from '../../../src/index';
import { idbStore, tieredStore } from '../../../src/idb';

export interface IdbPageApi {
  get(url: string): Promise<unknown>;
  /** Requests `fetch` received since this page loaded. */
  requests(): string[];
  flush(): Promise<void>;
  status(): 'idb' | 'memory-only';
  events(): CacheEvent[];
  /** URLs of the records in the database, read with the plain IndexedDB API. */
  persistedUrls(): Promise<string[]>;
}

const NAME = 'nostale-browser-test';
const BUILD = 'browser-test';
const requests: string[] = [];
const events: CacheEvent[] = [];

const fetchStub: typeof fetch = async (input) => {
  const url = new URL(String(input));
  requests.push(url.pathname);
  const cacheControl = url.pathname.startsWith('/api/private') ? 'no-store' : 'max-age=300';
  return new Response(JSON.stringify({ path: url.pathname, servedAt: Date.now() }), {
    headers: { 'content-type': 'application/json', 'cache-control': cacheControl },
  });
};

const persistent = idbStore({ name: NAME, build: BUILD });
const client = createClient({
  fetch: fetchStub,
  store: tieredStore(persistent, { build: BUILD }),
  build: BUILD,
  onEvent: (event) => events.push(event),
});

function persistedUrls(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(NAME);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const all = db.transaction('entries').objectStore('entries').getAll();
      all.onerror = () => reject(all.error);
      all.onsuccess = () => {
        db.close();
        resolve((all.result as { url: string }[]).map((record) => new URL(record.url).pathname).sort());
      };
    };
  });
}

const api: IdbPageApi = {
  get: (url) => client.get(url),
  requests: () => [...requests],
  flush: () => persistent.flush(),
  status: () => persistent.status,
  events: () => events.map((event) => ('error' in event ? { ...event, error: String(event.error) } : event) as CacheEvent),
  persistedUrls,
};
(window as unknown as { nostale: IdbPageApi }).nostale = api;
