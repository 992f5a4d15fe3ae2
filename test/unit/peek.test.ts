/**
 * `client.peek` (a synchronous look at memory, never a request) and `client.read` (a read with
 * where its answer came from: memory, persisted, network, stale-if-error).
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { idbStore, tieredStore } from '../../src/idb.js';
import { createClient } from '../../src/index.js';
import { API, makeClient, useServer } from './support/harness.js';
import { uniqueName } from './support/idb.js';

const server = useServer();
const routes = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }];
const EVENTS = `${API}/api/users/alice/events`;

/** The events feed at version `v`, fresh for a minute; counts its calls. */
function feed(version = { v: '1' }, headers: Record<string, string> = { 'cache-control': 'max-age=60' }) {
  const calls = { n: 0 };
  server.use(
    http.get(EVENTS, () => {
      calls.n++;
      return HttpResponse.json([{ id: calls.n }], { headers: { 'x-cache-version': version.v, ...headers } });
    }),
  );
  return calls;
}

describe('client.peek', () => {
  it('answers a fresh entry synchronously with its metadata, and never sends a request', async () => {
    const calls = feed();
    const { client, clock, requests } = makeClient({ routes });
    expect(client.peek(EVENTS)).toBeUndefined();
    expect(requests).toHaveLength(0);
    await client.get(EVENTS);
    const peeked = client.peek(EVENTS);
    expect(peeked).toEqual({ data: [{ id: 1 }], source: 'memory', stale: false, updatedAt: clock.now, version: '1' });
    expect(calls.n).toBe(1);
    expect(requests).toHaveLength(1);
  });

  it('is undefined once expired beyond use, and reports stale within stale-while-revalidate', async () => {
    feed({ v: '1' }, { 'cache-control': 'max-age=60, stale-while-revalidate=60' });
    const { client, tick, requests } = makeClient({ routes });
    await client.get(EVENTS);
    tick(90_000);
    expect(client.peek(EVENTS)?.stale).toBe(true);
    tick(60_000);
    expect(client.peek(EVENTS)).toBeUndefined();
    // force-cache, as for a read: any entry of the current version, however old.
    expect(client.peek(EVENTS, { cache: 'force-cache' })?.data).toEqual([{ id: 1 }]);
    expect(requests).toHaveLength(1);
  });

  it('is undefined after a scope version change, an invalidation, a clear, a namespace switch', async () => {
    const version = { v: '1' };
    feed(version);
    const { client, requests } = makeClient({ routes });
    await client.get(EVENTS);
    version.v = '2';
    client.setVersion('calendar:alice', '2');
    expect(client.peek(EVENTS)).toBeUndefined();
    expect(client.peek(EVENTS, { cache: 'force-cache' })).toBeUndefined();

    await client.get(EVENTS);
    expect(client.peek(EVENTS)).toBeDefined();
    await client.invalidate({ scope: 'calendar:alice' });
    expect(client.peek(EVENTS)).toBeUndefined();

    await client.get(EVENTS);
    await client.invalidate({ url: EVENTS });
    expect(client.peek(EVENTS)).toBeUndefined();

    await client.get(EVENTS);
    await client.clear();
    expect(client.peek(EVENTS)).toBeUndefined();

    await client.get(EVENTS);
    client.namespace = 'bob';
    expect(client.peek(EVENTS)).toBeUndefined();
    client.namespace = '';
    expect(client.peek(EVENTS)).toBeDefined();
    expect(requests).toHaveLength(5);
  });

  it('never answers an entry that left memory after it was peeked: evicted, cleared, deleted under a tiered store', async () => {
    const calls = feed();
    const other = `${API}/api/users/alice/events-archive`;
    server.use(http.get(other, () => HttpResponse.json(['other'], { headers: { 'cache-control': 'max-age=60' } })));
    const { client } = makeClient({ routes, maxEntries: 1 });
    await client.get(EVENTS);
    expect(client.peek(EVENTS)?.data).toEqual([{ id: 1 }]);
    await client.get(other); // evicts EVENTS (maxEntries: 1)
    expect(client.peek(EVENTS)).toBeUndefined();
    await client.get(EVENTS); // evicts `other`, stores the second answer
    expect(client.peek(EVENTS)?.data).toEqual([{ id: 2 }]);
    expect(client.peek(other)).toBeUndefined();
    await client.clear();
    expect(client.peek(EVENTS)).toBeUndefined();
    expect(calls.n).toBe(2);

    const tiered = createClient({ baseUrl: `${API}/`, routes, store: tieredStore(idbStore({ name: uniqueName() })) });
    await tiered.get(EVENTS);
    expect(tiered.peek(EVENTS)?.data).toEqual([{ id: 3 }]);
    await tiered.invalidate({ url: EVENTS });
    expect(tiered.peek(EVENTS)).toBeUndefined();
  });

  it('answers the same object while nothing changed, a new one when the entry, its staleness or a layer changes', async () => {
    feed({ v: '1' }, { 'cache-control': 'max-age=60, stale-while-revalidate=60' });
    const { client, tick } = makeClient({ routes });
    await client.get(EVENTS);
    const first = client.peek(EVENTS);
    expect(client.peek(EVENTS)).toBe(first);
    await client.get(EVENTS, { cache: 'reload' });
    const replaced = client.peek(EVENTS);
    expect(replaced).not.toBe(first);
    expect(replaced).toMatchObject({ data: [{ id: 2 }], stale: false });
    tick(90_000);
    const stale = client.peek(EVENTS);
    expect(stale).not.toBe(replaced);
    expect(stale).toMatchObject({ data: [{ id: 2 }], stale: true });
    expect(client.peek(EVENTS)).toBe(stale);
    const remove = client.overlay('calendar:alice', () => []);
    expect(client.peek(EVENTS)?.data).toEqual([]);
    remove();
    expect(client.peek(EVENTS)?.data).toEqual([{ id: 2 }]);
    expect(client.peek(EVENTS, { as: 'text' })?.data).toBe('[{"id":2}]');
  });

  it('applies the scope overlays, as get does', async () => {
    feed();
    const { client } = makeClient({ routes });
    await client.get(EVENTS);
    const remove = client.overlay('calendar:alice', () => []);
    expect(client.peek(EVENTS)?.data).toEqual([]);
    remove();
    expect(client.peek(EVENTS)?.data).toEqual([{ id: 1 }]);
  });
});

