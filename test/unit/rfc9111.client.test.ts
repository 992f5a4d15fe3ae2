/**
 * RFC 9111 (HTTP Caching) and RFC 8246 (`immutable`) through the client, one describe per group of
 * issue 9. Each test says which requirement it holds the client to; the server is MSW, the clock is
 * the harness's hand-driven one, so ages and lifetimes are exact.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { type CacheEntry, HttpError, MemoryStore } from '../../src/index.js';
import { API, makeClient, useServer } from './support/harness.js';

const server = useServer();

/** What an endpoint answers: a status (200 unless given) and headers. */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
}

/** An endpoint answering `{ n }` (its call count) with the status and headers `reply` gives for the request. */
function endpoint(path: string, reply: (request: Request, n: number) => Reply) {
  const calls = { n: 0, requests: [] as Request[] };
  server.use(
    http.get(`${API}${path}`, ({ request }) => {
      calls.requests.push(request);
      const { status, headers } = reply(request, ++calls.n);
      return HttpResponse.json({ n: calls.n }, { status: status ?? 200, headers });
    }),
  );
  return calls;
}

/** The harness clock starts at 1,000,000 ms: Thu, 01 Jan 1970 00:16:40 GMT. */
const DATE = 'Thu, 01 Jan 1970 00:16:40 GMT';

/** Every entry a store holds. */
const entriesOf = (store: MemoryStore): CacheEntry[] => store.keys().map((key) => store.peek(key)!);

describe('Headers a cache must not store (RFC 9111 §3.1)', () => {
  const hopByHop = {
    Connection: 'close, X-Hop, X-Other-Hop',
    'X-Hop': 'one connection only',
    'X-Other-Hop': 'same',
    'Keep-Alive': 'timeout=5',
    'Proxy-Connection': 'keep-alive',
    TE: 'trailers',
    Upgrade: 'h2c',
    'Proxy-Authenticate': 'Basic realm="proxy"',
    'Proxy-Authentication-Info': 'nextnonce="abc"',
    'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
  };
  const neverStored = Object.keys(hopByHop).map((name) => name.toLowerCase());

  it('a response served from the cache carries no hop-by-hop, Connection-listed or proxy authentication field', async () => {
    const calls = endpoint('/hop', () => ({ headers: { 'Cache-Control': 'max-age=60', 'X-Kept': 'end-to-end', ...hopByHop } }));
    const { client } = makeClient();
    await client.fetch(`${API}/hop`);
    const cached = await client.fetch(`${API}/hop`);
    expect(calls.n).toBe(1);
    expect(cached.headers.get('x-kept')).toBe('end-to-end');
    expect(neverStored.filter((name) => cached.headers.has(name))).toEqual([]);
    expect(await cached.json()).toEqual({ n: 1 });
  });

  it('nor does the entry a store keeps, so a persistent tier never holds them', async () => {
    endpoint('/hop', () => ({ headers: { 'Cache-Control': 'max-age=60', ...hopByHop } }));
    const store = new MemoryStore();
    const { client } = makeClient({ store });
    await client.get('/hop');
    const stored = entriesOf(store);
    expect(stored).toHaveLength(1);
    expect(neverStored.filter((name) => name in stored[0]!.headers)).toEqual([]);
  });
});

describe('Age (RFC 9111 §4.2.3, §5.1)', () => {
  it('a response served from the cache carries its current age: the age it arrived with plus its time here', async () => {
    endpoint('/aged', () => ({ headers: { 'Cache-Control': 'max-age=600', Age: '100' } }));
    endpoint('/new', () => ({ headers: { 'Cache-Control': 'max-age=600' } }));
    const { client, tick } = makeClient();
    await client.fetch(`${API}/aged`);
    await client.fetch(`${API}/new`);
    tick(30_000);
    expect((await client.fetch(`${API}/aged`)).headers.get('age')).toBe('130');
    expect((await client.fetch(`${API}/new`)).headers.get('age')).toBe('30');
  });

  it('after a 304 refreshed it, the age counts from the 304 (and the Age the 304 carried)', async () => {
    const calls = endpoint('/refreshed', (request, n) =>
      n === 1
        ? { headers: { 'Cache-Control': 'max-age=10', ETag: '"v1"', Age: '5' } }
        : {
            status: request.headers.get('if-none-match') === '"v1"' ? 304 : 200,
            headers: { 'Cache-Control': 'max-age=10', ETag: '"v1"', Age: '2' },
          },
    );
    const { client, tick } = makeClient();
    await client.fetch(`${API}/refreshed`);
    tick(20_000);
    const refreshed = await client.fetch(`${API}/refreshed`);
    expect(calls.n).toBe(2);
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('age')).toBe('2');
    tick(3_000);
    expect((await client.fetch(`${API}/refreshed`)).headers.get('age')).toBe('5');
    expect(calls.n).toBe(2);
  });

  it('an Age list counts its first member; a value with trailing garbage is invalid and ignored', async () => {
    const list = endpoint('/list', () => ({ headers: { 'Cache-Control': 'max-age=300', Age: '600, 0' } }));
    const garbage = endpoint('/garbage', () => ({ headers: { 'Cache-Control': 'max-age=300', Age: '600x' } }));
    const { client } = makeClient();
    await client.get('/list');
    await client.get('/list');
    // 600 s old with a lifetime of 300: stale on arrival, so never served from the cache.
    expect(list.n).toBe(2);
    await client.get('/garbage');
    await client.get('/garbage');
    expect(garbage.n).toBe(1);
  });
});

