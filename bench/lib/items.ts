/**
 * What the memory and heap rows cache, in Node and in Chromium alike: `size` to-do items, by
 * nostale through `client.get` and by TanStack as queries, so both sides hold the same data.
 */
import { QueryClient } from '@tanstack/query-core';
import type { Client, ClientOptions } from '../../src/index.js';
import { liteResponse } from './liteResponse.js';

export const BASE = 'http://localhost/';

export const item = (i: number) => ({ id: i, title: 'Buy milk', done: false, tags: ['home', 'errands'] });

/**
 * A client (of the `createClient` given: `src/` or the bundle as shipped) answering `/items/<i>`
 * from a stand-in fetch, fresh for an hour; `counted.requests` counts what it was asked.
 */
export function itemsClient(createClient: (options: ClientOptions) => Client, size: number, counted = { requests: 0 }): Client {
  return createClient({
    baseUrl: BASE,
    maxEntries: 2 * size,
    fetch: async (input) => {
      counted.requests++;
      const i = Number(new URL(String(input)).pathname.split('/').pop());
      return liteResponse(JSON.stringify(item(i)), { 'cache-control': 'max-age=3600', 'content-type': 'application/json' });
    },
  });
}

/**
 * Reads items 0…size-1 through `client.get`, 1000 in flight at a time. It resolves to nothing on
 * purpose: a heap row holds the client in a variable it can clear, never in an awaited value
 * that a suspended caller's frame may keep alive.
 */
export async function fillItems(client: Client, size: number): Promise<void> {
  for (let i = 0; i < size; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, size - i) }, (_, j) => client.get(`/items/${i + j}`)));
  }
}

/** TanStack holding the same items, query `['items', i]` each. */
export function itemsQueryClient(size: number): QueryClient {
  const queryClient = new QueryClient();
  for (let i = 0; i < size; i++) queryClient.setQueryData(['items', i], item(i));
  return queryClient;
}