describe('client.read', () => {
  it('says network for a request, memory for a hit, with the data get returns', async () => {
    feed();
    const { client } = makeClient({ routes });
    const first = await client.read(EVENTS);
    expect(first).toMatchObject({ data: [{ id: 1 }], source: 'network', stale: false, version: '1' });
    const second = await client.read(EVENTS);
    expect(second).toMatchObject({ data: [{ id: 1 }], source: 'memory', stale: false });
    expect(await client.get(EVENTS)).toEqual(second.data);
  });

  it('says stale-if-error when a 500 is answered by the saved copy', async () => {
    const { client, tick } = makeClient({ routes });
    feed({ v: '1' }, { 'cache-control': 'max-age=60, stale-if-error=600' });
    await client.read(EVENTS);
    tick(120_000);
    server.use(http.get(EVENTS, () => new HttpResponse('down', { status: 500 })));
    const result = await client.read(EVENTS);
    expect(result).toMatchObject({ data: [{ id: 1 }], source: 'stale-if-error', stale: true, version: '1' });
  });

  it('says memory, not stale, for a no-cache feed a version check confirmed (what nostale/server sends)', async () => {
    const calls = feed({ v: '1' }, { 'cache-control': 'private, no-cache, stale-if-error=86400' });
    server.use(http.get(`${API}/api/users/alice/version`, () => HttpResponse.json({ version: '1' })));
    const { client } = makeClient({
      routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}', versionUrl: '/api/users/{user}/version' }],
    });
    expect(await client.read(EVENTS)).toMatchObject({ source: 'network', stale: false });
    expect(await client.read(EVENTS)).toMatchObject({ data: [{ id: 1 }], source: 'memory', stale: false });
    expect(calls.n).toBe(1);
  });

  it('says persisted for an entry read from IndexedDB after a reload, memory once promoted', async () => {
    feed();
    const name = uniqueName('peek');
    const page = () => {
      const idb = idbStore({ name, pruneDelay: false });
      return { idb, client: createClient({ baseUrl: `${API}/`, routes, store: tieredStore(idb) }) };
    };
    const first = page();
    expect((await first.client.read(EVENTS)).source).toBe('network');
    await first.idb.flush();
    first.idb.close();

    const second = page();
    await second.client.ready;
    // Memory is empty after the reload: peek never reaches for IndexedDB.
    expect(second.client.peek(EVENTS)).toBeUndefined();
    expect(await second.client.read(EVENTS)).toMatchObject({ data: [{ id: 1 }], source: 'persisted', stale: false });
    expect((await second.client.read(EVENTS)).source).toBe('memory');
    expect(second.client.peek(EVENTS)?.source).toBe('memory');
    second.idb.close();
  });
});
