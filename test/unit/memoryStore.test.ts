import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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

const URLS = ['http://api.test/a', 'http://api.test/b', 'http://api.test/c', 'http://api.test/d'];
const NAMESPACES = ['alice', 'bob'];

/** Operations over a few keys that share URLs across namespaces and variants. */
const op = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.integer({ min: 0, max: 11 }),
    url: fc.constantFrom(...URLS),
    namespace: fc.constantFrom(...NAMESPACES),
  }),
  fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 11 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 11 }) }),
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
            if (o.kind === 'set') memory.set([entry(`k${o.key}`, { url: o.url, namespace: o.namespace })]);
            else if (o.kind === 'get') memory.get(`k${o.key}`);
            else if (o.kind === 'delete') memory.delete([`k${o.key}`]);
            else memory.clear(o.namespace === undefined && o.urls === undefined ? undefined : { namespace: o.namespace, urls: o.urls });
          }
          const scanned = memory.keys({ namespace, where: (e) => urls.includes(e.url) });
          expect(memory.keys({ namespace, urls }).sort()).toEqual(scanned.sort());
          // `urls` and `where` combine: both must hold.
          expect(memory.keys({ urls, where: (e) => e.namespace === 'bob' }).sort()).toEqual(
            memory.keys({ namespace: 'bob', where: (e) => urls.includes(e.url) }).sort(),
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
});
