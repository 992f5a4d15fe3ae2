/**
 * The in-browser half of bench/idb.bench.ts: bundled with esbuild and run in Chromium, where
 * IndexedDB is the real one. Each function answers raw samples; the Node side makes rows.
 */
import { QueryClient } from '@tanstack/query-core';
import { experimental_createQueryPersister, persistQueryClientSave } from '@tanstack/query-persist-client-core';
import { createAsyncStoragePersister } from '@tanstack/query-async-storage-persister';
import Dexie from 'dexie';
import type { IDBPDatabase } from 'idb';
import { unwrap } from 'idb';
import { createStore, del, get, set } from 'idb-keyval';
import { type CacheEntry, createClient } from '../src/index';
import { idbStore, tieredStore, type IdbStore } from '../src/idb';
import { toRecord } from '../src/idb/record';
import { BUILD, COLD_DB } from './lib/idb-names';

export interface Samples {
  /** Per-round ms per operation, ours. */
  ours: number[];
  /** Per-round ms per operation, the baseline, in the same rounds. */
  baseline: number[];
}

export interface IdbBenchApi {
  readVsGet(options: { rounds: number; warmup: number; batch: number; valueBytes: number }): Promise<Samples>;
  /** `baseline` is one native transaction of plain puts into our own `entries` store, on the store's connection. */
  writes(options: { rounds: number; warmup: number; count: number; valueBytes: number }): Promise<Samples>;
  /**
   * With `count` entries persisted (and in memory), ms for `client.invalidate({ url, namespace })`
   * through a client over the tiered store: it removes the URL's entries from memory and
   * IndexedDB before it resolves. `baseline` is the same selection by a predicate (`keys` with a
   * `where`, then `delete`), the scan every invalidation paid before the index.
   */
  invalidateByUrl(options: {
    rounds: number;
    warmup: number;
    count: number;
    valueBytes: number;
    /** Rounds of the scan, run after ours (not paired: see the page). */
    scanRounds: number;
  }): Promise<Samples & { found: number }>;
  /** Read latencies (ms) with nothing else running, then while a prune with real work runs. */
  readsDuringPrune(options: { count: number; expired: number; maxEntries: number; valueBytes: number }): Promise<{
    idle: number[];
    pruning: number[];
    pruneMs: number;
    removed: number;
  }>;
  /** Seeds the database the cold-start pages read. */
  seedCold(options: { count: number; valueBytes: number }): Promise<string>;
  /** Seeds TanStack's per-query persister (idb-keyval storage) with the same items, for its cold start. */
  seedColdTanstack(options: { count: number; valueBytes: number }): Promise<number>;
  /** `baseline`: Dexie's `bulkPut` of the very records the store writes, into a table with the same indexes. */
  writesVsDexie(options: { rounds: number; warmup: number; count: number; valueBytes: number }): Promise<Samples>;
  /**
   * With `count` entries persisted, one changed entry saved: ours `set` + `flush` of it; the
   * baseline TanStack's blob persister (`createAsyncStoragePersister` over idb-keyval, throttle 0)
   * saving a QueryClient of `count` queries after one `setQueryData`, until its `setItem` completes.
   */
  singleUpdate(options: { rounds: number; warmup: number; count: number; valueBytes: number }): Promise<Samples & { blobBytes: number }>;
  /**
   * `client.fetch(url, { method: 'DELETE' })` through a client over the tiered store with `count`
   * entries persisted: the unsafe request drops its URL (memory and IndexedDB) before it returns.
   * The injected fetch answers 204 at once, so the time is the client's.
   */
  deleteRequest(options: {
    rounds: number;
    warmup: number;
    count: number;
    valueBytes: number;
  }): Promise<{ ours: number[]; dropped: number }>;
}

export function makeEntry(i: number, valueBytes: number, prefix: string, namespace = 'user'): CacheEntry {
  const url = `https://api.example/${prefix}/${i}`;
  const now = Date.now();
  const body = JSON.stringify({ id: i, payload: 'x'.repeat(Math.max(0, valueBytes - 30)) });
  return {
    key: JSON.stringify([namespace, 'GET', url]),
    namespace,
    url,
    status: 200,
    headers: { 'content-type': 'application/json', etag: `"${i}"` },
    body,
    size: body.length * 2,
    storedAt: now,
    // Read "now": no LRU touch gets queued behind the measured reads.
    accessedAt: now,
    lifetime: 3_600_000,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    noCache: false,
    mustRevalidate: false,
    build: BUILD,
  };
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

/** The store's own connection, for a baseline on the very same connection (a private field). */
async function connectionOf(store: IdbStore): Promise<IDBPDatabase> {
  await store.ready;
  const db = (store as unknown as { connection: { db?: IDBPDatabase } }).connection.db;
  if (!db) throw new Error(`store is ${store.status}`);
  return db;
}

/**
 * A full collection right before a timed section, where the bench launched Chromium with
 * `--expose-gc`: each side of a write round starts on a clean heap instead of paying, at random,
 * for garbage the other side or the round's setup (1000 fresh 2 KB entries) left behind.
 */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

/** A batch row's entries: fresh keys for every side and round, inserts as a first visit writes them. */
const freshBatch = (count: number, valueBytes: number) => (label: string, round: number) =>
  Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, `${label}${round}`));

