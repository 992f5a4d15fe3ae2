import { openDB } from 'idb';
import { afterEach } from 'vitest';
import { idbStore, type IdbStore, type IdbStoreOptions } from '../../../src/idb.js';
import type { CacheEntry, CacheEvent } from '../../../src/index.js';

let counter = 0;
/** A database name no other test uses: fake-indexeddb's global factory is shared by the whole file. */
export const uniqueName = (label = 'db') => `nostale-test-${label}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

const open: IdbStore[] = [];
afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

/** A store that records its events and is closed after the test. Background pruning is off unless asked for. */
export function makeStore(options: IdbStoreOptions = {}) {
  const events: CacheEvent[] = [];
  const store = idbStore({ name: uniqueName(), pruneDelay: false, ...options });
  store.attach((event) => events.push(event));
  open.push(store);
  return { store, events, warnings: () => events.filter((e) => e.type === 'warning') };
}

/** A cache entry as the client builds it. */
export function entry(overrides: Partial<CacheEntry> & { url?: string } = {}): CacheEntry {
  const namespace = overrides.namespace ?? 'alice';
  const url = overrides.url ?? 'http://api.test/a';
  return {
    key: JSON.stringify([namespace, 'GET', url]),
    namespace,
    url,
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"n":1}',
    size: 14,
    storedAt: 1_000_000,
    accessedAt: 1_000_000,
    lifetime: 60_000,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    noCache: false,
    mustRevalidate: false,
    ...overrides,
  };
}

/** Opens the database behind a store with the plain `idb` API, to look at what is really there. */
export async function raw(name: string) {
  const db = await openDB(name);
  return {
    db,
    entries: () => db.getAll('entries') as Promise<Record<string, unknown>[]>,
    keys: () => db.getAllKeys('entries') as Promise<string[]>,
    close: () => db.close(),
  };
}

/** Reads every record of a store of a database by name, then closes the connection. */
export async function rawRecords(name: string, store = 'entries'): Promise<Record<string, unknown>[]> {
  const db = await openDB(name);
  try {
    return (await db.getAll(store)) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
