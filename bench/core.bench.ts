/**
 * Core benchmarks: memory hits, scope invalidation and version-check revalidation, each against
 * a baseline measured in the same process, interleaved with ours (see `lib/measure.ts`).
 * Every group checks that it measures what it says (request counts, `client.stats()`), and
 * throws otherwise: `runCoreBenchmarks` turns that into a failed row.
 */
import { QueryClient } from '@tanstack/query-core';
import type { Client } from '../src/index.js';
import { loadNostale, type Nostale } from './lib/build.js';
import { runChromiumHeap } from './heap.bench.js';
import { memoryStoreRows } from './memory.bench.js';
import { check, compare, failedRow, formatNs, gate, gc, round, spread, timeRow, type Row } from './lib/measure.js';
import { liteResponse } from './lib/liteResponse.js';

/** nostale as it ships (see `lib/build.ts`), loaded by `runCoreBenchmarks`. */
let createClient: Nostale['createClient'];

/**
 * A TanStack client as the docs create it. No `defaultOptions`: on Node 20 (V8 11), any non-empty
 * `defaultOptions.queries` makes every `fetchQuery` about 8× slower (its options spread falls off
 * a fast path), which current Chromium does not do, so it would flatter us.
 */
const newQueryClient = (): QueryClient => new QueryClient();

const BASE = 'http://localhost/';
/** Sink for benchmark results, so the engine cannot drop the work that produced them. */
let sink: unknown;

const log = (message: string) => process.stderr.write(`  core: ${message}\n`);

const json = (data: unknown, headers: Record<string, string>) => Response.json(data, { headers });

// ---------------------------------------------------------------------------------------------
// 1. Memory hit