/** Our side of a batch row: one `set` of the round's entries until committed, in ms per entry. */
const oursBatch = (store: IdbStore, fresh: ReturnType<typeof freshBatch>) => async (round: number) => {
  const entries = fresh('ours', round);
  collect();
  const start = performance.now();
  await store.set(entries);
  await store.flush();
  return (performance.now() - start) / entries.length;
};

/** Runs both sides once, in an order that alternates by round, so drift hits both alike. */
async function pair(ours: () => Promise<number>, baseline: () => Promise<number>, round: number): Promise<[number, number]> {
  if (round % 2) {
    const o = await ours();
    return [o, await baseline()];
  }
  const b = await baseline();
  return [await ours(), b];
}

async function rounds(
  count: { rounds: number; warmup: number },
  ours: (round: number) => Promise<number>,
  baseline: (round: number) => Promise<number>,
): Promise<Samples> {
  const samples: Samples = { ours: [], baseline: [] };
  for (let round = 0; round < count.warmup + count.rounds; round++) {
    const [o, b] = await pair(
      () => ours(round),
      () => baseline(round),
      round,
    );
    if (round >= count.warmup) {
      samples.ours.push(o);
      samples.baseline.push(b);
    }
  }
  return samples;
}

/** Writes `count` entries in batches of 1000, committed. */
async function seed(store: IdbStore, entries: CacheEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 1000) {
    await store.set(entries.slice(i, i + 1000));
    await store.flush();
  }
}

type Added = 'seedColdTanstack' | 'writesVsDexie' | 'singleUpdate' | 'deleteRequest';

