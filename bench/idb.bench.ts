/**
 * IndexedDB benchmarks, in real Chromium: `npx tsx bench/idb.bench.ts` prints them, `npm run bench`
 * calls `runIdbBenchmarks()`. The page half (bench/idb.page.ts) is bundled with esbuild, served
 * from a temp dir and driven through playwright-core.
 *
 * - read: our `get` against `idb`'s `db.get` on the same connection and value size, interleaved
 *   round by round; the ratio is the median of the per-round ratios (paired), goal 1/1.15.
 * - writes: 1000 entries through one batched `set` against one `idb-keyval` `set` per entry
 *   (all started at once, which beats awaiting each); goal 10. An informational row sets the
 *   same batch against plain native puts in one transaction, which is as fast as one record
 *   per entry can be written: Chromium pays per request (serialising, index keys, IPC), and
 *   that cost, not the transaction, is most of what idb-keyval pays too.
 * - startup: with 10 000 entries persisted, time from creating the store (and a client over it)
 *   to the first read it answers from IndexedDB; the baseline is the 50 ms budget itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium, startStaticServer } from '../test/browser/support/chromium';
import type { IdbBenchApi, Samples } from './idb.page';

export interface Row {
  name: string;
  ours: number;
  baseline: number;
  /** baseline ÷ ours: higher is better. */
  ratio: number;
  goal: number;
  unit?: string;
  note?: string;
}

const STARTUP_BUDGET_MS = 50;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round3 = (x: number) => Number(x.toPrecision(3));

/** Medians of each side and the median of the per-round ratios, scaled to `unit`. */
function pairedRow(name: string, samples: Samples, goal: number, scale: number, unit: string, note?: string): Row {
  const ratios = samples.ours.map((ours, i) => samples.baseline[i]! / ours);
  const row: Row = {
    name,
    ours: round3(median(samples.ours) * scale),
    baseline: round3(median(samples.baseline) * scale),
    ratio: round3(median(ratios)),
    goal,
    unit,
  };
  if (note) row.note = note;
  return row;
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

export async function runIdbBenchmarks(): Promise<Row[]> {
  const root = await mkdtemp(join(tmpdir(), 'nostale-idb-bench-'));
  const profile = await mkdtemp(join(tmpdir(), 'nostale-idb-profile-'));
  // A persistent profile: a plain context is off the record, where Chromium keeps IndexedDB in
  // memory, and an app's IndexedDB lives on disk.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: await findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const server = await startStaticServer(root);
  try {
    await build({
      entryPoints: [fileURLToPath(new URL('./idb.page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      outfile: join(root, 'app.js'),
      logLevel: 'silent',
    });
    await writeFile(
      join(root, 'index.html'),
      '<!doctype html>\n<meta charset="utf-8">\n<title>nostale idb bench</title>\n<script type="module" src="./app.js"></script>\n',
    );
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => 'bench' in window);

    const valueBytes = 2048;
    const read = await bench(page, 'readVsGet', { rounds: 40, warmup: 5, batch: 100, valueBytes });
    const writes = await bench(page, 'writes', { rounds: 9, warmup: 2, count: 1000, valueBytes, sequentialRounds: 3 });
    const startup = await bench(page, 'startup', { rounds: 15, warmup: 3, count: 10_000, valueBytes });

    const startupMs = median(startup.ms);
    return [
      pairedRow('idb read vs idb get', read, round3(1 / 1.15), 1000, 'µs', `${valueBytes} B bodies, 100 keys a round, 40 rounds`),
      pairedRow(
        '1000 writes vs idb-keyval set',
        writes,
        10,
        1000,
        'µs',
        `per entry; one batched set() vs 1000 idb-keyval set() started at once; awaited one by one they take ${round3(median(writes.sequential) * 1000)} µs (ratio ${round3(median(writes.sequential) / median(writes.ours))})`,
      ),
      pairedRow(
        '1000 writes vs raw IndexedDB batch',
        { ours: writes.ours, baseline: writes.raw },
        0,
        1000,
        'µs',
        'per entry; the same puts in one native transaction on our connection and layout: the floor for one record per entry',
      ),
      {
        name: 'startup 10k entries first read',
        ours: round3(startupMs),
        baseline: STARTUP_BUDGET_MS,
        ratio: round3(STARTUP_BUDGET_MS / startupMs),
        goal: 1,
        unit: 'ms',
        note: `store + client created to first read served from IndexedDB; ${startup.hits}/${startup.ms.length} rounds without fetch; p90 ${round3(quantile(startup.ms, 0.9))} ms`,
      },
    ];
  } finally {
    await context.close();
    await server.close();
    await rm(root, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runIdbBenchmarks().then(
    (rows) => {
      for (const row of rows) {
        const verdict = row.ratio >= row.goal ? 'pass' : 'FAIL';
        console.log(
          `${verdict}  ${row.name}: ours ${row.ours} ${row.unit}, baseline ${row.baseline} ${row.unit}, ratio ${row.ratio} (goal ${row.goal})${row.note ? ` — ${row.note}` : ''}`,
        );
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
