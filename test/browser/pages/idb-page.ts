/**
 * The page of test/browser/idb.test.ts: a client over memory over IndexedDB, whose `fetch`
 * is a counted stand-in, so the test can tell a read served from IndexedDB from a request.
 */
import { createClient, type CacheEntry, type CacheEvent } from '../../../src/index';
import { idbStore, tieredStore } from '../../../src/idb';

export interface IdbPageApi {
  get(url: string): Promise<unknown>;
  /** An unsafe request through `client.fetch`; answers its status once `client.fetch` resolved. */
  send(url: string, method: string): Promise<number>;
  /** Requests `fetch` received since this page loaded. */
  requests(): string[];
  flush(): Promise<void>;
  status(): 'idb' | 'memory-only';
  events(): CacheEvent[];
  /** URLs of the records in the database, read with the plain IndexedDB API. */
  persistedUrls(): Promise<string[]>;
  /** Runs the index-driven operations on a store of its own and answers what each found. */
  indexes(): Promise<IndexResults>;
}

export interface IndexResults {
  aliceUrls: string[];
  anyNamespaceUrls: string[];
  pruned: number;
  afterPrune: string[];
  scopesAfterLogout: string[];
  entriesAfterLogout: string[];
}

const NAME = 'nostale-browser-test';
const BUILD = 'browser-test';
const requests: string[] = [];
const events: CacheEvent[] = [];

const fetchStub: typeof fetch = async (input) => {
  // `client.fetch` hands on a Request (unsafe methods); `client.get`, a URL.
  const url = new URL(input instanceof Request ? input.url : String(input));
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

function readAll(name: string, store: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const all = db.transaction(store).objectStore(store).getAll();
      all.onsuccess = () => {
        db.close();
        resolve(all.result as Record<string, unknown>[]);
      };
      all.onerror = () => reject(all.error);
    };
  });
}

const day = 86_400_000;

function record(namespace: string, path: string, extra: Partial<CacheEntry> = {}): CacheEntry {
  const url = `https://api.example${path}`;
  return {
    key: JSON.stringify([namespace, 'GET', url]),
    namespace,
    url,
    status: 200,
    headers: {},
    body: '{}',
    size: 4,
    storedAt: Date.now(),
    lifetime: day,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    noCache: false,
    mustRevalidate: false,
    accessedAt: Date.now(),
    build: BUILD,
    ...extra,
  };
}

async function indexes(): Promise<IndexResults> {
  const name = 'nostale-browser-index';
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = resolve;
  });
  const store = idbStore({ name, build: BUILD, pruneDelay: false });
  const paths = (keys: string[]) =>
    keys
      .map((key) =>
        (JSON.parse(key) as string[])
          .slice(0, 1)
          .concat(new URL((JSON.parse(key) as string[])[2]!).pathname)
          .join(':'),
      )
      .sort();
  await store.set([
    record('alice', '/a'),
    record('alice', '/b'),
    record('bob', '/a'),
    record('carol', '/c'),
    record('alice', '/old', { storedAt: 0, lifetime: 1 }),
    record('alice', '/cal/1', { scope: 'cal', mark: 'm1' }),
    record('alice', '/cal/2', { scope: 'cal', mark: 'm0' }),
    record('bob', '/other-build', { build: 'older' }),
  ]);
  await store.saveScopes([
    { namespace: 'alice', scope: 'cal', mark: 'm1', local: false },
    { namespace: 'bob', scope: 'cal', mark: 'b1', local: false },
  ]);
  const aliceUrls = paths(await store.keys({ namespace: 'alice', urls: ['https://api.example/a', 'https://api.example/c'] }));
  const anyNamespaceUrls = paths(await store.keys({ urls: ['https://api.example/a', 'https://api.example/c'] }));
  const pruned = await store.prune();
  const afterPrune = paths(await store.keys());
  await store.clear({ namespace: 'alice' });
  await store.flush();
  store.close();
  return {
    aliceUrls,
    anyNamespaceUrls,
    pruned,
    afterPrune,
    scopesAfterLogout: (await readAll(name, 'scopes')).map((r) => `${r.namespace}/${r.scope}`),
    entriesAfterLogout: paths((await readAll(name, 'entries')).map((r) => r.key as string)),
  };
}

const api: IdbPageApi = {
  get: (url) => client.get(url),
  send: async (url, method) => (await client.fetch(new URL(url, location.href).href, { method })).status,
  requests: () => [...requests],
  flush: () => persistent.flush(),
  status: () => persistent.status,
  events: () => events.map((event) => ('error' in event ? { ...event, error: String(event.error) } : event) as CacheEvent),
  persistedUrls,
  indexes,
};
(window as unknown as { nostale: IdbPageApi }).nostale = api;
