import fc from 'fast-check';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DB_VERSION } from '../../src/idb.js';
import { deadReason } from '../../src/idb/record.js';
import type { CacheEntry, CacheEvent, ScopeRecord } from '../../src/index.js';
import { entry, makeStore, rawRecords, uniqueName } from './support/idb.js';

afterEach(() => vi.restoreAllMocks());

const URLS = ['http://api.test/a', 'http://api.test/b', 'http://api.test/c?x=1'];
const NAMESPACES = ['alice', 'bob', 'carol'];
const day = 86_400_000;

/** An entry of one of a few namespaces, URLs and variants, so that filters meet several at once. */
const anEntry = fc
  .record({ namespace: fc.constantFrom(...NAMESPACES), url: fc.constantFrom(...URLS), variant: fc.integer({ min: 0, max: 1 }) })
  .map(({ namespace, url, variant }) => entry({ namespace, url, key: JSON.stringify([namespace, 'GET', url, variant]) }));

describe('idbStore: exact-URL selection by index', () => {
  it('keys({ namespace?, urls, where? }) answers what a scan answers, and clear() with the same filter removes exactly that', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anEntry, { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 19 }), { maxLength: 4 }),
        fc.option(fc.constantFrom(...NAMESPACES), { nil: undefined }),
        fc.subarray([...URLS, 'http://api.test/none']),
        fc.boolean(),
        async (entries, deleted, namespace, urls, narrow) => {
          const { store } = makeStore();
          await store.set(entries);
          await store.delete(deleted.filter((i) => i < entries.length).map((i) => entries[i]!.key));
          const where = narrow ? (e: CacheEntry) => e.key.endsWith('0]') : undefined;
          const selects = (e: CacheEntry) =>
            (namespace === undefined || e.namespace === namespace) && urls.includes(e.url) && (!where || where(e));
          // A `where` alone is the one filter that scans: the reference.
          const scanned = (await store.keys({ where: selects })).sort();
          expect((await store.keys({ namespace, urls, where })).sort()).toEqual(scanned);
          const before = (await store.keys()).sort();
          await store.clear({ namespace, urls, where });
          expect((await store.keys()).sort()).toEqual(before.filter((key) => !scanned.includes(key)));
          store.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers keys({ namespace, urls }) from the url index, without reading a record', async () => {
    const { store } = makeStore();
    await store.set(Array.from({ length: 50 }, (_, i) => entry({ url: `http://api.test/${i}` })));
    const getAll = vi.spyOn(IDBObjectStore.prototype, 'getAll');
    const indexGetAll = vi.spyOn(IDBIndex.prototype, 'getAll');
    const cursor = vi.spyOn(IDBObjectStore.prototype, 'openCursor');
    expect(await store.keys({ namespace: 'alice', urls: ['http://api.test/7', 'http://api.test/9'] })).toEqual([
      entry({ url: 'http://api.test/7' }).key,
      entry({ url: 'http://api.test/9' }).key,
    ]);
    expect(getAll).not.toHaveBeenCalled();
    expect(indexGetAll).not.toHaveBeenCalled();
    expect(cursor).not.toHaveBeenCalled();
  });
});

describe('idbStore: logout', () => {
  const scope = (namespace: string, name: string): ScopeRecord => ({ namespace, scope: name, mark: `${namespace}-${name}`, local: false });

  it('clear({ namespace }) removes that namespace’s scope records as well as its entries; narrower clears keep them', async () => {
    const name = uniqueName();
    const { store } = makeStore({ name });
    await store.set([entry(), entry({ namespace: 'bob' })]);
    await store.saveScopes([scope('alice', 'cal'), scope('alice', 'tasks'), scope('bob', 'cal'), scope('alice2', 'cal')]);

    await store.clear({ namespace: 'alice', urls: [entry().url] });
    await store.clear({ namespace: 'alice', where: () => true });
    expect(await rawRecords(name, 'scopes')).toHaveLength(4);

    // Saved in the same task as the logout, before it: gone with it.
    void store.saveScopes([scope('alice', 'late')]);
    await store.clear({ namespace: 'alice' });
    const left = (await rawRecords(name, 'scopes')).map((r) => `${r.namespace}/${r.scope}`).sort();
    expect(left).toEqual(['alice2/cal', 'bob/cal']);
    expect((await rawRecords(name)).map((r) => r.namespace)).toEqual(['bob']);
    expect((await store.loadScopes()).map((r) => r.namespace).sort()).toEqual(['alice2', 'bob']);

    // Queued but not yet written when the logout comes: not answered by loadScopes meanwhile either.
    void store.saveScopes([scope('bob', 'queued')]);
    void store.clear({ namespace: 'bob' });
    expect((await store.loadScopes()).map((r) => r.namespace)).toEqual(['alice2']);
    await store.flush();
    expect((await rawRecords(name, 'scopes')).map((r) => r.namespace)).toEqual(['alice2']);

    await store.clear();
    expect(await rawRecords(name, 'scopes')).toEqual([]);
  });
});

