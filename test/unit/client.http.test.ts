import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  type CacheEntry,
  type EntryFilter,
  HttpError,
  MemoryStore,
  NetworkError,
  ParseError,
  type Store,
  TimeoutError,
} from '../../src/index.js';
import { API, gate, makeClient, useServer } from './support/harness.js';

const server = useServer();

/** A JSON endpoint counting its calls, answering `{ n }` with the given headers. */
function counted(path: string, headers: Record<string, string> = {}) {
  const calls = { n: 0 };
  server.use(http.get(`${API}${path}`, () => HttpResponse.json({ n: ++calls.n }, { headers })));
  return calls;
}

describe('reads through the cache', () => {
  it('serves a fresh entry from memory without a request, and the same decoded object', async () => {
    const calls = counted('/a', { 'Cache-Control': 'max-age=60' });
    const { client } = makeClient();
    const first = await client.get('/a');
    const second = await client.get('/a');
    expect(calls.n).toBe(1);
    expect(second).toBe(first);
    expect(client.stats()).toMatchObject({ hits: 1, misses: 1, hitRatio: 0.5 });
  });

  it('sends every request with cache: no-store so the browser HTTP cache never answers, unless a route says otherwise', async () => {
    counted('/a');
    counted('/static/logo.json');
    const { client, requests } = makeClient({ routes: [{ match: '/static/*', browserCache: 'default' }] });
    await client.get('/a');
    await client.get('/static/logo.json');
    expect(requests.map((r) => r.init?.cache)).toEqual(['no-store', 'default']);
  });

  it('refetches once max-age has passed', async () => {
    const calls = counted('/a', { 'Cache-Control': 'max-age=60' });
    const { client, tick } = makeClient();
    await client.get('/a');
    tick(59_000);
    await client.get('/a');
    expect(calls.n).toBe(1);
    tick(2_000);
    expect(await client.get('/a')).toEqual({ n: 2 });
  });

  it('uses Expires minus Date when there is no max-age, and max-age over Expires', async () => {
    const { client, clock, tick } = makeClient();
    const date = new Date(clock.now).toUTCString();
    const calls = counted('/a', { Date: date, Expires: new Date(clock.now + 30_000).toUTCString() });
    await client.get('/a');
    tick(20_000);
    await client.get('/a');
    expect(calls.n).toBe(1);
    tick(11_000);
    await client.get('/a');
    expect(calls.n).toBe(2);

    const both = counted('/b', { 'Cache-Control': 'max-age=100', Expires: 'Thu, 01 Jan 1970 00:00:00 GMT' });
    await client.get('/b');
    await client.get('/b');
    expect(both.n).toBe(1);
  });

  it('subtracts Age from the lifetime, and ignores an invalid Age', async () => {
    const aged = counted('/aged', { 'Cache-Control': 'max-age=60', Age: '50' });
    const bogus = counted('/bogus', { 'Cache-Control': 'max-age=60', Age: '7200.0' });
    const { client, tick } = makeClient();
    await client.get('/aged');
    await client.get('/bogus');
    tick(20_000);
    await client.get('/aged');
    await client.get('/bogus');
    expect(aged.n).toBe(2);
    expect(bogus.n).toBe(1);
  });

  it('applies defaultTtl only when the server says nothing', async () => {
    const silent = counted('/silent');
    const { client, tick } = makeClient({ defaultTtl: 10_000 });
    await client.get('/silent');
    tick(5_000);
    await client.get('/silent');
    expect(silent.n).toBe(1);
    tick(6_000);
    await client.get('/silent');
    expect(silent.n).toBe(2);
  });

  it('never stores no-store, whatever its case, and drops an entry the server now marks no-store', async () => {
    let policy = 'max-age=60';
    let n = 0;
    server.use(http.get(`${API}/a`, () => HttpResponse.json({ n: ++n }, { headers: { 'Cache-Control': policy } })));
    const { client, events } = makeClient();
    await client.get('/a');
    policy = 'nO-StOrE';
    await client.get('/a', { cache: 'reload' });
    await client.get('/a');
    expect(n).toBe(3);
    expect(events.filter((e) => e.type === 'store')).toHaveLength(1);
  });

  it('revalidates no-cache entries before every reuse with If-None-Match, and a 304 serves the stored body', async () => {
    let full = 0;
    const seen: (string | null)[] = [];
    server.use(
      http.get(`${API}/a`, ({ request }) => {
        seen.push(request.headers.get('if-none-match'));
        if (request.headers.get('if-none-match') === '"v1"') return new HttpResponse(null, { status: 304, headers: { ETag: '"v1"' } });
        full++;
        return HttpResponse.json({ items: [1, 2] }, { headers: { 'Cache-Control': 'no-cache', ETag: '"v1"' } });
      }),
    );
    const { client } = makeClient();
    expect(await client.get('/a')).toEqual({ items: [1, 2] });
    expect(await client.get('/a')).toEqual({ items: [1, 2] });
    expect(seen).toEqual([null, '"v1"']);
    expect(full).toBe(1);
    expect(client.stats()).toMatchObject({ notModified: 1, revalidations: 1 });
  });

  it('revalidates with If-Modified-Since when only Last-Modified is known, and the 304 refreshes the lifetime', async () => {
    const lastModified = 'Wed, 01 Jan 2025 00:00:00 GMT';
    const seen: (string | null)[] = [];
    server.use(
      http.get(`${API}/a`, ({ request }) => {
        seen.push(request.headers.get('if-modified-since'));
        const headers = { 'Last-Modified': lastModified, 'Cache-Control': 'max-age=10' };
        return request.headers.get('if-modified-since') === lastModified
          ? new HttpResponse(null, { status: 304, headers })
          : HttpResponse.json({ ok: true }, { headers });
      }),
    );
    const { client, tick } = makeClient();
    await client.get('/a');
    tick(11_000);
    await client.get('/a');
    tick(5_000);
    await client.get('/a');
    expect(seen).toEqual([null, lastModified]);
  });

  it('must-revalidate is never served stale, even with stale-while-revalidate', async () => {
    const _calls = counted('/a', { 'Cache-Control': 'max-age=1, must-revalidate, stale-while-revalidate=60' });
    const { client, tick } = makeClient();
    await client.get('/a');
    tick(2_000);
    expect(await client.get('/a')).toEqual({ n: 2 });
  });

  it('stale-while-revalidate serves the stale entry at once and refreshes it in the background', async () => {
    const calls = counted('/a', { 'Cache-Control': 'max-age=1, stale-while-revalidate=60' });
    const { client, tick, events } = makeClient();
    await client.get('/a');
    tick(2_000);
    expect(await client.get('/a')).toEqual({ n: 1 });
    await vi_waitFor(() => calls.n === 2);
    await vi_waitFor(() => events.filter((e) => e.type === 'store').length === 2);
    expect(await client.get('/a')).toEqual({ n: 2 });
    expect(client.stats().staleHits).toBe(1);
  });

  it('keeps one entry per variant of the headers named by Vary', async () => {
    let n = 0;
    server.use(
      http.get(`${API}/a`, ({ request }) =>
        HttpResponse.json(
          { lang: request.headers.get('accept-language'), n: ++n },
          { headers: { Vary: 'Accept-Language', 'Cache-Control': 'max-age=60' } },
        ),
      ),
    );
    const { client } = makeClient();
    expect(await client.get('/a', { headers: { 'Accept-Language': 'fr' } })).toEqual({ lang: 'fr', n: 1 });
    expect(await client.get('/a', { headers: { 'Accept-Language': 'de' } })).toEqual({ lang: 'de', n: 2 });
    expect(await client.get('/a', { headers: { 'Accept-Language': 'fr' } })).toEqual({ lang: 'fr', n: 1 });
  });

  it('treats query parameter order as the same request, but different values as different', async () => {
    let n = 0;
    server.use(http.get(`${API}/q`, () => HttpResponse.json({ n: ++n }, { headers: { 'Cache-Control': 'max-age=60' } })));
    const { client } = makeClient();
    await client.get('/q?a=1&b=2');
    await client.get('/q?b=2&a=1');
    expect(n).toBe(1);
    await client.get('/q?a=1&b=3');
    expect(n).toBe(2);
  });

  it('shares one request between concurrent identical GETs', async () => {
    const hold = gate();
    let n = 0;
    server.use(
      http.get(`${API}/a`, async () => {
        n++;
        await hold.opened;
        return HttpResponse.json({ n });
      }),
    );
    const { client } = makeClient();
    const pending = [client.get('/a'), client.get('/a'), client.fetch(`${API}/a`).then((r) => r.json())];
    hold.open();
    expect(await Promise.all(pending)).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect(n).toBe(1);
  });

  it('lets one caller abort without cancelling the request for the others', async () => {
    const hold = gate();
    server.use(
      http.get(`${API}/a`, async () => {
        await hold.opened;
        return HttpResponse.json({ ok: true });
      }),
    );
    const { client } = makeClient();
    const controller = new AbortController();
    const aborted = client.get('/a', { signal: controller.signal });
    const kept = client.get('/a');
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    hold.open();
    expect(await kept).toEqual({ ok: true });
  });
});

