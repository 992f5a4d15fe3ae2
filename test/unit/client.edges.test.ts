/**
 * The edges where the core used to break its own promises (issue 8): each block is one bug
 * class, and each test failed on the client before the rebuild.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CacheEntry,
  type CacheEvent,
  type ClientOptions,
  createClient,
  HttpError,
  isNostaleError,
  MemoryStore,
  NetworkError,
  ParseError,
  type Store,
  TimeoutError,
} from '../../src/index.js';
import { withMutations } from '../../src/mutate.js';
import { json, origin, settle } from './support/origin.js';

const BASE = 'http://api.test/';

function setup(options: ClientOptions = {}, auto?: Parameters<typeof origin>[0], ignoreAbort = false) {
  const o = origin(auto, { ignoreAbort });
  const clock = { now: 1_000_000 };
  const events: CacheEvent[] = [];
  const client = createClient({ baseUrl: BASE, fetch: o.fetch, now: () => clock.now, onEvent: (e) => events.push(e), ...options });
  return { client, ...o, clock, events, tick: (ms: number) => (clock.now += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('1. a request belongs to the namespace it was started in', () => {
  it('a late read is not retried once the namespace has switched, and nothing of the new user is stored for the old one', async () => {
    const routes = [{ match: '/cal', scope: 'cal' }];
    const { client, requests } = setup({ routes, namespace: 'alice' });
    const read = client.get('/cal');
    await settle();
    client.setVersion('cal', '2'); // the answer in flight (token 1) is now late
    client.namespace = 'bob';
    requests[0]!.respond({ owner: 'alice' }, { headers: { 'x-cache-version': '1', 'cache-control': 'max-age=60' } });
    await expect(read).rejects.toMatchObject({ name: 'StaleVersionError' });
    await settle();
    // No retry went out with bob's session.
    expect(requests).toHaveLength(1);
    client.namespace = 'alice';
    const again = client.get('/cal');
    await settle();
    expect(requests).toHaveLength(2);
    requests[1]!.respond({ owner: 'alice' }, { headers: { 'x-cache-version': '2' } });
    expect(await again).toEqual({ owner: 'alice' });
  });

  it('a late read cleared in flight is not retried', async () => {
    const routes = [{ match: '/cal', scope: 'cal' }];
    const { client, requests } = setup({ routes, namespace: 'alice' });
    const read = client.get('/cal');
    await settle();
    client.setVersion('cal', '2');
    await client.clear({ namespace: 'alice' });
    requests[0]!.respond({ owner: 'alice' }, { headers: { 'x-cache-version': '1' } });
    await expect(read).rejects.toMatchObject({ name: 'StaleVersionError' });
    expect(requests).toHaveLength(1);
  });
});

describe('2. in-flight sharing respects request headers', () => {
  it('two first reads differing in a header the answer varies on each get their own variant', async () => {
    const { client, requests } = setup();
    const a = client.get('/v', { headers: { 'X-Tenant': 'a' } });
    const b = client.get('/v', { headers: { 'X-Tenant': 'b' } });
    await settle();
    expect(requests).toHaveLength(2);
    for (const r of requests)
      r.respond({ tenant: r.headers.get('x-tenant') }, { headers: { vary: 'X-Tenant', 'cache-control': 'max-age=60' } });
    expect(await a).toEqual({ tenant: 'a' });
    expect(await b).toEqual({ tenant: 'b' });
  });

  it('reads with identical headers still share one request, and once Vary is known reads equal on it share', async () => {
    const { client, requests } = setup();
    const a = client.get('/v', { headers: { 'X-Tenant': 'a' } });
    const b = client.get('/v', { headers: { 'x-tenant': 'a' } });
    await settle();
    expect(requests).toHaveLength(1);
    requests[0]!.respond({ n: 1 }, { headers: { vary: 'X-Tenant' } });
    expect(await a).toEqual({ n: 1 });
    expect(await b).toEqual({ n: 1 });
    const c = client.get('/v', { headers: { 'X-Tenant': 'a', 'X-Trace': '1' } });
    const d = client.get('/v', { headers: { 'X-Tenant': 'a', 'X-Trace': '2' } });
    await settle();
    expect(requests).toHaveLength(2);
    requests[1]!.respond({ n: 2 }, { headers: { vary: 'X-Tenant' } });
    expect([await c, await d]).toEqual([{ n: 2 }, { n: 2 }]);
  });
});

describe('3. logout sticks', () => {
  it('a network answer to a request sent before clear({ namespace }) is not stored', async () => {
    const { client, requests } = setup({ namespace: 'alice' });
    const read = client.get('/me');
    await settle();
    const cleared = client.clear({ namespace: 'alice' });
    requests[0]!.respond({ me: 'alice' }, { headers: { 'cache-control': 'max-age=60' } });
    await read;
    await cleared;
    void client.get('/me').catch(() => undefined);
    await settle();
    expect(requests).toHaveLength(2);
  });

  it('a network answer to a request sent while the clear is running is not stored either', async () => {
    const memory = new MemoryStore();
    let finish!: () => void;
    // A clear that takes a while, as an IndexedDB one does, and removes what was there when it
    // was asked: a write queued behind it lands after it.
    const store: Store = {
      get: (k) => memory.get(k),
      set: (e) => memory.set(e),
      delete: (k) => memory.delete(k),
      keys: (f) => memory.keys(f),
      clear: (f) => {
        const keys = memory.keys(f);
        return new Promise<void>((resolve) => (finish = () => resolve(memory.delete(keys))));
      },
    };
    const { client, requests } = setup({ namespace: 'alice', store }, () => json({ me: 'alice' }, { 'cache-control': 'max-age=60' }));
    const cleared = client.clear({ namespace: 'alice' });
    await client.get('/me');
    finish();
    await cleared;
    await client.get('/me');
    expect(requests).toHaveLength(2);
  });

  it('an entry read from a slower tier while the namespace is cleared is not copied back into memory', async () => {
    const memory = new MemoryStore();
    let release!: () => void;
    const persisted = new Map<string, CacheEntry>();
    // A persistent tier whose read is in flight when the clear runs, composed like tieredStore.
    const store: Store = {
      get: (key) =>
        memory.get(key) ??
        new Promise((resolve) => {
          // The record is read now; the copy into memory happens when the read answers.
          const entry = persisted.get(key);
          release = () => {
            if (entry) memory.set([entry]);
            resolve(entry);
          };
        }),
      set: (entries) => {
        memory.set(entries);
        for (const e of entries) persisted.set(e.key, e);
      },
      delete: (keys) => {
        memory.delete(keys);
        for (const k of keys) persisted.delete(k);
      },
      keys: (filter) => [
        ...new Set([
          ...memory.keys(filter),
          ...[...persisted.values()].filter((e) => !filter?.namespace || e.namespace === filter.namespace).map((e) => e.key),
        ]),
      ],
      clear: (filter) => {
        memory.clear(filter);
        for (const [k, e] of persisted) if (!filter?.namespace || e.namespace === filter.namespace) persisted.delete(k);
      },
    };
    const key = JSON.stringify(['alice', 'GET', `${BASE}me`]);
    persisted.set(key, storedEntry(key));
    const { client, requests } = setup({ namespace: 'alice', store }, () => json({ me: 'fresh' }, { 'cache-control': 'max-age=60' }));
    const read = client.get('/me');
    await settle();
    await client.clear({ namespace: 'alice' });
    release();
    expect(await read).toEqual({ me: 'fresh' });
    await settle();
    expect(memory.get(key)?.body).toBe('{"me":"fresh"}');
    expect(await client.get('/me')).toEqual({ me: 'fresh' });
    expect(requests).toHaveLength(1);
  });
});

/** What a previous page load left in the persistent tier for `/me`. */
function storedEntry(key: string): CacheEntry {
  return {
    key,
    namespace: 'alice',
    url: `${BASE}me`,
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' },
    body: '{"me":"alice"}',
    size: 28,
    storedAt: 1_000_000,
    accessedAt: 1_000_000,
    lifetime: 60_000,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    noCache: false,
    mustRevalidate: false,
  };
}