describe('idbStore: prune by index', () => {
  /** Entries of every kind the prune tells apart. */
  const aPrunable = fc.record({
    namespace: fc.constantFrom('alice', 'bob'),
    scope: fc.option(fc.constantFrom('cal', 'tasks', 'orphan'), { nil: undefined }),
    mark: fc.constantFrom('m1', 'm2'),
    build: fc.option(fc.constantFrom('new', 'old'), { nil: undefined }),
    storedAt: fc.integer({ min: 0, max: 20 }).map((d) => d * day),
    lifetime: fc.constantFrom(0, day, 5 * day),
    staleIfError: fc.constantFrom(0, 3 * day),
    validator: fc.constantFrom('none', 'etag', 'last-modified'),
  });

  it('removes exactly the entries that can never be served again (the scan it replaces is the oracle), and keeps the rest', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(aPrunable, { minLength: 1, maxLength: 25 }),
        fc.constantFrom('new', 'other'),
        fc.subarray(['alice/cal=m1', 'alice/cal=m2', 'bob/cal=m1', 'alice/tasks=m2', 'bob/tasks=m1']),
        async (specs, dbBuild, scopeSpecs) => {
          const name = uniqueName();
          const now = 12 * day;
          const { store, events } = makeStore({ name, build: 'new', now: () => now });
          await store.ready;
          const entries = specs.map((s, i) =>
            entry({
              url: `http://api.test/${i}`,
              namespace: s.namespace,
              scope: s.scope,
              mark: s.scope === undefined ? undefined : s.mark,
              build: s.build,
              storedAt: s.storedAt,
              lifetime: s.lifetime,
              staleIfError: s.staleIfError,
              headers:
                s.validator === 'etag'
                  ? { etag: '"1"' }
                  : s.validator === 'last-modified'
                    ? { 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' }
                    : {},
            }),
          );
          const scopes = new Map<string, string>();
          for (const spec of scopeSpecs) {
            const [id, mark] = spec.split('=') as [string, string];
            scopes.set(JSON.stringify(id.split('/')), mark);
          }
          await store.set(entries);
          await store.saveScopes(
            [...scopes].map(([id, mark]) => {
              const [namespace, scope] = JSON.parse(id) as [string, string];
              return { namespace, scope, mark, local: false };
            }),
          );
          await store.flush();
          // Another build took the database over: this (older) tab must not prune by build.
          if (dbBuild === 'other') {
            const db = await openDB(name);
            await db.put('meta', 'other', 'build');
            db.close();
          }
          const oracle = entries.filter(
            (e) => deadReason(e, now, (ns, s) => scopes.get(JSON.stringify([ns, s])), dbBuild === 'new' ? 'new' : undefined) === undefined,
          );
          const removed = await store.prune();
          expect((await rawRecords(name)).map((r) => r.key).sort()).toEqual(oracle.map((e) => e.key).sort());
          expect(removed).toBe(entries.length - oracle.length);
          const evicted = events.filter((e): e is Extract<CacheEvent, { type: 'evict' }> => e.type === 'evict');
          expect(evicted).toHaveLength(removed);
          for (const e of evicted) {
            const gone = entries.find((x) => x.key === e.key)!;
            // Dead for both reasons: the cheaper pass (expiry) finds it first.
            const expiredAlone = deadReason(gone, now, () => gone.mark, undefined);
            const build = dbBuild === 'new' ? 'new' : undefined;
            expect(e.reason).toBe(expiredAlone ?? deadReason(gone, now, (ns, s) => scopes.get(JSON.stringify([ns, s])), build));
          }
          store.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads no live record: the passes go by index keys only', async () => {
    const { store } = makeStore({ now: () => 10 * day, maxEntries: 100 });
    await store.saveScopes([{ namespace: 'alice', scope: 'cal', mark: 'm1', local: false }]);
    await store.set(
      Array.from({ length: 300 }, (_, i) =>
        entry({
          url: `http://api.test/${i}`,
          scope: i % 2 ? 'cal' : undefined,
          mark: 'm1',
          storedAt: 10 * day,
          accessedAt: i,
          lifetime: day,
        }),
      ),
    );
    await store.flush();
    const reads = [vi.spyOn(IDBIndex.prototype, 'get'), vi.spyOn(IDBIndex.prototype, 'getAll'), vi.spyOn(IDBIndex.prototype, 'openCursor')];
    const storeReads = [
      vi.spyOn(IDBObjectStore.prototype, 'get'),
      vi.spyOn(IDBObjectStore.prototype, 'getAll'),
      vi.spyOn(IDBObjectStore.prototype, 'openCursor'),
    ];
    // Over maxEntries: the least recently read 210 go, down to 90% of the cap.
    expect(await store.prune()).toBe(210);
    for (const spy of reads) expect(spy).not.toHaveBeenCalled();
    // The scope records and the database's build are read; no entry ever is.
    for (const spy of storeReads)
      expect(spy.mock.contexts.map((objectStore) => (objectStore as IDBObjectStore).name)).not.toContain('entries');
    const kept = (await rawRecords(nameOf(store))).map((r) => r.accessedAt as number).sort((a, b) => a - b);
    expect(kept).toEqual(Array.from({ length: 90 }, (_, i) => 210 + i));
  });

  it('works in bounded slices, and a read issued meanwhile is answered before the prune is done', async () => {
    const { store } = makeStore({ now: () => 10 * day });
    const live = entry({ url: 'http://api.test/live', storedAt: 10 * day, lifetime: day });
    await store.set([live, ...Array.from({ length: 1000 }, (_, i) => entry({ url: `http://api.test/${i}`, storedAt: 0, lifetime: day }))]);
    await store.flush();
    const deletes = new Map<IDBTransaction, number>();
    const del = IDBObjectStore.prototype.delete;
    vi.spyOn(IDBObjectStore.prototype, 'delete').mockImplementation(function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
      deletes.set(this.transaction, (deletes.get(this.transaction) ?? 0) + 1);
      return del.call(this, key);
    });
    let pruned = false;
    const pruning = store.prune().then((n) => {
      pruned = true;
      return n;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await store.get(live.key)).toMatchObject({ key: live.key });
    expect(pruned).toBe(false);
    expect(await pruning).toBe(1000);
    expect(deletes.size).toBeGreaterThanOrEqual(40);
    // Small enough that a read queued behind a slice waits about one read’s time.
    expect(Math.max(...deletes.values())).toBeLessThanOrEqual(25);
    expect(await rawRecords(nameOf(store))).toHaveLength(1);
  });
});

describe('idbStore: schema version 3', () => {
  it('migrates a version 2 database in place: keeps entries, scopes and build, indexes them, drops what is unreadable', async () => {
    const name = uniqueName();
    const legacy = await openDB(name, 2, {
      upgrade(db) {
        const entries = db.createObjectStore('entries', { keyPath: 'key' });
        entries.createIndex('namespace', 'namespace');
        entries.createIndex('accessedAt', 'accessedAt');
        db.createObjectStore('scopes', { keyPath: ['namespace', 'scope'] });
        db.createObjectStore('meta');
      },
    });
    const now = Date.now();
    // Version 2 records, as version 2 wrote them: no `stamp`, no `expires`.
    const kept = [
      entry({ storedAt: now, build: 'b1' }),
      entry({ namespace: 'bob', storedAt: now, build: 'b1' }),
      entry({ url: 'http://api.test/cal', scope: 'cal', mark: 'm1', storedAt: now, build: 'b1' }),
    ];
    const expired = entry({ url: 'http://api.test/old', storedAt: 0, lifetime: 1, build: 'b1' });
    for (const record of [...kept, expired]) await legacy.put('entries', record);
    await legacy.put('entries', { key: 'broken', namespace: 'alice', status: 'nope' });
    await legacy.put('scopes', { namespace: 'alice', scope: 'cal', mark: 'm1', local: false });
    await legacy.put('meta', 'b1', 'build');
    legacy.close();

    const { store, events } = makeStore({ name, build: 'b1' });
    expect(await store.get(kept[0]!.key)).toMatchObject({ key: kept[0]!.key, build: 'b1' });
    expect(await store.keys({ namespace: 'alice', urls: ['http://api.test/cal'] })).toEqual([kept[2]!.key]);
    expect((await store.keys({ namespace: 'bob' })).length).toBe(1);
    expect(await store.loadScopes()).toEqual([{ namespace: 'alice', scope: 'cal', mark: 'm1', local: false }]);
    expect(events).toContainEqual({ type: 'evict', key: 'broken', reason: 'corrupt' });
    // The migrated records are in the prune's indexes: the expired one goes, the others stay.
    expect(await store.prune()).toBe(1);
    expect((await rawRecords(name)).map((r) => r.key).sort()).toEqual(kept.map((e) => e.key).sort());

    const db = await openDB(name);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.transaction('entries').store.indexNames].sort()).toEqual(['expires', 'lru', 'stamp', 'url']);
    expect(await db.get('meta', 'build')).toBe('b1');
    db.close();
  });
});

