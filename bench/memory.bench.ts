/**
 * Memory-tier benchmarks: hits over W distinct URLs with 10k entries cached, the cost of `set`
 * in a full store at 100k capacity against 1k, and `MemoryStore.get` flatness. Called from
 * `core.bench.ts`; each row is paired against a baseline measured in the same rounds.
 */
import { QueryClient } from '@tanstack/query-core';
import type { CacheEntry, Client } from '../src/index.js';
import type { Nostale } from './lib/build.js';
import { check, compare, gate, gc, round, spread, timeRow, type Row } from './lib/measure.js';

const BASE = 'http://localhost/';
const FILL = 10_000;
let sink: unknown;

const log = (message: string) => process.stderr.write(`  memory: ${message}\n`);

/** A stand-in `Response` that costs next to nothing to build and read: for filling caches only. */
function liteResponse(body: string, headers: Record<string, string>): Response {
  return {
    status: 200,
    ok: true,
    statusText: 'OK',
    headers: new Headers(headers),
    text: async () => body,
    json: async () => JSON.parse(body),
  } as unknown as Response;
}

const item = (i: number) => ({ id: i, title: 'Buy milk', done: false, tags: ['home', 'errands'] });

/** A client and a TanStack QueryClient holding the same `size` items, and a Map of the decoded values. */
async function filled(nostale: Nostale, size: number) {
  let requests = 0;
  const client: Client = nostale.createClient({
    baseUrl: BASE,
    maxEntries: 2 * size,
    fetch: async (input) => {
      requests++;
      const i = Number(new URL(String(input)).pathname.split('/').pop());
      return liteResponse(JSON.stringify(item(i)), { 'cache-control': 'max-age=3600', 'content-type': 'application/json' });
    },
  });
  for (let i = 0; i < size; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, size - i) }, (_, j) => client.get(`/items/${i + j}`)));
  }
  check(requests === size && client.stats().misses === size, `nostale filled with ${size} entries`);
  const queryClient = new QueryClient();
  for (let i = 0; i < size; i++) queryClient.setQueryData(['items', i], item(i));
  check(queryClient.getQueryCache().getAll().length === size, `TanStack filled with ${size} queries`);
  const map = new Map<string, unknown>();
  for (let i = 0; i < size; i++) map.set(`/items/${i}`, item(i));
  client.resetStats();
  return { client, queryClient, map, requests: () => requests };
}

/** Indexes of W URLs spread over the cache (not its newest end, which a one-key benchmark flatters). */
const spreadOver = (w: number, size: number) => Array.from({ length: w }, (_, k) => Math.floor((k * size) / w));

