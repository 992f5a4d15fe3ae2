import { http, HttpResponse } from 'msw';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { idbStore, tieredStore, type IdbStoreOptions } from '../../src/idb.js';
import type { CacheEvent, ClientOptions, Route } from '../../src/index.js';
import { API, makeClient, useServer } from './support/harness.js';
import { rawRecords, uniqueName } from './support/idb.js';

const server = useServer();

/**
 * A client over memory over IndexedDB, as an app creates it on page load. A second `page()` over
 * the same name, with empty memory, is what a reload is.
 */
function page(name: string, options: ClientOptions = {}, storeOptions: IdbStoreOptions = {}) {
  const store = idbStore({ name, pruneDelay: false, ...storeOptions });
  const made = makeClient({ store: tieredStore(store, { build: options.build }), ...options });
  return {
    ...made,
    store,
    /** Lets the background writes commit and closes the database, like leaving the page. */
    async leave() {
      await store.flush();
      store.close();
    },
  };
}

/** A JSON endpoint counting its calls. */
function endpoint(path: string, headers: Record<string, string>, body: (request: Request) => unknown = () => ({ path })) {
  const calls = { n: 0 };
  server.use(
    http.get(`${API}${path}`, ({ request }) => {
      calls.n++;
      return HttpResponse.json(body(request) as Record<string, unknown>, { headers });
    }),
  );
  return calls;
}

const urlsIn = async (name: string) => (await rawRecords(name)).map((r) => r.url).sort();

