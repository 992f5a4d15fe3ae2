/**
 * Heap per cached entry in Chromium, against TanStack per query (issue 10 asks for Chromium and
 * Node; the Node rows are in memory.bench.ts). The page (bench/heap.page.ts) is bundled with
 * esbuild, served from a temp dir and driven through playwright-core, in a browser started with
 * `gc()` exposed and precise `performance.memory`. Called from core.bench.ts (group `memory`);
 * `npx tsx bench/heap.bench.ts` prints the rows alone.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium, startStaticServer } from '../test/browser/support/chromium';
import type { HeapSamples } from './heap.page';
import { bundlePages } from './lib/build';
import { check, gate, median, round, type Row } from './lib/measure';

const SIZES = [
  { size: 10_000, reps: 3 },
  { size: 100_000, reps: 1 },
] as const;

export async function runChromiumHeap(): Promise<Row[]> {
  const root = await mkdtemp(join(tmpdir(), 'nostale-bench-heap-'));
  const browser = await chromium.launch({
    executablePath: await findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc', '--enable-precise-memory-info'],
  });
  const server = await startStaticServer(root);
  try {
    await bundlePages({ app: fileURLToPath(new URL('./heap.page.ts', import.meta.url)) }, root);
    await writeFile(
      join(root, 'index.html'),
      '<!doctype html>\n<meta charset="utf-8">\n<title>loading</title>\n<script type="module" src="./app.js"></script>\n',
    );
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.title === 'ready');
    const rows: Row[] = [];
    for (const { size, reps } of SIZES) {
      const samples = (await page.evaluate(
        (args) => (window as unknown as { bench: { heap: (a: typeof args) => Promise<unknown> } }).bench.heap(args),
        { size, reps },
      )) as HeapSamples;
      for (const held of samples.held)
        check(held.ours === size && held.theirs === size, `both sides hold ${size} (ours ${held.ours}, theirs ${held.theirs})`);
      const ratios = samples.ours.map((o, i) => samples.theirs[i]! / o).sort((x, y) => x - y);
      const row: Row = {
        name: `heap per entry in Chromium at ${size / 1000}k vs TanStack per query`,
        ours: round(median(samples.ours)),
        baseline: round(median(samples.theirs)),
        ratio: round(median(ratios)),
        goal: 1,
        unit: 'B',
        note: `performance.memory.usedJSHeapSize (--enable-precise-memory-info) after gc() (--js-flags=--expose-gc), before and after filling, ÷ ${size} (of which the URL memo: ${round(median(samples.memo))} B, freed by a namespace switch); the same items cached by client.get and by setQueryData, both bundled minified as an app ships them; ${reps} measurement(s), each side alone`,
      };
      if (reps > 1) row.p25 = round(gate(ratios));
      rows.push(row);
    }
    return rows;
  } finally {
    await browser.close();
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runChromiumHeap();
  console.table(rows.map(({ note: _, ...rest }) => rest));
}
