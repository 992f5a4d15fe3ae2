import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idbStore, tieredStore } from '../../src/idb.js';
import { API, makeClient, useServer } from './support/harness.js';
import { entry, makeStore, rawRecords, uniqueName } from './support/idb.js';

const server = useServer();

afterEach(() => {
  vi.restoreAllMocks();
});

/** The modes of the IndexedDB transactions opened while `work` runs. */
async function transactionsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const modes: string[] = [];
  const open = IDBDatabase.prototype.transaction;
  vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args) {
    modes.push(args[1] ?? 'readonly');
    return open.apply(this, args);
  });
  await work();
  vi.restoreAllMocks();
  return modes;
}

/** Items whose answer varies on `Accept`, counting the requests that reach the server. */
function items() {
  const calls: string[] = [];
  server.use(
    http.get(`${API}/items/*`, ({ request }) => {
      calls.push(`${new URL(request.url).pathname}${new URL(request.url).search} ${request.headers.get('accept') ?? ''}`);
      return HttpResponse.json({ url: request.url }, { headers: { 'Cache-Control': 'max-age=300', Vary: 'Accept' } });
    }),
    http.delete(`${API}/items/*`, () => new HttpResponse(null, { status: 204 })),
  );
  return calls;
}

/** A page load: a client over memory over IndexedDB, on the database `name`. */
function page(name: string) {
  const store = idbStore({ name, pruneDelay: false });
  return { store, ...makeClient({ store: tieredStore(store) }) };
}

describe('removing a URL from IndexedDB (invalidations, unsafe requests)', () => {
  it('a DELETE takes one readwrite transaction and no read; once it resolves, no reload and no other tab gets the URL back', async () => {
    const calls = items();
    const name = uniqueName('remove');
    const first = page(name);
    await first.client.get('/items/1');
    await first.client.get('/items/1', { headers: { accept: 'text/plain' } });
    // Neighbours that must stay: a longer path, a query, the same path of another user.
    await first.client.get('/items/10');
    await first.client.get('/items/1?page=2');
    await first.store.flush();
    // Each varying URL: the record of its Vary names under the URL's key, and one per variant.
    expect(await rawRecords(name)).toHaveLength(7);

    const modes = await transactionsDuring(() => first.client.fetch(`${API}/items/1`, { method: 'DELETE' }));
    // The old path read the url index in a readonly transaction, then deleted in a second one.
    expect(modes).toEqual(['readwrite']);

    // Not flushed, not closed: resolving meant committed. Another tab's store reads the disk.
    const otherTab = idbStore({ name, pruneDelay: false });
    expect(await otherTab.get(JSON.stringify(['', 'GET', `${API}/items/1`]))).toBeUndefined();
    expect(await otherTab.keys({ namespace: '', urls: [`${API}/items/1`] })).toEqual([]);
    otherTab.close();
    const reloaded = page(name);
    calls.length = 0;
    await reloaded.client.get('/items/10');
    await reloaded.client.get('/items/1?page=2');
    expect(calls).toEqual([]);
    await reloaded.client.get('/items/1');
    await reloaded.client.get('/items/1', { headers: { accept: 'text/plain' } });
    expect(calls).toEqual(['/items/1 ', '/items/1 text/plain']);
    expect(first.events.filter((e) => e.type === 'invalidate')).toEqual([
      expect.objectContaining({ origin: 'unsafe-request', count: 3, urls: [`${API}/items/1`] }),
    ]);
    first.store.close();
    reloaded.store.close();
  });

  it('remove() answers every key it deleted (variants, queued writes) and leaves other URLs and namespaces alone', async () => {
    const { store } = makeStore();
    const url = 'http://api.test/a';
    const base = entry({ url });
    const variant = entry({ url, key: `${base.key.slice(0, -1)},[["accept","text/plain"]]]` });
    const others = [
      entry({ url: 'http://api.test/a/b' }),
      entry({ url: 'http://api.test/ab' }),
      entry({ url: 'http://api.test/a?x=1' }),
      entry({ url, namespace: 'bob' }),
    ];
    await store.set([base, ...others]);
    await store.flush();
    // Queued, not committed, when the removal is asked for.
    void store.set([variant]);
    const removed = await store.remove({ namespace: 'alice', urls: [url, url] });
    expect(removed.sort()).toEqual([base.key, variant.key].sort());
    expect(await store.get(base.key)).toBeUndefined();
    expect(await store.get(variant.key)).toBeUndefined();
    expect((await store.keys()).sort()).toEqual(others.map((e) => e.key).sort());
    // A URL with nothing stored: nothing removed, nothing answered.
    expect(await store.remove({ namespace: 'alice', urls: ['http://api.test/none'] })).toEqual([]);
  });

  it('remove() with a predicate selects as keys() does, then deletes', async () => {
    const { store } = makeStore();
    const kept = entry({ url: 'http://api.test/keep' });
    const gone = entry({ url: 'http://api.test/drop/1' });
    await store.set([kept, gone]);
    await store.flush();
    expect(await store.remove({ namespace: 'alice', where: (e) => e.url.includes('/drop/') })).toEqual([gone.key]);
    expect(await store.keys()).toEqual([kept.key]);
  });
});
