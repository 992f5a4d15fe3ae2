/** Diagnostics only (not a row): phase timestamps of a cold start and of invalidations. */
import { createClient } from '../src/index';
import { idbStore, tieredStore } from '../src/idb';
import { BUILD, COLD_DB } from './lib/idb-names';
import Dexie from 'dexie';
import { makeEntry } from './idb.page';
import { toRecord } from '../src/idb/record';

const t0 = performance.now();
const marks: [string, number][] = [];
const mark = (name: string) => marks.push([name, performance.now() - t0]);
const open = IDBFactory.prototype.open;
IDBFactory.prototype.open = function (this: IDBFactory, ...args: [string, number?]) {
  mark('open()');
  const req = open.apply(this, args);
  req.addEventListener('success', () => mark('open success'));
  return req;
} as typeof open;
const transaction = IDBDatabase.prototype.transaction;
let txs = 0;
IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof transaction>) {
  const id = txs++;
  const tx = transaction.apply(this, args);
  mark(`tx${id} ${tx.mode} [${[...tx.objectStoreNames].join(',')}] created`);
  tx.addEventListener('complete', () => mark(`tx${id} complete`));
  return tx;
} as typeof transaction;

for (const method of ['get', 'getAll', 'getAllKeys'] as const) {
  const original = IDBObjectStore.prototype[method] as (...a: unknown[]) => IDBRequest;
  (IDBObjectStore.prototype as unknown as Record<string, unknown>)[method] = function (this: IDBObjectStore, ...a: unknown[]) {
    const req = original.apply(this, a);
    req.addEventListener('success', () => mark(`${this.name}.${method}`));
    return req;
  };
}
const params = new URLSearchParams(location.search);
const w = window as unknown as { result: unknown; bench: unknown };
if (params.get('mode') === 'store') {
  const key = JSON.stringify(['user', 'GET', params.get('url')!]);
  void idbStore({ name: COLD_DB, build: BUILD, pruneDelay: false })
    .get(key)
    .then(() => {
      mark('get answered');
      w.result = marks;
    });
} else if (params.get('mode')!.startsWith('raw')) {
  const key = JSON.stringify(['user', 'GET', params.get('url')!]);
  const open = params.get('mode') === 'raw3' ? indexedDB.open(COLD_DB, 3) : indexedDB.open(COLD_DB);
  open.onsuccess = () => {
    const request = open.result.transaction('entries').objectStore('entries').get(key);
    request.onsuccess = () => {
      mark('get answered');
      w.result = marks;
    };
  };
} else if (params.get('mode') === 'cold') {
  const url = params.get('url')!;
  const client = createClient({
    store: tieredStore(idbStore({ name: COLD_DB, build: BUILD, pruneDelay: false }), { build: BUILD }),
    build: BUILD,
    namespace: 'user',
    fetch: async () => {
      throw new Error('not cached');
    },
  });
  mark('createClient done');
  void client.ready.then(() => mark('client.ready'));
  void client.get<{ id: number }>(url).then(
    () => {
      mark('get answered');
      w.result = marks;
    },
    () => (w.result = marks),
  );
} else {
  w.bench = {
    async batch(n: number) {
      for (const db of ['diag-batch', 'diag-dexie'])
        await new Promise((r) => {
          const q = indexedDB.deleteDatabase(db);
          q.onsuccess = q.onerror = r;
        });
      const store = idbStore({ name: 'diag-batch', build: BUILD, pruneDelay: false, maxEntries: 1e6 });
      await store.ready;
      const dexie = new Dexie('diag-dexie', { chromeTransactionDurability: 'relaxed' });
      dexie.version(1).stores({ entries: 'key, [namespace+url], [accessedAt+size], expires, stamp' });
      await dexie.open();
      const table = dexie.table('entries');
      const out: string[] = [];
      const gc = () => (globalThis as { gc?: () => void }).gc?.();
      for (let r = 0; r < n; r++) {
        for (const side of r % 2 ? ['ours', 'dexie'] : ['dexie', 'ours']) {
          const entries = Array.from({ length: 1000 }, (_, i) => makeEntry(i, 2048, `${side}${r}`));
          const records = side === 'dexie' ? entries.map(toRecord) : [];
          gc();
          marks.length = 0;
          const start = performance.now() - t0;
          if (side === 'ours') {
            const set = store.set(entries);
            mark('set returned');
            await set;
            await store.flush();
          } else {
            const put = table.bulkPut(records);
            mark('bulkPut returned');
            await put;
          }
          mark('resolved');
          out.push(
            `${side} ${marks
              .filter(([k]) => !k.includes('.get'))
              .map(([k, v]) => `${k}@${(v - start).toFixed(1)}`)
              .join(' | ')}`,
          );
        }
      }
      store.close();
      dexie.close();
      return out;
    },
    /** The invalidation's transaction alone (getAllKeys + delete of one URL's range), default vs relaxed durability, paired. */
    async durability(n: number) {
      const name = 'diag-durability';
      await new Promise((r) => {
        const q = indexedDB.deleteDatabase(name);
        q.onsuccess = q.onerror = r;
      });
      const store = idbStore({ name, build: BUILD, pruneDelay: false, maxEntries: 1e6 });
      const entries = Array.from({ length: 10000 }, (_, i) => makeEntry(i, 2048, 'dur'));
      for (let i = 0; i < entries.length; i += 1000) {
        await store.set(entries.slice(i, i + 1000));
        await store.flush();
      }
      const native = (store as unknown as { connection: { native: IDBDatabase } }).connection.native;
      const drop = (entry: (typeof entries)[number], durability: IDBTransactionDurability) => {
        const start = performance.now();
        const tx = native.transaction('entries', 'readwrite', { durability });
        const range = IDBKeyRange.only(entry.key);
        tx.objectStore('entries').getAllKeys(range);
        tx.objectStore('entries').delete(range);
        return new Promise<number>((resolve) => (tx.oncomplete = () => resolve(performance.now() - start)));
      };
      const out: Record<string, number[]> = { default: [], relaxed: [] };
      for (let r = 0; r < n; r++) {
        for (const d of (r % 2 ? ['default', 'relaxed'] : ['relaxed', 'default']) as IDBTransactionDurability[]) {
          const entry = entries[r * 2 + (d === 'default' ? 0 : 1)]!;
          out[d]!.push(await drop(entry, d));
          await store.set([entry]);
          await store.flush();
        }
      }
      store.close();
      const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.floor(p * (v.length - 1))]!.toFixed(2);
      return Object.entries(out).map(([k, v]) => `${k}: p25 ${q(v, 0.25)} p50 ${q(v, 0.5)} p75 ${q(v, 0.75)} p90 ${q(v, 0.9)}`);
    },
    async invalidate(n: number, mode: string) {
      const name = 'diag-invalidate';
      await new Promise((r) => {
        const q = indexedDB.deleteDatabase(name);
        q.onsuccess = q.onerror = r;
      });
      const persistent = idbStore({ name, build: BUILD, pruneDelay: false, maxEntries: 1e6 });
      const tiers = tieredStore(persistent, { build: BUILD, maxEntries: 20000 });
      const entries = Array.from({ length: 10000 }, (_, i) => makeEntry(i, 2048, 'inv', i % 2 ? 'bob' : 'user'));
      for (let i = 0; i < entries.length; i += 1000) {
        await persistent.set(entries.slice(i, i + 1000));
        await persistent.flush();
      }
      await tiers.set(entries);
      await persistent.flush();
      const client = createClient({ store: tiers, build: BUILD, namespace: 'user', fetch: () => Promise.reject(new Error('no')) });
      await client.ready;
      const rounds: { ms: number; phases: [string, number][] }[] = [];
      for (let r = 0; r < n; r++) {
        const entry = entries[(mode === 'norestore' ? r * 3 : r * 2) * 2]!;
        marks.length = 0;
        const start = performance.now() - t0;
        await client.invalidate({ url: entry.url, namespace: entry.namespace });
        const ms = performance.now() - t0 - start;
        rounds.push({ ms, phases: marks.map(([k, v]) => [k, Math.round((v - start) * 100) / 100] as [string, number]) });
        marks.length = 0;
        await persistent.keys({ namespace: entry.namespace, urls: [entry.url] });
        if (mode !== 'norestore') {
          await tiers.set([entry]);
          await persistent.flush();
        }
        if (mode === 'pause') await new Promise((r) => setTimeout(r, 50));
      }
      persistent.close();
      return rounds;
    },
  };
}