async function memoryHit(): Promise<Row[]> {
  const data = { id: 1, title: 'Buy milk', done: false, tags: ['home', 'errands'], due: '2026-11-21T09:00:00Z' };
  let requests = 0;
  const fetchImpl: typeof fetch = async () => {
    requests++;
    return json(data, { 'Cache-Control': 'max-age=3600' });
  };
  const url = '/items/1';
  const client = createClient({ fetch: fetchImpl, baseUrl: BASE });
  await client.get(url);
  check(requests === 1 && client.stats().misses === 1, 'nostale primed with one request');
  client.resetStats();

  const queryClient = newQueryClient();
  let queryFnCalls = 0;
  const queryFn = async () => {
    queryFnCalls++;
    return (await fetchImpl(new URL(url, BASE).href)).json() as Promise<typeof data>;
  };
  await queryClient.fetchQuery({ queryKey: ['items', 1], queryFn, staleTime: Infinity });
  check(queryFnCalls === 1, 'TanStack primed with one request');

  const floor = new Map<string, unknown>([[url, data]]);
  const cmp = await compare(
    [
      {
        name: 'ours',
        run: async (n) => {
          for (let i = 0; i < n; i++) sink = await client.get(url);
        },
      },
      {
        name: 'tanstack',
        run: async (n) => {
          for (let i = 0; i < n; i++) sink = await queryClient.fetchQuery({ queryKey: ['items', 1], queryFn, staleTime: Infinity });
        },
      },
      {
        name: 'map',
        run: (n) => {
          for (let i = 0; i < n; i++) sink = floor.get(url);
        },
      },
      {
        // Not a row: what awaiting a value costs by itself, for the floor row's note.
        name: 'awaitMap',
        run: async (n) => {
          for (let i = 0; i < n; i++) sink = await floor.get(url);
        },
      },
    ],
    { rounds: 300, targetMs: 1 },
  );

  const stats = client.stats();
  check(stats.hits === cmp.totalOps.ours, `every get was a fresh hit (hits ${stats.hits}, gets ${cmp.totalOps.ours})`);
  check(stats.misses === 0 && stats.staleHits === 0 && stats.revalidations === 0, 'no get missed or revalidated');
  check(requests === 2 && queryFnCalls === 1, `no request after priming (requests ${requests}, queryFn ${queryFnCalls})`);
  check(JSON.stringify(sink) === JSON.stringify(data), 'reads return the data');

  const ours = cmp.median('ours');
  const map = cmp.median('map');
  const vsTanstack = cmp.pairedRatio('tanstack', 'ours');
  const vsMap = cmp.pairedRatio('map', 'ours');
  return [
    timeRow({
      name: 'memory hit vs TanStack fetchQuery',
      oursNs: ours,
      baselineNs: cmp.median('tanstack'),
      ratio: vsTanstack,
      p25: gate(cmp.ratios('tanstack', 'ours')),
      goal: 5,
      note: `await client.get(url) on a fresh entry (nostale bundled from src as shipped) vs await fetchQuery({ queryKey, queryFn, staleTime: Infinity }) on a primed query of new QueryClient(); ${cmp.totalOps.ours} gets verified as hits by stats(); ${spread(cmp.ratios('tanstack', 'ours'))}`,
    }),
    timeRow({
      name: 'memory hit vs Map.get floor',
      oursNs: ours,
      baselineNs: map,
      ratio: vsMap,
      p25: gate(cmp.ratios('map', 'ours')),
      goal: 0,
      note: `informational: a hit is ${round(1 / vsMap)}× a raw Map.get (${formatNs(map)}); awaiting a Map.get alone costs ${formatNs(cmp.median('awaitMap'))}, so ${round(ours / cmp.median('awaitMap'))}× that floor for an async API`,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// 2. Scope invalidation

const SIZES = [1_000, 10_000, 100_000] as const;
const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
/** Entries read after each invalidation, in turn. */
const READS = 10;

interface Contender {
  name: string;
  run: (n: number) => Promise<void>;
  /** Checks, after measuring, that every op did what the row says. */
  verify: (ops: number) => void | Promise<void>;
  /** TanStack only: the first invalidateQueries over queries none of which was invalidated yet. */
  firstNs?: number;
  /** Ours only: the invalidate call alone, no read (for notes). */
  invalidateOnly?: Contender['run'];
}

/** A network answering JSON from memory: a stand-in `Response` while filling, a real one when measuring. */
function memoryNetwork() {
  const net = { lite: true, calls: 0 };
  const fetchImpl: typeof fetch = async (input) => {
    net.calls++;
    const url = String(input);
    const body = { url, title: 'Entry', done: false };
    const headers = { 'cache-control': 'max-age=3600', 'content-type': 'application/json' };
    return net.lite ? liteResponse(JSON.stringify(body), headers) : json(body, headers);
  };
  return { net, fetchImpl };
}

/**
 * `size` entries; case `1%`: 100 scopes `p0`…`p99` (entry i in `p{i % 100}`) and `p0` is
 * invalidated; case `all`: one scope `all` holding every entry.
 */
function layout(kind: '1%' | 'all', size: number) {
  const scope = kind === '1%' ? 'p0' : 'all';
  const scopeOf = (i: number) => (kind === '1%' ? `p${i % 100}` : 'all');
  const inScope = Array.from({ length: READS }, (_, k) => (kind === '1%' ? k * 100 : k));
  return { scope, scopeOf, inScope, expected: kind === '1%' ? size / 100 : size };
}

async function oursInvalidation(kind: '1%' | 'all', size: number): Promise<Contender> {
  const { net, fetchImpl } = memoryNetwork();
  const { scope, scopeOf, inScope } = layout(kind, size);
  const client = createClient({
    fetch: fetchImpl,
    baseUrl: BASE,
    maxEntries: size * 2,
    routes: [{ match: '/s/:scope/*', scope: '{scope}' }],
  });
  const urlOf = (i: number) => `/s/${scopeOf(i)}/${i}`;
  for (let i = 0; i < size; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, size - i) }, (_, j) => client.get(urlOf(i + j))));
  }
  check(client.stats().misses === size && net.calls === size, `nostale filled with ${size} entries`);
  net.lite = false;
  client.resetStats();
  const reads = inScope.map(urlOf);
  let k = 0;
  let calls = 0;
  return {
    name: `ours-${size}`,
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        await client.invalidate({ scope });
        sink = await client.get(reads[k++ % READS]!);
      }
      calls += n;
    },
    invalidateOnly: async (n) => {
      for (let i = 0; i < n; i++) await client.invalidate({ scope });
    },
    async verify(ops) {
      const stats = client.stats();
      check(ops === calls, 'op count');
      check(
        stats.misses === ops && stats.hits === 0 && net.calls === size + ops,
        `each read after an invalidation refetched (${label(size)}, ${kind})`,
      );
      check(stats.evictions === 0, `all ${size} entries stayed cached (no eviction)`);
      // Outside the scope, entries are still fresh hits; inside it, an entry not read since is dead.
      if (kind === '1%') {
        await client.get(urlOf(1));
        check(client.stats().hits === 1, 'an entry of another scope is still a hit');
      }
      // At 1k every entry of p0 is among the measured reads, so invalidate once more first.
      await client.invalidate({ scope });
      const before = client.stats().misses;
      await client.get(urlOf(kind === '1%' ? size - 100 : size - 1));
      check(client.stats().misses === before + 1, 'an entry of the invalidated scope misses');
    },
  };
}