describe('Dates (RFC 9110 §5.6.7): Expires is an HTTP-date, anything else means already expired', () => {
  it.each([
    ['IMF-fixdate', 'Thu, 01 Jan 1970 00:17:40 GMT'],
    ['the obsolete RFC 850 form', 'Thursday, 01-Jan-70 00:17:40 GMT'],
    ['the obsolete asctime form', 'Thu Jan  1 00:17:40 1970'],
  ])('accepts %s', async (_, expires) => {
    const calls = endpoint('/expires', () => ({ headers: { Date: DATE, Expires: expires } }));
    const { client, tick } = makeClient();
    await client.get('/expires');
    tick(59_000);
    await client.get('/expires');
    expect(calls.n).toBe(1);
    tick(2_000);
    await client.get('/expires');
    expect(calls.n).toBe(2);
  });

  it.each([
    ['UTC instead of GMT', 'Thu, 01 Jan 1970 00:17:40 UTC'],
    ['a missing comma', 'Thu 01 Jan 1970 00:17:40 GMT'],
    ['extra spaces', 'Thu,  01 Jan 1970  00:17:40 GMT'],
    ['dashes in an IMF-fixdate', 'Thu, 01-Jan-1970 00:17:40 GMT'],
    ['a one-digit hour', 'Thu, 01 Jan 1970 0:17:40 GMT'],
    ['ISO 8601', '1970-01-01T00:17:40Z'],
    ['a numeric zone', 'Thu, 01 Jan 1970 00:17:40 +0000'],
  ])('treats an Expires with %s as already expired', async (_, expires) => {
    const calls = endpoint('/expires', () => ({ headers: { Date: DATE, Expires: expires } }));
    const { client } = makeClient({ defaultTtl: 60_000 });
    await client.get('/expires');
    await client.get('/expires');
    expect(calls.n).toBe(2);
  });

  it('an invalid Date is no date at all: the apparent age is not computed from it', async () => {
    // `Date.parse` reads this as 1970-01-01T00:00:00Z, 1000 s before the response: stale on arrival.
    const calls = endpoint('/date', () => ({ headers: { Date: 'Thu, 01 Jan 1970 00:00:00 UTC', 'Cache-Control': 'max-age=600' } }));
    const { client } = makeClient();
    await client.get('/date');
    await client.get('/date');
    expect(calls.n).toBe(1);
  });
});

