/**
 * End to end, the window nostale/sync cannot close: two tabs share one cookie jar; tab B logs in
 * as bob (the server sets bob's session cookie) while tab A still believes it is alice's (the
 * switch has not reached it). A's next read goes out with bob's cookie. A real Node server
 * (Express through nostale/server) names the session's user in `X-Cache-Namespace`, so A's read
 * rejects with `NamespaceMismatchError` and nothing of bob's is filed under alice: not in memory,
 * not in IndexedDB.
 */
import 'fake-indexeddb/auto';
import { createServer } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idbStore, tieredStore } from '../../src/idb.js';
import { createClient, isNostaleError, NamespaceMismatchError, type Store } from '../../src/index.js';
import { createVersioning, expressVersioning, memoryVersionStore } from '../../src/server.js';
import { rawRecords, uniqueName } from '../unit/support/idb.js';
import { listen } from './support/apps.js';

const userOf = (cookie: string | undefined) => cookie?.match(/(?:^|;\s*)session=([^;]*)/)?.[1];

let served: Awaited<ReturnType<typeof listen>> | undefined;
let base: string;
beforeAll(async () => {
  const nx = expressVersioning(createVersioning({ store: memoryVersionStore(), build: 'e2e' }), {
    namespace: (req) => {
      const user = userOf(req.headers.cookie as string | undefined);
      return user === undefined ? undefined : decodeURIComponent(user);
    },
  });
  const app = express();
  app.set('etag', false);
  app.use(express.json());
  app.post('/login', nx.mutation('session'), (req, res) => {
    const { user } = req.body as { user: string };
    res.setHeader('Set-Cookie', `session=${encodeURIComponent(user)}; Path=/`);
    res.status(204).end();
  });
  // "My inbox": whose it is depends on the session cookie alone, as for most apps' /api/me.
  app.get('/api/me/inbox', nx.feed('inbox'), (req, res) => {
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.json({ user: userOf(req.headers.cookie as string | undefined) ?? null });
  });
  served = await listen(createServer(app));
  base = `${served.url}/`;
});
afterAll(() => served?.close());

/** The browser's cookie jar, one for every tab of the origin. */
function cookieJar() {
  let cookie = '';
  const fetchWithCookies: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (cookie) request.headers.set('cookie', cookie);
    const response = await fetch(request);
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return response;
  };
  return fetchWithCookies;
}

function tab(db: string, namespace: string, jar: typeof fetch) {
  const idb = idbStore({ name: db, pruneDelay: false });
  const store: Store = tieredStore(idb);
  const client = createClient({ baseUrl: base, namespace, store, fetch: jar, retry: { retries: 0 } });
  return { client, idb, store };
}

describe('X-Cache-Namespace end to end: a shared cookie that changed before the tab heard', () => {
  it("tab A, still alice's, refuses bob's answer and files nothing of his under alice", async () => {
    const jar = cookieJar();
    const db = uniqueName('e2e');
    const a = tab(db, 'alice', jar);
    const b = tab(db, 'alice', jar);
    await a.client.fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"alice"}' });
    expect(await a.client.get('/api/me/inbox', { cache: 'no-cache' })).toEqual({ user: 'alice' });

    // B logs bob in: the cookie is bob's for every tab; B switches its own client.
    await b.client.fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"bob"}' });
    b.client.namespace = 'bob';

    // A has not heard (no sync, or the message is still on its way) and asks again.
    const error = await a.client.get('/api/me/inbox', { cache: 'no-cache' }).then(
      () => expect.fail('resolved with bob’s answer'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NamespaceMismatchError);
    expect(isNostaleError(error)).toBe(true);
    expect(error).toMatchObject({ expected: 'alice', received: 'bob' });

    // Nothing of bob's under alice: not in the store (memory, then disk), not in the raw database.
    await a.idb.flush();
    const keys = await a.store.keys({ namespace: 'alice' });
    const held = await Promise.all(keys.map(async (key) => JSON.parse(String((await a.store.get(key))?.body)) as { user: string }));
    expect(held.map((e) => e.user)).toEqual(['alice']);
    const disk = (await rawRecords(db)).filter((r) => r.namespace === 'alice').map((r) => JSON.parse(String(r.body)) as { user: string });
    expect(disk.map((e) => e.user)).toEqual(['alice']);
    // And A's copy of alice's inbox is still alice's (served from the cache as before).
    expect(a.client.peek('/api/me/inbox', { cache: 'force-cache' })?.data).toEqual({ user: 'alice' });

    // B, in bob's namespace, reads bob's inbox as usual.
    expect(await b.client.get('/api/me/inbox')).toEqual({ user: 'bob' });
    a.idb.close();
    b.idb.close();
  });
});