describe('4. a successful unsafe request detaches reads in flight of the URLs it invalidates', () => {
  it('a read issued after a DELETE completed does not join a GET sent before it, and the old answer is not stored', async () => {
    const { client, requests } = setup();
    const before = client.get('/items');
    await settle();
    const del = client.fetch('/items', { method: 'DELETE' });
    await settle();
    requests[1]!.respond(null, { status: 204 });
    await del;
    const after = client.get('/items');
    await settle();
    expect(requests).toHaveLength(3);
    requests[2]!.respond([], { headers: { 'cache-control': 'max-age=60' } });
    requests[0]!.respond([1, 2], { headers: { 'cache-control': 'max-age=60' } });
    expect(await after).toEqual([]);
    expect(await before).toEqual([1, 2]);
    expect(await client.get('/items')).toEqual([]);
  });
});

describe('5. a 304 revives only what it was asked about', () => {
  it('after a scope change the refetch is unconditional, and a 304 to it is an HttpError, never a hit', async () => {
    const routes = [{ match: '/cal', scope: 'cal' }];
    const { client, requests } = setup({ routes });
    const first = client.get('/cal');
    await settle();
    requests[0]!.respond({ v: 1 }, { headers: { etag: '"a"', 'cache-control': 'max-age=60', 'x-cache-version': '1' } });
    await first;
    await client.invalidate({ scope: 'cal' });
    const second = client.get('/cal');
    await settle();
    expect(requests[1]!.headers.get('if-none-match')).toBeNull();
    requests[1]!.respond(null, { status: 304, headers: { etag: '"a"', 'x-cache-version': '1' } });
    await expect(second).rejects.toBeInstanceOf(HttpError);
    await expect(second).rejects.toMatchObject({ status: 304 });
  });
});