async function tanstackInvalidation(kind: '1%' | 'all', size: number): Promise<Contender> {
  const { net, fetchImpl } = memoryNetwork();
  net.lite = false;
  const { scope, scopeOf, inScope, expected } = layout(kind, size);
  const queryClient = newQueryClient();
  const cache = queryClient.getQueryCache();
  for (let i = 0; i < size; i++)
    queryClient.setQueryData([scopeOf(i), i], { url: `${BASE}s/${scopeOf(i)}/${i}`, title: 'Entry', done: false });
  check(cache.getAll().length === size, `TanStack filled with ${size} queries`);
  // Measured rounds find most matched queries already invalidated by the round before (a flag
  // check each); the very first invalidation also dispatches a state update per query. Timed once.
  const started = process.hrtime.bigint();
  await queryClient.invalidateQueries({ queryKey: [scope], refetchType: 'none' });
  const firstNs = Number(process.hrtime.bigint() - started);
  let k = 0;
  let calls = 0;
  return {
    name: `tanstack-${size}`,
    firstNs,
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        await queryClient.invalidateQueries({ queryKey: [scope], refetchType: 'none' });
        const index = inScope[k++ % READS]!;
        const url = `${BASE}s/${scope}/${index}`;
        sink = await queryClient.fetchQuery({
          queryKey: [scope, index],
          queryFn: async () => (await fetchImpl(url)).json(),
          staleTime: Infinity,
        });
      }
      calls += n;
    },
    verify(ops) {
      check(ops === calls && net.calls === ops, `each TanStack read after an invalidation refetched (${label(size)}, ${kind})`);
      const invalid = cache.findAll({ predicate: (q) => q.state.isInvalidated });
      // Everything the invalidation matched is invalidated, except the entry read last.
      check(invalid.length === expected - 1, `TanStack invalidated ${expected - 1} queries, found ${invalid.length}`);
      check(cache.getAll().length === size, 'TanStack kept every query');
    },
  };
}

