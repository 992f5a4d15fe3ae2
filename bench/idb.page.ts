/**
 * The in-browser half of bench/idb.bench.ts: bundled with esbuild and run in Chromium, where
 * IndexedDB is the real one. Each function answers raw samples; the Node side makes rows.
 */
import { unwrap, type IDBPDatabase } from 'idb';
import { createStore as createKeyval, set as keyvalSet } from 'idb-keyval';
import { createClient, type CacheEntry } from '../src/index';
import { idbStore, tieredStore, type IdbStore } from '../src/idb';

export interface Samples {
  /** Per-round ms per operation, ours. */
  ours: number[];
  /** Per-round ms per operation, the baseline, in the same rounds. */
  baseline: number[];
}

export interface IdbBenchApi {
  readVsGet(options: { rounds: number; warmup: number; batch: number; valueBytes: number }): Promise<Samples>;
  /**
   * `baseline` is idb-keyval with every set started at once; `sequential` awaits each set in turn
   * (fewer rounds: it is slow); `raw` is one native transaction of plain puts into our own
   * `entries` store, on the store's connection: the floor for one record per entry.
   */
  writes(options: {
    rounds: number;
    warmup: number;
    count: number;
    valueBytes: number;
    sequentialRounds: number;
  }): Promise<Samples & { raw: number[]; sequential: number[] }>;
  /** ms from creating the store to the first cached read, one per round; `hits` counts rounds answered without fetch. */
  startup(options: { rounds: number; warmup: number; count: number; valueBytes: number }): Promise<{ ms: number[]; hits: number }>;
}

const BUILD = 'bench';

function makeEntry(i: number, valueBytes: number, prefix: string): CacheEntry {
  const url = `https://api.example/${prefix}/${i}`;
  const now = Date.now();
  const body = JSON.stringify({ id: i, payload: 'x'.repeat(Math.max(0, valueBytes - 30)) });
  return {
    key: JSON.stringify(['user', 'GET', url]),
    namespace: 'user',
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
  const db = (store as unknown as { db?: IDBPDatabase }).db;
  if (!db) throw new Error(`store is ${store.status}`);
  return db;
}

/** Runs both sides once, in an order that alternates by round, so drift hits both alike. */
async function pair(ours: () => Promise<number>, baseline: () => Promise<number>, round: number): Promise<[number, number]> {
  if (round % 2) {
    const o = await ours();
    return [o, await baseline()];
  }
  const b = await baseline();
  return [await ours(), b];
}

const api: IdbBenchApi = {
  async readVsGet({ rounds, warmup, batch, valueBytes }) {
    const name = 'bench-read';
    await deleteDatabase(name);
    const store = idbStore({ name, build: BUILD, pruneDelay: false });
    const entries = Array.from({ length: batch }, (_, i) => makeEntry(i, valueBytes, 'read'));
    await store.set(entries);
    await store.flush();
    const db = await connectionOf(store);
    const keys = entries.map((entry) => entry.key);

    const ours = async () => {
      const start = performance.now();
      for (const key of keys) if (!(await store.get(key))) throw new Error('missing entry');
      return (performance.now() - start) / keys.length;
    };
    const baseline = async () => {
      const start = performance.now();
      for (const key of keys) if (!(await db.get('entries', key))) throw new Error('missing entry');
      return (performance.now() - start) / keys.length;
    };
    const samples: Samples = { ours: [], baseline: [] };
    for (let round = 0; round < warmup + rounds; round++) {
      const [o, b] = await pair(ours, baseline, round);
      if (round >= warmup) {
        samples.ours.push(o);
        samples.baseline.push(b);
      }
    }
    store.close();
    return samples;
  },

  async writes({ rounds, warmup, count, valueBytes, sequentialRounds }) {
    const name = 'bench-writes';
    await deleteDatabase(name);
    await deleteDatabase('bench-keyval');
    const store = idbStore({ name, build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    const native = unwrap(await connectionOf(store));
    const kv = createKeyval('bench-keyval', 'kv');
    const samples = { ours: [] as number[], baseline: [] as number[], raw: [] as number[], sequential: [] as number[] };
    for (let round = 0; round < warmup + rounds; round++) {
      // Fresh keys for every contestant and round: inserts, as a first visit writes them.
      const fresh = (label: string) => Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, `${label}${round}`));
      const ours = async () => {
        const entries = fresh('ours');
        const start = performance.now();
        await store.set(entries);
        await store.flush();
        return (performance.now() - start) / count;
      };
      const baseline = async () => {
        const entries = fresh('kv');
        const start = performance.now();
        // One set per entry, all started at once (faster than awaiting each in turn).
        await Promise.all(entries.map((entry) => keyvalSet(entry.key, entry, kv)));
        return (performance.now() - start) / count;
      };
      const raw = async () => {
        const entries = fresh('raw');
        const start = performance.now();
        const tx = native.transaction('entries', 'readwrite', { durability: 'relaxed' });
        for (const entry of entries) tx.objectStore('entries').put(entry);
        await new Promise((resolve, reject) => {
          tx.oncomplete = resolve;
          tx.onabort = () => reject(tx.error);
        });
        return (performance.now() - start) / count;
      };
      // The order rotates round by round, so drift and background compaction hit all alike.
      const contestants = [ours, baseline, raw];
      const times = new Map<() => Promise<number>, number>();
      for (let i = 0; i < contestants.length; i++) {
        const run = contestants[(round + i) % contestants.length]!;
        times.set(run, await run());
      }
      if (round < warmup) continue;
      samples.ours.push(times.get(ours)!);
      samples.baseline.push(times.get(baseline)!);
      samples.raw.push(times.get(raw)!);
      if (round < warmup + sequentialRounds) {
        const entries = fresh('seq');
        const start = performance.now();
        for (const entry of entries) await keyvalSet(entry.key, entry, kv);
        samples.sequential.push((performance.now() - start) / count);
      }
    }
    store.close();
    return samples;
  },

  async startup({ rounds, warmup, count, valueBytes }) {
    const name = 'bench-startup';
    await deleteDatabase(name);
    const seed = idbStore({ name, build: BUILD, pruneDelay: false, maxEntries: 1e6 });
    await seed.set(Array.from({ length: count }, (_, i) => makeEntry(i, valueBytes, 'start')));
    await seed.flush();
    seed.close();
    const target = makeEntry(Math.floor(count / 2), valueBytes, 'start').url;

    const ms: number[] = [];
    let hits = 0;
    for (let round = 0; round < warmup + rounds; round++) {
      let fetched = false;
      const start = performance.now();
      const persistent = idbStore({ name, build: BUILD });
      const client = createClient({
        store: tieredStore(persistent, { build: BUILD }),
        build: BUILD,
        namespace: 'user',
        fetch: () => {
          fetched = true;
          return Promise.reject(new Error('not cached'));
        },
      });
      await client.get(target).catch(() => undefined);
      const elapsed = performance.now() - start;
      persistent.close();
      if (round >= warmup) {
        ms.push(elapsed);
        if (!fetched) hits++;
      }
    }
    return { ms, hits };
  },
};

(window as unknown as { bench: IdbBenchApi }).bench = api;