async function hits(nostale: Nostale): Promise<Row[]> {
  const rows: Row[] = [];
  const started = performance.now();
  const { client, queryClient, map, requests } = await filled(nostale, FILL);
  log(`filled 10k entries in ${Math.round(performance.now() - started)} ms`);
  const queryFn = async () => {
    throw new Error('a hit never calls queryFn');
  };
  const oursFor = (indexes: number[]) => {
    const urls = indexes.map((i) => `/items/${i}`);
    let k = 0;
    return async (n: number) => {
      for (let i = 0; i < n; i++) sink = await client.get(urls[k++ % urls.length]!);
    };
  };
  const theirsFor = (indexes: number[]) => {
    let k = 0;
    return async (n: number) => {
      for (let i = 0; i < n; i++) {
        sink = await queryClient.fetchQuery({ queryKey: ['items', indexes[k++ % indexes.length]!], queryFn, staleTime: Infinity });
      }
    };
  };
  const mapFor = (indexes: number[]) => {
    const urls = indexes.map((i) => `/items/${i}`);
    let k = 0;
    return async (n: number) => {
      for (let i = 0; i < n; i++) sink = await map.get(urls[k++ % urls.length]!);
    };
  };
  const cases: { label: string; indexes: number[] }[] = [1, 2, 100, 1000].map((w) => ({ label: `W=${w}`, indexes: spreadOver(w, FILL) }));
  cases.push({ label: 'all 10k', indexes: Array.from({ length: FILL }, (_, i) => i) });
  let gets = 0;
  const perCase = new Map<string, number>();
  for (const { label, indexes } of cases) {
    gc();
    const ours = { name: 'ours', run: oursFor(indexes) };
    const cmp = await compare([ours, { name: 'tanstack', run: theirsFor(indexes) }, { name: 'map', run: mapFor(indexes) }], {
      rounds: 100,
      warmupMs: 300,
    });
    gets += cmp.totalOps.ours!;
    perCase.set(label, cmp.median('ours'));
    rows.push(
      timeRow({
        name: `memory hit, ${label} URLs of 10k cached vs TanStack fetchQuery`,
        oursNs: cmp.median('ours'),
        baselineNs: cmp.median('tanstack'),
        ratio: cmp.pairedRatio('tanstack', 'ours'),
        p25: gate(cmp.ratios('tanstack', 'ours')),
        goal: 3,
        note: `await client.get(url) cycling over ${indexes.length} URL(s) spread across 10k cached entries vs fetchQuery({ queryKey, staleTime: Infinity }) on the same keys of a QueryClient holding 10k queries; ${spread(cmp.ratios('tanstack', 'ours'))}`,
      }),
      timeRow({
        name: `memory hit, ${label} URLs of 10k cached vs awaited Map.get`,
        oursNs: cmp.median('ours'),
        baselineNs: cmp.median('map'),
        ratio: cmp.pairedRatio('map', 'ours'),
        p25: gate(cmp.ratios('map', 'ours')),
        goal: round(1 / 3),
        note: `the floor for an async API: await map.get(url) over the same URLs (goal: a hit costs at most 3× it); ${spread(cmp.ratios('map', 'ours'))}`,
      }),
    );
  }
  check(typeof (sink as { id?: unknown } | undefined)?.id === 'number', 'hits return the data');
  const stats = client.stats();
  check(stats.hits === gets && stats.misses === 0 && requests() === FILL, `every get was a hit (hits ${stats.hits}, gets ${gets})`);

  // Flatness: W = 1000 against W = 1 in the same rounds.
  const cmp = await compare(
    [
      { name: 'w1', run: oursFor(spreadOver(1, FILL)) },
      { name: 'w1000', run: oursFor(spreadOver(1000, FILL)) },
    ],
    { rounds: 100, warmupMs: 300 },
  );
  rows.push(
    timeRow({
      name: 'memory hit flatness: W=1000 vs 1.5 × W=1 (10k cached)',
      oursNs: cmp.median('w1000'),
      baselineNs: 1.5 * cmp.median('w1'),
      ratio: cmp.pairedRatio('w1', 'w1000', 1.5),
      p25: gate(cmp.ratios('w1', 'w1000', 1.5)),
      goal: 1,
      note: `goal: cycling over 1000 URLs costs at most 1.5× one URL; ${spread(cmp.ratios('w1', 'w1000', 1.5))}`,
    }),
  );
  return rows;
}

function entryOf(i: number): CacheEntry {
  const url = `${BASE}items/${i}`;
  return {
    key: JSON.stringify(['', 'GET', url]),
    namespace: '',
    url,
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{}',
    size: 4,
    storedAt: 0,
    lifetime: 3_600_000,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    noCache: false,
    mustRevalidate: false,
    accessedAt: 0,
  };
}

/** A full store of `capacity` entries whose `run(n)` sets n new entries, each evicting the oldest. */
function fullStore(nostale: Nostale, capacity: number) {
  const store = new nostale.MemoryStore({ maxEntries: capacity });
  let evictions = 0;
  store.attach((event) => {
    if (event.type === 'evict') evictions++;
  });
  // Twice the capacity, cycled: a key comes back only after it was evicted.
  const pool = Array.from({ length: 2 * capacity }, (_, i) => entryOf(i));
  store.set(pool.slice(0, capacity));
  let k = capacity;
  let calls = 0;
  return {
    store,
    pool,
    evictions: () => evictions,
    calls: () => calls,
    run: (n: number) => {
      for (let i = 0; i < n; i++) store.set([pool[k++ % pool.length]!]);
      calls += n;
    },
  };
}

/**
 * The least any Map-ordered LRU can do per `set` into a full store: one `Map.set`, and one
 * `Map.delete` of the oldest key found by a live iterator. At 100k the hash table no longer fits
 * the CPU's caches, and that alone makes every operation slower than at 1k.
 */
function bareMap(pool: readonly CacheEntry[], capacity: number) {
  const map = new Map<string, CacheEntry>();
  for (let i = 0; i < capacity; i++) map.set(pool[i]!.key, pool[i]!);
  let oldest = map.keys();
  let k = capacity;
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const entry = pool[k++ % pool.length]!;
      map.set(entry.key, entry);
      let next = oldest.next();
      if (next.done) next = (oldest = map.keys()).next();
      map.delete(next.value!);
    }
  };
}