describe('304 updates (RFC 9111 §3.2, §4.3.4)', () => {
  it('a 304 replaces the stored fields it carries, except Content-Length and the fields never stored', async () => {
    const body = JSON.stringify({ item: 'kept' });
    let n = 0;
    server.use(
      http.get(`${API}/item`, ({ request }) => {
        n++;
        if (request.headers.get('if-none-match') === '"v1"') {
          return new HttpResponse(null, {
            status: 304,
            headers: {
              ETag: '"v1"',
              'Cache-Control': 'max-age=60',
              'X-Info': 'new',
              'Content-Length': '0',
              Connection: 'X-Hop',
              'X-Hop': 'one connection only',
            },
          });
        }
        return new HttpResponse(body, {
          headers: {
            ETag: '"v1"',
            'Cache-Control': 'no-cache',
            'Content-Type': 'application/json',
            'Content-Length': String(body.length),
            'X-Info': 'old',
            'X-Untouched': 'yes',
          },
        });
      }),
    );
    const { client } = makeClient();
    await client.fetch(`${API}/item`);
    const refreshed = await client.fetch(`${API}/item`);
    expect(n).toBe(2);
    expect(refreshed.status).toBe(200);
    expect(Object.fromEntries(refreshed.headers)).toMatchObject({
      'x-info': 'new',
      'x-untouched': 'yes',
      'content-length': String(body.length),
      'cache-control': 'max-age=60',
    });
    expect(refreshed.headers.has('x-hop')).toBe(false);
    expect(await refreshed.json()).toEqual({ item: 'kept' });
    // The 304's max-age now rules: served without a request.
    await client.fetch(`${API}/item`);
    expect(n).toBe(2);
  });

  it("a 304 without Date does not inherit the stored Date: the lifetime counts from the 304's arrival", async () => {
    const calls = endpoint(
      '/dated',
      (request): Reply =>
        request.headers.get('if-none-match')
          ? { status: 304, headers: { ETag: '"v1"', 'Cache-Control': 'max-age=60' } }
          : { headers: { ETag: '"v1"', 'Cache-Control': 'max-age=60', Date: DATE } },
    );
    const { client, tick } = makeClient();
    await client.get('/dated');
    tick(120_000);
    await client.get('/dated');
    expect(calls.n).toBe(2);
    tick(30_000);
    await client.get('/dated');
    expect(calls.n).toBe(2);
  });
});

describe('Explicit freshness on other statuses (RFC 9111 §3, §4.2.2)', () => {
  it.each([404, 410, 500, 503])('a %i with max-age is reused while fresh, and get() still rejects with HttpError', async (status) => {
    const calls = endpoint('/gone', () => ({ status, headers: { 'Cache-Control': 'max-age=60' } }));
    const { client, tick } = makeClient();
    for (let i = 0; i < 2; i++) {
      const error = await client.get('/gone').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status, body: { n: 1 } });
    }
    expect(calls.n).toBe(1);
    const response = await client.fetch(`${API}/gone`);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ n: 1 });
    expect(calls.n).toBe(1);
    tick(61_000);
    await client.get('/gone').catch(() => undefined);
    expect(calls.n).toBe(2);
  });

  it('a 404 with a valid Expires is reused while fresh', async () => {
    const calls = endpoint('/gone', () => ({ status: 404, headers: { Date: DATE, Expires: 'Thu, 01 Jan 1970 00:17:40 GMT' } }));
    const { client } = makeClient();
    await expect(client.get('/gone')).rejects.toBeInstanceOf(HttpError);
    await expect(client.get('/gone')).rejects.toBeInstanceOf(HttpError);
    expect(calls.n).toBe(1);
  });

  it('never heuristic freshness: an error without max-age or Expires is never stored, whatever defaultTtl says', async () => {
    const calls = endpoint('/gone', () => ({ status: 404, headers: { 'Last-Modified': 'Thu, 01 Jan 1970 00:00:00 GMT' } }));
    const store = new MemoryStore();
    const { client } = makeClient({ defaultTtl: 60_000, store });
    await expect(client.get('/gone')).rejects.toBeInstanceOf(HttpError);
    await expect(client.get('/gone')).rejects.toBeInstanceOf(HttpError);
    expect(calls.n).toBe(2);
    expect(entriesOf(store)).toEqual([]);
  });

  it('a 206 (part of a body) is answered but never stored, so a full read never gets the part', async () => {
    let n = 0;
    server.use(
      http.get(`${API}/file`, ({ request }) => {
        n++;
        const range = request.headers.get('range') !== null;
        return new HttpResponse(range ? 'ab' : 'abcdef', {
          status: range ? 206 : 200,
          headers: { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60', ...(range && { 'Content-Range': 'bytes 0-1/6' }) },
        });
      }),
    );
    const { client } = makeClient();
    const part = await client.fetch(`${API}/file`, { headers: { Range: 'bytes=0-1' } });
    expect([part.status, await part.text()]).toEqual([206, 'ab']);
    expect(await (await client.fetch(`${API}/file`)).text()).toBe('abcdef');
    expect(n).toBe(2);
  });

  it('a deleted item stays deleted: a cacheable 404 replaces the stored 200 instead of leaving it to come back', async () => {
    const calls = endpoint('/events/1', (_, n) =>
      n === 1 ? { headers: { 'Cache-Control': 'max-age=10' } } : { status: 404, headers: { 'Cache-Control': 'max-age=60' } },
    );
    const { client, tick } = makeClient();
    expect(await client.get('/events/1')).toEqual({ n: 1 });
    tick(11_000);
    await expect(client.get('/events/1')).rejects.toMatchObject({ status: 404 });
    await expect(client.get('/events/1')).rejects.toMatchObject({ status: 404 });
    expect(await client.get('/events/1', { cache: 'force-cache' }).catch((e: unknown) => e)).toMatchObject({ status: 404 });
    expect(calls.n).toBe(2);
  });

  it('on a version-scoped route, a cached 404 is of its scope mark: a new version retires it like any entry', async () => {
    let version = 1;
    const calls = endpoint('/users/alice/events/1', () => ({
      status: 404,
      headers: { 'Cache-Control': 'max-age=300', 'X-Cache-Version': String(version) },
    }));
    const { client } = makeClient({ routes: [{ match: '/users/:user/events*', scope: 'calendar:{user}' }] });
    await expect(client.get('/users/alice/events/1')).rejects.toMatchObject({ status: 404 });
    await expect(client.get('/users/alice/events/1')).rejects.toMatchObject({ status: 404 });
    expect(calls.n).toBe(1);
    expect(client.scopes()).toEqual([expect.objectContaining({ scope: 'calendar:alice', token: '1' })]);
    version = 2;
    expect(client.setVersion('calendar:alice', '2')).toBe(true);
    await expect(client.get('/users/alice/events/1')).rejects.toMatchObject({ status: 404 });
    expect(calls.n).toBe(2);
  });
});

