import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPrimaryGetKey, primaryKey } from '../../src/core/cacheKey.js';
import { MemoryStore, type CacheEvent } from '../../src/index.js';
import { entry } from './support/entries.js';

function store(maxEntries: number, maxBytes?: number) {
  const evicted: string[] = [];
  const memory = new MemoryStore({ maxEntries, ...(maxBytes === undefined ? {} : { maxBytes }) });
  memory.attach((event: CacheEvent) => {
    if (event.type === 'evict') evicted.push(event.key);
  });
  return { memory, evicted };
}

/** How many `Map` sets and deletes `work` made, in any map. */
function mapWrites(work: () => void): number {
  let writes = 0;
  const { set, delete: remove } = Map.prototype;
  Map.prototype.set = function (this: Map<unknown, unknown>, ...args: [unknown, unknown]) {
    writes++;
    return set.apply(this, args);
  };
  Map.prototype.delete = function (this: Map<unknown, unknown>, key: unknown) {
    writes++;
    return remove.call(this, key);
  };
  try {
    work();
  } finally {
    Map.prototype.set = set;
    Map.prototype.delete = remove;
  }
  return writes;
}

const URLS = ['http://api.test/a', 'http://api.test/b', 'http://api.test/c', 'http://api.test/d'];
// A quote makes a primary key that the store indexes by URL after all (see isPrimaryGetKey).
const NAMESPACES = ['alice', 'b"ob'];

/**
 * Keys 0-11 are foreign (`k0`…), 12-19 the client's own primary keys of a namespace and URL, which
 * the store finds again by computing them rather than through its URL index.
 */
const PRIMARY = NAMESPACES.flatMap((namespace) => URLS.map((url) => ({ namespace, url, key: primaryKey(namespace, 'GET', url) })));
const keyOf = (n: number) => (n < 12 ? `k${n}` : PRIMARY[n - 12]!.key);

/** Operations over a few keys that share URLs across namespaces and variants. */
const op = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.integer({ min: 0, max: 19 }),
    url: fc.constantFrom(...URLS),
    namespace: fc.constantFrom(...NAMESPACES),
    // A primary key stored with its own URL and namespace, or (false) under another URL or namespace.
    own: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 19 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 19 }) }),
  fc.record({
    kind: fc.constant('clear' as const),
    namespace: fc.option(fc.constantFrom(...NAMESPACES), { nil: undefined }),
    urls: fc.option(fc.subarray(URLS), { nil: undefined }),
  }),
);

