/**
 * A page's first read (issue 10): it goes to the persistent tier at once, in parallel with the
 * scope versions' load (in IndexedDB: in the open's own transaction), and what it finds is
 * judged only once those versions have loaded, with every clear made meanwhile applied.
 */
import { http, HttpResponse } from 'msw';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idbStore, tieredStore } from '../../src/idb.js';
import type { CacheEntry, Route, ScopeRecord, Store } from '../../src/index.js';
import { API, gate, makeClient, useServer } from './support/harness.js';
import { entry, rawRecords, uniqueName } from './support/idb.js';

const server = useServer();
afterEach(() => vi.restoreAllMocks());

const routes: Route[] = [{ match: '/a', scope: 'cal' }];
const URL_A = `${API}/a`;
/** Alice's persisted answer for /a, stored under the scope mark `m1`, fresh at the client's clock. */
const persisted = (overrides: Partial<CacheEntry> = {}) =>
  entry({ url: URL_A, scope: 'cal', mark: 'm1', body: '{"from":"disk"}', ...overrides });
const record = (mark: string, token?: string): ScopeRecord => ({ namespace: 'alice', scope: 'cal', mark, token, local: false });

/**
 * A persistent tier that answers reads at once and holds its scope records until `release`,
 * logging both: whether the read waited for the records shows in the log, not in a timing.
 */
function slowScopes(records: ScopeRecord[], entries: CacheEntry[]) {
  const held = gate();
  const log: string[] = [];
  const disk = new Map(entries.map((e) => [e.key, e]));
  const persistent: Store = {
    get: async (key) => {
      log.push(`get ${JSON.parse(key)[2]}`);
      return disk.get(key);
    },
    set: (list) => {
      for (const e of list) disk.set(e.key, e);
    },
    delete: (keys) => {
      for (const key of keys) disk.delete(key);
    },
    keys: () => [...disk.keys()],
    clear: () => disk.clear(),
    loadScopes: async () => {
      log.push('loadScopes');
      await held.opened;
      log.push('scopes loaded');
      return records;
    },
    saveScopes: () => undefined,
  };
  return { store: tieredStore(persistent), log, disk, release: held.open };
}

/** Lets every pending promise callback run: a read that has answered has been handled. */
const settled = () => new Promise((resolve) => setTimeout(resolve));

function endpoint() {
  const calls = { n: 0 };
  server.use(
    http.get(URL_A, () => {
      calls.n++;
      return HttpResponse.json({ from: 'network' }, { headers: { 'Cache-Control': 'max-age=60' } });
    }),
  );
  return calls;
}

describe('the first read of a page', () => {
  it('reads the persistent tier before the scope versions have loaded, and serves it once they have', async () => {
    const calls = endpoint();
    const { store, log, release } = slowScopes([record('m1')], [persisted()]);
    const { client } = makeClient({ namespace: 'alice', routes, store });
    const answer = client.get('/a');
    // Issued in the same task as the call, while the scope records are still being read.
    expect(log).toEqual(['loadScopes', `get ${URL_A}`]);
    // The read has answered; the records come after it.
    await settled();
    release();
    expect(await answer).toEqual({ from: 'disk' });
    expect(log).toEqual(['loadScopes', `get ${URL_A}`, 'scopes loaded']);
    expect(calls.n).toBe(0);
  });

  it('judges what it found against the scope versions loaded after it, not what was known when it answered', async () => {
    const calls = endpoint();
    // The scope moved on (mark m2, token 2) after the entry was stored under m1.
    const { store, release } = slowScopes([record('m2', '2')], [persisted()]);
    const { client } = makeClient({ namespace: 'alice', routes, store });
    // Another tab's word on the scope, older than the disk's, arrives during startup.
    client.apply({ kind: 'scope', record: record('m1', '1') });
    const answer = client.get('/a', { cache: 'force-cache' });
    await settled();
    release();
    expect(await answer).toEqual({ from: 'network' });
    expect(calls.n).toBe(1);
  });

  it.each([
    ['a logout', (client: ReturnType<typeof makeClient>['client']) => client.clear({ namespace: 'alice' })],
    ['an invalidation of its URL', (client: ReturnType<typeof makeClient>['client']) => client.invalidate({ url: '/a' })],
  ])('never serves what it found when %s runs before the scope versions have loaded', async (_, drop) => {
    const calls = endpoint();
    const { store, log, disk, release } = slowScopes([record('m1')], [persisted()]);
    const { client } = makeClient({ namespace: 'alice', routes, store });
    const answer = client.get('/a');
    // The read has answered, and copied the entry up to memory, before the drop.
    await settled();
    expect(log).toEqual(['loadScopes', `get ${URL_A}`]);
    expect(store.peek?.(persisted().key)).toBeDefined();
    const dropped = drop(client);
    release();
    await dropped;
    expect(await answer).toEqual({ from: 'network' });
    expect(calls.n).toBe(1);
    // Nothing of the old answer came back to either tier.
    expect(JSON.stringify([...disk.values()])).not.toContain('disk');
    expect(await client.get('/a')).toEqual({ from: 'network' });
    expect(calls.n).toBe(1);
  });
});

/** Writes Alice's entry and scope record the way a first page load leaves them, and closes. */
async function seed(name: string, build?: string) {
  const first = idbStore({ name, build, pruneDelay: false });
  await first.set([persisted({ build })]);
  await first.saveScopes([record('m1')]);
  await first.flush();
  first.close();
}

describe('the first read of a page, over IndexedDB', () => {
  it('joins the open’s readonly transaction: build, scope records and the entry in one, nothing after', async () => {
    const calls = endpoint();
    const name = uniqueName('cold');
    await seed(name, 'b1');

    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const store = idbStore({ name, build: 'b1', pruneDelay: false });
    const { client } = makeClient({ namespace: 'alice', build: 'b1', routes, store: tieredStore(store, { build: 'b1' }) });
    expect(await client.get('/a')).toEqual({ from: 'disk' });
    expect(transaction.mock.calls.map((call) => [call[0], call[1] ?? 'readonly'])).toEqual([[['meta', 'scopes', 'entries'], 'readonly']]);
    expect(calls.n).toBe(0);
    store.close();
  });

  it('answers nothing a build check drops, even a record claiming this build, when read while the store opens', async () => {
    const name = uniqueName('cold');
    await seed(name, 'b2');
    // The database was last opened by build b1 (a tab of it is still around): b2 drops everything.
    const db = await openDB(name);
    await db.put('meta', 'b1', 'build');
    db.close();

    const store = idbStore({ name, build: 'b2', pruneDelay: false });
    expect(await store.get(persisted().key)).toBeUndefined();
    expect(await rawRecords(name)).toEqual([]);
    store.close();
  });

  it('a first read of a store that cannot open answers nothing, and the client goes to the network', async () => {
    const calls = endpoint();
    const denied = {
      open: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    } as unknown as IDBFactory;
    const store = idbStore({ indexedDB: denied, pruneDelay: false });
    const { client } = makeClient({ namespace: 'alice', routes, store: tieredStore(store) });
    expect(await client.get('/a')).toEqual({ from: 'network' });
    expect(store.status).toBe('memory-only');
    expect(calls.n).toBe(1);
  });

  it('a read issued while the store opens answers nothing once the store is closed before the open ends', async () => {
    const name = uniqueName('cold');
    await seed(name);
    const store = idbStore({ name, pruneDelay: false });
    const read = store.get(persisted().key);
    store.close();
    expect(await read).toBeUndefined();
  });
});