describe('idbStore under the client', () => {
  it('no-store answers and persist: false reads never reach IndexedDB; a normal answer does', async () => {
    endpoint('/private', { 'Cache-Control': 'no-store' });
    endpoint('/memory', { 'Cache-Control': 'max-age=60' });
    endpoint('/session/token', { 'Cache-Control': 'max-age=60' });
    endpoint('/normal', { 'Cache-Control': 'max-age=60' });
    const name = uniqueName('client');
    const routes: Route[] = [{ match: '/session/*', persist: false }];
    const { client, store, events } = page(name, { routes });
    await client.get('/private');
    await client.get('/memory', { persist: false });
    await client.get('/session/token');
    await client.get('/normal');
    await store.flush();
    expect(await urlsIn(name)).toEqual([`${API}/normal`]);
    // Looking with the raw API, field by field: nothing of the others anywhere in the database.
    const db = await openDB(name);
    const everything = JSON.stringify([await db.getAll('entries'), await db.getAll('scopes'), await db.getAll('meta')]);
    db.close();
    expect(everything).not.toContain('/private');
    expect(everything).not.toContain('/memory');
    expect(everything).not.toContain('/session/');
    expect(events.filter((e) => e.type === 'store').map((e) => (e as Extract<CacheEvent, { type: 'store' }>).persisted)).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('a reload serves a fresh entry from IndexedDB without any request', async () => {
    const calls = endpoint('/a', { 'Cache-Control': 'max-age=300' }, () => ({ hello: 'world' }));
    const name = uniqueName('client');
    const first = page(name);
    expect(await first.client.get('/a')).toEqual({ hello: 'world' });
    await first.leave();

    const second = page(name);
    expect(await second.client.get('/a')).toEqual({ hello: 'world' });
    expect(second.requests).toEqual([]);
    expect(calls.n).toBe(1);
    expect(second.client.stats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it('two users on one device: a namespace never gets the other’s entry from IndexedDB', async () => {
    // Same URL for both, the answer depends on who asks: exactly what must never leak.
    const calls = endpoint('/me', { 'Cache-Control': 'private, max-age=3600', ETag: '"v1"' }, (request) => ({
      user: request.headers.get('authorization'),
    }));
    const name = uniqueName('client');
    const alice = page(name, { namespace: 'alice' });
    expect(await alice.client.get('/me', { headers: { authorization: 'alice' } })).toEqual({ user: 'alice' });
    await alice.leave();

    // Bob on the same device, after a reload. force-cache takes any stored answer however old:
    // the most permissive way to ask, and it must still go to the network.
    const bob = page(name, { namespace: 'bob' });
    await expect(bob.client.get('/me', { cache: 'force-cache', headers: { authorization: 'bob' } })).resolves.toEqual({ user: 'bob' });
    expect(calls.n).toBe(2);
    expect(await bob.client.get('/me')).toEqual({ user: 'bob' });
    expect(await (await bob.client.fetch(`${API}/me`, { cache: 'force-cache' })).json()).toEqual({ user: 'bob' });
    expect(calls.n).toBe(2);
    // The store itself answers nothing of Alice's under Bob's namespace.
    expect(await bob.store.keys({ namespace: 'bob' })).toHaveLength(1);
    for (const key of await bob.store.keys({ namespace: 'bob' })) expect((await bob.store.get(key))!.namespace).toBe('bob');

    // Switching the namespace of a live client: Alice's entry comes back from disk for Alice
    // only; Carol, on the same client and the same URL, goes to the network.
    bob.client.namespace = 'alice';
    expect(await bob.client.get('/me', { cache: 'force-cache' })).toEqual({ user: 'alice' });
    expect(calls.n).toBe(2);
    bob.client.namespace = 'carol';
    expect(await bob.client.get('/me', { cache: 'force-cache', headers: { authorization: 'carol' } })).toEqual({ user: 'carol' });
    expect(calls.n).toBe(3);

    // Alice logs out: her records leave the disk, the others' stay.
    await bob.client.clear({ namespace: 'alice' });
    const left = await rawRecords(name);
    expect(left.map((r) => r.namespace).sort()).toEqual(['bob', 'carol']);
    expect(JSON.stringify(left)).not.toContain('"user":"alice"');
  });

  it('a persisted entry of an older scope version is not served after a reload', async () => {
    let version = 1;
    const calls = { n: 0 };
    server.use(
      http.get(`${API}/users/alice/events`, () => {
        calls.n++;
        return HttpResponse.json({ version }, { headers: { 'Cache-Control': 'max-age=300', 'X-Cache-Version': String(version) } });
      }),
    );
    const routes: Route[] = [{ match: '/users/:user/events*', scope: 'calendar:{user}' }];
    const name = uniqueName('client');
    const first = page(name, { routes });
    expect(await first.client.get('/users/alice/events')).toEqual({ version: 1 });
    // A mutation's answer says the calendar moved on: the scope record gets a new mark...
    version = 2;
    expect(first.client.setVersion('calendar:alice', '2')).toBe(true);
    await first.leave();
    // ...while the entry on disk still carries the old one.
    expect(await rawRecords(name)).toHaveLength(1);

    const second = page(name, { routes });
    expect(await second.client.get('/users/alice/events')).toEqual({ version: 2 });
    expect(calls.n).toBe(2);
  });

  it('a scope marked newer by another tab makes the persisted entries of that scope unservable', async () => {
    const calls = endpoint('/users/alice/events', { 'Cache-Control': 'max-age=300', 'X-Cache-Version': '1' });
    const routes: Route[] = [{ match: '/users/:user/events*', scope: 'calendar:{user}' }];
    const name = uniqueName('client');
    const first = page(name, { routes });
    await first.client.get('/users/alice/events');
    await first.leave();
    const db = await openDB(name);
    await db.put('scopes', { namespace: '', scope: 'calendar:alice', token: '1', mark: 'bumped-elsewhere', local: true });
    db.close();

    const second = page(name, { routes });
    await second.client.get('/users/alice/events');
    expect(calls.n).toBe(2);
  });

  it('entries of another build are neither served nor kept', async () => {
    const calls = endpoint('/a', { 'Cache-Control': 'max-age=300' });
    const name = uniqueName('client');
    const before = page(name, { build: 'deploy-1' }, { build: 'deploy-1' });
    await before.client.get('/a');
    await before.leave();
    expect(await rawRecords(name)).toHaveLength(1);

    const after = page(name, { build: 'deploy-2' }, { build: 'deploy-2' });
    await after.store.ready;
    expect(await rawRecords(name)).toEqual([]);
    await after.client.get('/a');
    expect(calls.n).toBe(2);
  });

  it('an IndexedDB failure never breaks the app: the client carries on from memory and says why', async () => {
    const calls = endpoint('/a', { 'Cache-Control': 'max-age=300' }, () => ({ ok: true }));
    const { client, events } = makeClient({ store: tieredStore(idbStore({ indexedDB: null })) });
    expect(await client.get('/a')).toEqual({ ok: true });
    expect(await client.get('/a')).toEqual({ ok: true });
    expect(calls.n).toBe(1);
    expect(events.filter((e) => e.type === 'warning')).toEqual([expect.objectContaining({ code: 'idb-unavailable' })]);
  });
});