describe('idbStore: page load', () => {
  it('reads build and scope records in one readonly transaction at open; the first loadScopes needs none of its own', async () => {
    const name = uniqueName();
    const first = makeStore({ name, build: 'b1' }).store;
    await first.saveScopes([{ namespace: 'alice', scope: 'cal', mark: 'm1', local: false }]);
    first.close();

    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const { store } = makeStore({ name, build: 'b1' });
    await store.ready;
    expect(transaction.mock.calls.map((call) => [call[0], call[1] ?? 'readonly'])).toEqual([[['meta', 'scopes'], 'readonly']]);
    expect(await store.loadScopes()).toEqual([{ namespace: 'alice', scope: 'cal', mark: 'm1', local: false }]);
    expect(transaction).toHaveBeenCalledTimes(1);

    store.close();

    // A scope written after open and before the first load: what open read is out of date.
    const second = makeStore({ name, build: 'b1' }).store;
    await second.ready;
    await second.saveScopes([{ namespace: 'bob', scope: 'cal', mark: 'm2', local: false }]);
    await second.flush();
    expect((await second.loadScopes()).map((r) => r.namespace).sort()).toEqual(['alice', 'bob']);
  });
});

describe('idbStore: phase', () => {
  it('opening, then open; closed after close(); memory-only without IndexedDB', async () => {
    const { store } = makeStore();
    expect(store.phase).toBe('opening');
    await store.ready;
    expect(store.phase).toBe('open');
    store.close();
    expect(store.phase).toBe('closed');
    expect(store.status).toBe('memory-only');
    const none = makeStore({ indexedDB: null }).store;
    await none.ready;
    expect(none.phase).toBe('memory-only');
  });
});