async function invalidation(kind: '1%' | 'all'): Promise<Row[]> {
  const what = kind === '1%' ? '1% of' : 'all of';
  const rows: Row[] = [];
  // Ours at 1k and 100k stay alive for the flatness comparison at the end; the rest is built for
  // its own comparison and released, so no comparison runs next to a heap it does not need.
  const kept = new Map<number, { contender: Contender; ops: number }>();
  for (const size of SIZES) {
    let started = performance.now();
    const ours = await oursInvalidation(kind, size);
    log(`filled nostale with ${label(size)} entries (${kind} case) in ${Math.round(performance.now() - started)} ms`);
    started = performance.now();
    const theirs = await tanstackInvalidation(kind, size);
    log(`filled TanStack with ${label(size)} queries in ${Math.round(performance.now() - started)} ms`);
    gc();
    const cmp = await compare([ours, theirs], { rounds: size === 100_000 ? 60 : 100, targetMs: 1, warmupMs: 600 });
    await theirs.verify(cmp.totalOps[theirs.name]!);
    if (size === 1_000 || size === 100_000) kept.set(size, { contender: ours, ops: cmp.totalOps[ours.name]! });
    else await ours.verify(cmp.totalOps[ours.name]!);
    rows.push(
      timeRow({
        name: `invalidate scope ${what} ${label(size)} vs TanStack invalidateQueries`,
        oursNs: cmp.median(ours.name),
        baselineNs: cmp.median(theirs.name),
        ratio: cmp.pairedRatio(theirs.name, ours.name),
        p25: gate(cmp.ratios(theirs.name, ours.name)),
        goal: size === 100_000 ? 100 : 0,
        note:
          `${size === 100_000 ? '' : 'informational (the goal is set at 100k); '}` +
          `${kind === '1%' ? `scope = ${size / 100} of ${size} entries (100 scopes)` : `one scope of all ${size} entries`}; ` +
          `ours: invalidate({ scope }) + get() of an entry of it, a miss refetched from the in-memory fetch; ` +
          `TanStack: invalidateQueries({ queryKey: [scope], refetchType: 'none' }) + fetchQuery() of a query of it, refetched (invalidated) through the same fetch; ` +
          `TanStack's first invalidateQueries alone, timed once: ${formatNs(theirs.firstNs!)}; ${spread(cmp.ratios(theirs.name, ours.name))}`,
      }),
    );
    gc();
  }
  const small = kept.get(1_000)!;
  const big = kept.get(100_000)!;
  const alone = (c: Contender) => ({ name: `${c.name}-invalidate-only`, run: c.invalidateOnly! });
  const cmp = await compare([small.contender, big.contender, alone(small.contender), alone(big.contender)], {
    rounds: 150,
    targetMs: 1,
    warmupMs: 300,
  });
  await small.contender.verify(small.ops + cmp.totalOps[small.contender.name]!);
  await big.contender.verify(big.ops + cmp.totalOps[big.contender.name]!);
  rows.push(
    timeRow({
      name: kind === '1%' ? 'invalidate flatness 1k/100k' : 'invalidate flatness 1k/100k (scope all)',
      oursNs: cmp.median(big.contender.name),
      baselineNs: 2 * cmp.median(small.contender.name),
      ratio: cmp.pairedRatio(small.contender.name, big.contender.name, 2),
      p25: gate(cmp.ratios(small.contender.name, big.contender.name, 2)),
      goal: 1,
      note:
        `ours = invalidate + read with 100k entries cached, baseline = 2 × the same with 1k (${formatNs(cmp.median(small.contender.name))}), ` +
        `${kind === '1%' ? 'scope = 1% of entries' : 'scope = all entries'}, both clients measured interleaved; ` +
        `the invalidate call alone takes ${formatNs(cmp.median(`${small.contender.name}-invalidate-only`))} at 1k and ${formatNs(cmp.median(`${big.contender.name}-invalidate-only`))} at 100k, the rest is the refetching read; ` +
        spread(cmp.ratios(small.contender.name, big.contender.name, 2)),
    }),
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 3. Revalidation of 100 expired entries: one version check vs 100 conditional requests

const ENTRIES = 100;
const LATENCY_MS = 1;

async function revalidation(): Promise<Row[]> {
  const clock = { now: 1_700_000_000_000 };
  const counts = { version: 0, full: 0, conditional: 0, notModified: 0 };
  const fetchImpl: typeof fetch = async (input, init) => {
    await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
    const url = new URL(String(input));
    const headers = { 'Cache-Control': 'max-age=1', 'X-Cache-Version': '7', ETag: `"7-${url.pathname}"` };
    if (url.pathname.endsWith('/version')) {
      counts.version++;
      return json({ version: '7' }, { 'Cache-Control': 'no-store', 'X-Cache-Version': '7' });
    }
    if (new Headers(init?.headers).get('if-none-match') === headers.ETag) {
      counts.conditional++;
      counts.notModified++;
      return new Response(null, { status: 304, headers });
    }
    counts.full++;
    return json({ id: url.pathname, title: 'Event', start: '2026-11-21T09:00:00Z' }, headers);
  };
  const make = (versionUrl?: string): Client =>
    createClient({
      fetch: fetchImpl,
      baseUrl: BASE,
      now: () => clock.now,
      routes: [{ match: '/cal/:user/events/*', scope: 'calendar:{user}', ...(versionUrl ? { versionUrl } : {}) }],
    });
  const withVersion = make('/cal/{user}/version');
  const conditional = make();
  const urls = Array.from({ length: ENTRIES }, (_, i) => `/cal/alice/events/${i}`);
  for (const client of [withVersion, conditional]) {
    for (const url of urls) await client.get(url);
    client.resetStats();
  }
  check(counts.full === 2 * ENTRIES && counts.version === 0, 'both clients primed with 100 full responses each');

  const perOp = { ours: { requests: 0, ops: 0 }, baseline: { requests: 0, ops: 0 } };
  const total = () => counts.version + counts.full + counts.conditional;
  const readAll = (client: Client, side: 'ours' | 'baseline') => async (n: number) => {
    for (let i = 0; i < n; i++) {
      // Every entry expires (max-age=1) before each pass; each client has seen them all once.
      clock.now += 2_000;
      const before = total();
      const results = await Promise.all(urls.map((url) => client.get(url)));
      perOp[side].requests += total() - before;
      perOp[side].ops++;
      sink = results;
    }
  };
  const cmp = await compare(
    [
      { name: 'ours', run: readAll(withVersion, 'ours'), batch: 1 },
      { name: 'baseline', run: readAll(conditional, 'baseline'), batch: 1 },
    ],
    { rounds: 120, warmup: 10 },
  );
  const oursRequests = perOp.ours.requests / perOp.ours.ops;
  const baselineRequests = perOp.baseline.requests / perOp.baseline.ops;
  const a = withVersion.stats();
  const b = conditional.stats();
  check(oursRequests === 1 && a.revalidations === perOp.ours.ops, `version check: 1 request per pass (got ${oursRequests})`);
  check(a.hits === ENTRIES * perOp.ours.ops && a.misses === 0, 'version check: every entry served as a hit after the check');
  check(
    baselineRequests === ENTRIES && b.notModified === ENTRIES * perOp.baseline.ops,
    `conditional: 100 requests answered 304 per pass (got ${baselineRequests})`,
  );
  // A read answered by a 304 counts as a hit (issue 8): the body came from the cache.
  check(
    b.hits === ENTRIES * perOp.baseline.ops && b.misses === 0 && counts.full === 2 * ENTRIES,
    'conditional: every 304 a hit, no full response',
  );
  return [
    timeRow({
      name: 'revalidate 100 stale entries: version check vs conditional requests',
      oursNs: cmp.median('ours'),
      baselineNs: cmp.median('baseline'),
      ratio: cmp.pairedRatio('baseline', 'ours'),
      p25: gate(cmp.ratios('baseline', 'ours')),
      goal: 1,
      note: `requests per pass: ${oursRequests} version check vs ${baselineRequests} conditional (304); time to read all 100 expired entries at once, ${LATENCY_MS} ms simulated latency per request, all in parallel; ${spread(cmp.ratios('baseline', 'ours'))}`,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------

export async function runCoreBenchmarks(): Promise<Row[]> {
  const groups: { name: string; id: string; goal: number; run: () => Promise<Row[]> }[] = [
    { name: 'memory hit', id: 'core', goal: 5, run: memoryHit },
    { name: 'invalidate scope 1%', id: 'core', goal: 100, run: () => invalidation('1%') },
    { name: 'invalidate scope all', id: 'core', goal: 100, run: () => invalidation('all') },
    { name: 'revalidate 100 stale entries', id: 'core', goal: 1, run: revalidation },
    { name: 'memory tier at scale', id: 'memory', goal: 1, run: () => memoryStoreRows(nostale) },
    { name: 'heap per entry in Chromium', id: 'memory', goal: 1, run: runChromiumHeap },
  ];
  const rows: Row[] = [];
  let nostale: Nostale;
  try {
    nostale = await loadNostale();
    ({ createClient } = nostale);
  } catch (error) {
    return [{ ...failedRow('core benchmarks (building src/index.ts)', error), group: 'core' }];
  }
  for (const group of groups) {
    const started = performance.now();
    try {
      for (const row of await group.run()) rows.push({ ...row, group: group.id });
    } catch (error) {
      rows.push({ ...failedRow(group.name, error, group.goal), group: group.id });
    }
    log(`${group.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    gc();
  }
  return rows;
}