describe('6. empty Cache-Control list elements are ignored', () => {
  it('", no-store" and "no-cache,,no-store" are never stored', async () => {
    let policy = ', no-store, max-age=60';
    const { client, requests, events } = setup({}, () => json({ n: 1 }, { 'cache-control': policy }));
    await client.get('/a');
    await client.get('/a');
    policy = 'no-cache,,no-store';
    await client.get('/b');
    expect(requests).toHaveLength(3);
    expect(events.filter((e) => e.type === 'store')).toEqual([]);
  });
});

describe('7. a body get cannot decode is never stored', () => {
  const good = { 'cache-control': 'max-age=1' };

  it('a truncated JSON or an HTML page for a JSON read is a ParseError and leaves the last good entry', async () => {
    let answer = () => json({ ok: 1 }, good);
    const { client, tick } = setup({}, () => answer());
    await client.get('/a');
    tick(2_000);
    answer = () => new Response('{"ok": ', { headers: { 'content-type': 'application/json', ...good } });
    await expect(client.get('/a')).rejects.toBeInstanceOf(ParseError);
    answer = () => new Response('<html>portal</html>', { headers: { 'content-type': 'text/html', ...good } });
    await expect(client.get('/a')).rejects.toBeInstanceOf(ParseError);
    expect(await client.get('/a', { cache: 'force-cache' })).toEqual({ ok: 1 });
  });

  it('within stale-if-error, an undecodable body serves the last good entry', async () => {
    let answer = () => json({ ok: 1 }, { 'cache-control': 'max-age=1, stale-if-error=600' });
    const { client, tick, events } = setup({}, () => answer());
    await client.get('/a');
    tick(2_000);
    answer = () => new Response('<html>portal</html>', { headers: { 'content-type': 'text/html' } });
    expect(await client.get('/a')).toEqual({ ok: 1 });
    expect(events.some((e) => e.type === 'stale' && e.error instanceof ParseError)).toBe(true);
  });

  it('a body stream that errors mid-way is a NetworkError, and stale-if-error serves the last good entry', async () => {
    const broken = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"ok": 2, "items": ['));
            controller.error(new TypeError('connection reset'));
          },
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    let answer = broken;
    const { client, tick } = setup({}, () => answer());
    await expect(client.get('/a')).rejects.toBeInstanceOf(NetworkError);
    answer = () => json({ ok: 1 }, { 'cache-control': 'max-age=1, stale-if-error=600' });
    await client.get('/a');
    tick(2_000);
    answer = broken;
    expect(await client.get('/a')).toEqual({ ok: 1 });
  });
});

