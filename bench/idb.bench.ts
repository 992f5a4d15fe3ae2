/**
 * IndexedDB benchmarks, in real Chromium: `npx tsx bench/idb.bench.ts` prints them, `npm run bench`
 * calls `runIdbBenchmarks()`. The page halves (bench/idb.page.ts, bench/idb.cold.ts) are bundled
 * with esbuild, served from a temp dir and driven through playwright-core. Every comparison is
 * paired: both sides run in the same rounds, alternating which goes first, and rows with paired
 * rounds are gated on the 25th percentile of the per-round ratios.
 *
 * - read: our `get` against `idb`'s `db.get` on the same connection and value size; goal 1/1.15.
 * - writes: 1000 entries through one batched `set` against the same records put in one native
 *   transaction on our connection, the floor for one record per entry; goal 0.9.
 * - invalidate by URL at 10k persisted: `client.invalidate({ url })` through the memory tier and
 *   IndexedDB, against the 2 ms budget; the scan it replaces (`where`) for scale.
 * - reads during a prune: p95 read latency while a prune with real work runs, against p95 idle;
 *   goal: at most twice idle.
 * - cold start: a fresh Chromium process per round, on the profile holding 10k persisted entries,
 *   first read answered from IndexedDB through a client, against the plain API's open + get and
 *   TanStack's per-query persister, each in a fresh process too; and against the 50 ms budget.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium, startStaticServer } from '../test/browser/support/chromium';
import type { IdbBenchApi, Samples } from './idb.page';
import { bundlePages } from './lib/build';
import { gate, median, QUICK, quantile, round, type Row } from './lib/measure';

const STARTUP_BUDGET_MS = 50;
const INVALIDATE_BUDGET_MS = 2;

/** Medians of each side and the median and p25 of the per-round ratios, scaled to `unit`. */
function pairedRow(name: string, samples: Samples, goal: number, scale: number, unit: string, note?: string): Row {
  const ratios = samples.ours.map((ours, i) => samples.baseline[i]! / ours).sort((a, b) => a - b);
  const row: Row = {
    name,
    ours: round(median(samples.ours) * scale),
    baseline: round(median(samples.baseline) * scale),
    ratio: round(median(ratios)),
    p25: round(gate(ratios)),
    goal,
    unit,
  };
  if (note) row.note = note;
  return row;
}

/** Our times against a fixed budget: per-round ratios budget ÷ ours. */
function budgetRow(name: string, ours: readonly number[], budget: number, note: string): Row {
  const ratios = ours.map((ms) => budget / ms).sort((a, b) => a - b);
  return {
    name,
    ours: round(median(ours)),
    baseline: budget,
    ratio: round(median(ratios)),
    p25: round(gate(ratios)),
    goal: 1,
    unit: 'ms',
    note,
  };
}

function bench<K extends keyof IdbBenchApi>(
  page: Page,
  method: K,
  options: Parameters<IdbBenchApi[K]>[0],
): Promise<Awaited<ReturnType<IdbBenchApi[K]>>> {
  return page.evaluate(([name, args]) => (window as unknown as { bench: Record<string, (o: unknown) => unknown> }).bench[name]!(args), [
    method,
    options,
  ] as [string, unknown]) as Promise<Awaited<ReturnType<IdbBenchApi[K]>>>;
}

interface Cold {
  total: number;
  script: number;
  hit: boolean;
}

/** Chromium on the on-disk profile the bench seeds: a plain context is off the record, where IndexedDB lives in memory. */
async function launch(profile: string): Promise<BrowserContext> {
  // --expose-gc: the write rounds collect garbage before they start timing (see idb.page.ts).
  return chromium.launchPersistentContext(profile, {
    executablePath: await findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'],
  });
}

/**
 * One cold start in a browser process of its own, on the profile the bench seeded: IndexedDB's
 * backing store is opened from disk, as on an app's first page load after the browser starts.
 */
