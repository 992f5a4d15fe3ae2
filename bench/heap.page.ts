/**
 * Runs in Chromium (bundled by bench/heap.bench.ts): heap per cached entry, nostale against
 * TanStack Query, holding the same items. The browser is started with `--js-flags=--expose-gc`
 * and `--enable-precise-memory-info`, so `gc()` collects and `performance.memory` is exact rather
 * than rounded and delayed. Each side fills alone, from a collected heap, and is released before
 * the other fills: ours through `client.get` (what a read keeps: the entry, its raw body and
 * decoded data, its key, the URL memo), theirs through `setQueryData`.
 */
import type { QueryClient } from '@tanstack/query-core';
import { type Client, createClient } from '../src/index';
import { fillItems, itemsClient, itemsQueryClient } from './lib/items';

export interface HeapSamples {
  /** Bytes per entry, one value per repetition. */
  ours: number[];
  /** Bytes per query, one value per repetition. */
  theirs: number[];
  /**
   * Bytes per entry of ours that the URL memo holds (raw URL → resolved target), one value per
   * repetition: what a namespace switch, which drops the memo and keeps the entries, frees.
   */
  memo: number[];
  /** Entries and queries counted after each fill (checks that each side holds `size`). */
  held: { ours: number; theirs: number }[];
}

declare const gc: () => void;
const used = async (): Promise<number> => {
  // Out of the filling tasks first: what their promises and closures hold is not the cache's.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  gc();
  return (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
};

async function heap({ size, reps }: { size: number; reps: number }): Promise<HeapSamples> {
  const out: HeapSamples = { ours: [], theirs: [], memo: [], held: [] };
  for (let r = 0; r < reps; r++) {
    let before = await used();
    let client: Client | undefined = itemsClient(createClient, size);
    await fillItems(client, size);
    const filled = await used();
    out.ours.push((filled - before) / size);
    const ours = client.stats().misses;
    // Diagnostic: the memo's share. A read after the switch drops it; the entries stay.
    client.namespace = `${client.namespace}-diagnostic`;
    client.peek('/items/0');
    out.memo.push((filled - (await used())) / size);
    client = undefined;
    before = await used();
    let queryClient: QueryClient | undefined = itemsQueryClient(size);
    out.theirs.push(((await used()) - before) / size);
    out.held.push({ ours, theirs: queryClient.getQueryCache().getAll().length });
    queryClient = undefined;
  }
  return out;
}

(window as unknown as { bench: unknown }).bench = { heap };
document.title = 'ready';