describe('Vary matching (RFC 9111 §4.1)', () => {
  const negotiated = (vary: string) => endpoint('/negotiated', () => ({ headers: { Vary: vary, 'Cache-Control': 'max-age=60' } }));

  it('Accept-Language values differing only in whitespace, order and case select the same variant', async () => {
    const calls = negotiated('Accept-Language');
    const { client } = makeClient();
    await client.get('/negotiated', { headers: { 'Accept-Language': 'en-US, fr;q=0.5' } });
    await client.get('/negotiated', { headers: { 'Accept-Language': 'FR; q=0.5,en-us' } });
    expect(calls.n).toBe(1);
    await client.get('/negotiated', { headers: { 'Accept-Language': 'de' } });
    expect(calls.n).toBe(2);
  });

  it('Accept and other fields differing only in whitespace the syntax allows select the same variant', async () => {
    const calls = negotiated('Accept, X-Tenant');
    const { client } = makeClient();
    await client.get('/negotiated', { headers: { Accept: 'text/html, application/json;q=0.9', 'X-Tenant': ' acme ' } });
    await client.get('/negotiated', { headers: { Accept: 'text/html,application/json ; q=0.9', 'X-Tenant': 'acme' } });
    expect(calls.n).toBe(1);
    // Order matters in Accept, and in another field a comma may be data.
    await client.get('/negotiated', { headers: { Accept: 'application/json;q=0.9, text/html', 'X-Tenant': 'acme' } });
    await client.get('/negotiated', { headers: { Accept: 'text/html,application/json;q=0.9', 'X-Tenant': 'ac, me' } });
    expect(calls.n).toBe(3);
  });
});

describe('immutable (RFC 8246)', () => {
  it("a fresh immutable response is reused even when the caller asks cache: 'no-cache'", async () => {
    const calls = endpoint('/asset', () => ({ headers: { 'Cache-Control': 'max-age=60, immutable', ETag: '"a"' } }));
    const { client } = makeClient();
    await client.get('/asset');
    expect(await client.get('/asset', { cache: 'no-cache' })).toEqual({ n: 1 });
    expect((await client.fetch(new Request(`${API}/asset`, { cache: 'no-cache' }))).status).toBe(200);
    expect(calls.n).toBe(1);
  });

  it('once stale it is revalidated like any other, and a mutable one is revalidated when asked', async () => {
    const calls = endpoint('/asset', () => ({ headers: { 'Cache-Control': 'max-age=60, immutable', ETag: '"a"' } }));
    const mutable = endpoint('/page', () => ({ headers: { 'Cache-Control': 'max-age=60' } }));
    const { client, tick } = makeClient();
    await client.get('/asset');
    await client.get('/page');
    await client.get('/page', { cache: 'no-cache' });
    expect(mutable.n).toBe(2);
    tick(61_000);
    await client.get('/asset', { cache: 'no-cache' });
    expect(calls.n).toBe(2);
    expect(calls.requests[1]!.headers.get('if-none-match')).toBe('"a"');
  });
});