describe('fetch() has the signature of the global fetch and shares the cache', () => {
  it('answers GETs from the cache as a Response, and get() then hits the same entry', async () => {
    const calls = counted('/a', { 'Cache-Control': 'max-age=60', 'X-Extra': 'kept' });
    const { client } = makeClient();
    const response = await client.fetch(`${API}/a`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ n: 1 });
    const again = await client.fetch(new Request(`${API}/a`));
    expect(again.headers.get('x-extra')).toBe('kept');
    expect(await again.json()).toEqual({ n: 1 });
    expect(await client.get('/a')).toEqual({ n: 1 });
    expect(calls.n).toBe(1);
  });

  it('returns error responses as they are, like fetch, and never caches them without explicit freshness', async () => {
    let n = 0;
    // Reused while fresh only when the server says how long (test/unit/rfc9111.client.test.ts).
    server.use(http.get(`${API}/a`, () => HttpResponse.json({ error: 'nope', n: ++n }, { status: 500, headers: { ETag: '"e"' } })));
    // Each fetch is sent once: retries of a 5xx are covered in servers.retry.test.ts.
    const { client } = makeClient({ retry: { retries: 0 } });
    expect((await client.fetch(`${API}/a`)).status).toBe(500);
    expect((await client.fetch(`${API}/a`)).status).toBe(500);
    expect(n).toBe(2);
  });

  it('a successful unsafe request invalidates the target URL and its Location, and only those', async () => {
    const item = counted('/items/1', { 'Cache-Control': 'max-age=60' });
    const list = counted('/items', { 'Cache-Control': 'max-age=60' });
    const other = counted('/other', { 'Cache-Control': 'max-age=60' });
    server.use(http.put(`${API}/items/1`, () => new HttpResponse(null, { status: 204, headers: { Location: '/items' } })));
    const { client } = makeClient();
    await Promise.all([client.get('/items/1'), client.get('/items'), client.get('/other')]);
    await client.fetch(`${API}/items/1`, { method: 'PUT', body: '{}' });
    await Promise.all([client.get('/items/1'), client.get('/items'), client.get('/other')]);
    expect([item.n, list.n, other.n]).toEqual([2, 2, 1]);
  });

  it('an unsafe request finds what it invalidates through the store’s URL index, never by testing every entry', async () => {
    const item = counted('/items/1', { 'Cache-Control': 'max-age=60' });
    server.use(http.delete(`${API}/items/1`, () => new HttpResponse(null, { status: 204 })));
    const memory = new MemoryStore({ maxEntries: 10_000 });
    const filters: EntryFilter[] = [];
    let tested = 0;
    const store: Store = {
      get: (key) => memory.get(key),
      set: (entries) => memory.set(entries),
      delete: (keys) => memory.delete(keys),
      clear: (filter) => memory.clear(filter),
      keys: (filter) => {
        if (filter) filters.push(filter);
        const where = filter?.where;
        const counting = (e: CacheEntry) => {
          tested++;
          return where!(e);
        };
        return memory.keys(where ? { ...filter, where: counting } : filter);
      },
    };
    const { client } = makeClient({ store });
    await client.get('/items/1');
    await client.fetch(`${API}/items/1`, { method: 'DELETE' });
    expect(tested).toBe(0);
    expect(filters.at(-1)?.urls).toEqual([`${API}/items/1`]);
    await client.get('/items/1');
    expect(item.n).toBe(2);
  });

  it('a failed unsafe request invalidates nothing', async () => {
    const item = counted('/items/1', { 'Cache-Control': 'max-age=60' });
    server.use(http.delete(`${API}/items/1`, () => HttpResponse.json({ error: 'locked' }, { status: 409 })));
    const { client } = makeClient();
    await client.get('/items/1');
    expect((await client.fetch(`${API}/items/1`, { method: 'DELETE' })).status).toBe(409);
    await client.get('/items/1');
    expect(item.n).toBe(1);
  });
});