describe("8. each caller's abort and timeout apply to that caller", () => {
  it('an already-aborted signal never starts a request', async () => {
    const { client, requests } = setup();
    const reason = new DOMException('gone', 'AbortError');
    await expect(client.get('/a', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await settle();
    expect(requests).toHaveLength(0);
  });

  it('abort then refetch in the same tick (React StrictMode) gives the new caller an answer', async () => {
    const { client, requests } = setup();
    const controller = new AbortController();
    const first = client.get('/a', { signal: controller.signal });
    await settle();
    expect(requests).toHaveLength(1);
    controller.abort();
    const second = client.get('/a');
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    await settle();
    requests[requests.length - 1]!.respond({ n: 1 });
    expect(await second).toEqual({ n: 1 });
  });

  it("one caller's timeout fails that caller only; a joining caller's own timeout applies to it", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, requests } = setup();
    const patient = client.get('/a');
    const hasty = client.get('/a', { timeout: 50 });
    await settle();
    vi.advanceTimersByTime(60);
    await expect(hasty).rejects.toBeInstanceOf(TimeoutError);
    requests[0]!.respond({ n: 1 });
    expect(await patient).toEqual({ n: 1 });
    expect(requests).toHaveLength(1);
  });

  it('the client enforces a timeout even when fetch ignores its signal', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client } = setup({ timeout: 50 }, undefined, true);
    const read = client.get('/a');
    await settle();
    vi.advanceTimersByTime(60);
    await expect(read).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe('9. enabled: false', () => {
  it('resolves relative URLs against baseUrl', async () => {
    const { client, requests } = setup({ enabled: false, baseUrl: 'http://api.test/v1/' }, () => json({ n: 1 }));
    await client.fetch('items?x=1');
    await client.get('items');
    expect(requests.map((r) => r.url)).toEqual(['http://api.test/v1/items?x=1', 'http://api.test/v1/items']);
  });
});

describe('10. the URL on the wire is what the caller wrote', () => {
  it('keeps query order and encoding (signed URLs), while the cache key still ignores parameter order', async () => {
    const { client, requests } = setup({}, () => json({ n: 1 }, { 'cache-control': 'max-age=60' }));
    await client.get('/s?b=1&a=%20x&flag&sig=AB%2FC');
    expect(requests[0]!.url).toBe('http://api.test/s?b=1&a=%20x&flag&sig=AB%2FC');
    await client.get('/s?sig=AB%2FC&a=%20x&b=1&flag');
    expect(requests).toHaveLength(1);
  });
});

describe('12. smaller promises', () => {
  it('an unsafe fetch invalidates for the namespace it was sent in, even if the user switched meanwhile', async () => {
    const routes = [{ match: '/cal*', scope: 'cal' }];
    const { client, requests } = setup({ routes, namespace: 'alice' });
    const del = client.fetch('/cal/1', { method: 'DELETE' });
    await settle();
    client.namespace = 'bob';
    requests[0]!.respond(null, { status: 204, headers: { 'x-cache-version': '9' } });
    await del;
    expect(client.scopes().find((s) => s.scope === 'cal')?.token).toBeUndefined();
    client.namespace = 'alice';
    expect(client.scopes().find((s) => s.scope === 'cal')?.token).toBe('9');
  });

  it("nostale/mutate uses the client's versionHeader by default", async () => {
    const { client } = setup({ versionHeader: 'X-Rev' });
    const m = withMutations(client);
    const result = await m.mutate({ scope: 'cal', request: () => new Response(null, { status: 204, headers: { 'X-Rev': '7' } }) });
    expect(result.version).toBe('7');
    expect(client.scopes().find((s) => s.scope === 'cal')?.token).toBe('7');
  });

  it('stored entries carry no `storable` field', async () => {
    const stored: CacheEntry[] = [];
    const memory = new MemoryStore();
    const store: Store = {
      get: (k) => memory.get(k),
      set: (entries) => {
        stored.push(...entries);
        memory.set(entries);
      },
      delete: (k) => memory.delete(k),
      keys: (f) => memory.keys(f),
      clear: (f) => memory.clear(f),
    };
    const { client } = setup({ store }, () => json({ n: 1 }, { 'cache-control': 'max-age=60' }));
    await client.get('/a');
    expect(stored).toHaveLength(1);
    expect(Object.keys(stored[0]!)).not.toContain('storable');
  });

  it('a throwing optimistic layer is skipped and reported; reads still answer', async () => {
    const routes = [{ match: '/cal', scope: 'cal' }];
    const { client, events } = setup({ routes }, () => json([1, 2], { 'cache-control': 'max-age=60' }));
    await client.get('/cal');
    client.overlay('cal', () => {
      throw new Error('bug in a transform');
    });
    client.overlay('cal', (data) => (data as number[]).slice(1));
    expect(await client.get('/cal')).toEqual([2]);
    expect(events.some((e) => e.type === 'error')).toBe(true);
  });

  it('checkVersion(scope) finds the version endpoint from the routes before any URL of the scope was read', async () => {
    const routes = [{ match: '/api/:user/events', scope: 'cal:{user}', versionUrl: '/api/{user}/version' }];
    const { client, requests } = setup({ routes }, () => json({ version: '3' }));
    expect(await client.checkVersion('cal:alice')).toBe(false);
    expect(requests[0]!.url).toBe('http://api.test/api/alice/version');
    await expect(client.checkVersion('nothing')).rejects.toMatchObject({ name: 'NostaleError' });
  });

  it('a read answered by a 304 counts as a hit, not a miss', async () => {
    const { client, tick } = setup({}, (r) =>
      r.headers.get('if-none-match') === '"1"'
        ? new Response(null, { status: 304, headers: { etag: '"1"' } })
        : json({ n: 1 }, { etag: '"1"', 'cache-control': 'max-age=1' }),
    );
    await client.get('/a');
    tick(2_000);
    await client.get('/a');
    expect(client.stats()).toMatchObject({ hits: 1, misses: 1, notModified: 1 });
  });

  it('a stale-if-error serve says it served stale', async () => {
    let status = 200;
    const { client, tick, events } = setup({}, () => json({ n: 1 }, { 'cache-control': 'max-age=1, stale-if-error=60' }, status));
    await client.get('/a');
    tick(2_000);
    status = 503;
    expect(await client.get('/a')).toEqual({ n: 1 });
    expect(events.filter((e) => e.type === 'stale').map((e) => e.type === 'stale' && e.error?.name)).toEqual(['HttpError']);
    expect(client.stats().staleHits).toBe(1);
  });

  it('an opaque token between numeric ones does not let an older numeric token in', () => {
    const { client } = setup();
    expect(client.setVersion('s', '12')).toBe(true);
    expect(client.setVersion('s', 'abc')).toBe(true);
    expect(client.setVersion('s', '11')).toBe(false);
    expect(client.setVersion('s', '13')).toBe(true);
  });

  it('store warnings emitted while createClient runs reach subscribe() listeners too', async () => {
    const memory = new MemoryStore();
    const store: Store = {
      get: (k) => memory.get(k),
      set: (e) => memory.set(e),
      delete: (k) => memory.delete(k),
      keys: (f) => memory.keys(f),
      clear: (f) => memory.clear(f),
      attach: (report) => report({ type: 'warning', code: 'idb-unavailable', message: 'no IndexedDB' }),
    };
    const client = createClient({ store, baseUrl: BASE });
    const seen: CacheEvent[] = [];
    client.subscribe((e) => seen.push(e));
    await settle();
    expect(seen).toEqual([{ type: 'warning', code: 'idb-unavailable', message: 'no IndexedDB' }]);
  });

  it('isNostaleError recognises errors of another copy of the bundle, where instanceof cannot', async () => {
    const other = (await import(
      /* @vite-ignore */ `../../src/core/errors.js?copy=${Date.now()}`
    )) as typeof import('../../src/core/errors.js');
    const foreign = other.httpError(500, 'http://api.test/a', null);
    expect(foreign).not.toBeInstanceOf(HttpError);
    expect(isNostaleError(foreign)).toBe(true);
    expect(isNostaleError(new Error('plain'))).toBe(false);
    expect(isNostaleError({ name: 'HttpError' })).toBe(false);
  });
});
