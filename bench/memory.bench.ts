/**
 * Memory-tier benchmarks: hits over W distinct URLs with 10k entries cached, the cost of `set`
 * in a full store at 100k capacity against 1k, and `MemoryStore.get` flatness. Called from
 * `core.bench.ts`; each row is paired against a baseline measured in the same rounds.
 */
import type { QueryClient } from '@tanstack/query-core';
import type { CacheEntry, Client } from '../src/index.js';
import type { Nostale } from './lib/build.js';
import { check, compare, failedRow, formatNs, gate, gc, median, round, spread, timeRow, type Row } from './lib/measure.js';
import { BASE, fillItems, item, itemsClient, itemsQueryClient } from './lib/items.js';
import { liteResponse } from './lib/liteResponse.js';

const FILL = 10_000;
let sink: unknown;

const log = (message: string) => process.stderr.write(`  memory: ${message}\n`);

/** A client and a TanStack QueryClient holding the same `size` items, and a Map of the decoded values. */
async function filled(nostale: Nostale, size: number) {
  const counted = { requests: 0 };
  const client = itemsClient(nostale.createClient, size, counted);
  await fillItems(client, size);
  check(counted.requests === size && client.stats().misses === size, `nostale filled with ${size} entries`);
  const queryClient = itemsQueryClient(size);
  check(queryClient.getQueryCache().getAll().length === size, `TanStack filled with ${size} queries`);
  const map = new Map<string, unknown>();
  for (let i = 0; i < size; i++) map.set(`/items/${i}`, item(i));
  client.resetStats();
  return { client, queryClient, map, requests: () => counted.requests };
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

  // client.peek: a synchronous look at a fresh entry, against a raw Map.get of the decoded value.
  const peekUrl = `/items/${spreadOver(1, FILL)[0]!}`;
  const peeked = client.peek(peekUrl);
  check(peeked?.source === 'memory' && peeked.stale === false && (peeked.data as { id: number }).id === 0, 'peek answers the fresh entry');
  const peekCmp = await compare(
    [
      {
        name: 'peek',
        run: (n) => {
          for (let i = 0; i < n; i++) sink = client.peek(peekUrl)?.data;
        },
      },
      {
        name: 'map',
        run: (n) => {
          for (let i = 0; i < n; i++) sink = map.get(peekUrl);
        },
      },
    ],
    { rounds: 100, warmupMs: 300 },
  );
  check((sink as { id?: number }).id === 0, 'peek and Map.get return the data');
  rows.push(
    timeRow({
      name: 'client.peek of a fresh entry (10k cached) vs Map.get',
      oursNs: peekCmp.median('peek'),
      baselineNs: peekCmp.median('map'),
      ratio: peekCmp.pairedRatio('map', 'peek'),
      p25: gate(peekCmp.ratios('map', 'peek')),
      goal: round(1 / 3),
      note: `client.peek(url)?.data, synchronous, against map.get(url) of the decoded value (goal: at most 3× it, issue 12); ${spread(peekCmp.ratios('map', 'peek'))}`,
    }),
  );
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

/** A stored entry in the client's own shape (see src/core/storedEntry.ts). */
function entryOf(i: number, path = `items/${i}`, headers: Record<string, string> = { 'content-type': 'application/json' }): CacheEntry {
  const url = `${BASE}${path}`;
  return {
    key: JSON.stringify(['', 'GET', url]),
    namespace: '',
    url,
    status: 200,
    headers,
    body: '{}',
    size: 4,
    storedAt: 0,
    lifetime: 3_600_000,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    noCache: false,
    mustRevalidate: false,
    scope: undefined,
    version: undefined,
    mark: undefined,
    build: undefined,
    vary: undefined,
    accessedAt: 0,
    data: undefined,
    memoryOnly: undefined,
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
  const smallFloor = bareMap(small.pool, 1_000);
  gc();
  const cmp = await compare(
    [
      { name: 'set-1k', run: small.run },
      { name: 'set-100k', run: big.run },
      { name: 'map-100k', run: floor },
      { name: 'map-1k', run: smallFloor },
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
    timeRow({
      name: 'bare Map + live iterator set: 100k capacity vs 1.5 × 1k (the floor, same rounds)',
      oursNs: cmp.median('map-100k'),
      baselineNs: 1.5 * cmp.median('map-1k'),
      ratio: cmp.pairedRatio('map-1k', 'map-100k', 1.5),
      goal: 0,
      note: `informational: the flatness goal above applied to the floor itself (1k alone: ${round(cmp.median('map-1k'))} ns): at 100k a set's two hash-table operations on random buckets miss the CPU caches, whatever the LRU does around them; ${spread(cmp.ratios('map-1k', 'map-100k', 1.5))}`,
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
    const map = new Map(pool.map((entry) => [entry.key, entry]));
    const over = (w: number, get: (key: string) => unknown = (key) => store.get(key)) => {
      const keys = spreadOver(w, size).map((i) => pool[i]!.key);
      let k = 0;
      return (n: number) => {
        for (let i = 0; i < n; i++) sink = get(keys[k++ % keys.length]!);
      };
    };
    const mapGet = (key: string) => map.get(key);
    gc();
    const cmp = await compare(
      [
        { name: 'w1', run: over(1) },
        { name: 'w1000', run: over(1000) },
        { name: 'all', run: over(size) },
        { name: 'map-w1', run: over(1, mapGet) },
        { name: 'map-w1000', run: over(1000, mapGet) },
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
        note: `informational: a scan over every entry, each lookup far from the last in a table that W = 1 keeps in cache (a hit only stamps its slot, it never reorders the map); ${spread(cmp.ratios('w1', 'all'))}`,
      }),
      timeRow({
        name: `bare Map.get flatness at ${label}: W=1000 vs 1.5 × W=1 (the floor, same rounds)`,
        oursNs: cmp.median('map-w1000'),
        baselineNs: 1.5 * cmp.median('map-w1'),
        ratio: cmp.pairedRatio('map-w1', 'map-w1000', 1.5),
        goal: 0,
        note: `informational: the flatness goal above applied to a Map of the same ${label} entries and keys, no store around it; ${spread(cmp.ratios('map-w1', 'map-w1000', 1.5))}`,
      }),
    );
  }
  return rows;
}

/** Every key of 100k in turn, through the client, against TanStack and an awaited Map.get on the same keys. */
async function hitsAll100k(nostale: Nostale): Promise<Row[]> {
  const size = 100_000;
  const started = performance.now();
  const { client, queryClient, map, requests } = await filled(nostale, size);
  log(`filled 100k entries in ${Math.round(performance.now() - started)} ms`);
  const urls = Array.from({ length: size }, (_, i) => `/items/${i}`);
  const queryFn = async () => {
    throw new Error('a hit never calls queryFn');
  };
  let a = 0;
  let b = 0;
  let c = 0;
  gc();
  const cmp = await compare(
    [
      {
        name: 'ours',
        run: async (n) => {
          for (let i = 0; i < n; i++) sink = await client.get(urls[a++ % size]!);
        },
      },
      {
        name: 'tanstack',
        run: async (n) => {
          for (let i = 0; i < n; i++)
            sink = await queryClient.fetchQuery({ queryKey: ['items', b++ % size], queryFn, staleTime: Infinity });
        },
      },
      {
        name: 'map',
        run: async (n) => {
          for (let i = 0; i < n; i++) sink = await map.get(urls[c++ % size]!);
        },
      },
    ],
    { rounds: 60, warmupMs: 300 },
  );
  const stats = client.stats();
  check(stats.hits === cmp.totalOps.ours && stats.misses === 0 && requests() === size, 'every get over 100k was a hit');
  return [
    timeRow({
      name: 'memory hit, all 100k URLs of 100k cached vs TanStack fetchQuery',
      oursNs: cmp.median('ours'),
      baselineNs: cmp.median('tanstack'),
      ratio: cmp.pairedRatio('tanstack', 'ours'),
      p25: gate(cmp.ratios('tanstack', 'ours')),
      goal: 3,
      note: `await client.get(url) over every one of 100k cached URLs in turn vs fetchQuery on the same keys of a QueryClient holding 100k queries; ${spread(cmp.ratios('tanstack', 'ours'))}`,
    }),
    timeRow({
      name: 'memory hit, all 100k URLs of 100k cached vs awaited Map.get',
      oursNs: cmp.median('ours'),
      baselineNs: cmp.median('map'),
      ratio: cmp.pairedRatio('map', 'ours'),
      p25: gate(cmp.ratios('map', 'ours')),
      goal: round(1 / 3),
      note: `await map.get(url) over the same 100k URLs (goal: a hit costs at most 3× it); ${spread(cmp.ratios('map', 'ours'))}`,
    }),
  ];
}

const heapUsed = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Fills `count` clients of `size` items into `into`, keeping no reference of its own once done. */
async function fillClients(nostale: Nostale, into: Client[], count: number, size: number): Promise<void> {
  for (let c = 0; c < count; c++) {
    into.push(itemsClient(nostale.createClient, size));
    await fillItems(into[c]!, size);
  }
}

/**
 * Heap per cached entry against TanStack's heap per query, holding the same items: ours filled
 * through `client.get` (what a read keeps: the entry, its body and decoded data, its key, the URL
 * memo and index), theirs through `setQueryData`. Each side is measured alone, from a collected heap.
 */
async function heap(nostale: Nostale): Promise<Row[]> {
  if (!(globalThis as { gc?: unknown }).gc)
    return [failedRow('heap per entry vs TanStack per query', 'needs node --expose-gc (npm run bench)')];
  const rows: Row[] = [];
  // One round of each side first, not counted: the first fill also allocates what V8 keeps per
  // function (feedback, compiled code), which is no entry's cost (it made the first 1k round
  // read 2.7 KB per entry, and later ones read negative).
  const warm: Client[] = [];
  await fillClients(nostale, warm, 1, 1000);
  warm.length = 0;
  itemsQueryClient(1000);
  for (const size of [1_000, 10_000, 100_000]) {
    const reps = size === 100_000 ? 1 : 3;
    // Below 10k, as many clients of `size` as make 10k entries: one 1k client's heap (under a
    // megabyte) is within the collector's own noise, and each client's fixed cost still counts,
    // shared by its `size` entries.
    const clients = Math.max(1, 10_000 / size);
    const ours: number[] = [];
    const theirs: number[] = [];
    // Clients live in arrays emptied in place: a variable cleared in this suspended async frame
    // may still be kept alive by a register the frame saved (a whole client per round).
    const held: Client[] = [];
    const queryClients: QueryClient[] = [];
    for (let r = 0; r < reps; r++) {
      let before = heapUsed();
      await fillClients(nostale, held, clients, size);
      ours.push((heapUsed() - before) / size / clients);
      check(held.length === clients && held.every((client) => client.stats().misses === size), `each nostale client holds ${size} entries`);
      held.length = 0;
      before = heapUsed();
      for (let c = 0; c < clients; c++) queryClients.push(itemsQueryClient(size));
      theirs.push((heapUsed() - before) / size / clients);
      check(
        queryClients.every((queryClient) => queryClient.getQueryCache().getAll().length === size),
        `each QueryClient holds ${size} queries`,
      );
      queryClients.length = 0;
    }
    const ratios = ours.map((o, i) => theirs[i]! / o).sort((x, y) => x - y);
    const row: Row = {
      name: `heap per entry at ${size / 1000}k vs TanStack per query`,
      ours: round(median(ours)),
      baseline: round(median(theirs)),
      ratio: round(median(ratios)),
      goal: 1,
      unit: 'B',
      note: `process.memoryUsage().heapUsed after gc(), before and after filling, ÷ entries; ${clients > 1 ? `${clients} clients of ${size} entries each (and as many QueryClients), so the growth measured is 10k entries' worth` : `one client of ${size} entries`}; the same items ({ id, title, done, tags }) cached by client.get (an entry keeps the raw body and the decoded data) and by setQueryData; ${reps} measurement(s), each side alone, after one uncounted round of each (first-run feedback and code)`,
    };
    if (reps > 1) row.p25 = round(gate(ratios));
    rows.push(row);
  }
  return rows;
}

/**
 * `invalidate({ scope })` alone with 1k and 1M entries cached (half of them in the scope), in the
 * same rounds: a scope change is one mark, whatever the store holds. The store is filled directly
 * with entries of the scope's current mark (a million reads through the client take minutes).
 */
async function scopeInvalidation(nostale: Nostale): Promise<Row[]> {
  const clientOf = (size: number) => {
    const store = new nostale.MemoryStore({ maxEntries: size });
    let requests = 0;
    const client = nostale.createClient({
      baseUrl: BASE,
      store,
      routes: [{ match: '/s/:scope/*', scope: '{scope}' }],
      fetch: async () => {
        requests++;
        return liteResponse('{}', { 'cache-control': 'max-age=3600', 'content-type': 'application/json' });
      },
    });
    client.setVersion('a', 'v1');
    client.setVersion('b', 'v1');
    const marks = new Map(client.scopes().map((record) => [record.scope, record.mark]));
    const headers = { 'content-type': 'application/json' };
    const batch: CacheEntry[] = [];
    for (let i = 0; i < size; i++) {
      const scope = i % 2 ? 'b' : 'a';
      const entry = entryOf(i, `s/${scope}/${i}`, headers);
      entry.scope = scope;
      entry.mark = marks.get(scope);
      entry.version = 'v1';
      entry.storedAt = Date.now();
      batch.push(entry);
      if (batch.length === 10_000 || i === size - 1) store.set(batch.splice(0));
    }
    check(store.keys().length === size, `store filled with ${size} entries`);
    let calls = 0;
    return {
      client,
      requests: () => requests,
      calls: () => calls,
      run: async (n: number) => {
        for (let i = 0; i < n; i++) await client.invalidate({ scope: 'a' });
        calls += n;
      },
    };
  };
  const small = clientOf(1_000);
  const started = performance.now();
  const big = clientOf(1_000_000);
  log(`filled a store with 1M entries in ${Math.round(performance.now() - started)} ms`);
  // Entries of the other scope are still hits; one of the invalidated scope now misses.
  for (const side of [small, big]) {
    await side.client.get('/s/b/1');
    check(side.client.stats().hits === 1 && side.requests() === 0, 'an entry of a filled scope is a hit');
  }
  gc();
  const cmp = await compare(
    [
      { name: 'small', run: small.run },
      { name: 'big', run: big.run },
    ],
    { rounds: 100, warmupMs: 300 },
  );
  for (const side of [small, big]) {
    await side.client.get('/s/a/0');
    check(side.client.stats().misses === 1 && side.requests() === 1, 'an entry of the invalidated scope misses');
  }
  return [
    timeRow({
      name: 'invalidate({ scope }) alone: 1M entries cached vs 1.5 × 1k',
      oursNs: cmp.median('big'),
      baselineNs: 1.5 * cmp.median('small'),
      ratio: cmp.pairedRatio('small', 'big', 1.5),
      p25: gate(cmp.ratios('small', 'big', 1.5)),
      goal: 1,
      note: `await client.invalidate({ scope }) of a scope holding half the entries, no read, with 1M and 1k entries cached (${cmp.totalOps.big} and ${cmp.totalOps.small} calls, verified afterwards: the other scope still hits, the invalidated one misses); 1k alone: ${formatNs(cmp.median('small'))}; ${spread(cmp.ratios('small', 'big', 1.5))}`,
    }),
  ];
}

export async function memoryStoreRows(nostale: Nostale): Promise<Row[]> {
  const rows: Row[] = [];
  for (const part of [storeHits, sets, hits, hitsAll100k, heap, scopeInvalidation]) {
    try {
      rows.push(...(await part(nostale)));
    } catch (error) {
      rows.push(failedRow(`memory tier: ${part.name}`, error));
    }
    gc();
  }
  return rows;
}