async function coldStart(profile: string, base: string, mode: 'ours' | 'store' | 'raw' | 'tanstack', url: string): Promise<Cold> {
  const context = await launch(profile);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${base}cold.html?mode=${mode}&url=${encodeURIComponent(url)}`);
    await page.waitForFunction(() => 'result' in window, undefined, { timeout: 10_000 });
    return (await page.evaluate(() => (window as unknown as { result: Cold }).result)) as Cold;
  } finally {
    await context.close();
  }
}

export async function runIdbBenchmarks(): Promise<Row[]> {
  const root = await mkdtemp(join(tmpdir(), 'nostale-idb-bench-'));
  const profile = await mkdtemp(join(tmpdir(), 'nostale-idb-profile-'));
  const context = await launch(profile);
  const server = await startStaticServer(root);
  try {
    await bundlePages(
      {
        app: fileURLToPath(new URL('./idb.page.ts', import.meta.url)),
        cold: fileURLToPath(new URL('./idb.cold.ts', import.meta.url)),
      },
      root,
    );
    const html = (script: string) =>
      `<!doctype html>\n<meta charset="utf-8">\n<title>nostale idb bench</title>\n<script type="module" src="./${script}"></script>\n`;
    await writeFile(join(root, 'index.html'), html('app.js'));
    await writeFile(join(root, 'cold.html'), html('cold.js'));
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => 'bench' in window);

    const valueBytes = 2048;
    const rows: Row[] = [];
    const read = await bench(page, 'readVsGet', { rounds: QUICK ? 3 : 40, warmup: QUICK ? 1 : 5, batch: 100, valueBytes });
    rows.push(pairedRow('idb read vs idb get', read, round(1 / 1.15), 1000, 'µs', `${valueBytes} B bodies, 100 keys a round, 40 rounds`));

    const writes = await bench(page, 'writes', { rounds: QUICK ? 3 : 15, warmup: QUICK ? 1 : 3, count: 1000, valueBytes });
    rows.push(
      pairedRow(
        '1000-entry batch vs raw IndexedDB transaction',
        writes,
        0.9,
        1000,
        'µs',
        'per entry; one batched set() + flush() vs the same records put in one native transaction on our connection and layout (4 indexes): the floor for one record per entry',
      ),
    );

    const dexie = await bench(page, 'writesVsDexie', { rounds: QUICK ? 3 : 15, warmup: QUICK ? 1 : 3, count: 1000, valueBytes });
    rows.push(
      pairedRow(
        '1000-entry batch vs Dexie bulkPut',
        dexie,
        1,
        1000,
        'µs',
        "per entry; one batched set() + flush() vs Dexie 4's table.bulkPut() of the very records the store writes, into a table with the same key and four indexes (relaxed durability on both sides), each in a database of its own",
      ),
    );

    const update = await bench(page, 'singleUpdate', { rounds: QUICK ? 3 : 20, warmup: QUICK ? 1 : 3, count: 10_000, valueBytes });
    rows.push(
      pairedRow(
        "single update at 10k persisted vs TanStack's blob persister",
        update,
        50,
        1,
        'ms',
        `ours: set([entry]) + flush() through the tiered store with 10 000 entries persisted; TanStack: setQueryData on a QueryClient of 10 000 queries of the same items, then persistQueryClientSave through createAsyncStoragePersister({ storage: idb-keyval, throttleTime: 0 }) until its setItem completes (it rewrites the whole client: ${round(update.blobBytes / 1e6)} MB of JSON each time)`,
      ),
    );

    const del = await bench(page, 'deleteRequest', { rounds: QUICK ? 3 : 30, warmup: QUICK ? 1 : 5, count: 10_000, valueBytes });
    rows.push(
      budgetRow(
        'DELETE through client.fetch at 10k persisted vs 2 ms budget',
        del.ours,
        INVALIDATE_BUDGET_MS,
        `await client.fetch(url, { method: 'DELETE' }) through a client over tieredStore(idbStore()) with 10 000 entries persisted; the injected fetch answers 204 at once, so this is the client's part: the unsafe request's drop of its URL in memory and IndexedDB (verified gone from IndexedDB after each, ${del.dropped} requests); p75 ${round(quantile(del.ours, 0.75))} ms`,
      ),
    );

    const invalidate = await bench(page, 'invalidateByUrl', {
      rounds: QUICK ? 3 : 30,
      warmup: QUICK ? 1 : 5,
      count: 10_000,
      valueBytes,
      scanRounds: 5,
    });
    rows.push(
      budgetRow(
        'invalidate by URL at 10k persisted vs 2 ms budget',
        invalidate.ours,
        INVALIDATE_BUDGET_MS,
        `await client.invalidate({ url, namespace }) through a client over tieredStore(idbStore()) with 10 000 entries of two users persisted (and in memory): the URL's entries leave memory, and IndexedDB in one readwrite transaction (one key-range delete, committed with the default durability) before it resolves; verified gone from both after each; ${invalidate.found} entries reported removed over all rounds (warm-up included); p75 ${round(quantile(invalidate.ours, 0.75))} ms`,
      ),
      {
        name: 'invalidate by URL at 10k persisted vs the scan it replaces',
        ours: round(median(invalidate.ours)),
        baseline: round(median(invalidate.baseline)),
        ratio: round(median(invalidate.baseline) / median(invalidate.ours)),
        goal: 0,
        unit: 'ms',
        note: `informational, medians of separate runs (${invalidate.baseline.length} scan rounds after ours, not paired): the same selection by a predicate (keys({ namespace, where })), which reads every record of the namespace: what every invalidation paid before the url index`,
      },
    );

    const prune = await bench(page, 'readsDuringPrune', { count: 10_000, expired: 2_000, maxEntries: 9_000, valueBytes });
    const idleP95 = quantile(prune.idle, 0.95);
    const pruneP95 = quantile(prune.pruning, 0.95);
    rows.push({
      name: 'read p95 during prune vs 2 × idle',
      ours: round(pruneP95),
      baseline: round(2 * idleP95),
      ratio: round((2 * idleP95) / pruneP95),
      goal: 1,
      unit: 'ms',
      note: `10 000 live and 2 000 expired entries, maxEntries 9 000: the prune removed ${prune.removed} (expired, then LRU down to 90% of the cap) in ${round(prune.pruneMs)} ms while ${prune.pruning.length} reads ran one after another; idle p95 ${round(idleP95)} ms over ${prune.idle.length} reads, medians ${round(median(prune.pruning))} vs ${round(median(prune.idle))} ms`,
    });

    const target = await bench(page, 'seedCold', { count: 10_000, valueBytes });
    await bench(page, 'seedColdTanstack', { count: 10_000, valueBytes });
    // The profile is free for the cold starts, each in a browser of its own.
    await context.close();
    const cold: Record<'ours' | 'store' | 'raw' | 'tanstack', Cold[]> = { ours: [], store: [], raw: [], tanstack: [] };
    const modes = ['ours', 'store', 'raw', 'tanstack'] as const;
    for (let r = 0; r < (QUICK ? 5 : 23); r++) {
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(r + i) % modes.length]!;
        const result = await coldStart(profile, server.url, mode, target);
        // The first rounds fill the profile's HTTP and code caches, as an app's earlier visits do.
        if (r >= 3) cold[mode].push(result);
      }
    }
    const hits = cold.ours.filter((c) => c.hit).length;
    const script = (mode: keyof typeof cold) => cold[mode].map((c) => c.script);
    const navigation = (mode: keyof typeof cold) => cold[mode].map((c) => c.total);
    rows.push(
      pairedRow(
        'cold first read at 10k persisted vs raw open + get (fresh browser)',
        { ours: script('ours'), baseline: script('raw') },
        0,
        1,
        'ms',
        `informational: ms from the page's script starting to the first read answered from IndexedDB, each round in a fresh Chromium process on the same on-disk profile (its HTTP and code caches warm from earlier rounds); ours: createClient over tieredStore(idbStore()) and client.get(url), ${hits}/${cold.ours.length} answered without fetch; the store alone (idbStore().get) ${round(median(script('store')))} ms; raw: indexedDB.open + one get. From navigation start (page creation and load included, the same bundle for all): ${round(median(navigation('ours')))} vs ${round(median(navigation('raw')))} ms`,
      ),
      pairedRow(
        "cold first read at 10k persisted vs TanStack's per-query persister (fresh browser)",
        { ours: script('ours'), baseline: script('tanstack') },
        1,
        1,
        'ms',
        `from the page's script starting, each round a fresh Chromium process on the same profile; TanStack: a new QueryClient's fetchQuery({ queryKey, persister: experimental_createQueryPersister({ storage: idb-keyval }).persisterFn, staleTime: Infinity }) restoring the same item from 10 000 persisted queries (query-persist-client-core 5.104.5), ${cold.tanstack.filter((c) => c.hit).length}/${cold.tanstack.length} restored without queryFn`,
      ),
      budgetRow(
        'cold first read at 10k persisted vs 50 ms budget',
        script('ours'),
        STARTUP_BUDGET_MS,
        `as above, from script start; p90 ${round(quantile(script('ours'), 0.9))} ms`,
      ),
    );
    return rows;
  } finally {
    // A second close (after the seeding, above) does nothing.
    await context.close();
    await server.close();
    await rm(root, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runIdbBenchmarks().then(
    (rows) => {
      for (const row of rows) {
        const verdict = (row.p25 ?? row.ratio ?? 0) >= row.goal ? 'pass' : 'FAIL';
        console.log(
          `${verdict}  ${row.name}: ours ${row.ours} ${row.unit}, baseline ${row.baseline} ${row.unit}, ratio ${row.ratio}${row.p25 === undefined ? '' : ` (p25 ${row.p25})`} (goal ${row.goal})${row.note ? ` — ${row.note}` : ''}`,
        );
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