const api: Omit<IdbBenchApi, Added> = {
  async readVsGet({ rounds: n, warmup, batch, valueBytes }) {
    const name = 'bench-read';
    await deleteDatabase(name);
    const store = idbStore({ name, build: BUILD, pruneDelay: false });
    const entries = Array.from({ length: batch }, (_, i) => makeEntry(i, valueBytes, 'read'));
    await seed(store, entries);
    const db = await connectionOf(store);
    const keys = entries.map((entry) => entry.key);
    const samples = await rounds(
      { rounds: n, warmup },
      async () => {
        const start = performance.now();
        for (const key of keys) if (!(await store.get(key))) throw new Error('missing entry');
        return (performance.now() - start) / keys.length;
      },
      async () => {
        const start = performance.now();
        for (const key of keys) if (!(await db.get('entries', key))) throw new Error('missing entry');
        return (performance.now() - start) / keys.length;
      },
    );
    store.close();
    return samples;
  },

  async writes({ rounds: n, warmup, count, valueBytes }) {
    const name = 'bench-writes';
    await deleteDatabase(name);
    const store = idbStore({ name, build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    const native = unwrap(await connectionOf(store));
    const fresh = freshBatch(count, valueBytes);
    const samples = await rounds({ rounds: n, warmup }, oursBatch(store, fresh), async (round) => {
      // The very records the store writes (index fields included), so both sides store the same.
      const records = fresh('raw', round).map(toRecord);
      collect();
      const start = performance.now();
      const tx = native.transaction('entries', 'readwrite', { durability: 'relaxed' });
      const objectStore = tx.objectStore('entries');
      for (const record of records) objectStore.put(record);
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onabort = () => reject(tx.error);
      });
      return (performance.now() - start) / count;
    });
    store.close();
    return samples;
  },

  async invalidateByUrl({ rounds: n, warmup, count, valueBytes, scanRounds }) {
    const name = 'bench-invalidate';
    await deleteDatabase(name);
    const persistent = idbStore({ name, build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    const tiers = tieredStore(persistent, { build: BUILD, maxEntries: 2 * count });
    // Two users, half the entries each: the index has to tell them apart.
    const entries = Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, 'inv', i % 2 ? 'bob' : 'user'));
    await seed(persistent, entries);
    await tiers.set(entries);
    await persistent.flush();
    let found = 0;
    const client = createClient({
      store: tiers,
      build: BUILD,
      namespace: 'user',
      fetch: () => Promise.reject(new Error('no requests')),
      onEvent: (event) => {
        if (event.type === 'invalidate') found += event.count ?? 0;
      },
    });
    await client.ready;
    const target = (round: number, side: number) => entries[(round * 2 + side) * 2]!;
    const restore = async (entry: CacheEntry) => {
      await tiers.set([entry]);
      await persistent.flush();
    };
    const ours = async (round: number) => {
      const entry = target(round, 0);
      const start = performance.now();
      await client.invalidate({ url: entry.url, namespace: entry.namespace });
      const ms = performance.now() - start;
      const left = await persistent.keys({ namespace: entry.namespace, urls: [entry.url] });
      if (left.length || tiers.peek!(entry.key)) throw new Error(`invalidate left ${left.length} persisted entries of its URL`);
      await restore(entry);
      return ms;
    };
    // The scan reads 5 000 records of 2 KB a round and leaves that much garbage: its few rounds
    // run apart, after ours, so its collections do not land in our timings.
    const scan = async (round: number) => {
      const entry = target(round, 1);
      const start = performance.now();
      const keys = await tiers.keys({ namespace: entry.namespace, where: (e) => e.url === entry.url });
      await tiers.delete(keys);
      const ms = performance.now() - start;
      if (keys.length !== 1) throw new Error(`scan found ${keys.length} entries`);
      await restore(entry);
      return ms;
    };
    const samples: Samples = { ours: [], baseline: [] };
    for (let round = 0; round < warmup + n; round++) {
      const ms = await ours(round);
      if (round >= warmup) samples.ours.push(ms);
    }
    for (let round = 0; round < scanRounds; round++) samples.baseline.push(await scan(round));
    persistent.close();
    return { ...samples, found };
  },

  async readsDuringPrune({ count, expired, maxEntries, valueBytes }) {
    const name = 'bench-prune';
    await deleteDatabase(name);
    const store = idbStore({ name, build: BUILD, pruneDelay: false, maxEntries });
    const live = Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, 'live'));
    const dead = Array.from({ length: expired }, (_, i) => ({
      ...makeEntry(i, valueBytes, 'dead'),
      headers: {},
      storedAt: 0,
      lifetime: 1,
    }));
    await seed(store, [...live, ...dead]);
    let k = 0;
    const readOne = async () => {
      const entry = live[(k++ * 7919) % live.length]!;
      const start = performance.now();
      await store.get(entry.key);
      return performance.now() - start;
    };
    const idle: number[] = [];
    for (let i = 0; i < 400; i++) idle.push(await readOne());
    const pruning: number[] = [];
    const started = performance.now();
    let done = false;
    let removed = 0;
    const prune = store.prune().then((n) => {
      removed = n;
      done = true;
    });
    while (!done) pruning.push(await readOne());
    await prune;
    const pruneMs = performance.now() - started;
    store.close();
    return { idle, pruning, pruneMs, removed };
  },

  async seedCold({ count, valueBytes }) {
    await deleteDatabase(COLD_DB);
    const store = idbStore({ name: COLD_DB, build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    const entries = Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, 'cold'));
    await seed(store, entries);
    store.close();
    return entries[Math.floor(count / 2)]!.url;
  },
};

/** The item an entry of `makeEntry` carries, decoded: what TanStack caches for the same URL. */
const itemOf = (entry: CacheEntry) => JSON.parse(entry.body as string) as { id: number; payload: string };

/** idb-keyval as TanStack's persisters' `AsyncStorage`, in a database of its own. */
function keyvalStorage(name: string) {
  const store = createStore(name, 'keyval');
  return {
    store,
    getItem: (key: string) => get<string>(key, store),
    setItem: (key: string, value: string) => set(key, value, store),
    removeItem: (key: string) => del(key, store),
  };
}

