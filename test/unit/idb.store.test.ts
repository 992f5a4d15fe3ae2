import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idbStore } from '../../src/idb.js';
import type { CacheEvent } from '../../src/index.js';
import { entry, makeStore, rawRecords, sleep, uniqueName } from './support/idb.js';

afterEach(() => vi.restoreAllMocks());

describe('idbStore: records and reads', () => {
  it('keeps one record per entry, without the decoded data, and reads it back', async () => {
    const { store } = makeStore();
    const a = entry({ data: { n: 1 } });
    const b = entry({ url: 'http://api.test/b', body: new Uint8Array([1, 2, 3]).buffer, scope: 's', mark: 'm1', vary: ['accept'] });
    await store.set([a, b]);
    // The client memoises `data` on its entry after handing it over: that must not be persisted either.
    a.data = { late: true };
    await store.flush();

    const records = await rawRecords(nameOf(store));
    expect(records).toHaveLength(2);
    for (const record of records) expect(record).not.toHaveProperty('data');

    const read = await store.get(a.key);
    expect(read).toEqual({ ...a, data: undefined });
    expect(read).not.toHaveProperty('data');
    const bytes = await store.get(b.key);
    expect(new Uint8Array(bytes!.body as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect(bytes).toMatchObject({ scope: 's', mark: 'm1', vary: ['accept'] });
    expect(await store.get('missing')).toBeUndefined();
  });

  it('never writes an entry marked memoryOnly (a persist: false answer)', async () => {
    const { store } = makeStore();
    await store.set([entry({ memoryOnly: true }), entry({ url: 'http://api.test/b' })]);
    expect((await rawRecords(nameOf(store))).map((r) => r.url)).toEqual(['http://api.test/b']);
    expect(await store.get(entry().key)).toBeUndefined();
  });

  it('a cached read is exactly one get, in one readonly transaction', async () => {
    const { store } = makeStore();
    // Read recently: the read has no reason to move `accessedAt` on.
    const a = entry({ accessedAt: Date.now() });
    await store.set([a]);
    await store.flush();
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const get = vi.spyOn(IDBObjectStore.prototype, 'get');
    const getAll = vi.spyOn(IDBObjectStore.prototype, 'getAll');
    const cursor = vi.spyOn(IDBObjectStore.prototype, 'openCursor');
    const put = vi.spyOn(IDBObjectStore.prototype, 'put');
    expect(await store.get(a.key)).toMatchObject({ key: a.key });
    expect(get).toHaveBeenCalledTimes(1);
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(transaction.mock.calls[0]![1] ?? 'readonly').toBe('readonly');
    expect(getAll).not.toHaveBeenCalled();
    expect(cursor).not.toHaveBeenCalled();
    await store.flush();
    expect(put).not.toHaveBeenCalled();
  });

  it('coalesces writes made in the same tick into one relaxed-durability transaction', async () => {
    const { store } = makeStore();
    await store.ready;
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    void store.set([entry({ url: 'http://api.test/1' })]);
    void store.set([entry({ url: 'http://api.test/2' })]);
    void store.set([entry({ url: 'http://api.test/3' })]);
    await store.flush();
    const writes = transaction.mock.calls.filter((call) => call[1] === 'readwrite');
    expect(writes).toHaveLength(1);
    expect(writes[0]![2]).toEqual({ durability: 'relaxed' });
    expect(await rawRecords(nameOf(store))).toHaveLength(3);

    // Deletes keep the default durability: losing one could bring stale data back after a crash.
    transaction.mockClear();
    await store.delete([entry({ url: 'http://api.test/1' }).key]);
    expect(transaction.mock.calls.filter((call) => call[1] === 'readwrite')[0]![2]).toEqual({ durability: 'default' });
  });

  it('answers its own writes before they commit: set, delete and clear', async () => {
    const { store } = makeStore();
    const a = entry();
    const bob = entry({ namespace: 'bob' });
    await store.set([a, bob]);
    await store.flush();

    const newer = entry({ body: '{"n":2}' });
    void store.set([newer]);
    expect(await store.get(a.key)).toMatchObject({ body: '{"n":2}' });
    void store.delete([a.key]);
    expect(await store.get(a.key)).toBeUndefined();
    // A clear queued before a read wins over the committed record the read finds.
    void store.clear({ namespace: 'bob' });
    expect(await store.get(bob.key)).toBeUndefined();
    await store.flush();
    expect(await rawRecords(nameOf(store))).toEqual([]);
  });

  it('keeps scope states in their own store, keyed by namespace and scope', async () => {
    const name = uniqueName();
    const first = makeStore({ name }).store;
    await first.saveScopes([{ namespace: 'alice', scope: 'calendar', token: '1', mark: 'm1', local: false }]);
    await first.saveScopes([{ namespace: 'alice', scope: 'calendar', token: '2', mark: 'm2', local: false }]);
    await first.saveScopes([{ namespace: 'bob', scope: 'calendar', mark: 'm3', local: true }]);
    // Unsaved yet: still part of what loads.
    void first.saveScopes([{ namespace: 'carol', scope: 'calendar', mark: 'm4', local: false }]);
    expect((await first.loadScopes()).map((r) => r.namespace).sort()).toEqual(['alice', 'bob', 'carol']);
    await first.flush();
    first.close();

    const second = makeStore({ name }).store;
    const loaded = await second.loadScopes();
    expect(loaded).toEqual(
      expect.arrayContaining([
        { namespace: 'alice', scope: 'calendar', token: '2', mark: 'm2', local: false },
        { namespace: 'bob', scope: 'calendar', mark: 'm3', local: true },
        { namespace: 'carol', scope: 'calendar', mark: 'm4', local: false },
      ]),
    );
    expect(loaded).toHaveLength(3);
    const db = await openDB(name);
    expect(await db.getAllKeys('scopes')).toContainEqual(['alice', 'calendar']);
    db.close();
  });

  it('drops an unreadable scope record with a warning (its entries die with it)', async () => {
    const name = uniqueName();
    const { store } = makeStore({ name });
    await store.ready;
    const db = await openDB(name);
    await db.put('scopes', { namespace: 'alice', scope: 'calendar', mark: 42 });
    db.close();
    const { store: second, warnings } = makeStore({ name });
    expect(await second.loadScopes()).toEqual([]);
    expect(warnings()).toEqual([expect.objectContaining({ code: 'idb-corrupt-scope' })]);
    await second.flush();
    expect(await rawRecords(name, 'scopes')).toEqual([]);
  });
});

describe('idbStore: per-user isolation', () => {
  it('clear({ namespace }) removes only that namespace, clear() removes all', async () => {
    const { store } = makeStore();
    const records = [entry(), entry({ url: 'http://api.test/b' }), entry({ namespace: 'bob' }), entry({ namespace: 'alice2' })];
    await store.set(records);
    await store.clear({ namespace: 'alice' });
    expect((await rawRecords(nameOf(store))).map((r) => r.namespace).sort()).toEqual(['alice2', 'bob']);
    await store.clear();
    expect(await rawRecords(nameOf(store))).toEqual([]);
  });

  it('keys() filters by namespace (through the index) and by predicate', async () => {
    const { store } = makeStore();
    const a = entry();
    const b = entry({ url: 'http://api.test/b' });
    const bob = entry({ namespace: 'bob' });
    void store.set([a, b, bob]);
    // keys() sees writes that have not committed yet.
    expect((await store.keys()).sort()).toEqual([a.key, b.key, bob.key].sort());
    expect((await store.keys({ namespace: 'alice' })).sort()).toEqual([a.key, b.key].sort());
    expect(await store.keys({ namespace: 'alice', where: (e) => e.url.endsWith('/b') })).toEqual([b.key]);
    expect(await store.keys({ where: (e) => e.url.endsWith('/a') })).toEqual(expect.arrayContaining([a.key, bob.key]));
    const index = vi.spyOn(IDBObjectStore.prototype, 'index');
    await store.keys({ namespace: 'bob' });
    expect(index).toHaveBeenCalledWith('url');
  });

  it('clear({ namespace, where }) removes only matching entries of that namespace', async () => {
    const { store } = makeStore();
    const a = entry();
    const b = entry({ url: 'http://api.test/b' });
    const bobB = entry({ namespace: 'bob', url: 'http://api.test/b' });
    await store.set([a, b, bobB]);
    await store.clear({ namespace: 'alice', where: (e) => e.url.endsWith('/b') });
    expect((await rawRecords(nameOf(store))).map((r) => r.key).sort()).toEqual([a.key, bobB.key].sort());
  });
});

describe('idbStore: builds', () => {
  it('drops every entry of another build at open, in one clear, and keeps scopes', async () => {
    const name = uniqueName();
    const old = makeStore({ name, build: 'a' }).store;
    await old.set([entry({ build: 'a' }), entry({ url: 'http://api.test/b', build: 'a' })]);
    await old.saveScopes([{ namespace: 'alice', scope: 's', mark: 'm', local: false }]);
    old.close();

    const clear = vi.spyOn(IDBObjectStore.prototype, 'clear');
    const cursor = vi.spyOn(IDBObjectStore.prototype, 'openCursor');
    const { store } = makeStore({ name, build: 'b' });
    await store.ready;
    expect(clear).toHaveBeenCalledTimes(1);
    expect(cursor).not.toHaveBeenCalled();
    expect(await rawRecords(name)).toEqual([]);
    expect(await rawRecords(name, 'scopes')).toHaveLength(1);
    expect(await rawRecords(name, 'meta')).toEqual(['b']);

    // Same build again: nothing dropped.
    await store.set([entry({ build: 'b' })]);
    store.close();
    const again = makeStore({ name, build: 'b' }).store;
    expect(await again.get(entry().key)).toMatchObject({ build: 'b' });
  });

  it('never answers a record of another build, even one written after open (an old tab still running)', async () => {
    const name = uniqueName();
    const { store } = makeStore({ name, build: 'new' });
    await store.ready;
    const db = await openDB(name);
    await db.put('entries', entry({ build: 'old' }));
    db.close();
    expect(await store.get(entry().key)).toBeUndefined();
    // Not dropped on the read path: the prune does it.
    expect(await rawRecords(name)).toHaveLength(1);
    expect(await store.prune()).toBe(1);
    expect(await rawRecords(name)).toEqual([]);
  });

  it('a tab of an older build leaves the newer build’s entries alone when it prunes', async () => {
    const name = uniqueName();
    const old = makeStore({ name, build: 'old' }).store;
    await old.ready;
    const current = makeStore({ name, build: 'new' }).store;
    await current.set([entry({ build: 'new', storedAt: Date.now() })]);
    expect(await old.prune()).toBe(0);
    expect(await rawRecords(name)).toHaveLength(1);
  });
});

describe('idbStore: background prune', () => {
  const day = 86_400_000;

  it('drops expired entries without validators, out-of-version and corrupt ones, and reports each', async () => {
    const name = uniqueName();
    const clock = { now: 10 * day };
    const { store, events } = makeStore({ name, now: () => clock.now });
    const fresh = entry({ url: 'http://api.test/fresh', storedAt: clock.now, lifetime: day });
    const expired = entry({ url: 'http://api.test/expired', storedAt: clock.now - 2 * day, lifetime: day });
    const inWindow = entry({ url: 'http://api.test/sie', storedAt: clock.now - 2 * day, lifetime: day, staleIfError: 2 * day });
    const validated = entry({ url: 'http://api.test/etag', storedAt: 0, lifetime: 0, headers: { etag: '"x"' } });
    const modified = entry({
      url: 'http://api.test/lm',
      storedAt: 0,
      lifetime: 0,
      headers: { 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' },
    });
    const current = entry({ url: 'http://api.test/current', scope: 'cal', mark: 'm2', storedAt: clock.now, lifetime: day });
    const outdated = entry({ url: 'http://api.test/outdated', scope: 'cal', mark: 'm1', storedAt: clock.now, lifetime: day });
    const orphan = entry({ url: 'http://api.test/orphan', scope: 'unknown', mark: 'm1', storedAt: clock.now, lifetime: day });
    await store.set([fresh, expired, inWindow, validated, modified, current, outdated, orphan]);
    await store.saveScopes([{ namespace: 'alice', scope: 'cal', mark: 'm2', local: false }]);
    await store.flush();
    const db = await openDB(name);
    await db.put('entries', { key: 'foreign', namespace: 'alice', status: '200' });
    db.close();

    // Reads never prune: an expired entry is still answered (stale-if-error and force-cache are the client's call).
    expect(await store.get(expired.key)).toBeDefined();
    expect(await store.prune()).toBe(4);
    expect((await rawRecords(name)).map((r) => r.url).sort()).toEqual(
      ['http://api.test/current', 'http://api.test/etag', 'http://api.test/fresh', 'http://api.test/lm', 'http://api.test/sie'].sort(),
    );
    const evicted = events.filter((e): e is Extract<CacheEvent, { type: 'evict' }> => e.type === 'evict');
    expect(evicted).toEqual(
      expect.arrayContaining([
        { type: 'evict', key: expired.key, reason: 'expired' },
        { type: 'evict', key: outdated.key, reason: 'version' },
        { type: 'evict', key: orphan.key, reason: 'version' },
        { type: 'evict', key: 'foreign', reason: 'corrupt' },
      ]),
    );
    expect(evicted).toHaveLength(4);
  });

  it('prunes in chunks of separate transactions', async () => {
    const clock = { now: 10 * day };
    const { store } = makeStore({ now: () => clock.now });
    const many = Array.from({ length: 600 }, (_, i) => entry({ url: `http://api.test/${i}`, storedAt: 0, lifetime: 1 }));
    await store.set(many);
    await store.flush();
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    expect(await store.prune()).toBe(600);
    expect(transaction.mock.calls.filter((call) => call[1] === 'readwrite').length).toBeGreaterThanOrEqual(3);
  });

  it('runs on its own pruneDelay ms after open', async () => {
    const name = uniqueName();
    const seed = makeStore({ name }).store;
    await seed.set([entry({ storedAt: 0, lifetime: 1 })]);
    seed.close();
    makeStore({ name, pruneDelay: 20 });
    await vi.waitFor(async () => expect(await rawRecords(name)).toEqual([]), { timeout: 2000, interval: 20 });
  });

  it('evicts the least recently read entries down to maxEntries, in the background', async () => {
    const clock = { now: 1_000_000 };
    const { store, events } = makeStore({ maxEntries: 10, now: () => clock.now });
    const all = Array.from({ length: 12 }, (_, i) =>
      entry({ url: `http://api.test/${i}`, storedAt: clock.now, accessedAt: clock.now + i, lifetime: 1e12 }),
    );
    await store.set(all);
    // Reading the two oldest, well after they were stored, makes them the most recent.
    clock.now += 2 * 3_600_000;
    const put = vi.spyOn(IDBObjectStore.prototype, 'put');
    await store.get(all[0]!.key);
    await store.get(all[1]!.key);
    await sleep(10);
    // Not on the read path: `accessedAt` is written later, in a batch.
    expect(put).not.toHaveBeenCalled();
    await store.flush();
    expect(put).toHaveBeenCalledTimes(2);
    expect(await store.prune()).toBe(12 - 9);
    const kept = (await rawRecords(nameOf(store))).map((r) => r.url);
    expect(kept).toHaveLength(9);
    expect(kept).toEqual(expect.arrayContaining(['http://api.test/0', 'http://api.test/1']));
    expect(kept).not.toContain('http://api.test/2');
    expect(events.filter((e) => e.type === 'evict' && e.reason === 'lru')).toHaveLength(3);
  });

  it('evicts down to maxBytes', async () => {
    const { store } = makeStore({ maxBytes: 1000, now: () => 1_000_000 });
    await store.set(Array.from({ length: 10 }, (_, i) => entry({ url: `http://api.test/${i}`, size: 200, accessedAt: i, lifetime: 1e12 })));
    await store.prune();
    const kept = await rawRecords(nameOf(store));
    expect(kept.reduce((sum, r) => sum + (r.size as number), 0)).toBeLessThanOrEqual(900);
    expect(kept.map((r) => r.url)).toContain('http://api.test/9');
  });
});

describe('idbStore: corrupt and foreign records', () => {
  it.each([
    ['missing url', { namespace: 'alice', status: 200, headers: {}, body: '', storedAt: 1, lifetime: 1 }],
    ['status of the wrong type', { namespace: 'alice', url: 'u', status: '200', headers: {}, body: '', storedAt: 1, lifetime: 1 }],
    ['body of the wrong type', { namespace: 'alice', url: 'u', status: 200, headers: {}, body: 42, storedAt: 1, lifetime: 1 }],
    ['headers missing', { namespace: 'alice', url: 'u', status: 200, body: '', storedAt: 1, lifetime: 1 }],
    ['a foreign shape', { id: 7, payload: 'something else entirely' }],
  ])('drops a record with %s, reports it, and answers undefined', async (_, value) => {
    const name = uniqueName();
    const { store, events } = makeStore({ name });
    await store.ready;
    const db = await openDB(name);
    await db.put('entries', { key: 'k', ...value });
    db.close();
    await expect(store.get('k')).resolves.toBeUndefined();
    expect(events).toContainEqual({ type: 'evict', key: 'k', reason: 'corrupt' });
    await store.flush();
    expect(await rawRecords(name)).toEqual([]);
  });

  it('never hands out a `data` field found in a record', async () => {
    const name = uniqueName();
    const { store } = makeStore({ name });
    await store.ready;
    const db = await openDB(name);
    await db.put('entries', { ...entry(), data: { poisoned: true } });
    db.close();
    const read = await store.get(entry().key);
    expect(read).toBeDefined();
    expect(read).not.toHaveProperty('data');
  });

  it('buffers events reported before attach and delivers them on attach', async () => {
    const store = idbStore({ name: uniqueName(), indexedDB: null, pruneDelay: false });
    await store.ready;
    const events: CacheEvent[] = [];
    store.attach((event) => events.push(event));
    expect(events).toEqual([expect.objectContaining({ type: 'warning', code: 'idb-unavailable' })]);
    store.close();
  });
});

/** The database name a test store was given (makeStore picks it). */
function nameOf(store: object): string {
  return (store as unknown as { name: string }).name;
}
