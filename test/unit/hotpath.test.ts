/**
 * What keeps a memory hit cheap once the cache holds more than a handful of URLs: a hit never
 * parses its URL again (the resolution memo covers every URL the memory tier can hold), and every
 * stored entry has one shape (the same fields in the same order, so V8 gives them one hidden class).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CacheEntry, createClient, MemoryStore } from '../../src/index.js';
import { entry } from './support/entries.js';

const BASE = 'http://localhost/';
const RealURL = globalThis.URL;

const realNow = Date.now;
const realParse = JSON.parse;

afterEach(() => {
  globalThis.URL = RealURL;
  Date.now = realNow;
  JSON.parse = realParse;
});

/** Counts URL parses from here on. */
function countUrlParses() {
  const counter = { n: 0 };
  globalThis.URL = class extends RealURL {
    constructor(url: string | URL, base?: string | URL) {
      super(url, base);
      counter.n++;
    }
  } as typeof URL;
  return counter;
}

const answer = (headers: Record<string, string> = {}) =>
  Response.json({ ok: true }, { headers: { 'cache-control': 'max-age=3600', ...headers } });

describe('memory hits at scale', () => {
  it('a hit over 3,000 cached URLs parses no URL (the memo no longer drops itself past 2,000)', async () => {
    let requests = 0;
    const client = createClient({
      baseUrl: BASE,
      maxEntries: 5000,
      fetch: async () => {
        requests++;
        return answer();
      },
    });
    const urls = Array.from({ length: 3000 }, (_, i) => `/items/${i}`);
    for (const url of urls) await client.get(url);
    expect(requests).toBe(3000);
    const parses = countUrlParses();
    for (const url of urls) await client.get(url);
    expect(parses.n).toBe(0);
    expect(requests).toBe(3000);
    expect(client.stats().hits).toBe(3000);
  });

  it('past the memo limit the oldest URLs go one at a time, and reads stay correct', async () => {
    const client = createClient({ baseUrl: BASE, maxEntries: 10, fetch: async (input) => Response.json({ url: String(input) }) });
    const urls = Array.from({ length: 25 }, (_, i) => `/items/${i}?b=2&a=1`);
    for (const url of urls) expect(await client.get(url)).toEqual({ url: `${BASE}items/${urls.indexOf(url)}?b=2&a=1` });
    // The most recent URLs are still resolved from the memo.
    const parses = countUrlParses();
    client.peek(urls[24]!);
    expect(parses.n).toBe(0);
  });

  it('every stored entry has the same fields in the same order, whatever kind of answer made it', async () => {
    const stored: CacheEntry[] = [];
    const memory = new MemoryStore({ maxEntries: 100 });
    const store = {
      get: (key: string) => memory.get(key),
      peek: (key: string) => memory.peek(key),
      set: (entries: readonly CacheEntry[]) => {
        stored.push(...entries);
        memory.set(entries);
      },
      delete: (keys: readonly string[]) => memory.delete(keys),
      keys: () => memory.keys(),
      clear: () => memory.clear(),
    };
    const clock = { now: 1_700_000_000_000 };
    const client = createClient({
      baseUrl: BASE,
      store,
      now: () => clock.now,
      routes: [{ match: '/scoped/*', scope: 'list' }],
      fetch: async (input, init) => {
        const url = String(input);
        if (new Headers(init?.headers).get('if-none-match')) return new Response(null, { status: 304, headers: { etag: '"1"' } });
        if (url.includes('vary')) return answer({ vary: 'accept-language' });
        if (url.includes('etag')) return answer({ 'cache-control': 'max-age=1', etag: '"1"' });
        if (url.includes('scoped')) return answer({ 'x-cache-version': '7', 'cache-control': 'max-age=3600, stale-while-revalidate=5' });
        return answer();
      },
    });
    await client.get('/plain');
    await client.get('/memory-only', { persist: false });
    await client.get('/vary', { headers: { 'accept-language': 'fr' } });
    await client.get('/scoped/1');
    await client.get('/etag');
    clock.now += 2000;
    await client.get('/etag'); // revalidated by a 304
    expect(stored.length).toBeGreaterThanOrEqual(7);
    const shapes = new Set(stored.map((entry) => Object.keys(entry).join(',')));
    expect([...shapes]).toHaveLength(1);
  });

  it("the memory store's URL index finds every key of a URL as they come and go", () => {
    const store = new MemoryStore({ maxEntries: 100 });
    const url = 'http://api.test/shared';
    const of = (namespace: string) => entry(`${namespace}-shared`, { namespace, url });
    const selected = () => store.keys({ urls: [url] }).sort();
    store.set([of('alice')]);
    expect(selected()).toEqual(['alice-shared']);
    store.set([of('bob'), of('carol')]);
    expect(selected()).toEqual(['alice-shared', 'bob-shared', 'carol-shared']);
    expect(store.keys({ namespace: 'bob', urls: [url] })).toEqual(['bob-shared']);
    store.delete(['bob-shared']);
    expect(selected()).toEqual(['alice-shared', 'carol-shared']);
    store.delete(['alice-shared']);
    expect(selected()).toEqual(['carol-shared']);
    // Rewriting the remaining key keeps it listed once.
    store.set([of('carol')]);
    expect(selected()).toEqual(['carol-shared']);
    store.set([of('alice')]);
    store.delete(['carol-shared']);
    expect(selected()).toEqual(['alice-shared']);
    store.delete(['alice-shared']);
    expect(selected()).toEqual([]);
    expect(store.keys()).toEqual([]);
  });

  it('hits and peeks of one task read the system clock once, not once each, and parse no JSON', async () => {
    // Counts system clock reads; bound, so it passes for the engine's own and the client caches it.
    const reads = { n: 0 };
    Date.now = (() => {
      reads.n++;
      return realNow();
    }).bind(null);
    vi.resetModules();
    const nostale = await import('../../src/index.js');
    const client = nostale.createClient({ baseUrl: BASE, fetch: async () => answer() });
    const urls = Array.from({ length: 50 }, (_, i) => `/items/${i}`);
    for (const url of urls) await client.get(url);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const parses = { n: 0 };
    JSON.parse = (text, reviver) => {
      parses.n++;
      return realParse(text, reviver);
    };
    reads.n = 0;
    for (let round = 0; round < 20; round++) {
      for (const url of urls) {
        expect(await client.get(url)).toEqual({ ok: true });
        expect(client.peek(url)?.stale).toBe(false);
      }
    }
    expect(client.stats().hits).toBe(1000);
    expect(reads.n).toBe(1);
    expect(parses.n).toBe(0);
  });

  it("a repeated hit follows the memoised URL's hold: no lookup in the store", async () => {
    const store = new MemoryStore();
    let reloaded = false;
    const client = createClient({
      baseUrl: BASE,
      store,
      fetch: async () => (reloaded ? Response.json({ ok: 'reloaded' }, { headers: { 'cache-control': 'max-age=3600' } }) : answer()),
    });
    const urls = Array.from({ length: 50 }, (_, i) => `/items/${i}`);
    for (const url of urls) await client.get(url);
    // The first hit of each URL looks its key up and takes the hold.
    for (const url of urls) await client.get(url);
    const storeGets = vi.spyOn(store, 'get');
    for (let round = 0; round < 10; round++) for (const url of urls) expect(await client.get(url)).toEqual({ ok: true });
    expect(client.stats().hits).toBe(550);
    expect(storeGets).not.toHaveBeenCalled();
    // A newer answer for the URL takes the old one's place: the next hit answers it, through the
    // same hold, still without a lookup.
    reloaded = true;
    await client.get(urls[0]!, { cache: 'reload' });
    expect(await client.get(urls[0]!)).toEqual({ ok: 'reloaded' });
    // So does one written behind the client's back (another tab's write into the shared store).
    const key = JSON.stringify(['', 'GET', `${BASE}items/0`]);
    store.set([{ ...store.peek(key)!, body: '{"ok":false}', data: undefined }]);
    expect(await client.get(urls[0]!)).toEqual({ ok: false });
    expect(storeGets).not.toHaveBeenCalled();
    // A key that left (an invalidation of its URL) is looked up again, missed and refetched.
    await client.invalidate({ url: urls[1]! });
    expect(await client.get(urls[1]!)).toEqual({ ok: 'reloaded' });
    expect(storeGets).toHaveBeenCalled();
  });
});