function nameOf(store: object): string {
  return (store as unknown as { name: string }).name;
}

describe('idbStore: the prune and reads', () => {
  it('never starts a slice’s readwrite transaction while a read is in flight: it waits for reads to end', async () => {
    const { store } = makeStore({ now: () => 10 * day });
    // Read just now: no read queues an LRU touch, so every readwrite transaction is the prune's.
    const live = Array.from({ length: 20 }, (_, i) =>
      entry({ url: `http://api.test/live/${i}`, storedAt: 10 * day, accessedAt: 10 * day, lifetime: day }),
    );
    const dead = Array.from({ length: 300 }, (_, i) => entry({ url: `http://api.test/${i}`, storedAt: 0, lifetime: day }));
    await store.set([...live, ...dead]);
    await store.flush();
    // A read is in flight from its `get` request until that request has answered.
    let reading = 0;
    const get = IDBObjectStore.prototype.get;
    vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
      const request = get.call(this, key);
      reading++;
      request.addEventListener('success', () => reading--);
      return request;
    });
    const overlapping: number[] = [];
    const transaction = IDBDatabase.prototype.transaction;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args) {
      if (args[1] === 'readwrite') overlapping.push(reading);
      return transaction.apply(this, args);
    });
    let done = false;
    const pruning = store.prune().then((n) => {
      done = true;
      return n;
    });
    // Reads one after another, as a busy page makes them, while the prune runs (its later, walking
    // passes would wait for the fake's scheduler to let them through: the reads stop first).
    for (let i = 0; !done && i < 2000; i++) expect(await store.get(live[i % live.length]!.key)).toBeDefined();
    expect(await pruning).toBe(300);
    expect(overlapping.length).toBeGreaterThanOrEqual(300 / 100);
    expect(overlapping.filter((n) => n > 0)).toEqual([]);
  });
});
