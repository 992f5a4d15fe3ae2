import { IDBFactory, forceCloseDatabase } from 'fake-indexeddb';
import { deleteDB, openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DB_VERSION } from '../../src/idb.js';
import { isClosingError, isQuotaError } from '../../src/idb/errors.js';
import { entry, makeStore, rawRecords, sleep, uniqueName } from './support/idb.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** fake-indexeddb internals used to fail a transaction the ways browsers do. */
type FakeTransaction = IDBTransaction & {
  _execRequestAsync(request: { operation: () => unknown; source: unknown }): IDBRequest;
  _abort(errorName: string): void;
};

/**
 * Makes the next `times` write transactions on `entries` fail for lack of quota:
 * - `request`: the put itself fails with QuotaExceededError (Firefox);
 * - `transaction`: the transaction aborts with QuotaExceededError while its requests only see an
 *   AbortError (Chromium reports quota at commit, on the transaction);
 * - `message`: an AbortError that says "quota" only in its message (older Safari).
 */
function failQuota(times: number, how: 'request' | 'transaction' | 'message') {
  const put = IDBObjectStore.prototype.put;
  const failing = new WeakSet<IDBTransaction>();
  let left = times;
  return vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    const tx = this.transaction as FakeTransaction;
    if (this.name !== 'entries' || failing.has(tx) || left <= 0) return put.call(this, value, key);
    failing.add(tx);
    left--;
    if (how === 'transaction') {
      const request = put.call(this, value, key);
      queueMicrotask(() => tx._abort('QuotaExceededError'));
      return request;
    }
    const error =
      how === 'request'
        ? new DOMException('The quota has been exceeded.', 'QuotaExceededError')
        : new DOMException('Quota exceeded for this origin', 'AbortError');
    return tx._execRequestAsync({
      operation: () => {
        throw error;
      },
      source: this,
    });
  });
}

/** Twenty entries, oldest access first. */
const seed = () =>
  Array.from({ length: 20 }, (_, i) => entry({ url: `http://api.test/${i}`, accessedAt: 1000 + i, storedAt: Date.now(), lifetime: 1e12 }));

