/**
 * Runs in Chromium (bundled by bench/heap.bench.ts): heap per cached entry, nostale against
 * TanStack Query, holding the same items. The browser is started with `--js-flags=--expose-gc`
 * and `--enable-precise-memory-info`, so `gc()` collects and `performance.memory` is exact rather
 * than rounded and delayed. Each side fills alone, from a collected heap, and is released before
 * the other fills: ours through `client.get` (what a read keeps: the entry, its raw body and
 * decoded data, its key, the URL memo), theirs through `setQueryData`.
 */
import { QueryClient } from '@tanstack/query-core';
import { type Client, createClient } from '../src/index';
import { liteResponse } from './lib/liteResponse';

export interface HeapSamples {
  /** Bytes per entry, one value per repetition. */
  ours: number[];
  /** Bytes per query, one value per repetition. */
  theirs: number[];
  /** Entries and queries counted after each fill (checks that each side holds `size`). */
  held: { ours: number; theirs: number }[];
}

const BASE = 'http://localhost/';
const item = (i: number) => ({ id: i, title: 'Buy milk', done: false, tags: ['home', 'errands'] });

declare const gc: () => void;
const used = async (): Promise<number> => {
  // Out of the filling tasks first: what their promises and closures hold is not the cache's.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  gc();
  return (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
};

async function heap({ size, reps }: { size: number; reps: number }): Promise<HeapSamples> {
  const out: HeapSamples = { ours: [], theirs: [], held: [] };
  for (let r = 0; r < reps; r++) {
    let before = await used();
    let client: Client | undefined = createClient({
      baseUrl: BASE,
      maxEntries: 2 * size,
      fetch: async (input) => {
        const i = Number(new URL(String(input)).pathname.split('/').pop());
        return liteResponse(JSON.stringify(item(i)), { 'cache-control': 'max-age=3600', 'content-type': 'application/json' });
      },
    });
    for (let i = 0; i < size; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, size - i) }, (_, j) => client!.get(`/items/${i + j}`)));
    }
    out.ours.push(((await used()) - before) / size);
    const ours = client.stats().misses;
    client = undefined;
    before = await used();
    let queryClient: QueryClient | undefined = new QueryClient();
    for (let i = 0; i < size; i++) queryClient.setQueryData(['items', i], item(i));
    out.theirs.push(((await used()) - before) / size);
    out.held.push({ ours, theirs: queryClient.getQueryCache().getAll().length });
    queryClient = undefined;
  }
  return out;
}

(window as unknown as { bench: unknown }).bench = { heap };
document.title = 'ready';