describe('MemoryStore', () => {
  it('keys({ urls }) answers exactly what a scan would, through sets, overwrites, deletes, clears and evictions', () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 10, maxLength: 80 }),
        fc.integer({ min: 1, max: 12 }),
        fc.subarray([...URLS, 'http://api.test/none']),
        fc.option(fc.constantFrom(...NAMESPACES), { nil: undefined }),
        (ops, maxEntries, urls, namespace) => {
          const { memory } = store(maxEntries);
          for (const o of ops) {
            if (o.kind === 'set') {
              const own = o.key >= 12 && o.own ? PRIMARY[o.key - 12]! : { url: o.url, namespace: o.namespace };
              memory.set([entry(keyOf(o.key), { url: own.url, namespace: own.namespace })]);
            } else if (o.kind === 'get') memory.get(keyOf(o.key));
            else if (o.kind === 'delete') memory.delete([keyOf(o.key)]);
            else memory.clear(o.namespace === undefined && o.urls === undefined ? undefined : { namespace: o.namespace, urls: o.urls });
          }
          const scanned = memory.keys({ namespace, where: (e) => urls.includes(e.url) });
          expect(memory.keys({ namespace, urls }).sort()).toEqual(scanned.sort());
          // Each key once, even when a URL is asked twice.
          expect(memory.keys({ namespace, urls: [...urls, ...urls] }).sort()).toEqual(scanned.sort());
          // `urls` and `where` combine: both must hold.
          expect(memory.keys({ urls, where: (e) => e.namespace === 'b"ob' }).sort()).toEqual(
            memory.keys({ namespace: 'b"ob', where: (e) => urls.includes(e.url) }).sort(),
          );
          expect(memory.keys({ urls: [] })).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('evicts by maxEntries only what has gone unused for at least 3/4 of the store (the documented tolerance)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.record({ read: fc.boolean(), key: fc.integer({ min: 0, max: 30 }) }), { minLength: 50, maxLength: 300 }),
        (maxEntries, ops) => {
          const { memory, evicted } = store(maxEntries);
          /** Per key, how many writes or hits of other keys happened since its own last one. */
          const since = new Map<string, number>();
          const touch = (key: string) => {
            for (const [k, n] of since) since.set(k, n + 1);
            since.set(key, 0);
          };
          let checked = 0;
          for (const o of ops) {
            const key = `k${o.key}`;
            if (o.read) {
              if (memory.get(key)) touch(key);
              continue;
            }
            memory.set([entry(key)]);
            touch(key);
            for (const gone of evicted.splice(0)) {
              // `touch` counted the write that caused the eviction as well.
              expect(since.get(gone)!).toBeGreaterThanOrEqual(maxEntries - (maxEntries >> 2));
              since.delete(gone);
              checked++;
            }
            expect(memory.keys().length).toBeLessThanOrEqual(maxEntries);
          }
          return checked > 0 || maxEntries > 8;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a hit on the oldest entry of a full store saves it: the next oldest goes instead', () => {
    const { memory, evicted } = store(100);
    memory.set(Array.from({ length: 100 }, (_, i) => entry(`k${i}`)));
    expect(memory.get('k0')).toBeDefined();
    memory.set([entry('new')]);
    expect(evicted).toEqual(['k1']);
    expect(memory.get('k0')).toBeDefined();
  });

  it('hits reorder nothing, even a scan of every entry: a hit is a stamp, eviction gives the recent a second chance', () => {
    const { memory, evicted } = store(1000);
    memory.set(Array.from({ length: 1000 }, (_, i) => entry(`k${i}`)));
    // Each entry has aged past a quarter of the store by the time the scan reaches it.
    expect(
      mapWrites(() => {
        for (let i = 0; i < 1000; i++) expect(memory.get(`k${i}`)).toBeDefined();
      }),
    ).toBe(0);
    // Every entry was hit once, in order: the least recently hit goes, and a hit spares it.
    memory.set([entry('new')]);
    expect(evicted).toEqual(['k0']);
    memory.get('k1');
    memory.set([entry('newer')]);
    expect(evicted).toEqual(['k0', 'k2']);
  });

  it('a new answer for a cached key takes its slot in place (no map delete and re-insert) and counts as its use', () => {
    const { memory, evicted } = store(100);
    memory.set(Array.from({ length: 100 }, (_, i) => entry(`k${i}`)));
    const newer = entry('k0');
    expect(
      mapWrites(() => {
        // A poll of one URL: each delete and re-insert left a dead slot in the key's hash chain.
        for (let i = 0; i < 50; i++) memory.set([entry('k0')]);
        memory.set([newer]);
      }),
    ).toBe(0);
    expect(memory.get('k0')).toBe(newer);
    // Rewritten last, so not the least recently used: the next oldest goes first.
    memory.set([entry('new')]);
    expect(evicted).toEqual(['k1']);
  });

  it('a hit through a hold counts as a hit of its key: it spares the entry from eviction, and ends with the entry', () => {
    const { memory, evicted } = store(100);
    memory.set(Array.from({ length: 100 }, (_, i) => entry(`k${i}`)));
    const held = memory.hold('k0')!;
    expect(memory.hit(held)).toBe(held.entry);
    memory.set([entry('new')]);
    expect(evicted).toEqual(['k1']);
    memory.delete(['k0']);
    expect(memory.hit(held)).toBeUndefined();
  });

  it('evicts in order across many evictions, clears and refills (one iterator kept between sets)', () => {
    const { memory, evicted } = store(10);
    for (let i = 0; i < 50; i++) memory.set([entry(`a${i}`)]);
    expect(evicted).toEqual(Array.from({ length: 40 }, (_, i) => `a${i}`));
    memory.clear();
    evicted.length = 0;
    for (let i = 0; i < 15; i++) memory.set([entry(`b${i}`)]);
    expect(evicted).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    expect(memory.keys().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `b${i + 5}`).sort());
  });

  it('evicts the least recently used down to maxBytes', () => {
    const { memory, evicted } = store(1000, 100);
    memory.set(Array.from({ length: 5 }, (_, i) => entry(`k${i}`, { size: 20 })));
    expect(evicted).toEqual([]);
    memory.set([entry('big', { size: 50 })]);
    expect(evicted).toEqual(['k0', 'k1', 'k2']);
    // An overwrite replaces the old size rather than adding to it.
    memory.set([entry('big', { size: 10 })]);
    memory.set([entry('k9', { size: 50 })]);
    expect(evicted).toEqual(['k0', 'k1', 'k2']);
  });

  it('a memory hit answers the very object stored, synchronously', () => {
    const { memory } = store(10);
    const a = entry('a');
    memory.set([a]);
    expect(memory.get('a')).toBe(a);
    expect(memory.get('missing')).toBeUndefined();
  });

  it("a hold sees its key's entry until the key leaves: through hits and replacement, then gone on delete, eviction and clear", () => {
    const { memory } = store(2);
    const a = entry('a');
    memory.set([a, entry('b')]);
    const held = memory.hold('a')!;
    for (let i = 0; i < 5; i++) memory.get('a');
    expect(held.entry).toBe(a);
    const newer = entry('a');
    memory.set([newer]);
    expect(held.entry).toBe(newer);
    expect(memory.get('a')).toBe(newer);
    const b = memory.hold('b')!;
    memory.delete(['b']);
    expect(b.entry).toBeUndefined();
    const fresh = memory.hold('a')!;
    memory.set([entry('c'), entry('d')]); // evicts a
    expect(fresh.entry).toBeUndefined();
    const c = memory.hold('c')!;
    const d = memory.hold('d')!;
    memory.clear();
    expect([c.entry, d.entry]).toEqual([undefined, undefined]);
    expect(memory.hold('missing')).toBeUndefined();
  });

  it('finds a primary key by URL after its namespace emptied and refilled, and after evictions', () => {
    const { memory, evicted } = store(3);
    const url = 'http://api.test/x';
    memory.set([entry(primaryKey('bob', 'GET', url), { namespace: 'bob', url })]);
    memory.set([entry('k1'), entry('k2'), entry('k3')]);
    expect(evicted).toEqual([primaryKey('bob', 'GET', url)]);
    expect(memory.keys({ urls: [url] })).toEqual([]);
    memory.set([entry(primaryKey('bob', 'GET', url), { namespace: 'bob', url })]);
    expect(memory.keys({ urls: [url] })).toEqual([primaryKey('bob', 'GET', url)]);
    memory.clear();
    expect(memory.keys({ urls: [url] })).toEqual([]);
  });
});