describe('idbStore: quota', () => {
  it.each(['request', 'transaction', 'message'] as const)(
    'a quota error (%s) evicts the least recently used entries and retries once',
    async (how) => {
      const { store, events, warnings } = makeStore();
      await store.set(seed());
      failQuota(1, how);
      const fresh = entry({ url: 'http://api.test/new', accessedAt: 5000, storedAt: Date.now(), lifetime: 1e12 });
      await store.set([fresh]);
      await store.flush();
      const urls = (await rawRecords(nameOf(store))).map((r) => r.url);
      expect(urls).toContain('http://api.test/new');
      expect(urls).not.toContain('http://api.test/0');
      expect(urls).not.toContain('http://api.test/1');
      expect(urls).toContain('http://api.test/2');
      expect(events.filter((e) => e.type === 'evict')).toEqual([
        { type: 'evict', key: entry({ url: 'http://api.test/0' }).key, reason: 'lru' },
        { type: 'evict', key: entry({ url: 'http://api.test/1' }).key, reason: 'lru' },
      ]);
      expect(warnings()).toEqual([]);
      expect(store.status).toBe('idb');
    },
  );

  it('still out of quota after the retry: reports quota-exceeded once and runs memory-only, leaving nothing stale or private behind', async () => {
    const { store, warnings } = makeStore();
    const old = seed();
    await store.set(old);
    await store.saveScopes([{ namespace: 'alice', scope: 'cal', mark: 'm1', local: false }]);
    failQuota(Infinity, 'transaction');

    // A newer answer for entry 5 cannot be stored...
    await store.set([{ ...old[5]!, body: '{"n":2}' }]);
    await store.flush();
    expect(store.status).toBe('memory-only');
    expect(warnings()).toEqual([expect.objectContaining({ type: 'warning', code: 'quota-exceeded' })]);
    // ...so the older copy on disk is gone rather than left to be served after a reload.
    const keys = (await rawRecords(nameOf(store))).map((r) => r.key);
    expect(keys).not.toContain(old[5]!.key);
    expect(await store.get(old[6]!.key)).toBeUndefined();

    // A scope change that cannot be saved removes the scope record (its entries die with it).
    await store.saveScopes([{ namespace: 'alice', scope: 'cal', mark: 'm2', local: true }]);
    expect(await rawRecords(nameOf(store), 'scopes')).toEqual([]);
    // Invalidations and logouts still reach the disk.
    expect((await store.keys({ namespace: 'alice' })).length).toBeGreaterThan(0);
    await store.clear({ namespace: 'alice' });
    expect(await rawRecords(nameOf(store))).toEqual([]);

    await store.set([entry({ url: 'http://api.test/x' })]);
    await store.flush();
    expect(warnings()).toHaveLength(1);
  });

  it('recognises quota errors however they are dressed', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(new DOMException('', 'AbortError'), new DOMException('', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(new DOMException('Quota exceeded.', 'AbortError'))).toBe(true);
    expect(isQuotaError(new DOMException('Disk quota exceeded', 'UnknownError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError(new Error('write failed', { cause: new DOMException('', 'QuotaExceededError') }))).toBe(true);
    expect(isQuotaError(new DOMException('', 'AbortError'), null, undefined)).toBe(false);
    expect(isQuotaError(new DOMException('', 'ConstraintError'))).toBe(false);
    expect(isClosingError(new DOMException('The database connection is closing.', 'InvalidStateError'))).toBe(true);
    expect(isClosingError(new DOMException('', 'DataError'))).toBe(false);
  });
});

describe('idbStore: IndexedDB missing or unusable', () => {
  /** Every method works and answers nothing; exactly one idb-unavailable warning. */
  async function expectHarmless(store: ReturnType<typeof makeStore>['store'], warnings: ReturnType<typeof makeStore>['warnings']) {
    await store.set([entry()]);
    expect(await store.get(entry().key)).toBeUndefined();
    expect(await store.keys()).toEqual([]);
    expect(await store.keys({ namespace: 'alice', where: () => true })).toEqual([]);
    await store.delete([entry().key]);
    await store.clear({ namespace: 'alice' });
    await store.clear();
    await store.saveScopes([{ namespace: 'alice', scope: 's', mark: 'm', local: false }]);
    expect(await store.loadScopes()).toEqual([]);
    expect(await store.prune()).toBe(0);
    await store.flush();
    expect(store.status).toBe('memory-only');
    expect(warnings()).toEqual([expect.objectContaining({ type: 'warning', code: 'idb-unavailable' })]);
  }

  it('indexedDB: null', async () => {
    const { store, warnings } = makeStore({ indexedDB: null });
    await expectHarmless(store, warnings);
  });

  it('no global indexedDB', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const { store, warnings } = makeStore();
    await expectHarmless(store, warnings);
  });

  it('open throws (sandboxed frame)', async () => {
    const factory = {
      open() {
        throw new DOMException('Access to IndexedDB is denied', 'SecurityError');
      },
    } as unknown as IDBFactory;
    const { store, warnings } = makeStore({ indexedDB: factory });
    await expectHarmless(store, warnings);
    expect(warnings()[0]).toMatchObject({ message: expect.stringContaining('SecurityError') });
  });

  it('open fails (a newer schema written by a newer deployment)', async () => {
    const name = uniqueName();
    (await openDB(name, DB_VERSION + 5)).close();
    const { store, warnings } = makeStore({ name });
    await expectHarmless(store, warnings);
    expect(warnings()[0]).toMatchObject({ message: expect.stringContaining('VersionError') });
  });

  it('an open that never settles falls back after openTimeout', async () => {
    const factory = { open: () => ({}) } as unknown as IDBFactory;
    const { store, warnings } = makeStore({ indexedDB: factory, openTimeout: 50 });
    const read = store.get(entry().key);
    // Still waiting well before the timeout (a margin, not a measurement: timers may fire a few
    // ms early against performance.now() on a loaded machine), then answered by the fallback.
    const early = await Promise.race([Promise.resolve(read).then(() => 'settled'), new Promise((r) => setTimeout(r, 20, 'waiting'))]);
    expect(early).toBe('waiting');
    expect(await read).toBeUndefined();
    await expectHarmless(store, warnings);
    expect(warnings()[0]).toMatchObject({ message: expect.stringContaining('50 ms') });
  });

  it('a database of another layout at our version is left alone', async () => {
    const name = uniqueName();
    const db = await openDB(name, DB_VERSION, { upgrade: (d) => void d.createObjectStore('something-else') });
    db.close();
    const { store, warnings } = makeStore({ name });
    await expectHarmless(store, warnings);
    expect(warnings()[0]).toMatchObject({ message: expect.stringContaining('another layout') });
  });
});

describe('idbStore: other tabs and closed connections', () => {
  it('an upgrade blocked by another tab falls back, and the writes made meanwhile reach the disk once it opens', async () => {
    const name = uniqueName();
    const alice = entry();
    const bob = entry({ namespace: 'bob' });
    const carol = entry({ namespace: 'carol', storedAt: Date.now() });
    // Another tab runs the previous version and never closes for an upgrade.
    const legacy = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('entries', { keyPath: 'key' }) });
    await legacy.put('entries', alice);
    await legacy.put('entries', bob);
    await legacy.put('entries', carol);

    const { store, warnings } = makeStore({ name, openTimeout: 50 });
    await store.ready;
    expect(store.status).toBe('memory-only');
    expect(warnings()).toEqual([
      expect.objectContaining({ code: 'idb-unavailable', message: expect.stringContaining('blocked by another tab') }),
    ]);

    // Alice logs out, and Bob gets a newer answer that only memory holds.
    await store.clear({ namespace: 'alice' });
    await store.set([{ ...bob, body: '{"n":2}' }]);
    legacy.close();
    await vi.waitFor(async () => {
      const db = await openDB(name);
      const keys = await db.getAllKeys('entries');
      db.close();
      expect(keys).toEqual([carol.key]);
    });
  });

  it('closes for another tab’s upgrade at once, and falls back when that left a newer schema', async () => {
    const name = uniqueName();
    const { store, warnings } = makeStore({ name });
    await store.set([entry()]);
    const upgraded = await Promise.race([openDB(name, DB_VERSION + 1), sleep(1000).then(() => 'blocked' as const)]);
    expect(upgraded).not.toBe('blocked');
    if (typeof upgraded !== 'string') upgraded.close();
    expect(await store.get(entry().key)).toBeUndefined();
    expect(warnings()).toEqual([expect.objectContaining({ code: 'idb-unavailable' })]);
  });

  it('lets another tab delete the database, then reopens lazily and carries on', async () => {
    const name = uniqueName();
    const { store, warnings } = makeStore({ name });
    await store.set([entry({ storedAt: Date.now() })]);
    const deleted = await Promise.race([deleteDB(name).then(() => 'deleted'), sleep(1000).then(() => 'blocked')]);
    expect(deleted).toBe('deleted');
    expect(await store.get(entry().key)).toBeUndefined();
    await store.set([entry({ url: 'http://api.test/after' })]);
    expect(await store.get(entry({ url: 'http://api.test/after' }).key)).toBeDefined();
    await store.flush();
    expect(await rawRecords(name)).toHaveLength(1);
    expect(warnings()).toEqual([]);
  });

  it('reopens after the browser terminates the connection', async () => {
    const factory = new IDBFactory();
    const connections: IDBDatabase[] = [];
    const open = factory.open.bind(factory);
    factory.open = (name: string, version?: number) => {
      const request = open(name, version);
      request.addEventListener('success', () => connections.push(request.result));
      return request;
    };
    const { store, warnings } = makeStore({ indexedDB: factory });
    await store.set([entry()]);
    // Its types name the class where they mean an instance.
    forceCloseDatabase(connections[0] as unknown as Parameters<typeof forceCloseDatabase>[0]);
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    expect(await store.get(entry().key)).toMatchObject({ key: entry().key });
    expect(connections).toHaveLength(2);
    // Told by the close event: nothing was even tried on the dead connection.
    expect(transaction.mock.contexts.every((db) => db === connections[1])).toBe(true);
    await store.set([entry({ url: 'http://api.test/b' })]);
    expect(await store.keys()).toHaveLength(2);
    expect(warnings()).toEqual([]);
  });

  it('retries a read, a listing and a write once when the connection is closing', async () => {
    const { store, warnings } = makeStore();
    await store.set([entry()]);
    const transaction = IDBDatabase.prototype.transaction;
    const closingOnce = () => {
      let thrown = false;
      return vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (
        this: IDBDatabase,
        ...args: Parameters<IDBDatabase['transaction']>
      ) {
        if (!thrown) {
          thrown = true;
          throw new DOMException('The database connection is closing.', 'InvalidStateError');
        }
        return transaction.apply(this, args);
      });
    };
    closingOnce();
    expect(await store.get(entry().key)).toMatchObject({ key: entry().key });
    closingOnce();
    expect(await store.keys({ namespace: 'alice' })).toEqual([entry().key]);
    closingOnce();
    await store.set([entry({ url: 'http://api.test/b' })]);
    await store.flush();
    expect(await rawRecords(nameOf(store))).toHaveLength(2);
    expect(warnings()).toEqual([]);
  });

  it('gives up a read that fails for another reason with a warning, never a throw', async () => {
    const { store, warnings } = makeStore();
    await store.set([entry()]);
    vi.spyOn(IDBObjectStore.prototype, 'get').mockImplementation(() => {
      throw new DOMException('disk on fire', 'UnknownError');
    });
    await expect(store.get(entry().key)).resolves.toBeUndefined();
    expect(warnings()).toEqual([expect.objectContaining({ code: 'idb-read-failed' })]);
  });
});