/** `set` of a new entry into a full store (each one evicts the oldest), at 1k and at 100k capacity. */
async function sets(nostale: Nostale): Promise<Row[]> {
  const small = fullStore(nostale, 1_000);
  const big = fullStore(nostale, 100_000);
  const floor = bareMap(big.pool, 100_000);
  gc();
  const cmp = await compare(
    [
      { name: 'set-1k', run: small.run },
      { name: 'set-100k', run: big.run },
      { name: 'map-100k', run: floor },
    ],
    { rounds: 100, warmupMs: 300 },
  );
  check(small.evictions() === small.calls() && big.evictions() === big.calls(), 'every set evicted exactly one entry');
  check(big.store.keys().length === 100_000 && small.store.keys().length === 1_000, 'stores stayed full');
  return [
    timeRow({
      name: 'MemoryStore set into a full store: 100k capacity vs 1.5 × 1k',
      oursNs: cmp.median('set-100k'),
      baselineNs: 1.5 * cmp.median('set-1k'),
      ratio: cmp.pairedRatio('set-1k', 'set-100k', 1.5),
      p25: gate(cmp.ratios('set-1k', 'set-100k', 1.5)),
      goal: 1,
      note: `each set adds a new entry and evicts the least recently used one (${big.evictions()} evictions at 100k verified); 1k alone: ${round(cmp.median('set-1k'))} ns; ${spread(cmp.ratios('set-1k', 'set-100k', 1.5))}`,
    }),
    timeRow({
      name: 'MemoryStore set into a full store at 100k vs bare Map + live iterator',
      oursNs: cmp.median('set-100k'),
      baselineNs: cmp.median('map-100k'),
      ratio: cmp.pairedRatio('map-100k', 'set-100k'),
      goal: 0,
      note: `informational: the floor for a Map-ordered LRU at 100k (one Map.set, one Map.delete of the key a live iterator finds); the store also keeps its URL index and byte count; ${spread(cmp.ratios('map-100k', 'set-100k'))}`,
    }),
  ];
}

/** `MemoryStore.get` alone: hits over W keys of a store of `size`, against W = 1 in the same rounds. */
async function storeHits(nostale: Nostale): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of [10_000, 100_000]) {
    const store = new nostale.MemoryStore({ maxEntries: 2 * size });
    const pool = Array.from({ length: size }, (_, i) => entryOf(i));
    store.set(pool);
    const over = (w: number) => {
      const keys = spreadOver(w, size).map((i) => pool[i]!.key);
      let k = 0;
      return (n: number) => {
        for (let i = 0; i < n; i++) sink = store.get(keys[k++ % keys.length]!);
      };
    };
    gc();
    const cmp = await compare(
      [
        { name: 'w1', run: over(1) },
        { name: 'w1000', run: over(1000) },
        { name: 'all', run: over(size) },
      ],
      { rounds: 100, warmupMs: 300 },
    );
    check(store.keys().length === size, 'every get was a hit on a full store');
    const label = `${size / 1000}k`;
    rows.push(
      timeRow({
        name: `MemoryStore.get flatness at ${label}: W=1000 vs 1.5 × W=1`,
        oursNs: cmp.median('w1000'),
        baselineNs: 1.5 * cmp.median('w1'),
        ratio: cmp.pairedRatio('w1', 'w1000', 1.5),
        p25: gate(cmp.ratios('w1', 'w1000', 1.5)),
        goal: size === 10_000 ? 1 : 0,
        note: `store.get(key) alone, synchronous; ${size === 10_000 ? '' : 'informational at 100k (W = 1000 entries spread over a table that no longer fits the caches); '}${spread(cmp.ratios('w1', 'w1000', 1.5))}`,
      }),
      timeRow({
        name: `MemoryStore.get, every key of ${label} in turn vs W=1`,
        oursNs: cmp.median('all'),
        baselineNs: cmp.median('w1'),
        ratio: cmp.pairedRatio('w1', 'all'),
        goal: 0,
        note: `informational: a scan over every entry moves each one on every hit (each has aged past a quarter of the store), the worst case of the recency rule; ${spread(cmp.ratios('w1', 'all'))}`,
      }),
    );
  }
  return rows;
}

export async function memoryStoreRows(nostale: Nostale): Promise<Row[]> {
  return [...(await storeHits(nostale)), ...(await sets(nostale)), ...(await hits(nostale))];
}