describe('primary keys', () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('', '"', '\\', '\u0000', '\ud800'),
  );
  it('primaryKey is JSON.stringify([namespace, method, url]) for any strings', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('GET', 'HEAD', 'a"b'), text, (namespace, method, url) => {
        expect(primaryKey(namespace, method, url)).toBe(JSON.stringify([namespace, method, url]));
      }),
      { numRuns: 500 },
    );
  });

  it('isPrimaryGetKey never says yes to a key that is not the GET key of that namespace and URL, and says yes to plain ones', () => {
    fc.assert(
      fc.property(text, text, text, text, (namespace, url, otherNamespace, otherUrl) => {
        for (const key of [
          primaryKey(otherNamespace, 'GET', otherUrl),
          `["${namespace}","GET","${url}"]`,
          `["${otherNamespace}","GET","${otherUrl}"]`,
          primaryKey(namespace, 'HEAD', url),
          `${namespace}${url}`,
        ]) {
          if (isPrimaryGetKey(key, namespace, url)) expect(key).toBe(primaryKey(namespace, 'GET', url));
        }
        const plain = (s: string) => /^[ !#-[\]-\ud7ff\ue000-\uffff]*$/.test(s);
        expect(isPrimaryGetKey(primaryKey(namespace, 'GET', url), namespace, url)).toBe(plain(namespace) && plain(url));
      }),
      { numRuns: 3000 },
    );
    expect(isPrimaryGetKey(primaryKey('alice', 'GET', 'http://api.test/a?b=1'), 'alice', 'http://api.test/a?b=1')).toBe(true);
    // Lengths and both parts line up, but the namespace's quote is where the frame's should be.
    expect(isPrimaryGetKey(primaryKey('', 'GET', ' '), '"', '')).toBe(false);
  });
});