describe('errors are typed, never cached, and leave the last good entry in place', () => {
  it('rejects with HttpError carrying status and decoded body', async () => {
    server.use(http.get(`${API}/a`, () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })));
    const { client } = makeClient();
    const error = await client.get('/a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 404, body: { detail: 'Not found.' } });
  });

  it('rejects malformed JSON with ParseError and stores nothing usable as data', async () => {
    server.use(http.get(`${API}/a`, () => new HttpResponse('{"oops": ', { headers: { 'Content-Type': 'application/json' } })));
    const { client } = makeClient();
    const error = await client.get('/a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).text).toBe('{"oops": ');
  });

  it('rejects a network failure with NetworkError', async () => {
    server.use(http.get(`${API}/a`, () => HttpResponse.error()));
    const { client } = makeClient({ retry: { retries: 0 } });
    await expect(client.get('/a')).rejects.toBeInstanceOf(NetworkError);
  });

  it('rejects with TimeoutError after the timeout', async () => {
    server.use(http.get(`${API}/slow`, () => new Promise<Response>(() => undefined)));
    const { client } = makeClient({ timeout: 20 });
    await expect(client.get('/slow')).rejects.toBeInstanceOf(TimeoutError);
  });

  it('keeps the previous good entry when a revalidation fails, and serves it within stale-if-error', async () => {
    let fail = false;
    server.use(
      http.get(`${API}/a`, () =>
        fail
          ? HttpResponse.json({ boom: true }, { status: 503 })
          : HttpResponse.json({ good: true }, { headers: { 'Cache-Control': 'max-age=1, stale-if-error=60' } }),
      ),
    );
    const { client, tick } = makeClient();
    await client.get('/a');
    fail = true;
    tick(2_000);
    expect(await client.get('/a')).toEqual({ good: true });
    tick(100_000);
    await expect(client.get('/a')).rejects.toBeInstanceOf(HttpError);
    fail = false;
    expect(await client.get('/a')).toEqual({ good: true });
  });

  it('an error for one request does not disturb another in flight', async () => {
    server.use(
      http.get(`${API}/bad`, () => HttpResponse.error()),
      http.get(`${API}/good`, () => HttpResponse.json({ fine: true })),
    );
    const { client } = makeClient();
    const [bad, good] = await Promise.allSettled([client.get('/bad'), client.get('/good')]);
    expect(bad.status).toBe('rejected');
    expect(good).toEqual({ status: 'fulfilled', value: { fine: true } });
  });
});

describe('enabled: false passes everything through with the same API', () => {
  it('never serves from cache and never stores', async () => {
    const calls = counted('/a', { 'Cache-Control': 'max-age=60' });
    const { client, events } = makeClient({ enabled: false });
    await client.get('/a');
    await client.get('/a');
    await (await client.fetch(`${API}/a`)).json();
    expect(calls.n).toBe(3);
    expect(events.some((e) => e.type === 'store' || e.type === 'hit')).toBe(false);
  });
});

describe('invalidate, clear and prefetch', () => {
  it('invalidates by prefix and by URL pattern, leaving the rest', async () => {
    const a = counted('/users/1/profile', { 'Cache-Control': 'max-age=60' });
    const b = counted('/users/2/profile', { 'Cache-Control': 'max-age=60' });
    const c = counted('/teams/1', { 'Cache-Control': 'max-age=60' });
    const { client } = makeClient();
    const readAll = () => Promise.all(['/users/1/profile', '/users/2/profile', '/teams/1'].map((u) => client.get(u)));
    await readAll();
    await client.invalidate({ prefix: '/users/1' });
    await readAll();
    expect([a.n, b.n, c.n]).toEqual([2, 1, 1]);
    await client.invalidate({ url: '/users/*/profile' });
    await readAll();
    expect([a.n, b.n, c.n]).toEqual([3, 2, 1]);
  });

  it('clear() empties the cache, and an answer in flight during the clear is not stored', async () => {
    const hold = gate();
    let n = 0;
    server.use(
      http.get(`${API}/a`, async () => {
        n++;
        if (n === 2) await hold.opened;
        return HttpResponse.json({ n }, { headers: { 'Cache-Control': 'max-age=60' } });
      }),
    );
    const { client } = makeClient();
    await client.get('/a');
    await client.clear();
    const inFlight = client.get('/a');
    await new Promise((r) => setTimeout(r, 10));
    await client.clear();
    hold.open();
    expect(await inFlight).toEqual({ n: 2 });
    expect(await client.get('/a')).toEqual({ n: 3 });
  });

  it('prefetch warms the cache and never rejects', async () => {
    const calls = counted('/a', { 'Cache-Control': 'max-age=60' });
    server.use(http.get(`${API}/broken`, () => HttpResponse.error()));
    const { client, events } = makeClient();
    await expect(client.prefetch(['/a', '/broken'])).resolves.toBeUndefined();
    await client.get('/a');
    expect(calls.n).toBe(1);
    expect(events.some((e) => e.type === 'error')).toBe(true);
  });
});

describe('stats and events', () => {
  it('counts hits, misses, stale hits, revalidations, 304s and evictions, and reports each operation', async () => {
    server.use(
      http.get(`${API}/n/:id`, ({ params }) => HttpResponse.json({ id: params.id }, { headers: { 'Cache-Control': 'max-age=60' } })),
    );
    const { client, events } = makeClient({ maxEntries: 2 });
    await client.get('/n/1');
    await client.get('/n/1');
    await client.get('/n/2');
    await client.get('/n/3');
    await client.get('/n/1');
    expect(client.stats()).toMatchObject({ hits: 1, misses: 4, evictions: 2 });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['miss', 'store', 'hit', 'evict']));
    client.resetStats();
    expect(client.stats()).toMatchObject({ hits: 0, misses: 0, hitRatio: 0 });
  });

  it('subscribe() listens and unsubscribes; a throwing listener breaks nothing', async () => {
    counted('/a', { 'Cache-Control': 'max-age=60' });
    const { client } = makeClient();
    const seen: string[] = [];
    const stop = client.subscribe((e) => seen.push(e.type));
    client.subscribe(() => {
      throw new Error('listener bug');
    });
    await client.get('/a');
    stop();
    await client.get('/a');
    expect(seen).toEqual(['miss', 'store']);
  });
});

async function vi_waitFor(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe('request cache modes', () => {
  it("cache: 'no-cache' revalidates even a fresh entry; 'force-cache' serves even an expired one", async () => {
    let n = 0;
    server.use(http.get(`${API}/a`, () => HttpResponse.json({ n: ++n }, { headers: { 'Cache-Control': 'max-age=60' } })));
    const { client, tick } = makeClient();
    await client.get('/a');
    expect(await client.get('/a', { cache: 'no-cache' })).toEqual({ n: 2 });
    tick(120_000);
    expect(await client.get('/a', { cache: 'force-cache' })).toEqual({ n: 2 });
    expect(await client.get('/a', { cache: 'no-store' })).toEqual({ n: 3 });
    expect(await client.get('/a')).toEqual({ n: 4 });
  });
});