describe('idbStore: schema and migrations', () => {
  it('creates the current layout from nothing', async () => {
    const { store } = makeStore();
    await store.ready;
    const db = await openDB(nameOf(store));
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['entries', 'meta', 'scopes']);
    const tx = db.transaction(['entries', 'scopes']);
    expect(tx.objectStore('entries').keyPath).toBe('key');
    expect([...tx.objectStore('entries').indexNames].sort()).toEqual(['expires', 'lru', 'stamp', 'url']);
    expect(tx.objectStore('scopes').keyPath).toEqual(['namespace', 'scope']);
    db.close();
  });

  it('migrates the preview layout with out-of-line keys: keeps what it can, drops the rest cleanly', async () => {
    const name = uniqueName();
    const good = entry({ data: { decoded: 'in the preview layout' } });
    const { key: _, ...keyless } = entry({ url: 'http://api.test/keyless' });
    const legacy = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('entries') });
    await legacy.put('entries', good, good.key);
    await legacy.put('entries', keyless, entry({ url: 'http://api.test/keyless' }).key);
    await legacy.put('entries', { ...entry({ url: 'http://api.test/other' }) }, 'a different key');
    await legacy.put('entries', { url: 'http://api.test/broken' }, 'broken');
    legacy.close();

    const { store, events } = makeStore({ name });
    const read = await store.get(good.key);
    expect(read).toMatchObject({ key: good.key, url: good.url });
    expect(read).not.toHaveProperty('data');
    expect(await store.get(entry({ url: 'http://api.test/keyless' }).key)).toBeDefined();
    expect((await store.keys({ namespace: 'alice' })).sort()).toEqual([good.key, entry({ url: 'http://api.test/keyless' }).key].sort());
    expect(events.filter((e) => e.type === 'evict')).toEqual(
      expect.arrayContaining([
        { type: 'evict', key: 'a different key', reason: 'corrupt' },
        { type: 'evict', key: 'broken', reason: 'corrupt' },
      ]),
    );
    const db = await openDB(name);
    expect([...db.objectStoreNames].sort()).toEqual(['entries', 'meta', 'scopes']);
    for (const record of (await db.getAll('entries')) as object[]) expect(record).not.toHaveProperty('data');
    db.close();
  });

  it('migrates the preview layout keyed by `key` in place, adding the indexes', async () => {
    const name = uniqueName();
    const { accessedAt: _, ...unindexed } = entry({ storedAt: Date.now() });
    const legacy = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('entries', { keyPath: 'key' }) });
    await legacy.put('entries', { ...unindexed, data: 'stale decoded data' });
    await legacy.put('entries', entry({ namespace: 'bob', storedAt: Date.now() }));
    legacy.close();

    const { store } = makeStore({ name });
    expect(await store.get(entry().key)).toMatchObject({ key: entry().key, accessedAt: unindexed.storedAt });
    expect(await store.get(entry().key)).not.toHaveProperty('data');
    await store.clear({ namespace: 'bob' });
    expect(await rawRecords(name)).toHaveLength(1);
    // The prune rewrites records an older layout left out of the LRU index.
    await store.prune();
    const db = await openDB(name);
    expect(await db.getAllFromIndex('entries', 'lru')).toHaveLength(1);
    db.close();
  });

  it('an upgrade that fails starts over from an empty database instead of staying broken', async () => {
    const name = uniqueName();
    const legacy = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('entries') });
    await legacy.put('entries', entry(), entry().key);
    legacy.close();
    const openCursor = IDBObjectStore.prototype.openCursor;
    let failed = false;
    vi.spyOn(IDBObjectStore.prototype, 'openCursor').mockImplementation(function (
      this: IDBObjectStore,
      ...args: Parameters<IDBObjectStore['openCursor']>
    ) {
      if (!failed && this.transaction.mode === 'versionchange') {
        failed = true;
        throw new DOMException('unexpected', 'UnknownError');
      }
      return openCursor.apply(this, args);
    });
    const { store, warnings } = makeStore({ name });
    await store.ready;
    expect(failed).toBe(true);
    expect(store.status).toBe('idb');
    expect(await store.get(entry().key)).toBeUndefined();
    await store.set([entry({ url: 'http://api.test/b' })]);
    expect(await rawRecords(name)).toHaveLength(1);
    expect(warnings()).toEqual([]);
  });
});

function nameOf(store: object): string {
  return (store as unknown as { name: string }).name;
}