// TanStack's persisters pin query-core 5.104.5 while the QueryClient here is 5.108: the same
// public API at run time, two declarations of its private fields for TypeScript (hence `as never`).
const added: Pick<IdbBenchApi, Added> = {
  async writesVsDexie({ rounds: n, warmup, count, valueBytes }) {
    await deleteDatabase('bench-writes-ours');
    await deleteDatabase('bench-dexie');
    const store = idbStore({ name: 'bench-writes-ours', build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    await store.ready;
    // The same layout as ours: primary key `key` and the four indexes of schema version 3.
    const dexie = new Dexie('bench-dexie', { chromeTransactionDurability: 'relaxed' });
    dexie.version(1).stores({ entries: 'key, [namespace+url], [accessedAt+size], expires, stamp' });
    await dexie.open();
    const table = dexie.table('entries');
    const fresh = freshBatch(count, valueBytes);
    const samples = await rounds({ rounds: n, warmup }, oursBatch(store, fresh), async (round) => {
      const records = fresh('dexie', round).map(toRecord);
      collect();
      const start = performance.now();
      await table.bulkPut(records);
      return (performance.now() - start) / count;
    });
    const written = await table.count();
    if (written !== count * (n + warmup)) throw new Error(`Dexie holds ${written} records`);
    store.close();
    dexie.close();
    return samples;
  },

  async singleUpdate({ rounds: n, warmup, count, valueBytes }) {
    await deleteDatabase('bench-update');
    await deleteDatabase('bench-update-tanstack');
    const persistent = idbStore({ name: 'bench-update', build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    const entries = Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, 'upd'));
    await seed(persistent, entries);
    const tiers = tieredStore(persistent, { build: BUILD, maxEntries: 2 * count });
    const queryClient = new QueryClient();
    for (const entry of entries) queryClient.setQueryData(['upd', itemOf(entry).id], itemOf(entry));
    const storage = keyvalStorage('bench-update-tanstack');
    let saved: (() => void) | undefined;
    let blobBytes = 0;
    const persister = createAsyncStoragePersister({
      storage: {
        getItem: storage.getItem,
        removeItem: storage.removeItem,
        setItem: async (key, value) => {
          await storage.setItem(key, value);
          blobBytes = value.length;
          saved?.();
        },
      },
      throttleTime: 0,
    });
    const save = () =>
      new Promise<void>((resolve) => {
        saved = resolve;
        void persistQueryClientSave({ queryClient: queryClient as never, persister });
      });
    await save();
    const samples = await rounds(
      { rounds: n, warmup },
      async (round) => {
        const entry = { ...entries[round % count]!, body: JSON.stringify({ id: round, payload: 'y' }), storedAt: Date.now() };
        const start = performance.now();
        await tiers.set([entry]);
        await persistent.flush();
        return performance.now() - start;
      },
      async (round) => {
        const start = performance.now();
        queryClient.setQueryData(['upd', round % count], { id: round, payload: 'y' });
        await save();
        return performance.now() - start;
      },
    );
    persistent.close();
    return { ...samples, blobBytes };
  },

  async deleteRequest({ rounds: n, warmup, count, valueBytes }) {
    await deleteDatabase('bench-delete');
    const persistent = idbStore({ name: 'bench-delete', build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    const entries = Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, 'del'));
    await seed(persistent, entries);
    const tiers = tieredStore(persistent, { build: BUILD, maxEntries: 2 * count });
    await tiers.set(entries);
    await persistent.flush();
    let deletes = 0;
    const client = createClient({
      store: tiers,
      build: BUILD,
      namespace: 'user',
      fetch: async (input, init) => {
        if ((init?.method ?? (input instanceof Request ? input.method : 'GET')) === 'DELETE') deletes++;
        return new Response(null, { status: 204 });
      },
    });
    await client.ready;
    const ours: number[] = [];
    let dropped = 0;
    for (let round = 0; round < warmup + n; round++) {
      const entry = entries[round * 3]!;
      const start = performance.now();
      await client.fetch(entry.url, { method: 'DELETE' });
      const ms = performance.now() - start;
      const left = await persistent.keys({ namespace: 'user', urls: [entry.url] });
      if (left.length) throw new Error(`DELETE left ${left.length} persisted entries of its URL`);
      dropped++;
      if (round >= warmup) ours.push(ms);
    }
    if (deletes !== warmup + n) throw new Error(`${deletes} DELETE requests reached fetch`);
    persistent.close();
    return { ours, dropped };
  },

  async seedColdTanstack({ count, valueBytes }) {
    await deleteDatabase('bench-cold-tanstack');
    const storage = keyvalStorage('bench-cold-tanstack');
    const persister = experimental_createQueryPersister({ storage, maxAge: Number.POSITIVE_INFINITY });
    const queryClient = new QueryClient();
    const entries = Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, 'cold'));
    for (const entry of entries) {
      const queryKey = ['cold', itemOf(entry).id];
      queryClient.setQueryData(queryKey, itemOf(entry));
      await persister.persistQueryByKey(queryKey, queryClient as never);
    }
    return Math.floor(count / 2);
  },
};

(window as unknown as { bench: IdbBenchApi }).bench = { ...api, ...added };
